import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';

/** Why a user's self-service is off: the report that turned it off. */
export interface SelfServiceBlock {
  userId: string;
  blockedAt: number;
  /** The event the user said they did not make (password_reset, method_added, …) and when it happened. */
  reportedEvent: string;
  reportedEventAt: number;
}

/**
 * The per-user "no self-service" flag a "this wasn't me" report sets: while it is set the user
 * cannot reset, unlock or change the password, nor change security info, through the portal.
 * Only an administrator lifts it. Sign-in is not affected (the helpdesk may need the user in).
 */
export class SelfServiceBlockStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** Sets the flag; a user already blocked keeps the first report. Returns whether this call set it. */
  async block(userId: string, reported: { event: string; eventAt: number }): Promise<boolean> {
    const r = await this.db
      .insertInto('self_service_blocks')
      .values({ user_id: userId, blocked_at: this.clock.now(), reported_event: reported.event.slice(0, 40), reported_event_at: reported.eventAt })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async get(userId: string): Promise<SelfServiceBlock | null> {
    const row = await this.db.selectFrom('self_service_blocks').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? { userId: row.user_id, blockedAt: row.blocked_at, reportedEvent: row.reported_event, reportedEventAt: row.reported_event_at } : null;
  }

  async isBlocked(userId: string): Promise<boolean> {
    return (await this.get(userId)) !== null;
  }

  /** Clears the flag; false when the user was not blocked. */
  async lift(userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('self_service_blocks').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}
