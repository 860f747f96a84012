import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hmac, randomToken } from '../shared/crypto.js';

/** How long a "this wasn't me" link works: a week, for people who read their mail late. */
export const REPORT_LINK_TTL_MS = 7 * 86_400_000;

/** What a link reports: whose account, which event and when it happened. */
export interface ReportLink {
  userId: string;
  event: string;
  eventAt: number;
  expiresAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{40,64}$/;

/**
 * The one-time "this wasn't me" links of the notices. A token is 256 bits from the CSPRNG and
 * only its HMAC (a key derived from the master key) is stored, so neither a copied database nor
 * a guess yields a working link. Each is bound to one user and one event, and is spent by the
 * first confirming POST (`consume`), never by opening it.
 */
export class ReportLinkStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly key: Buffer,
    private readonly ttlMs = REPORT_LINK_TTL_MS,
  ) {}

  private hash(token: string): string {
    return hmac(this.key, token);
  }

  async issue(userId: string, event: string, eventAt = this.clock.now()): Promise<string> {
    const token = randomToken(32);
    const now = this.clock.now();
    await this.store.db
      .insertInto('report_links')
      .values({ token_hash: this.hash(token), user_id: userId, event: event.slice(0, 40), event_at: eventAt, created_at: now, expires_at: now + this.ttlMs, used_at: null })
      .execute();
    return token;
  }

  /** The link's report while it can still be used (unknown, spent and expired links: null). Changes nothing. */
  async peek(token: unknown): Promise<ReportLink | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const row = await this.store.db.selectFrom('report_links').selectAll().where('token_hash', '=', this.hash(token)).executeTakeFirst();
    if (!row || row.used_at !== null || row.expires_at <= this.clock.now()) return null;
    return { userId: row.user_id, event: row.event, eventAt: row.event_at, expiresAt: row.expires_at };
  }

  /** Spends the link (compare-and-swap on used_at: of two parallel submissions one wins) and returns what it reported. */
  async consume(token: unknown): Promise<ReportLink | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const now = this.clock.now();
    const hash = this.hash(token);
    const claimed = await this.store.db.updateTable('report_links').set({ used_at: now }).where('token_hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return null;
    const row = await this.store.db.selectFrom('report_links').selectAll().where('token_hash', '=', hash).executeTakeFirstOrThrow();
    return { userId: row.user_id, event: row.event, eventAt: row.event_at, expiresAt: row.expires_at };
  }

  /** Housekeeping: links past their week (used or not) are of no more use. */
  async prune(): Promise<number> {
    const r = await this.store.db.deleteFrom('report_links').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
