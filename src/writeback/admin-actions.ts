import type { AuditLog } from '../audit/audit-log.js';
import type { Actor, DirectoryService, Outcome } from '../directory/directory-service.js';
import type { PasswordHasher } from '../passwords/password-hash.js';
import type { User, UserStore } from '../directory/users.js';
import type { FlowStore } from '../state/flow-store.js';
import type { SessionStore } from '../state/sessions.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';
import type { Writeback, WritebackResult } from './writeback.js';
import { afterOnPremisesPassword, checkOnPremisesPassword } from './onprem-password.js';
import { writebackMessageKey } from './refusals.js';

interface Deps {
  users: UserStore;
  directory: DirectoryService;
  hasher: PasswordHasher;
  sessions: SessionStore;
  flows: Pick<FlowStore, 'voidFlowsOf'>;
  audit: AuditLog;
  writeback: Writeback;
  adPolicy: (user: User) => Promise<ReportedPolicy | null>;
  hashSync: () => Promise<boolean>;
  now: () => number;
}

/**
 * What an administrator does to a hybrid user's AD account from the console or the API: set a
 * password (optionally to be changed at the next sign-in), unlock, require a change. Each goes
 * through the agent as a job and ends with AD's verdict in the audit log.
 */
export class HybridAccountActions {
  constructor(private readonly d: Deps) {}

  async setPassword(actor: Actor, user: User, input: { password: unknown; confirm?: unknown; mustChange?: boolean }): Promise<Outcome<User>> {
    const { d } = this;
    if (user.source !== 'onprem') return { ok: false, reason: 'refused', message: 'users.refuse.notOnprem' };
    // The policy's helpdesk.temporaryPasswords, the same switch as a cloud user's (DirectoryService.setPassword).
    if (!(await d.directory.temporaryPasswordsAllowed())) return { ok: false, reason: 'refused', message: 'users.refuse.temporaryPasswordsOff' };
    const checked = await checkOnPremisesPassword(d.directory, user, input, await d.adPolicy(user), d.now());
    if (!checked.ok) return checked;
    const r = await d.writeback.reset(user, checked.value, input.mustChange ? { mustChange: true } : {});
    await this.audit(actor, user, 'password_set_by_admin', r, { mustChange: !!input.mustChange });
    if (!r.ok) return { ok: false, reason: 'refused', message: writebackMessageKey(r.reason) };
    await afterOnPremisesPassword(d.users, d.hasher, user, checked.value, (await d.hashSync()) && !input.mustChange);
    await d.sessions.revokeAllForUser(user.id);
    // A reset or sign-in another browser had under way for this user cannot go on.
    await d.flows.voidFlowsOf(user.id, { reason: 'password_changed' });
    return { ok: true, value: user };
  }

  /**
   * An administrator's reset of any user's password (the API's /reset-password, `sspr user
   * reset-password`): a cloud user's in the portal, a hybrid user's written back to AD, where it
   * may have to be changed at the next sign-in. A cloud user has no such flag: asked for one, refused.
   */
  async resetPassword(actor: Actor, user: User, input: { password: unknown; mustChange?: boolean }): Promise<Outcome<User>> {
    if (user.source === 'onprem') return this.setPassword(actor, user, { password: input.password, confirm: input.password, ...(input.mustChange ? { mustChange: true } : {}) });
    if (input.mustChange) return { ok: false, reason: 'refused', message: 'users.refuse.mustChangeCloud' };
    return this.d.directory.setPassword(actor, user.id, { password: input.password, confirm: input.password });
  }

  async unlock(actor: Actor, user: User): Promise<Outcome<User>> {
    if (user.source !== 'onprem') return { ok: false, reason: 'refused', message: 'users.refuse.notOnprem' };
    const r = await this.d.writeback.unlock(user);
    await this.audit(actor, user, 'account_unlocked_by_admin', r);
    return r.ok ? { ok: true, value: user } : { ok: false, reason: 'refused', message: writebackMessageKey(r.reason) };
  }

  async requireChange(actor: Actor, user: User, on: boolean): Promise<Outcome<User>> {
    if (user.source !== 'onprem') return { ok: false, reason: 'refused', message: 'users.refuse.notOnprem' };
    const r = await this.d.writeback.mustChange(user, on);
    await this.audit(actor, user, on ? 'must_change_set_by_admin' : 'must_change_cleared_by_admin', r);
    return r.ok ? { ok: true, value: user } : { ok: false, reason: 'refused', message: writebackMessageKey(r.reason) };
  }

  private audit(actor: Actor, user: User, event: string, r: WritebackResult, details: Record<string, string | boolean> = {}) {
    return this.d.audit.record({
      event,
      outcome: r.ok ? 'success' : 'failure',
      actor: { id: actor.id, name: actor.name },
      target: { id: user.id, name: user.username },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { onprem: true, ...details, ...(r.ok ? {} : { reason: r.reason }) },
    });
  }
}
