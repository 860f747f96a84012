import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { Page } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { Method } from './method-store.js';
import { CodeForm, codeHint, methodName } from './ui.js';
import { SecurityInfoPage, type OverviewDeps } from './overview-page.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type TestDeps = OverviewDeps & Pick<SecurityInfoRouteDeps, 'codeMinutes'>;

/** Testing a code method: send (for email and phone) then check, without changing anything. Passkeys are tested in passkey-routes. */
export function methodTestRoutes(deps: TestDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Testing a method: send (for code methods) then check, without changing anything.
  app.post(`${BASE}/test/:id`, async (c) => {
    const user = c.get('user')!;
    const method = await deps.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed) return c.html(await SecurityInfoPage({ c, deps, problem: 'methods.notFound' }), 404);
    // Reached for a passkey only without JavaScript (the script runs the ceremony instead).
    if (method.type === 'passkey') return c.html(await SecurityInfoPage({ c, deps, problem: 'passkeys.needsScript' }), 400);
    // Testing a recovery code would spend it: the set shows how many are left instead.
    if (method.type === 'recovery_code') return c.redirect(BASE, 303);
    if (method.type !== 'totp') {
      const sent = await deps.securityInfo.deliverCode(user, method, 'test');
      if (!sent.ok) return c.html(await SecurityInfoPage({ c, deps, problem: sent.reason }), 429);
    }
    return c.redirect(`${BASE}/test/${method.id}`, 303);
  });

  const TestPage = ({ c, method, error }: { c: AppContext; method: Method; error?: MessageKey }) => (
    <Page c={c} title={c.get('t')('methods.testNamed', { method: methodName(c, method) })} narrow>
      <h1>{c.get('t')('methods.testNamed', { method: methodName(c, method) })}</h1>
      <CodeForm c={c} action={`${BASE}/test/${method.id}/check`} hint={codeHint(c, method, null, deps.codeMinutes)} error={error} resendAction={`${BASE}/test/${method.id}`} totp={method.type === 'totp'} />
      <p>
        <a href={BASE}>{c.get('t')('methods.back')}</a>
      </p>
    </Page>
  );

  app.get(`${BASE}/test/:id`, async (c) => {
    const method = await deps.methods.get(c.get('user')!.id, c.req.param('id'));
    if (!method || !method.confirmed || method.type === 'passkey' || method.type === 'recovery_code') return c.redirect(BASE, 303);
    return c.html(<TestPage c={c} method={method} />);
  });

  app.post(`${BASE}/test/:id/check`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await deps.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed || method.type === 'passkey' || method.type === 'recovery_code') return c.redirect(BASE, 303);
    const r = await deps.securityInfo.verifyCode(user, method, 'test', str(form, 'code') ?? '');
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.tested&method=${encodeURIComponent(methodName(c, method))}`, 303);
    return c.html(<TestPage c={c} method={method} error={r.reason} />, r.reason === 'methods.blocked' ? 429 : 400);
  });

  return app;
}
