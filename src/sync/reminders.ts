import { sql } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Translate } from '../i18n/index.js';
import { formatDateTime } from '../i18n/dates.js';
import type { OrgLocale } from '../i18n/locale-context.js';
import { inRecipientLocale } from '../delivery/recipient-locale.js';
import type { MethodStore } from '../methods/method-store.js';
import type { Outbound, RenderEmail } from '../methods/outbound.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';

const DAY = 86_400_000;
/** The "your password has expired" email, recorded like a threshold of 0 days. */
const EXPIRED = 0;
/** The expired email goes only to passwords that expired this many days ago or less. */
export const EXPIRED_NOTICE_DAYS = 7;

export interface Reminder {
  userId: string;
  username: string;
  displayName: string;
  /** The user's saved language, or null. */
  language: string | null;
  expiresAt: number;
  /** Days before expiry this reminder is for; 0 = the password has expired. */
  threshold: number;
}

/** How many reminders are due, in all and per threshold (0 = expired), largest threshold first. */
export interface ReminderSummary {
  total: number;
  byThreshold: Array<{ threshold: number; count: number }>;
}

interface Deps {
  store: Store;
  methods: MethodStore;
  outbound: Outbound;
  renderEmail: RenderEmail;
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  /** Loads the console's languages and wording before a run (a job has no page request to do it). */
  refreshWording?: () => Promise<unknown>;
  /** The organisation's language and zone: for users who saved no language of their own. */
  defaultLocale: OrgLocale;
  publicUrl: string;
  daysBefore: readonly number[];
  whenExpired: boolean;
}

/**
 * Password-expiry reminders for hybrid users (Entra and LTB have none): from the expiry AD
 * computed (msDS-UserPasswordExpiryTimeComputed, synced), an email at each configured number of
 * days before (default 14, 7, 3, 1) linking to the change page, and one when it has expired,
 * linking to the reset page. None for disabled accounts, passwords that never expire, or users
 * who left AD's scope. Each threshold is sent once per expiry date: the row is claimed before
 * the email goes (a primary key), so several portal instances never send it twice; a run that
 * missed days sends only the nearest threshold, not a burst of old ones; and the expired email
 * goes only to passwords that expired within the last EXPIRED_NOTICE_DAYS days, so the first run
 * in a directory with long-stale (still enabled) accounts does not email all of them.
 *
 * Which threshold applies and whether it was sent are decided in SQL for the candidates only
 * (expiry inside the window), never by reading password_reminders whole: it grows forever.
 */
export class ExpiryReminders {
  constructor(private readonly d: Deps) {}

  /**
   * Who would be reminded now (and, for the console's preview, within `horizonDays`), in the order
   * the reminders go out; `limit` and `offset` take one page of that list.
   */
  async due(options: { horizonDays?: number; limit?: number; offset?: number } = {}): Promise<Reminder[]> {
    let q = this.pending(options.horizonDays ?? 0)
      .selectAll('c')
      .orderBy(sql`c.expires_at - c.threshold * cast(${DAY} as bigint)`)
      .orderBy('c.expires_at')
      .orderBy('c.username')
      .orderBy('c.user_id');
    if (options.limit !== undefined) q = q.limit(options.limit).offset(options.offset ?? 0);
    const rows = await q.execute();
    return rows.map((r) => ({ userId: r.user_id, username: r.username, displayName: r.display_name, language: r.language, expiresAt: Number(r.expires_at), threshold: Number(r.threshold) }));
  }

  /** How many `due()` would list, per threshold, counted by the database. */
  async summary(options: { horizonDays?: number } = {}): Promise<ReminderSummary> {
    const rows = await this.pending(options.horizonDays ?? 0)
      .select((eb) => ['c.threshold', eb.fn.countAll<number | string>().as('n')])
      .groupBy('c.threshold')
      .execute();
    const byThreshold = rows.map((r) => ({ threshold: Number(r.threshold), count: Number(r.n) })).sort((a, b) => b.threshold - a.threshold);
    return { total: byThreshold.reduce((sum, r) => sum + r.count, 0), byThreshold };
  }

