import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AppContext } from '../context.js';
import { consoleRoleOf } from '../console-access.js';
import { languageName } from '../../i18n/languages.js';

export interface PageProps {
  title: string;
  children?: Child;
  narrow?: boolean;
}

/** The page frame: skip link, header with navigation, main landmark, footer. */
export function Page(props: PageProps & { c: AppContext }) {
  const { c } = props;
  const t = c.get('t');
  const user = c.get('user');
  const frame = c.get('frame');
  const locale = c.get('locale');
  const helpdesk = frame.helpdesk;
  // The sign-in page and its MFA step do not link to themselves.
  const path = c.req.path;
  const onSignIn = path === '/sign-in' || path.startsWith('/sign-in/');
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang={locale.lang} dir={locale.dir}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${props.title} · ${frame.productName}`}</title>
          <link rel="stylesheet" href="/assets/app.css" />
          <link rel="stylesheet" href={`/brand/theme.css?v=${frame.brandVersion}`} />
          <link rel="icon" type="image/svg+xml" href={`/favicon.svg?v=${frame.brandVersion}`} />
          <script src="/assets/locale.js" defer></script>
          <script src="/assets/tables.js" defer></script>
        </head>
        <body>
          <a class="skip" href="#main">
            {t('app.skip')}
          </a>
          <header class="top">
            <div class="bar">
              <a class="product" href="/">
                {frame.logoUrl ? <img src={frame.logoUrl} alt={t('brand.logoAlt', { org: frame.organisationName })} /> : null}
                {frame.productName}
              </a>
              {user ? (
                <nav aria-label={t('app.nav.label')}>
                  <a href="/account">{t('app.nav.account')}</a>
                  {consoleRoleOf(user) ? <a href="/admin">{t(consoleRoleOf(user) === 'helpdesk' ? 'app.nav.supportDesk' : 'app.nav.admin')}</a> : null}
                  <form method="post" action="/sign-out">
                    <Csrf c={c} />
                    <button type="submit" class="link">
                      {t('app.nav.signOut')}
                    </button>
                  </form>
                </nav>
              ) : onSignIn ? null : (
                // No empty navigation landmark on the sign-in page.
                <nav aria-label={t('app.nav.label')}>
                  <a href="/sign-in">{t('app.nav.signIn')}</a>
                </nav>
              )}
            </div>
          </header>
          <main id="main" class={props.narrow ? 'narrow' : undefined} tabindex={-1}>
            {props.children}
          </main>
          <footer>
            <p>{t('app.footer', { product: frame.productName, org: frame.organisationName })}</p>
            {helpdesk ? <p>{t('app.helpdesk', { helpdesk })}</p> : null}
            {frame.footerLinks.length > 0 ? (
              <nav aria-label={t('brand.footerNav', { org: frame.organisationName })}>
                <ul class="brand-footer-links">
                  {frame.footerLinks.map((l) => (
                    <li>
                      <a href={l.url}>{l.label}</a>
                    </li>
                  ))}
                </ul>
              </nav>
            ) : null}
            <LanguageSwitch c={c} />
          </footer>
        </body>
      </html>
    </>
  );
}

/**
 * The footer's language switch: plain links that work without JavaScript. Each reloads the page
 * the user is on with `?lang=`, which the request context keeps in a cookie. A page shown in
 * answer to a form links to the form's own address (forms post to the page they are on). The
 * link is always a path on this site: a request path like `//other.example/` cannot make it leave.
 */
function LanguageSwitch({ c }: { c: AppContext }) {
  const t = c.get('t');
  const { lang, offered } = c.get('locale');
  if (offered.length < 2) return null;
  const url = new URL(c.req.url);
  const path = `/${url.pathname.replace(/^[/\\]+/, '')}`;
  const query = new URLSearchParams(c.req.method === 'GET' ? url.search : '');
  return (
    <nav class="languages" aria-label={t('app.language.nav')}>
      <ul>
        {offered.map((code) => {
          query.set('lang', code);
          return (
            <li>
              <a href={`${path}?${query.toString()}`} lang={code} hreflang={code} aria-current={code === lang ? 'true' : undefined}>
                {languageName(code)}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function Csrf({ c }: { c: AppContext }) {
  return <input type="hidden" name="_csrf" value={c.get('csrfToken')} />;
}

export function Notice(props: { kind?: 'ok' | 'warn' | 'error' | 'info'; children: Child }) {
  const kind = props.kind ?? 'info';
  return (
    <div class={`notice ${kind === 'info' ? '' : kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}
