import type { AuditLog } from '../../audit/audit-log.js';
import { lockRemaining, type LockoutPolicy } from '../../state/lockout.js';
import type { ThrottleStore } from '../../state/throttle-store.js';
import type { DirectoryService } from '../../directory/directory-service.js';
import { nameKey } from '../../directory/names.js';
import type { PasswordHasher } from '../../passwords/password-hash.js';
import type { User, UserStore } from '../../directory/users.js';
import type { Notices } from '../../delivery/notices.js';
import type { SelfServiceBlockStore } from '../../directory/self-service-blocks.js';
import type { Translate } from '../../i18n/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Writeback } from '../../writeback/writeback.js';
import type { ReportedPolicy } from '../../agent-protocol/index.js';
import { afterOnPremisesPassword, checkOnPremisesPassword } from '../../writeback/onprem-password.js';
import type { FlowStore } from '../../state/flow-store.js';
import { throttleKeys } from '../../state/throttle-keys.js';
import { fail, ok, type Ok, type Refused } from '../../shared/result.js';
import { writebackMessageKey, type WritebackRefusalKey } from '../../writeback/refusals.js';
import { passwordRefused, type PasswordRefused } from '../password-refusal.js';

/** The change's own refusals (message keys); a refused new password and AD's verdicts come from their catalogues. */
export const changeRefusals = [
  /** Too many wrong current passwords: the same smart lockout as sign-in. */
  'change.locked',
  /** The user reported "this wasn't me": no self-service until an administrator lifts the block. */
  'change.selfServiceBlocked',
] as const;
export type ChangeRefusal = (typeof changeRefusals)[number] | WritebackRefusalKey;
export type ChangeResult = Ok<User> | PasswordRefused | Refused<ChangeRefusal>;

/** What the change page shows besides the form. */
export interface ChangeForm {
  passwordLength: { min: number; max: number };
  /** A hybrid user's domain rules, as the agent read them from AD (null for cloud users or when no agent reported them). */
  adPolicy: ReportedPolicy | null;
  /** Self-service is blocked for this user ("this wasn't me"): the page says so instead of showing the form. */
  blocked: boolean;
}

interface Deps {
  users: UserStore;
  directory: DirectoryService;
  hasher: PasswordHasher;
  throttle: ThrottleStore;
  /** Other open flows of the user end with the change (the cloud path: the directory does it). */
  flows: Pick<FlowStore, 'voidFlowsOf'>;
  lockout: LockoutPolicy;
  /** The one notice path (with the "this wasn't me" link). */
  notices: Pick<Notices, 'toUser'>;
  /** A hybrid user's other sessions end with the change (the cloud path: the directory does it). */
  sessions: { revokeAllForUser(userId: string, options?: { exceptIdHash?: string }): Promise<number> };
  blocks: Pick<SelfServiceBlockStore, 'isBlocked'>;
  audit: AuditLog;
  t: Translate;
  clock: Clock;
  publicUrl: string;
  writeback: Writeback;
  /** The domain password policy the agents reported (null until one did). */
  adPolicy: (user: User) => Promise<ReportedPolicy | null>;
  passwordLength: { min: number; max: number };
  /** The SSPR policy's password hash sync switch. */
  hashSync: () => Promise<boolean>;
}

/**
 * "I know my password and want a new one", for a signed-in user. A wrong current password
 * counts towards the same smart lockout as sign-in (so this page is no way around it); the
 * new one goes through every password rule and the history; the user's other sessions end and
 * the user is told by email.
 */
export class ChangePasswordService {
  constructor(private readonly d: Deps) {}

  async form(user: User): Promise<ChangeForm> {
    return { passwordLength: this.d.passwordLength, adPolicy: user.source === 'onprem' ? await this.d.adPolicy(user) : null, blocked: await this.d.blocks.isBlocked(user.id) };
  }