  /**
   * The reminders not yet sent, as a derived table `c`: each candidate with the nearest threshold
   * crossed at now + `horizonDays` (a CASE built from the configuration), minus those whose
   * (user, expiry, threshold) row exists. The expiry range keeps it to users near their expiry
   * (the synced_objects_expiry index); the NOT EXISTS is a primary-key lookup.
   */
  private pending(horizonDays: number) {
    const { db } = this.d.store;
    const now = this.d.clock.now();
    const at = now + horizonDays * DAY;
    const days = [...new Set(this.d.daysBefore)].sort((a, b) => a - b);
    const largest = days.at(-1) ?? 0;
    // The expired email goes out with the first run after the expiry, so "recent" is judged at
    // `now` even for the preview; without the expired email, only passwords valid at `at` count.
    const from = this.d.whenExpired ? now - EXPIRED_NOTICE_DAYS * DAY : at + 1;
    const whens = [
      sql`when s.password_expires_at <= cast(${at} as bigint) then cast(${this.d.whenExpired ? EXPIRED : null} as integer)`,
      ...days.map((d) => sql`when s.password_expires_at <= cast(${at + d * DAY} as bigint) then cast(${d} as integer)`),
    ];
    const threshold = sql<number | null>`case ${sql.join(whens, sql` `)} else null end`;
    const candidates = db
      .selectFrom('synced_objects as s')
      .innerJoin('users as u', 'u.id', 's.local_id')
      .select(['u.id as user_id', 'u.username', 'u.display_name', 'u.language', 's.password_expires_at as expires_at', threshold.as('threshold')])
      .where('s.kind', '=', 'user')
      .where('s.gone_at', 'is', null)
      .where('u.enabled', '=', 1)
      .where('u.source', '=', 'onprem')
      .where('s.password_expires_at', '>=', from)
      .where('s.password_expires_at', '<=', at + largest * DAY);
    return db
      .selectFrom(candidates.as('c'))
      .where('c.threshold', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('password_reminders as r').select('r.user_id').whereRef('r.user_id', '=', 'c.user_id').whereRef('r.expires_at', '=', 'c.expires_at').whereRef('r.threshold', '=', 'c.threshold'))),
      );
  }

  /** Sends what is due now; returns how many emails went out. */
  async send(): Promise<number> {
    const { d } = this;
    await d.refreshWording?.();
    let sent = 0;
    for (const r of await this.due()) {
      const now = d.clock.now();
      // Claim first: a second instance (or a retry) finds the row and sends nothing.
      try {
        await d.store.db.insertInto('password_reminders').values({ user_id: r.userId, expires_at: r.expiresAt, threshold: r.threshold, sent_at: now }).execute();
      } catch {
        continue;
      }
      // Thresholds further away than this one are covered too (a portal that was down does not send them late).
      for (const other of d.daysBefore.filter((x) => x > r.threshold)) {
        await d.store.db.insertInto('password_reminders').values({ user_id: r.userId, expires_at: r.expiresAt, threshold: other, sent_at: now }).onConflict((oc) => oc.columns(['user_id', 'expires_at', 'threshold']).doNothing()).execute();
      }
      const targets = await this.emailsOf(r.userId);
      if (targets.size === 0) continue;
      const days = Math.max(1, Math.ceil((r.expiresAt - now) / DAY));
      // A job between requests: the user's saved language, else the organisation's.
      const mail = inRecipientLocale(r, d.defaultLocale, () => {
        const date = formatDateTime(r.expiresAt, 'day');
        return r.threshold === EXPIRED
          ? d.renderEmail({ title: d.t('mail.expired.title'), paragraphs: [d.t('mail.expired.body', { username: r.username, date })], action: { label: d.t('mail.expired.action'), url: `${d.publicUrl}/reset` } })
          : d.renderEmail({ title: d.t('mail.expiring.title', { days }), paragraphs: [d.t('mail.expiring.body', { username: r.username, days, date })], action: { label: d.t('mail.expiring.action'), url: `${d.publicUrl}/account/change-password` } });
      });
      for (const to of targets) await d.outbound.email({ to, ...mail, kind: r.threshold === EXPIRED ? 'notify:password-expired' : 'notify:password-expiring', userId: r.userId });
      await d.audit.record({ event: 'expiry_reminder', outcome: 'success', target: { id: r.userId, name: r.username }, details: { threshold: r.threshold, expiresAt: new Date(r.expiresAt).toISOString() } });
      sent++;
    }
    return sent;
  }

  private async emailsOf(userId: string): Promise<Set<string>> {
    const targets = new Set<string>();
    const user = await this.d.store.db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
    if (user?.email) targets.add(user.email.toLowerCase());
    for (const m of await this.d.methods.list(userId, { confirmedOnly: true })) if (m.type === 'email' && m.contact) targets.add(m.contact);
    return targets;
  }
}
