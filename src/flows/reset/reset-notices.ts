import type { User, UserStore } from '../../directory/users.js';
import type { Translate } from '../../i18n/index.js';
import type { MethodStore } from '../../methods/method-store.js';
import type { Outbound, RenderEmail } from '../../methods/outbound.js';
import type { Intent } from './reset-flow.js';

export interface ResetNoticeDeps {
  users: Pick<UserStore, 'enabledWithRole'>;
  methods: Pick<MethodStore, 'list'>;
  outbound: Outbound;
  renderEmail: RenderEmail;
  t: Translate;
  publicUrl: string;
}

/** Every address a user can be told on: the account's own and each confirmed email method. */
async function emailsOf(d: ResetNoticeDeps, user: User): Promise<Set<string>> {
  const targets = new Set<string>();
  if (user.email) targets.add(user.email.toLowerCase());
  for (const m of await d.methods.list(user.id, { confirmedOnly: true })) if (m.type === 'email' && m.contact) targets.add(m.contact);
  return targets;
}

/** The user hears of a reset or unlock on every address, so one they did not make is noticed. */
export async function notifyUser(d: ResetNoticeDeps, user: User, action: Intent): Promise<void> {
  const mail = d.renderEmail({
    title: d.t(action === 'unlock' ? 'mail.unlocked.title' : 'mail.reset.title'),
    paragraphs: [d.t(action === 'unlock' ? 'mail.unlocked.body' : 'mail.reset.body', { username: user.username }), d.t('mail.reset.notYou')],
    action: { label: d.t('mail.reset.action'), url: `${d.publicUrl}/sign-in` },
  });
  for (const to of await emailsOf(d, user)) await d.outbound.email({ to, ...mail, kind: `notify:${action === 'unlock' ? 'account-unlocked' : 'password-reset'}`, userId: user.id });
}

/** Entra's "notify all admins when other admins reset their password". */
export async function notifyAdmins(d: ResetNoticeDeps, resetter: User): Promise<void> {
  const mail = d.renderEmail({
    title: d.t('mail.adminReset.title'),
    paragraphs: [d.t('mail.adminReset.body', { username: resetter.username, name: resetter.displayName }), d.t('mail.adminReset.check')],
    action: { label: d.t('mail.adminReset.action'), url: `${d.publicUrl}/admin/audit?event=password_reset` },
  });
  for (const admin of await d.users.enabledWithRole('administrator')) {
    if (admin.id === resetter.id) continue;
    for (const to of await emailsOf(d, admin)) await d.outbound.email({ to, ...mail, kind: 'notify:admin-reset', userId: admin.id });
  }
}
