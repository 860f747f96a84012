import type { AuditLog } from '../audit/audit-log.js';
import type { Notices } from '../delivery/notices.js';
import type { Actor, Outcome } from '../directory/directory-service.js';
import type { SelfServiceBlock, SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { UserStore } from '../directory/users.js';
import { isMessageKey, type Translate } from '../i18n/index.js';
import { formatDateTime } from '../http/ui/dates.js';
import type { CodeService } from '../methods/codes.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { ReportLinkStore } from '../state/report-links.js';
import type { SessionStore } from '../state/sessions.js';

/** The audit events of this feature; a report is flagged for an administrator's attention. */
export const NOT_ME_REPORTED = 'not_me_reported';
export const SELF_SERVICE_UNBLOCKED = 'self_service_unblocked';

export interface NotMeDeps {
  reportLinks: Pick<ReportLinkStore, 'peek' | 'consume'>;
  blocks: Pick<SelfServiceBlockStore, 'block' | 'get' | 'lift'>;
  users: Pick<UserStore, 'byId'>;
  sessions: Pick<SessionStore, 'revokeAllForUser'>;
  codes: Pick<CodeService, 'voidAll'>;
  audit: AuditLog;
  notices: Pick<Notices, 'toAdministrators'>;
  /** The helpdesk of the SSPR policy's customization, shown on what happens next. */
  policy: Pick<PolicyService, 'current'>;
  /** Where to get help, when it is decided elsewhere (the saved brand's helpdesk first); else the policy's. */
  helpdeskContact?: () => Promise<string | null>;
  t: Translate;
  publicUrl: string;
}

/** What the page shows: the report to confirm, the report made, or a link that cannot be used. */
export type NotMeView =
  | { kind: 'confirm'; token: string; event: string; eventAt: number }
  | { kind: 'done'; event: string; eventAt: number; helpdesk: string | null }
  | { kind: 'invalid'; helpdesk: string | null };

/**
 * "This wasn't me": a user who got a notice of a change they did not make reports it through the
 * notice's one-time link. Opening the link changes nothing (mail scanners open links); the
 * confirming POST spends it and, at once, turns self-service off for the user, ends every
 * session of theirs, voids their open codes, flags the report in the audit log and tells the
 * administrators. Only an administrator turns self-service back on.
 */
export class NotMeService {
  constructor(private readonly d: NotMeDeps) {}

  private async helpdesk(): Promise<string | null> {
    if (this.d.helpdeskContact) return this.d.helpdeskContact();
    return (await this.d.policy.current()).policy.customization.helpdesk ?? null;
  }

  async view(token: unknown): Promise<NotMeView> {
    const link = await this.d.reportLinks.peek(token);
    if (!link) return { kind: 'invalid', helpdesk: await this.helpdesk() };
    return { kind: 'confirm', token: token as string, event: link.event, eventAt: link.eventAt };
  }

  async confirm(token: unknown, meta: { ip: string; userAgent: string }): Promise<NotMeView> {
    const { d } = this;
    const link = await d.reportLinks.consume(token);
    const user = link ? await d.users.byId(link.userId) : null;
    if (!link || !user) return { kind: 'invalid', helpdesk: await this.helpdesk() };
    const newlyBlocked = await d.blocks.block(user.id, { event: link.event, eventAt: link.eventAt });
    const sessionsEnded = await d.sessions.revokeAllForUser(user.id);
    await d.codes.voidAll(user.id);
    const who = { id: user.id, name: user.username };
    await d.audit.record({
      event: NOT_ME_REPORTED,
      outcome: 'info',
      attention: true,
      actor: who,
      target: who,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { reported: link.event, reportedAt: new Date(link.eventAt).toISOString(), sessionsEnded, alreadyBlocked: !newlyBlocked },
    });
    await d.notices.toAdministrators({
      kind: 'notify:not-me-reported',
      message: (t) => ({
        title: t('mail.notMeReported.title'),
        paragraphs: [
          t('mail.notMeReported.body', { name: user.displayName, username: user.username, event: this.eventText(link.event, t), when: formatDateTime(link.eventAt, 'minute') }),
          t('mail.notMeReported.done'),
          t('mail.notMeReported.next'),
        ],
        action: { label: t('mail.notMeReported.action'), url: `${d.publicUrl}/admin/users/${user.id}` },
      }),
    });
    return { kind: 'done', event: link.event, eventAt: link.eventAt, helpdesk: await this.helpdesk() };
  }

  /** The reported event in words ("Your password was reset"); an event without words of its own gets the general ones. */
  eventText(event: string, t: Translate = this.d.t): string {
    const key = `notMe.event.${event}`;
    return t(isMessageKey(key) ? key : 'notMe.event.other');
  }

  /** The block of one user, for the console's user page (null: self-service is on). */
  block(userId: string): Promise<SelfServiceBlock | null> {
    return this.d.blocks.get(userId);
  }

  /** An administrator turns self-service back on for the user; audited. */
  async lift(actor: Actor, userId: string): Promise<Outcome<{ userId: string }>> {
    const user = await this.d.users.byId(userId);
    if (!user) return { ok: false, reason: 'not_found', message: 'users.notFound' };
    const block = await this.d.blocks.get(user.id);
    if (!block || !(await this.d.blocks.lift(user.id))) return { ok: false, reason: 'conflict', message: 'notMe.admin.notBlocked' };
    await this.d.audit.record({
      event: SELF_SERVICE_UNBLOCKED,
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      target: { id: user.id, name: user.username },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { reported: block.reportedEvent, blockedAt: new Date(block.blockedAt).toISOString() },
    });
    return { ok: true, value: { userId: user.id } };
  }
}
