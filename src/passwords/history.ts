import type { Kysely } from 'kysely';
import type { PasswordHasher } from './password-hash.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../store/schema.js';

/** Most passwords a history can remember (AD's "Enforce password history" allows 24 too). */
export const HISTORY_MAX = 24;

function valid(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > HISTORY_MAX) throw new Error(`password history count must be 0–${HISTORY_MAX}`);
  return count;
}

/**
 * The last N password hashes of each cloud user (N = passwords.historyCount, the current password
 * included), so a user cannot go back to a recent password. Hybrid users' history is AD's.
 * Only argon2 hashes are kept: checking costs one verification per remembered password.
 */
export class PasswordHistory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** 0 turns the history off: nothing is kept, nothing is refused. A function: the count in force now (the policy's). */
    private readonly countOf: number | (() => number),
  ) {
    // A wrong fixed count fails here, not at the first reset.
    if (typeof countOf === 'number') valid(countOf);
  }

  get count(): number {
    return valid(typeof this.countOf === 'function' ? this.countOf() : this.countOf);
  }

  /** Whether the password matches one of the user's last N hashes (newest first; stops at the first match). */
  async isReused(userId: string, password: string, hasher: Pick<PasswordHasher, 'verify'>): Promise<boolean> {
    if (this.count === 0) return false;
    for (const hash of await this.hashes(userId)) {
      if (await hasher.verify(hash, password)) return true;
    }
    return false;
  }

  /** Records a newly set password's hash and forgets all but the newest N. */
  async remember(userId: string, passwordHash: string): Promise<void> {
    const count = this.count;
    if (count === 0) {
      await this.db.deleteFrom('password_history').where('user_id', '=', userId).execute();
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('password_history').values({ user_id: userId, password_hash: passwordHash, created_at: this.clock.now() }).execute();
      const stale = await trx
        .selectFrom('password_history')
        .select('id')
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(count)
        .limit(1000)
        .execute();
      if (stale.length) await trx.deleteFrom('password_history').where('id', 'in', stale.map((r) => r.id)).execute();
    });
  }

  /** The user's remembered hashes, newest first (at most N). */
  async hashes(userId: string): Promise<string[]> {
    const count = this.count;
    if (count === 0) return [];
    const rows = await this.db
      .selectFrom('password_history')
      .select('password_hash')
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(count)
      .execute();
    return rows.map((r) => r.password_hash);
  }
}
