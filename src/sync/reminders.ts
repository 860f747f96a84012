import type { AuditLog } from '../audit/audit-log.js';
import type { Translate } from '../i18n/index.js';
import type { MethodStore } from '../methods/method-store.js';
import type { Outbound, RenderEmail } from '../methods/outbound.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';

const DAY = 86_400_000;
/** The "your password has expired" email, recorded like a threshold of 0 days. */
const EXPIRED = 0;

export interface Reminder {
  userId: string;
  username: string;
  displayName: string;
  expiresAt: number;
  /** Days before expiry this reminder is for; 0 = the password has expired. */
  threshold: number;
}

interface Deps {
  store: Store;
  methods: MethodStore;
  outbound: Outbound;
  renderEmail: RenderEmail;
  audit: AuditLog;
  clock: Clock;
  t: Translate;
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
 * missed days sends only the nearest threshold, not a burst of old ones.
 */
export class ExpiryReminders {
  constructor(private readonly d: Deps) {}

  /** Who would be reminded now (and, for the console's preview, within `horizonDays`). */
  async due(options: { horizonDays?: number } = {}): Promise<Reminder[]> {
    const now = this.d.clock.now();
    const horizon = now + (options.horizonDays ?? 0) * DAY;
    const largest = Math.max(0, ...this.d.daysBefore);
    const rows = await this.d.store.db
      .selectFrom('synced_objects')
      .innerJoin('users', 'users.id', 'synced_objects.local_id')
      .select(['users.id', 'users.username', 'users.display_name', 'synced_objects.password_expires_at'])
      .where('synced_objects.kind', '=', 'user')
      .where('synced_objects.gone_at', 'is', null)
      .where('users.enabled', '=', 1)
      .where('users.source', '=', 'onprem')
      .where('synced_objects.password_expires_at', 'is not', null)
      .where('synced_objects.password_expires_at', '<=', horizon + largest * DAY)
      .execute();
    const sent = new Set(
      (await this.d.store.db.selectFrom('password_reminders').select(['user_id', 'expires_at', 'threshold']).execute()).map((r) => `${r.user_id}:${Number(r.expires_at)}:${r.threshold}`),
    );
    const out: Reminder[] = [];
    for (const r of rows) {
      const expiresAt = Number(r.password_expires_at);
      const threshold = this.thresholdAt(expiresAt, horizon);
      if (threshold === null || sent.has(`${r.id}:${expiresAt}:${threshold}`)) continue;
      out.push({ userId: r.id, username: r.username, displayName: r.display_name, expiresAt, threshold });
    }
    return out.sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** The nearest threshold crossed at `at`, or null when none applies. */
  private thresholdAt(expiresAt: number, at: number): number | null {
    if (at >= expiresAt) return this.d.whenExpired ? EXPIRED : null;
    const crossed = this.d.daysBefore.filter((d) => at >= expiresAt - d * DAY);
    return crossed.length ? Math.min(...crossed) : null;
  }

  /** Sends what is due now; returns how many emails went out. */
  async send(): Promise<number> {
    const { d } = this;
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
      const date = new Date(r.expiresAt).toISOString().slice(0, 10);
      const mail =
        r.threshold === EXPIRED
          ? d.renderEmail({ title: d.t('mail.expired.title'), paragraphs: [d.t('mail.expired.body', { username: r.username, date })], action: { label: d.t('mail.expired.action'), url: `${d.publicUrl}/reset` } })
          : d.renderEmail({ title: d.t('mail.expiring.title', { days }), paragraphs: [d.t('mail.expiring.body', { username: r.username, days, date })], action: { label: d.t('mail.expiring.action'), url: `${d.publicUrl}/account/change-password` } });
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
