import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';

export interface AuditEvent {
  event: string;
  outcome: 'success' | 'failure' | 'blocked' | 'info';
  actor?: { id: string | null; name: string | null } | null;
  target?: { id: string | null; name: string | null } | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Never secrets: reasons, method names, counts. */
  details?: Record<string, string | number | boolean | null>;
  /** An event an administrator should look at (a user's "this wasn't me"): flagged and filterable in the console. */
  attention?: boolean;
}

export interface AuditLog {
  record(e: AuditEvent): Promise<void>;
}

/** Append-only: this module offers no update or delete. Retention arrives with the audit console. */
export function createAuditLog(store: Store, clock: Clock): AuditLog {
  return {
    async record(e) {
      await store.db
        .insertInto('audit_events')
        .values({
          at: clock.now(),
          event: e.event,
          outcome: e.outcome,
          actor_id: e.actor?.id ?? null,
          actor_name: e.actor?.name ?? null,
          target_id: e.target?.id ?? null,
          target_name: e.target?.name ?? null,
          ip: e.ip ?? null,
          user_agent: e.userAgent?.slice(0, 512) ?? null,
          details: JSON.stringify(e.details ?? {}),
          attention: e.attention ? 1 : 0,
        })
        .execute();
    },
  };
}
