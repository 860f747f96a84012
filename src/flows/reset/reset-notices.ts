import type { Notices } from '../../delivery/notices.js';
import type { User } from '../../directory/users.js';
import type { Translate } from '../../i18n/index.js';
import type { Intent } from './reset-flow.js';

export interface ResetNoticeDeps {
  notices: Pick<Notices, 'toUser' | 'toAdministrators'>;
  t: Translate;
  publicUrl: string;
}

/** The user hears of a reset or unlock on every address, with a "this wasn't me" link, so one they did not make is noticed and reported. */
export async function notifyUser(d: ResetNoticeDeps, user: User, action: Intent): Promise<void> {
  const unlock = action === 'unlock';
  await d.notices.toUser(user, {
    event: unlock ? 'account_unlock' : 'password_reset',
    kind: `notify:${unlock ? 'account-unlocked' : 'password-reset'}`,
    message: (t) => ({
      title: t(unlock ? 'mail.unlocked.title' : 'mail.reset.title'),
      paragraphs: [t(unlock ? 'mail.unlocked.body' : 'mail.reset.body', { username: user.username })],
      action: { label: t('mail.reset.action'), url: `${d.publicUrl}/sign-in` },
    }),
  });
}

/** Entra's "notify all admins when other admins reset their password". */
export async function notifyAdmins(d: ResetNoticeDeps, resetter: User): Promise<void> {
  await d.notices.toAdministrators({
    kind: 'notify:admin-reset',
    message: (t) => ({
      title: t('mail.adminReset.title'),
      paragraphs: [t('mail.adminReset.body', { username: resetter.username, name: resetter.displayName }), t('mail.adminReset.check')],
      action: { label: t('mail.adminReset.action'), url: `${d.publicUrl}/admin/audit?event=password_reset` },
    }),
    exceptUserId: resetter.id,
  });
}
