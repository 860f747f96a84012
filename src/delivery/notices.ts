import type { User } from '../directory/users.js';
import type { Translate } from '../i18n/index.js';
import type { ReportLinkStore } from '../state/report-links.js';
import type { Delivery } from './delivery.js';
import type { EmailContent, RenderedEmail } from './templates.js';
import type { OrgLocale } from '../i18n/locale-context.js';
import { inRecipientLocale } from './recipient-locale.js';

/** Where the "this wasn't me" page lives; the link's token follows in the query string. */
export const NOT_ME_PATH = '/not-me';

/** What the notices need to know of a user's registered methods (the methods feature's store satisfies it). */
interface MethodList {
  list(userId: string, options: { confirmedOnly: boolean }): Promise<ReadonlyArray<{ id: string; type: string; contact: string | null }>>;
}

export interface NoticeDeps {
  users: { enabledWithRole(role: 'administrator'): Promise<User[]> };
  methods: MethodList;
  delivery: Pick<Delivery, 'email'>;
  render: (content: EmailContent) => RenderedEmail;
  reportLinks: Pick<ReportLinkStore, 'issue'>;
  t: Translate;
  /** Links are built from the configured public URL, never from a request's Host header. */
  publicUrl: string;
  /** The organisation's language and zone (branding.defaultLanguage, branding.timeZone): for recipients who chose none. */
  defaultLocale: OrgLocale;
}

/** What a notice says, written by `t` in the recipient's language. */
export interface NoticeText {
  title: string;
  paragraphs: string[];
  action?: { label: string; url: string };
}

/** A notice to a user about something done to their account. */
export interface UserNotice {
  /** The audit event it reports (password_reset, account_unlocked, password_changed, method_added, method_removed, …): the link is bound to it. */
  event: string;
  /** The delivery kind the outbox and the delivery log show, e.g. notify:password-reset. */
  kind: string;
  message: (t: Translate) => NoticeText;
  /** Addresses not to write to (the method just changed, when it is an email). */
  except?: readonly string[];
  /** Someone else (the helpdesk, an administrator) acted: the user's saved language or the default, not the actor's page's. */
  byOther?: boolean;
}

/** A notice to every enabled administrator (about another user: no "this wasn't me" link). */
export interface AdminNotice {
  kind: string;
  message: (t: Translate) => NoticeText;
  /** An administrator who is the subject of the notice and is told otherwise. */
  exceptUserId?: string;
}

/**
 * The one path every notice takes: a user is told of a reset, unlock, change or method change
 * on every address they have (the account's own and each confirmed email method), and each
 * notice carries one "this wasn't me" link, valid for 7 days, bound to the user and the event.
 * The message never holds a secret; the link only opens a page that asks before anything happens.
 */
export class Notices {
  constructor(private readonly d: NoticeDeps) {}

  /** Every address a user can be told on, lower-cased. */
  async emailsOf(user: User): Promise<Set<string>> {
    const targets = new Set<string>();
    if (user.email) targets.add(user.email.toLowerCase());
    for (const m of await this.d.methods.list(user.id, { confirmedOnly: true })) if (m.type === 'email' && m.contact) targets.add(m.contact.toLowerCase());
    return targets;
  }

  async toUser(user: User, notice: UserNotice): Promise<void> {
    const { d } = this;
    const targets = await this.emailsOf(user);
    for (const address of notice.except ?? []) targets.delete(address.toLowerCase());
    if (targets.size === 0) return;
    // One link for the notice, the same in each copy: whichever address the user reads, it reports this event.
    const token = await d.reportLinks.issue(user.id, notice.event);
    const mail = inRecipientLocale(
      user,
      d.defaultLocale,
      () => {
        const text = notice.message(d.t);
        return d.render({ ...text, report: { lead: d.t('mail.notMe.lead'), label: d.t('mail.notMe.label'), url: `${d.publicUrl}${NOT_ME_PATH}?token=${token}` } });
      },
      { byOther: notice.byOther === true },
    );
    for (const to of targets) await d.delivery.email({ to, ...mail, kind: notice.kind, userId: user.id });
  }

  /** Each administrator is written to in their own saved language, else the organisation's. */
  async toAdministrators(notice: AdminNotice): Promise<void> {
    const { d } = this;
    for (const admin of await d.users.enabledWithRole('administrator')) {
      if (admin.id === notice.exceptUserId) continue;
      const mail = inRecipientLocale(admin, d.defaultLocale, () => d.render(notice.message(d.t)), { byOther: true });
      for (const to of await this.emailsOf(admin)) await d.delivery.email({ to, ...mail, kind: notice.kind, userId: admin.id });
    }
  }
}
