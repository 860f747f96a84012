import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken } from '../shared/crypto.js';
import { afterFailure, emptyCounter, type CounterState, type LockoutPolicy } from './lockout.js';

/**
 * The key column holds 300 characters; a longer key (NFKC can grow a 256-character username
 * up to 18-fold) is stored by its SHA-256 instead of failing on PostgreSQL.
 */
const storedKey = (key: string): string => (key.length <= 300 ? key : `sha256:${hashToken(key)}`);

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

  async get(rawKey: string): Promise<CounterState> {
    const key = storedKey(rawKey);
    const row = await this.store.db.selectFrom('throttle').selectAll().where('key', '=', key).executeTakeFirst();
    return row
      ? { failures: row.failures, lockouts: row.lockouts, lockedUntil: row.locked_until, windowStartedAt: row.window_started_at }
      : emptyCounter(this.clock.now());
  }

  async recordFailure(rawKey: string, policy: LockoutPolicy): Promise<CounterState> {
    const key = storedKey(rawKey);
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

  async reset(rawKey: string): Promise<void> {
    const key = storedKey(rawKey);
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
