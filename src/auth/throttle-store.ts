import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { afterFailure, emptyCounter, type CounterState, type LockoutPolicy } from './lockout.js';

/**
 * Counters live in the store, not in memory, so several portal instances share them. Updates
 * are read-modify-write inside a transaction (row-locked on PostgreSQL) so that parallel
 * failures are all counted.
 */
export class ThrottleStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<CounterState> {
    const row = await this.store.db.selectFrom('throttle').selectAll().where('key', '=', key).executeTakeFirst();
    return row
      ? { failures: row.failures, lockouts: row.lockouts, lockedUntil: row.locked_until, windowStartedAt: row.window_started_at }
      : emptyCounter(this.clock.now());
  }

  async recordFailure(key: string, policy: LockoutPolicy): Promise<CounterState> {
    const now = this.clock.now();
    return this.store.db.transaction().execute(async (trx) => {
      const fresh = emptyCounter(now);
      await trx
        .insertInto('throttle')
        .values({ key, failures: 0, lockouts: 0, locked_until: 0, window_started_at: fresh.windowStartedAt, updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      let select = trx.selectFrom('throttle').selectAll().where('key', '=', key);
      if (this.store.dialect === 'postgres') select = select.forUpdate();
      const row = await select.executeTakeFirstOrThrow();
      const next = afterFailure(
        { failures: row.failures, lockouts: row.lockouts, lockedUntil: row.locked_until, windowStartedAt: row.window_started_at },
        now,
        policy,
      );
      await trx
        .updateTable('throttle')
        .set({ failures: next.failures, lockouts: next.lockouts, locked_until: next.lockedUntil, window_started_at: next.windowStartedAt, updated_at: now })
        .where('key', '=', key)
        .execute();
      return next;
    });
  }

  async reset(key: string): Promise<void> {
    await this.store.db.deleteFrom('throttle').where('key', '=', key).execute();
  }

  /** Forgets counters untouched for longer than maxAgeMs and not locked. */
  async prune(maxAgeMs: number): Promise<number> {
    const now = this.clock.now();
    const r = await this.store.db
      .deleteFrom('throttle')
      .where('updated_at', '<', now - maxAgeMs)
      .where('locked_until', '<', now)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
