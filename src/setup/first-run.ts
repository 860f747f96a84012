import { z } from 'zod';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, randomToken } from '../shared/crypto.js';
import type { DirectoryService, Outcome } from '../directory/directory-service.js';
import type { User, UserStore } from '../directory/users.js';

const tokenSchema = z.string().min(20).max(100);

/**
 * First run: no default password anywhere. While no enabled administrator exists, each start
 * prints a fresh one-time link (older ones stop working). The link's token is stored hashed,
 * expires, and is consumed only by the POST that creates the administrator.
 */
export class FirstRun {
  constructor(
    private readonly deps: { store: Store; clock: Clock; users: UserStore; directory: DirectoryService; tokenTtlMs: number },
  ) {}

  async needsSetup(): Promise<boolean> {
    return (await this.deps.users.countEnabledWithRole('administrator')) === 0;
  }

  async issueToken(): Promise<{ token: string; expiresAt: number }> {
    const now = this.deps.clock.now();
    const token = randomToken();
    await this.deps.store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('setup_tokens').where('used_at', 'is', null).execute();
      await trx
        .insertInto('setup_tokens')
        .values({ token_hash: hashToken(token), created_at: now, expires_at: now + this.deps.tokenTtlMs, used_at: null })
        .execute();
    });
    return { token, expiresAt: now + this.deps.tokenTtlMs };
  }

  async isTokenValid(token: unknown): Promise<boolean> {
    if (!tokenSchema.safeParse(token).success) return false;
    if (!(await this.needsSetup())) return false;
    const row = await this.deps.store.db
      .selectFrom('setup_tokens')
      .select(['expires_at', 'used_at'])
      .where('token_hash', '=', hashToken(token as string))
      .executeTakeFirst();
    return !!row && row.used_at === null && row.expires_at > this.deps.clock.now();
  }

  /** Creates the first administrator; 'refused' means the link is used, expired or unknown. */
  async complete(token: unknown, input: { username: unknown; displayName: unknown; email: unknown; password: unknown; confirm: unknown }): Promise<Outcome<User>> {
    if (!(await this.isTokenValid(token))) return { ok: false, reason: 'refused', message: 'setup.invalid' };
    // The first administrator must have a password (createUser alone allows none).
    if (typeof input.password !== 'string' || input.password === '') return { ok: false, reason: 'invalid', errors: { password: 'v.password.empty' } };
    if (input.confirm !== input.password) return { ok: false, reason: 'invalid', errors: { confirm: 'v.password.mismatch' } };
    // Claim the token first (compare-and-swap on used_at): of two parallel submissions one wins.
    const claim = await this.deps.store.db
      .updateTable('setup_tokens')
      .set({ used_at: this.deps.clock.now() })
      .where('token_hash', '=', hashToken(token as string))
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.deps.clock.now())
      .executeTakeFirst();
    if (Number(claim.numUpdatedRows) !== 1) return { ok: false, reason: 'refused', message: 'setup.invalid' };
    const created = await this.deps.directory.createUser(
      { id: null, name: 'first-run setup' },
      { username: input.username, displayName: input.displayName, email: input.email ?? '', roles: ['administrator'], password: input.password },
    );
    if (!created.ok) {
      // Nothing was created: give the token back so the administrator can correct the form.
      await this.deps.store.db.updateTable('setup_tokens').set({ used_at: null }).where('token_hash', '=', hashToken(token as string)).execute();
    }
    return created;
  }
}
