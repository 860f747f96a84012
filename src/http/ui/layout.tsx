import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AppContext } from '../context.js';
import { consoleRoleOf } from '../console-access.js';

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
  const helpdesk = frame.helpdesk;
  // The sign-in page and its MFA step do not link to themselves.
  const path = c.req.path;
  const onSignIn = path === '/sign-in' || path.startsWith('/sign-in/');
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${props.title} · ${frame.productName}`}</title>
          <link rel="stylesheet" href="/assets/app.css" />
          <link rel="stylesheet" href={`/brand/theme.css?v=${frame.brandVersion}`} />
          <link rel="icon" type="image/svg+xml" href={`/favicon.svg?v=${frame.brandVersion}`} />
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
                <nav aria-label="Main">
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
                <nav aria-label="Main">
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
          </footer>
        </body>
      </html>
    </>
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
