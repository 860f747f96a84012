import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { readForm, str } from '../http/form.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionStore } from '../state/sessions.js';
import type { AppEnv } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { isMessageKey } from '../i18n/index.js';
import { languageName, matchLanguage } from '../i18n/languages.js';
import { setLanguageCookie } from '../http/middleware/request-context.js';
import type { UserStore } from '../directory/users.js';

export interface AccountRouteDeps {
  sessions: Pick<SessionStore, 'countForUser' | 'revokeAllForUser'>;
  users: Pick<UserStore, 'setLanguage'>;
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
        {done && isMessageKey(done) && (done === 'change.done' || done === 'account.language.saved' || done.startsWith('methods.done.')) ? <Notice kind="ok">{t(done)}</Notice> : null}
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
        <LanguageCard c={c} saved={user.language} />
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
  // The saved language: pages where no switch was used, and every mail, text and call to the user.
  app.post('/account/language', async (c) => {
    const user = c.get('user')!;
    const raw = str(await readForm(c), 'language');
    const chosen = raw ? matchLanguage(raw, c.get('locale').offered) : null;
    // Sent twice, or not one of the offered languages: refused, nothing changes.
    if (raw === undefined || (raw !== '' && chosen !== raw)) throw new HTTPException(400, { message: c.get('t')('account.language.invalid') });
    await deps.users.setLanguage(user.id, chosen);
    // The switch's cookie would outrank the saved choice: it follows the choice (or goes, with "my browser").
    setLanguageCookie(c, chosen);
    await deps.audit.record({ event: 'language_chosen', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent'), details: { language: chosen ?? 'browser' } });
    return c.redirect('/account?done=account.language.saved', 303);
  });
  return app;
}

function LanguageCard({ c, saved }: { c: Parameters<typeof Page>[0]['c']; saved: string | null }) {
  const t = c.get('t');
  const { offered } = c.get('locale');
  return (
    <div class="card">
      <h2>{t('account.language.title')}</h2>
      <form method="post" action="/account/language">
        <Csrf c={c} />
        <label for="f-language">{t('account.language.label')}</label>
        <select id="f-language" name="language">
          <option value="" selected={saved === null}>
            {t('account.language.browser')}
          </option>
          {offered.map((code) => (
            <option value={code} lang={code} selected={saved === code}>
              {languageName(code)}
            </option>
          ))}
        </select>
        <Submit kind="secondary">{t('account.language.save')}</Submit>
      </form>
    </div>
  );
}
