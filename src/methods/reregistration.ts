import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { User } from '../directory/users.js';
import type { Clock } from '../shared/clock.js';
import type { FlowStore } from '../state/flow-store.js';
import type { Database } from '../store/schema.js';
import type { MethodStore } from './method-store.js';
import type { QuestionStore } from './questions.js';

/** The audit event of the removal at sign-in. */
export const REREGISTRATION_APPLIED = 'reregistration_applied';

export interface ReregistrationState {
  requiredAt: number;
  requiredBy: string;
  /** When the sign-in removed every method; null until the user signs in. */
  methodsRemovedAt: number | null;
}

interface Deps {
  db: Kysely<Database>;
  clock: Clock;
  methods: Pick<MethodStore, 'list' | 'remove'>;
  questions: Pick<QuestionStore, 'remove'>;
  flows: Pick<FlowStore, 'voidFlowsOf'>;
  audit: AuditLog;
}

/**
 * "Require re-registration" (the helpdesk, issue 13; Entra's "require re-register MFA"): a flag
 * on the user. At their next sign-in, once the password is proven and before anything opens,
 * every method, the security answers and the recovery codes go (`applyAtSignIn`), and the
 * registration interrupt leads them through registering again whatever the policy says
 * (`pending`), until they have registered enough; then the flag goes.
 */
export class Reregistrations {
  constructor(private readonly d: Deps) {}

  async get(userId: string): Promise<ReregistrationState | null> {
    const row = await this.d.db.selectFrom('reregistrations').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? { requiredAt: row.required_at, requiredBy: row.required_by, methodsRemovedAt: row.methods_removed_at } : null;
  }

  /** Sets the flag (again: a new request starts over) and voids the user's open flows, so a half-done reset with an old method cannot finish. */
  async require(userId: string, requiredBy: string): Promise<void> {
    const { d } = this;
    const now = d.clock.now();
    await d.db.deleteFrom('reregistrations').where('user_id', '=', userId).execute();
    await d.db.insertInto('reregistrations').values({ user_id: userId, required_at: now, required_by: requiredBy.slice(0, 256), methods_removed_at: null }).execute();
    await d.flows.voidFlowsOf(userId, { reason: 'helpdesk' });
  }

  /**
   * At sign-in, after the password was proven: when re-registration is required and not yet
   * applied, every method, answer and recovery code of the user is removed (audited). Returns
   * whether anything was applied now.
   */
  async applyAtSignIn(user: User, meta: { ip: string; userAgent: string }): Promise<boolean> {
    const { d } = this;
    const now = d.clock.now();
    // The compare-and-swap: of two parallel sign-ins one applies it.
    const claimed = await d.db.updateTable('reregistrations').set({ methods_removed_at: now }).where('user_id', '=', user.id).where('methods_removed_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return false;
    const methods = await d.methods.list(user.id);
    // Recovery codes go with their method's row (foreign key, on delete cascade).
    for (const m of methods) await d.methods.remove(user.id, m.id);
    await d.questions.remove(user.id);
    await d.flows.voidFlowsOf(user.id, { reason: 'helpdesk' });
    const who = { id: user.id, name: user.username };
    await d.audit.record({
      event: REREGISTRATION_APPLIED,
      outcome: 'success',
      actor: who,
      target: who,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { methodsRemoved: methods.length, types: [...new Set(methods.map((m) => m.type))].sort().join(',') },
    });
    return true;
  }

  /** Whether the registration interrupt must lead this user to register (methods removed, not yet registered again). */
  async pending(userId: string): Promise<boolean> {
    const state = await this.get(userId);
    return state !== null && state.methodsRemovedAt !== null;
  }

  /** The user registered enough again: the flag goes. */
  async clear(userId: string): Promise<void> {
    await this.d.db.deleteFrom('reregistrations').where('user_id', '=', userId).execute();
  }
}
