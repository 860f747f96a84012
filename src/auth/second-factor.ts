import type { AuditLog } from '../audit/audit-log.js';
import type { User, UserStore } from '../directory/users.js';
import type { FlowStore, StoredFlow } from '../state/flow-store.js';
import type { Method, MethodStore } from '../methods/method-store.js';
import { refusals, type SecurityInfoService } from '../methods/security-info.js';
import { fail, ok, type Ok, type Refused, type Result } from '../shared/result.js';
import type { SessionStore } from '../state/sessions.js';
import type { SecondFactorPolicy } from './sign-in.js';
import { transition, type SignInData, type SignInState } from './sign-in-flow.js';

/** Methods that can be a sign-in gate. Security questions never are (and never for administrators). */
const MFA_TYPES = new Set(['email', 'mobile', 'office', 'totp', 'passkey', 'recovery_code']);

export function methodsAsSecondFactor(methods: MethodStore): SecondFactorPolicy {
  return {
    async gatesFor(user: User) {
      const list = await methods.list(user.id, { confirmedOnly: true });
      // The default method first, so the page can offer it straight away.
      return list
        .filter((m) => MFA_TYPES.has(m.type))
        .sort((a, b) => Number(b.isDefault) - Number(a.isDefault))
        .map((m) => m.id);
    },
  };
}

export type SecondFactorView =
  | { kind: 'expired' }
  /** Ended because the user's password was changed meanwhile (src/state/flow-store.ts `voidFlowsOf`). */
  | { kind: 'voided' }
  | { kind: 'finished' }
  | { kind: 'choose'; flow: StoredFlow<SignInState, SignInData>; user: User; methods: Method[]; chosen: Method | null };

/** Why a second-factor step was refused: a method's refusal, or the flow is gone (expired, finished, another browser). */
export const secondFactorRefusals = [...refusals, 'mfa.expired', 'mfa.voided'] as const;
export type SecondFactorRefusal = (typeof secondFactorRefusals)[number];

/** A completed sign-in: the new session and where it continues. */
export interface SignedIn {
  sessionToken: string;
  user: User;
  next: string;
}

/** A refused code carries the view, so the page can be shown again with the error. */
export type SecondFactorOutcome = Ok<SignedIn> | (Refused<SecondFactorRefusal> & { view?: SecondFactorView });

interface Deps {
  flows: FlowStore;
  users: UserStore;
  methods: MethodStore;
  securityInfo: Pick<SecurityInfoService, 'deliverCode' | 'verifyCode'>;
  sessions: SessionStore;
  audit: AuditLog;
}

/**
 * The second step of sign-in, driven by the stored flow: choose a method (a code is sent for
 * email and phone), then enter the code. Each step is a compare-and-swap on the flow, so a
 * replayed or parallel submission cannot sign in twice.
 */
export class SecondFactorStep {
  constructor(private readonly d: Deps) {}

  async view(flowId: string, browserId: string): Promise<SecondFactorView> {
    const loaded = await this.d.flows.load<SignInState, SignInData>('sign-in', flowId, browserId);
    if (!loaded.ok) return { kind: loaded.reason === 'voided' ? 'voided' : 'expired' };
    const flow = loaded.value;
    if (flow.state !== 'awaiting_second_factor' || !flow.userId) return { kind: 'finished' };
    const user = await this.d.users.byId(flow.userId);
    if (!user?.enabled) return { kind: 'expired' };
    const all = await this.d.methods.list(user.id, { confirmedOnly: true });
    const methods = flow.data.gates.map((id) => all.find((m) => m.id === id)).filter((m): m is Method => !!m);
    const chosen = methods.find((m) => m.id === flow.data.chosen) ?? null;
    return { kind: 'choose', flow, user, methods, chosen };
  }

  async choose(flowId: string, browserId: string, methodId: string, channel?: 'sms' | 'voice'): Promise<Result<undefined, SecondFactorRefusal>> {
    const v = await this.view(flowId, browserId);
    if (v.kind !== 'choose') return fail(v.kind === 'voided' ? 'mfa.voided' : 'mfa.expired');
    const method = v.methods.find((m) => m.id === methodId);
    const next = transition(v.flow.state, v.flow.data, { type: 'method_chosen', methodId });
    if (!method || !next.ok) return fail('methods.notFound');
    // A passkey is answered in the browser (src/auth/passkey-sign-in.ts), not chosen here.
    if (method.type === 'passkey') return fail('methods.notAvailable');
    // Nothing is sent for an authenticator app or a saved recovery code: the user has the code.
    if (method.type !== 'totp' && method.type !== 'recovery_code') {
      const sent = await this.d.securityInfo.deliverCode(v.user, method, 'sign-in', channel);
      if (!sent.ok) return sent;
    }
    // The channel is kept so the code page says how the code comes and "send again" uses the same way.
    const { channel: _previous, ...data } = next.value.data;
    const withChannel = method.type === 'mobile' ? { ...data, channel: channel ?? 'sms' } : data;
    if (!(await this.d.flows.advance(v.flow, { state: next.value.state, data: withChannel }))) return fail('mfa.expired');
    return ok(undefined);
  }

  async check(flowId: string, browserId: string, code: string, meta: { ip: string; userAgent: string }): Promise<SecondFactorOutcome> {
    const v = await this.view(flowId, browserId);
    if (v.kind !== 'choose' || !v.chosen) return fail(v.kind === 'voided' ? 'mfa.voided' : 'mfa.expired');
    const r = await this.d.securityInfo.verifyCode(v.user, v.chosen, 'sign-in', code);
    if (!r.ok) {
      if (r.reason === 'methods.blocked') await this.fail(v);
      return fail(r.reason, { view: v });
    }
    return this.complete(v, v.chosen, meta);
  }

  /** Too many failed verifications: the flow ends; the user starts again once the block is over. */
  async fail(v: Extract<SecondFactorView, { kind: 'choose' }>): Promise<void> {
    const failed = transition(v.flow.state, v.flow.data, { type: 'second_factor_failed_too_often' });
    if (failed.ok) await this.d.flows.advance(v.flow, failed.value);
  }

  /**
   * The gate is passed with `method`: one compare-and-swap moves the flow to completed (a
   * replayed or parallel success finds the version moved on), then the session is created.
   */
  async complete(v: Extract<SecondFactorView, { kind: 'choose' }>, method: Method, meta: { ip: string; userAgent: string }): Promise<SecondFactorOutcome> {
    const chosen = transition(v.flow.state, v.flow.data, { type: 'method_chosen', methodId: method.id });
    const done = chosen.ok ? transition(chosen.value.state, chosen.value.data, { type: 'second_factor_passed', methodId: method.id, kind: method.type }) : chosen;
    if (!done.ok || !(await this.d.flows.advance(v.flow, done.value))) return fail('mfa.expired');
    const { token } = await this.d.sessions.create(v.user.id, { ip: meta.ip, userAgent: meta.userAgent, amr: done.value.data.amr });
    await this.d.audit.record({ event: 'sign_in', outcome: 'success', actor: { id: v.user.id, name: v.user.username }, target: { id: v.user.id, name: v.user.username }, ip: meta.ip, userAgent: meta.userAgent, details: { amr: done.value.data.amr.join(',') } });
    return ok({ sessionToken: token, user: v.user, next: done.value.data.next });
  }
}
