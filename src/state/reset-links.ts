import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hmac, randomToken } from '../shared/crypto.js';

/** What a helpdesk's reset link stands for: whose account, and the registered method it was sent to. */
export interface ResetLink {
  userId: string;
  methodId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{40,64}$/;

/**
 * The reset links the helpdesk sends (src/support/support-actions.ts issues them, the reset
 * flow spends them: src/flows/reset/reset-link.ts). Like the "this wasn't me" links
 * (report-links.ts): 256 bits from the CSPRNG, only an HMAC stored, spent by the first
 * confirming POST (compare-and-swap), never by opening the page. A new link of a user replaces
 * the previous unused one, so at most one works at a time.
 */
export class ResetLinkStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly key: Buffer,
    private readonly ttlMs: number,
  ) {}

  private hash(token: string): string {
    return hmac(this.key, `reset-link:${token}`);
  }

  /** A new link for the user to the method; the user's earlier unused links stop working. */
  async issue(userId: string, methodId: string, createdBy: string): Promise<{ token: string; expiresAt: number; replaced: number }> {
    const token = randomToken(32);
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    const replaced = await this.store.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('reset_links').where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirst();
      await trx
        .insertInto('reset_links')
        .values({ token_hash: this.hash(token), user_id: userId, method_id: methodId, created_by: createdBy.slice(0, 256), created_at: now, expires_at: expiresAt, used_at: null })
        .execute();
      return Number(r.numDeletedRows);
    });
    return { token, expiresAt, replaced };
  }

  /** The link while it can still be used (unknown, spent and expired links: null). Changes nothing. */
  async peek(token: unknown): Promise<ResetLink | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const row = await this.store.db.selectFrom('reset_links').selectAll().where('token_hash', '=', this.hash(token)).executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= this.clock.now()) return null;
    return { userId: row.user_id, methodId: row.method_id, createdBy: row.created_by, createdAt: row.created_at, expiresAt: row.expires_at };
  }

  /** Spends the link (of two parallel submissions one wins) and returns what it stood for. */
  async consume(token: unknown): Promise<ResetLink | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const now = this.clock.now();
    const hash = this.hash(token);
    const claimed = await this.store.db.updateTable('reset_links').set({ used_at: now }).where('token_hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return null;
    const row = await this.store.db.selectFrom('reset_links').selectAll().where('token_hash', '=', hash).executeTakeFirstOrThrow();
    return { userId: row.user_id, methodId: row.method_id, createdBy: row.created_by, createdAt: row.created_at, expiresAt: row.expires_at };
  }

  /** Whether the user has a link that still works (the support page may say so; never the link itself). */
  async openFor(userId: string): Promise<{ expiresAt: number; methodId: string } | null> {
    const row = await this.store.db
      .selectFrom('reset_links')
      .select(['expires_at', 'method_id'])
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    return row ? { expiresAt: row.expires_at, methodId: row.method_id } : null;
  }

  /** Housekeeping: links past their hour (used or not) are of no more use. */
  async prune(): Promise<number> {
    const r = await this.store.db.deleteFrom('reset_links').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
