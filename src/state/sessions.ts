import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, randomToken } from '../shared/crypto.js';

export interface SessionPolicy {
  idleMs: number;
  absoluteMs: number;
}

export interface Session {
  idHash: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  absoluteExpiresAt: number;
  ip: string;
  userAgent: string;
  amr: string[];
  /** When the user last proved themselves in this session (sign-in or re-verification). */
  verifiedAt: number;
}

/** Don't write last_seen on every request: once a minute is precise enough for a 30-minute idle timeout. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Sessions live in the store under the SHA-256 of their id: the cookie value never sits in
 * the database, so a copied database cannot be used to sign in.
 */
export class SessionStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  async create(userId: string, meta: { ip: string; userAgent: string; amr: string[] }): Promise<{ token: string; session: Session }> {
    const token = randomToken();
    const now = this.clock.now();
    const session: Session = {
      idHash: hashToken(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt: now + this.policy.absoluteMs,
      ip: meta.ip.slice(0, 64),
      userAgent: meta.userAgent.slice(0, 512),
      amr: meta.amr,
      verifiedAt: now,
    };
    await this.store.db
      .insertInto('sessions')
      .values({
        id_hash: session.idHash,
        user_id: userId,
        created_at: now,
        last_seen_at: now,
        absolute_expires_at: session.absoluteExpiresAt,
        ip: session.ip,
        user_agent: session.userAgent,
        amr: meta.amr.join(','),
        verified_at: now,
      })
      .execute();
    return { token, session };
  }

  /** The live session for a cookie value, or null when unknown, idle too long, or past its absolute lifetime. */
  async validate(token: string): Promise<Session | null> {
    if (!token || token.length > 100) return null;
    const idHash = hashToken(token);
    const row = await this.store.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return null;
    const now = this.clock.now();
    if (now >= row.absolute_expires_at || now - row.last_seen_at >= this.policy.idleMs) {
      await this.store.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      return null;
    }
    // At most once a minute, and often enough that a short idle time never ends an active session.
    if (now - row.last_seen_at >= Math.min(TOUCH_EVERY_MS, this.policy.idleMs / 4)) {
      await this.store.db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
    }
    return {
      idHash,
      userId: row.user_id,
      createdAt: row.created_at,
      lastSeenAt: now,
      absoluteExpiresAt: row.absolute_expires_at,
      ip: row.ip,
      userAgent: row.user_agent,
      amr: row.amr ? row.amr.split(',') : [],
      verifiedAt: row.verified_at ?? row.created_at,
    };
  }

  /** Records a fresh proof of identity (re-authentication before a sensitive change). */
  async markVerified(idHash: string): Promise<void> {
    await this.store.db.updateTable('sessions').set({ verified_at: this.clock.now() }).where('id_hash', '=', idHash).execute();
  }

  async revoke(token: string): Promise<void> {
    await this.store.db.deleteFrom('sessions').where('id_hash', '=', hashToken(token)).execute();
  }

  /** "Sign out everywhere", and what a password reset or disable does to the user's other sessions. */
  async revokeAllForUser(userId: string, options: { exceptIdHash?: string } = {}): Promise<number> {
    let q = this.store.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (options.exceptIdHash) q = q.where('id_hash', '!=', options.exceptIdHash);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * The user's live sessions for the support page, newest first: when each began and was last
   * seen, from where and with what — never the token or its hash.
   */
  async listForUser(userId: string, limit = 50): Promise<Array<{ createdAt: number; lastSeenAt: number; ip: string; userAgent: string }>> {
    const now = this.clock.now();
    const rows = await this.store.db
      .selectFrom('sessions')
      .select(['created_at', 'last_seen_at', 'ip', 'user_agent'])
      .where('user_id', '=', userId)
      .where('absolute_expires_at', '>', now)
      .where('last_seen_at', '>', now - this.policy.idleMs)
      .orderBy('last_seen_at', 'desc')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ createdAt: r.created_at, lastSeenAt: r.last_seen_at, ip: r.ip, userAgent: r.user_agent }));
  }

  async countForUser(userId: string): Promise<number> {
    const r = await this.store.db
      .selectFrom('sessions')
      .where('user_id', '=', userId)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async pruneExpired(): Promise<number> {
    const now = this.clock.now();
    const r = await this.store.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('absolute_expires_at', '<=', now), eb('last_seen_at', '<=', now - this.policy.idleMs)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
