import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import type { PasswordHasher } from '../passwords/password-hash.js';
import { nameKey } from '../directory/names.js';
import type { User, UserStore } from '../directory/users.js';
import type { FlowStore } from '../state/flow-store.js';
import type { LockoutPolicy } from '../state/lockout.js';
import { lockRemaining } from '../state/lockout.js';
import type { SessionStore } from '../state/sessions.js';
import { afterPassword, type SignInData, type SignInState } from './sign-in-flow.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { WritebackResult } from '../writeback/writeback.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';

/**
 * Why a sign-in was refused: `onprem_unavailable` — a hybrid user whose password only AD can
 * check, while no agent answers; `onprem_locked` — AD's own lockout; `password_expired` — AD
 * says the password is right but expired or must be changed.
 */
export const signInRefusals = ['invalid', 'locked', 'disabled', 'onprem_unavailable', 'onprem_locked', 'password_expired'] as const;
export type SignInRefusal = (typeof signInRefusals)[number];

/** A password that was right: signed in, or a second factor to pass first. */
export type SignedIn = { kind: 'signed_in'; user: User; sessionToken: string } | { kind: 'second_factor_required'; flowId: string };

export type SignInOutcome = Ok<SignedIn> | (Refused<'locked'> & { retryAfterSeconds: number }) | Refused<Exclude<SignInRefusal, 'locked'>>;

/** The seam for multi-factor sign-in: which registered methods could satisfy a second gate. */
export interface SecondFactorPolicy {
  gatesFor(user: User): Promise<string[]>;
}

export const passwordOnly: SecondFactorPolicy = { gatesFor: () => Promise.resolve([]) };

export interface SignInDeps {
  users: UserStore;
  hasher: PasswordHasher;
  throttle: ThrottleStore;
  sessions: SessionStore;
  flows: FlowStore;
  audit: AuditLog;
  secondFactor: SecondFactorPolicy;
  userLockout: LockoutPolicy;
  ipLockout: LockoutPolicy;
  flowTtlMs: number;
  clock: Clock;
  /** The outcome's name for the sign-in counter: `signed_in`, `second_factor_required` or the refusal. */
  onOutcome?: (outcome: SignedIn['kind'] | SignInRefusal) => void;
  /** Hybrid users: the password is checked by AD through the agent (a bind). */
  passThrough?: { bind(user: User, password: string): Promise<WritebackResult> };
  /** The helpdesk's "require re-registration": applied once the password is proven, before any second factor (src/methods/reregistration.ts). */
  reregistration?: { applyAtSignIn(user: User, meta: { ip: string; userAgent: string }): Promise<boolean> };
}

export interface SignInRequest {
  username: string;
  password: string;
  ip: string;
  userAgent: string;
  browserId: string;
  next: string;
}

const userKey = (username: string) => throttleKeys.signInUser(nameKey(username));
const ipKey = throttleKeys.signInIp;

/**
 * Guards in order — IP throttle, account lockout, credentials — then the flow. The counter
 * key is the typed username whether or not such an account exists, and an unknown user costs
 * the same argon2 verification as a known one, so neither the answers nor their timing tell
 * an attacker which accounts exist.
 */
export class SignInService {
  constructor(private readonly deps: SignInDeps) {}

  async attempt(req: SignInRequest): Promise<SignInOutcome> {
    const outcome = await this.decide(req);
    this.deps.onOutcome?.(outcome.ok ? outcome.value.kind : outcome.reason);
    return outcome;
  }

