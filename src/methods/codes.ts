import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { hmac, randomToken, safeEqual } from '../shared/crypto.js';
import { fail, ok, type Result } from '../shared/result.js';

/** Why a typed code was not accepted. `no_code`: none open (never sent, used, voided or lost to a parallel submission). */
export const codeRefusals = ['wrong', 'expired', 'too_many_tries', 'no_code'] as const;
export type CodeRefusal = (typeof codeRefusals)[number];

export interface CodePolicy {
  digits: number;
  ttlMs: number;
  maxAttempts: number;
}

/**
 * One-time codes for email, SMS and voice. A code is 6–8 digits from the CSPRNG, stored only
 * as a keyed hash (a short code's plain hash could be brute-forced from a database copy),
 * valid for minutes, with a limited number of tries, single use, and voided by a newer one.
 */
export class CodeService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly key: Buffer,
    private readonly policy: CodePolicy,
  ) {}

  private hash(id: string, code: string): string {
    return hmac(this.key, `code:${id}:${code}`);
  }

  async issue(userId: string, methodId: string, purpose: string): Promise<{ code: string; expiresAt: number }> {
    const code = String(randomInt(0, 10 ** this.policy.digits)).padStart(this.policy.digits, '0');
    const id = randomToken(24);
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('verification_codes')
        .set({ used_at: now })
        .where('user_id', '=', userId)
        .where('method_id', '=', methodId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .execute();
      await trx
        .insertInto('verification_codes')
        .values({ id, user_id: userId, method_id: methodId, purpose, code_hash: this.hash(id, code), attempts: 0, created_at: now, expires_at: now + this.policy.ttlMs, used_at: null })
        .execute();
    });
    return { code, expiresAt: now + this.policy.ttlMs };
  }

  async verify(userId: string, methodId: string, purpose: string, typed: string): Promise<Result<undefined, CodeRefusal>> {
    const code = typed.replace(/[\s-]/g, '');
    const row = await this.db
      .selectFrom('verification_codes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('method_id', '=', methodId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!row) return fail('no_code');
    const now = this.clock.now();
    if (now >= row.expires_at) return fail('expired');
    // Count the try before comparing, atomically, so parallel guesses cannot exceed the limit.
    const counted = await this.db
      .updateTable('verification_codes')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('id', '=', row.id)
      .where('attempts', '<', this.policy.maxAttempts)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(counted.numUpdatedRows) !== 1) return fail(row.attempts >= this.policy.maxAttempts ? 'too_many_tries' : 'no_code');
    if (!/^\d{6,8}$/.test(code) || !safeEqual(this.hash(row.id, code), row.code_hash)) {
      return fail(row.attempts + 1 >= this.policy.maxAttempts ? 'too_many_tries' : 'wrong');
    }
    // Single use: of parallel correct submissions exactly one consumes the code.
    const used = await this.db.updateTable('verification_codes').set({ used_at: now }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
    return Number(used.numUpdatedRows) === 1 ? ok(undefined) : fail('no_code');
  }

  /** A finished reset or a removed method voids every open code of the user. */
  async voidAll(userId: string): Promise<void> {
    await this.db.updateTable('verification_codes').set({ used_at: this.clock.now() }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }
}
