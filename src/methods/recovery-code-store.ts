import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { hmac, newId } from '../shared/crypto.js';

/** What using a code did: it was spent now, it had been spent before, or it is none of the set's. */
export type RecoveryCodeUse = 'used' | 'already_used' | 'unknown';

/**
 * The codes of a user's recovery-code set, each stored only as an HMAC with the portal's key:
 * 80 bits are out of reach of guessing anyway, and the key keeps a copied database from being
 * searched offline at all. Spending a code is one compare-and-swap on used_at, so of parallel
 * submissions of one code exactly one wins, on SQLite and PostgreSQL alike.
 */
export class RecoveryCodeStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly key: Buffer,
  ) {}

  /** Bound to the user and the set, so a code of another user or an older set never matches. */
  private hash(userId: string, methodId: string, code: string): string {
    return hmac(this.key, `recovery-code:${userId}:${methodId}:${code}`);
  }

  /** The set's codes become exactly these (canonical form): whatever was there before, used or not, is gone in the same transaction. */
  async replace(userId: string, methodId: string, codes: readonly string[]): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      await trx
        .insertInto('recovery_codes')
        .values(codes.map((code) => ({ id: newId(), user_id: userId, method_id: methodId, code_hash: this.hash(userId, methodId, code), created_at: now, used_at: null })))
        .execute();
    });
  }

  /** Spends a code of the set (canonical form), once. */
  async use(userId: string, methodId: string, code: string): Promise<RecoveryCodeUse> {
    const codeHash = this.hash(userId, methodId, code);
    const r = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: this.clock.now() })
      .where('user_id', '=', userId)
      .where('method_id', '=', methodId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return 'used';
    const spent = await this.db.selectFrom('recovery_codes').select('id').where('user_id', '=', userId).where('method_id', '=', methodId).where('code_hash', '=', codeHash).executeTakeFirst();
    return spent ? 'already_used' : 'unknown';
  }

  /** Unused codes of the set, and how many it had. */
  async count(userId: string, methodId: string): Promise<{ left: number; total: number }> {
    const rows = await this.db.selectFrom('recovery_codes').select('used_at').where('user_id', '=', userId).where('method_id', '=', methodId).execute();
    return { left: rows.filter((r) => r.used_at === null).length, total: rows.length };
  }
}