  async change(user: User, input: { current: unknown; password: unknown; confirm: unknown }, session: { idHash: string; ip: string; userAgent: string }): Promise<ChangeResult> {
    const { d } = this;
    if (await d.blocks.isBlocked(user.id)) return fail('change.selfServiceBlocked');
    // Hybrid users' passwords live in AD: AD checks the current one (a change bound as the user)
    // and its own history, through the on-premises agent.
    if (user.source === 'onprem') return this.changeOnPremises(user, input, session);
    const key = throttleKeys.signInUser(nameKey(user.username));
    if (lockRemaining(await d.throttle.get(key), d.clock.now()) > 0) return fail('change.locked');
    if (typeof input.current !== 'string' || input.current === '') return fail('invalid', { errors: { current: 'v.password.empty' } });
    // Longer than any password (as at sign-in): refused as it is, not counted as a wrong password.
    if (input.current.length > 4096) return fail('invalid', { errors: { current: 'v.field.tooLong' } });
    const hash = await d.users.passwordHash(user.id);
    const right = hash !== null && (await d.hasher.verify(hash, input.current));
    if (!right) {
      const after = await d.throttle.recordFailure(key, d.lockout);
      await d.audit.record({ event: 'password_change', outcome: 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: session.ip, userAgent: session.userAgent, details: { reason: 'current_password_wrong' } });
      if (lockRemaining(after, d.clock.now()) > 0) return fail('change.locked');
      return fail('invalid', { errors: { current: 'change.currentWrong' } });
    }
    if (input.password === input.current) return fail('invalid', { errors: { password: 'change.same' } });
    const r = await d.directory.setPassword({ id: user.id, name: user.username, ip: session.ip, userAgent: session.userAgent }, user.id, { password: input.password, confirm: input.confirm }, { ownSessionIdHash: session.idHash });
    if (!r.ok) return passwordRefused(r);
    await d.throttle.reset(key);
    await this.notify(user);
    return ok(r.value);
  }

  private async changeOnPremises(user: User, input: { current: unknown; password: unknown; confirm: unknown }, session: { idHash: string; ip: string; userAgent: string }): Promise<ChangeResult> {
    const { d } = this;
    if (typeof input.current !== 'string' || input.current === '') return fail('invalid', { errors: { current: 'v.password.empty' } });
    if (input.current.length > 4096) return fail('invalid', { errors: { current: 'v.field.tooLong' } });
    if (input.password === input.current) return fail('invalid', { errors: { password: 'change.same' } });
    const checked = await checkOnPremisesPassword(d.directory, user, { password: input.password, confirm: input.confirm }, await d.adPolicy(user), d.clock.now());
    if (!checked.ok) return passwordRefused(checked);
    const r = await d.writeback.change(user, input.current, checked.value);
    await d.audit.record({ event: 'password_change', outcome: r.ok ? 'success' : 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: session.ip, userAgent: session.userAgent, details: r.ok ? { onprem: true } : { onprem: true, reason: r.reason === 'unavailable' ? 'onprem_unavailable' : r.reason } });
    if (!r.ok && r.reason === 'wrong_password') return fail('invalid', { errors: { current: 'change.currentWrong' } });
    if (!r.ok) return fail(writebackMessageKey(r.reason));
    await afterOnPremisesPassword(d.users, d.hasher, user, checked.value, await d.hashSync());
    await d.flows.voidFlowsOf(user.id, { reason: 'password_changed' });
    await d.sessions.revokeAllForUser(user.id, { exceptIdHash: session.idHash });
    await this.notify(user);
    return ok(user);
  }

  /** The user hears about the change on every address they have, with a "this wasn't me" link and without any secret. */
  private async notify(user: User): Promise<void> {
    const { d } = this;
    await d.notices.toUser(user, {
      event: 'password_change',
      kind: 'notify:password-changed',
      message: (t) => ({
        title: t('mail.passwordChanged.title'),
        paragraphs: [t('mail.passwordChanged.body', { username: user.username })],
        action: { label: t('mail.passwordChanged.action'), url: `${d.publicUrl}/sign-in` },
      }),
    });
  }
}
