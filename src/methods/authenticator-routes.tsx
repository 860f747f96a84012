import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';
import { SecurityInfoPage, type OverviewDeps } from './overview-page.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type AuthenticatorDeps = OverviewDeps & Pick<SecurityInfoRouteDeps, 'securityInfo'>;

/** Adding an authenticator app: a new secret, then the QR code and the first code on the confirm page. */
export function authenticatorRoutes(deps: AuthenticatorDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(`${BASE}/add/totp`, async (c) => {
    const r = await deps.securityInfo.startTotp(c.get('user')!);
    if (!r.ok) return c.html(await SecurityInfoPage({ c, deps, problem: r.reason }), 422);
    return c.redirect(`${BASE}/confirm/${r.value.method.id}`, 303);
  });

  return app;
}
