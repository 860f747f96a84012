import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionStore } from '../state/sessions.js';
import type { AppEnv } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { isMessageKey } from '../i18n/index.js';

export interface AccountRouteDeps {
  sessions: Pick<SessionStore, 'countForUser' | 'revokeAllForUser'>;
  audit: AuditLog;
}

/** The signed-in user's own page: links to the password change and security info, sign out everywhere. */
export function accountRoutes(deps: AccountRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/account', requireUser);
  app.use('/account/*', requireUser);

  app.get('/account', async (c) => {
    const t = c.get('t');
    const user = c.get('user')!;
    const sessions = await deps.sessions.countForUser(user.id);
    const done = c.req.query('done');
    return c.html(
      <Page c={c} title={t('account.title')}>
        <h1>{t('account.title')}</h1>
        {done && isMessageKey(done) && (done === 'change.done' || done.startsWith('methods.done.')) ? <Notice kind="ok">{t(done)}</Notice> : null}
        <div class="card">
          <p>{t('account.signedInAs', { name: user.displayName, username: user.username })}</p>
          <p>{t('account.sessions', { n: sessions })}</p>
          <ul>
            <li>
              <a href="/account/change-password">{t('account.changePassword')}</a>
            </li>
            <li>
              <a href="/account/security-info">{t('account.securityInfo')}</a>
            </li>
          </ul>
          <form method="post" action="/account/sign-out-everywhere">
            <Csrf c={c} />
            <p class="hint">{t('account.signOutEverywhereHint')}</p>
            <Submit kind="secondary">{t('account.signOutEverywhere')}</Submit>
          </form>
        </div>
      </Page>,
    );
  });

  app.post('/account/sign-out-everywhere', async (c) => {
    const user = c.get('user')!;
    const n = await deps.sessions.revokeAllForUser(user.id);
    await deps.audit.record({ event: 'sign_out_everywhere', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent'), details: { sessionsRevoked: n } });
    const names = c.get('cookies');
    deleteCookie(c, names.session, { path: '/', secure: names.secure });
    return c.redirect('/sign-in?m=signedOut', 303);
  });
  return app;
}
