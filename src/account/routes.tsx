import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { cookieNames, type AppEnv } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { isMessageKey } from '../i18n/index.js';

/** The signed-in user's own page. Security info and password change join it in later issues. */
export function accountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/account', requireUser);
  app.use('/account/*', requireUser);

  app.get('/account', async (c) => {
    const t = c.get('t');
    const user = c.get('user')!;
    const sessions = await c.get('portal').sessions.countForUser(user.id);
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
    const portal = c.get('portal');
    const user = c.get('user')!;
    const n = await portal.sessions.revokeAllForUser(user.id);
    await portal.audit.record({ event: 'sign_out_everywhere', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent'), details: { sessionsRevoked: n } });
    const names = cookieNames(portal.config.publicUrl);
    deleteCookie(c, names.session, { path: '/', secure: names.secure });
    return c.redirect('/sign-in?m=signedOut', 303);
  });
  return app;
}