  private async decide(req: SignInRequest): Promise<SignInOutcome> {
    const { deps } = this;
    const ipState = await deps.throttle.get(ipKey(req.ip));
    const userState = await deps.throttle.get(userKey(req.username));
    const remaining = Math.max(lockRemaining(userState, this.nowMs()), lockRemaining(ipState, this.nowMs()));
    if (remaining > 0) {
      await deps.audit.record({ event: 'sign_in', outcome: 'blocked', target: { id: null, name: req.username.slice(0, 256) }, ip: req.ip, userAgent: req.userAgent, details: { reason: 'locked_out' } });
      return fail('locked', { retryAfterSeconds: Math.ceil(remaining / 1000) });
    }

    const user = await deps.users.byUsername(req.username);
    const hash = user ? await deps.users.passwordHash(user.id) : null;
    let valid: boolean;
    if (user?.source === 'onprem' && user.anchor && deps.passThrough) {
      // AD decides (pass-through); a synced hash (password hash sync) is used only when no agent answers.
      const r = await deps.passThrough.bind(user, req.password);
      const unreachable = !r.ok && (r.reason === 'unavailable' || r.reason === 'dc_unreachable' || r.reason === 'unconfirmed');
      if (!r.ok && !unreachable && r.reason !== 'wrong_password' && r.reason !== 'not_found') {
        const kind = r.reason === 'account_locked' ? 'onprem_locked' : r.reason === 'password_expired' ? 'password_expired' : 'disabled';
        await deps.audit.record({ event: 'sign_in', outcome: 'failure', target: { id: user.id, name: user.username }, ip: req.ip, userAgent: req.userAgent, details: { reason: `onprem_${r.reason}` } });
        return fail(kind);
      }
      if (unreachable && !hash) {
        await deps.audit.record({ event: 'sign_in', outcome: 'failure', target: { id: user.id, name: user.username }, ip: req.ip, userAgent: req.userAgent, details: { reason: 'onprem_unavailable' } });
        return fail('onprem_unavailable');
      }
      valid = r.ok || (unreachable && hash !== null && (await deps.hasher.verify(hash, req.password)));
    } else {
      valid = hash ? await deps.hasher.verify(hash, req.password) : await deps.hasher.verifyNothing(req.password);
    }

    if (!valid || !user) {
      const after = await deps.throttle.recordFailure(userKey(req.username), deps.userLockout);
      await deps.throttle.recordFailure(ipKey(req.ip), deps.ipLockout);
      await deps.audit.record({
        event: 'sign_in',
        outcome: 'failure',
        target: { id: user?.id ?? null, name: req.username.slice(0, 256) },
        ip: req.ip,
        userAgent: req.userAgent,
        details: { reason: user ? 'wrong_password' : 'unknown_user' },
      });
      const lockedFor = lockRemaining(after, this.nowMs());
      if (lockedFor > 0) return fail('locked', { retryAfterSeconds: Math.ceil(lockedFor / 1000) });
      return fail('invalid');
    }

    // The password was right: only now may we say the account is disabled.
    if (!user.enabled) {
      await deps.audit.record({ event: 'sign_in', outcome: 'failure', target: { id: user.id, name: user.username }, ip: req.ip, userAgent: req.userAgent, details: { reason: 'disabled' } });
      return fail('disabled');
    }

    await deps.throttle.reset(userKey(req.username));
    // The helpdesk asked for a fresh registration: the old methods (a lost phone) go before they could be asked for.
    await deps.reregistration?.applyAtSignIn(user, { ip: req.ip, userAgent: req.userAgent });
    const gates = await deps.secondFactor.gatesFor(user);
    const start = afterPassword(gates, req.next);
    if (start.state === 'awaiting_second_factor') {
      const flow = await deps.flows.create<SignInState, SignInData>({
        kind: 'sign-in',
        state: start.state,
        userId: user.id,
        browserId: req.browserId,
        data: start.data,
        ttlMs: deps.flowTtlMs,
      });
      await deps.audit.record({ event: 'sign_in', outcome: 'info', target: { id: user.id, name: user.username }, ip: req.ip, userAgent: req.userAgent, details: { step: 'password_verified' } });
      return ok({ kind: 'second_factor_required', flowId: flow.id });
    }
    const { token } = await deps.sessions.create(user.id, { ip: req.ip, userAgent: req.userAgent, amr: start.data.amr });
    await deps.audit.record({ event: 'sign_in', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: req.ip, userAgent: req.userAgent, details: { amr: start.data.amr.join(',') } });
    return ok({ kind: 'signed_in', user, sessionToken: token });
  }

  private nowMs(): number {
    return this.deps.clock.now();
  }
}
