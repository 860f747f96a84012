import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Page } from '../http/ui/layout.js';
import { authenticatorRoutes } from './authenticator-routes.js';
import { confirmRoutes } from './confirm-routes.js';
import { contactRoutes } from './contact-routes.js';
import { SecurityInfoPage } from './overview-page.js';
import { questionRoutes } from './question-routes.js';
import { recoveryCodeRoutes } from './recovery-code-routes.js';
import { requireRecentVerification, reverifyRoutes } from './reverify-routes.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';
import { methodTestRoutes } from './test-routes.js';
import { selfServiceGuard } from './self-service-guard.js';
import { methodName } from './ui.js';

export type { SecurityInfoRouteDeps };

/** "My security info": register, confirm, test, set default and remove methods. */
export function securityInfoRoutes(deps: SecurityInfoRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(BASE, requireUser);
  app.use(`${BASE}/*`, requireUser);
  const recent = requireRecentVerification(deps.clock);
  const guard = selfServiceGuard(deps.blocks);
  for (const path of ['/add/*', '/confirm/*', '/resend/*', '/remove/*', '/default/*', '/questions/*', '/recovery-codes/*']) app.use(`${BASE}${path}`, guard);
  for (const path of ['/add/*', '/confirm/*', '/resend/*', '/remove/*', '/default/*', '/questions/*', '/recovery-codes/regenerate']) app.use(`${BASE}${path}`, recent);

  app.get(BASE, async (c) => c.html(await SecurityInfoPage({ c, deps })));

  // Re-confirmation: the methods are shown; the user confirms them or changes them.
  app.get(`${BASE}/reconfirm`, async (c) => {
    const t = c.get('t');
    const user = c.get('user')!;
    const methods = await deps.methods.list(user.id, { confirmedOnly: true });
    return c.html(
      <Page c={c} title={t('methods.reconfirm.title')} narrow>
        <h1>{t('methods.reconfirm.title')}</h1>
        <p>{t('methods.reconfirm.intro')}</p>
        <ul class="card">
          {methods.map((m) => (
            <li>{methodName(c, m)}</li>
          ))}
          {(await deps.questions.registeredQuestionIds(user.id)).length ? <li>{t('methods.type.questions')}</li> : null}
        </ul>
        <form method="post" action={`${BASE}/reconfirm`}>
          <Csrf c={c} />
          <Submit>{t('methods.reconfirm.confirm')}</Submit>
        </form>
        <p>
          <a href={BASE}>{t('methods.title')}</a>
        </p>
      </Page>,
    );
  });

  app.post(`${BASE}/reconfirm`, async (c) => {
    const user = c.get('user')!;
    await deps.users.markSecurityInfoConfirmed(user.id);
    await deps.audit.record({ event: 'security_info_reconfirmed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent') });
    return c.redirect('/account?done=methods.done.confirmed', 303);
  });

  app.post(`${BASE}/remove/:id`, async (c) => {
    const r = await deps.securityInfo.remove(c.get('user')!, c.req.param('id'));
    if (!r.ok) return c.html(await SecurityInfoPage({ c, deps, problem: r.reason }), 404);
    return c.redirect(`${BASE}?done=methods.done.removed`, 303);
  });

  app.post(`${BASE}/default/:id`, async (c) => {
    const user = c.get('user')!;
    const method = await deps.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed) return c.html(await SecurityInfoPage({ c, deps, problem: 'methods.notFound' }), 404);
    await deps.methods.setDefault(user.id, method.id);
    return c.redirect(`${BASE}?done=methods.done.default`, 303);
  });

  // Order matters: /add/questions, /add/totp and /add/recovery-codes before the contact kinds' /add/:kind.
  app.route('/', questionRoutes(deps));
  app.route('/', recoveryCodeRoutes(deps));
  app.route('/', authenticatorRoutes(deps));
  app.route('/', contactRoutes(deps));
  app.route('/', confirmRoutes(deps));
  app.route('/', methodTestRoutes(deps));
  app.route('/', reverifyRoutes(deps));

  return app;
}
