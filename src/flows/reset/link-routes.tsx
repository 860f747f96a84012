import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../../http/context.js';
import { Csrf, Notice, Page } from '../../http/ui/layout.js';
import { Submit } from '../../http/ui/forms.js';
import { Helpdesk } from './pages/helpdesk.js';
import { verifyPath } from './paths.js';
import type { ResetLinkStart, ResetLinkView } from './reset-link.js';

export const RESET_LINK_PATH = '/reset/link';

function LinkPage({ c, view }: { c: AppContext; view: ResetLinkView }) {
  const t = c.get('t');
  if (view.kind === 'invalid') {
    return (
      <Page c={c} title={t('resetLink.invalidTitle')} narrow>
        <h1>{t('resetLink.invalidTitle')}</h1>
        <Notice kind="warn">{t('resetLink.invalid')}</Notice>
        <p>{t('resetLink.invalidNext')}</p>
        <Helpdesk c={c} helpdesk={view.helpdesk} />
        <p>
          <a class="button" href="/reset">
            {t('resetLink.startOwn')}
          </a>
        </p>
        <p>
          <a href="/sign-in">{t('reset.backToSignIn')}</a>
        </p>
      </Page>
    );
  }
  return (
    <Page c={c} title={t('resetLink.title')} narrow>
      <h1>{t('resetLink.title')}</h1>
      <p>{t('resetLink.intro')}</p>
      <p class="muted">{t('resetLink.once')}</p>
      <form method="post" action={`${RESET_LINK_PATH}/${view.token}`} class="card">
        <Submit>{t('resetLink.submit')}</Submit>
        <Csrf c={c} />
      </form>
      <p class="muted">{t('resetLink.notYou')}</p>
    </Page>
  );
}

/** /reset/link/{token}: the reset link the helpdesk sent. The page asks first; only its POST spends the link. */
export function resetLinkRoutes(deps: { links: Pick<ResetLinkStart, 'view' | 'start'> }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(`${RESET_LINK_PATH}/:token`, async (c) => {
    c.header('Cache-Control', 'no-store');
    const view = await deps.links.view(c.req.param('token'));
    return c.html(<LinkPage c={c} view={view} />, view.kind === 'ready' ? 200 : 410);
  });
  app.post(`${RESET_LINK_PATH}/:token`, async (c) => {
    const r = await deps.links.start(c.req.param('token'), { ip: c.get('ip'), userAgent: c.get('userAgent'), browserId: c.get('browserId') });
    if (r.ok) return c.redirect(verifyPath(r.flowId), 303);
    return c.html(<LinkPage c={c} view={r.view} />, 410);
  });
  return app;
}
