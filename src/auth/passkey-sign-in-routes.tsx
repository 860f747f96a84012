import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';
import { readForm, readJson, str } from '../http/form.js';
import { refuseJson } from '../methods/passkey-routes.js';
import type { PasskeySignIn } from './passkey-sign-in.js';
import { SecondFactorPage, startSession, type SecondFactorPageDeps } from './routes.js';
import type { SecondFactorStep } from './second-factor.js';
import type { SessionStore } from '../state/sessions.js';

export interface PasskeySignInRouteDeps extends SecondFactorPageDeps {
  passkeySignIn: Pick<PasskeySignIn, 'options' | 'verify'>;
  secondFactor: Pick<SecondFactorStep, 'view'>;
  sessions: Pick<SessionStore, 'revoke'>;
}

/** A passkey as the second factor at sign-in: JSON for the script, a plain-words page without it. */
export function passkeySignInRoutes(deps: PasskeySignInRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/sign-in/passkey/options', async (c) => {
    const body = await readJson(c);
    if (!body || typeof body['flow'] !== 'string') return refuseJson(c, 'mfa.expired');
    const flow = body['flow'];
    const r = await deps.passkeySignIn.options(flow, c.get('browserId'));
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, flow, options: r.value });
  });

  app.post('/sign-in/passkey/verify', async (c) => {
    const body = await readJson(c);
    if (!body || typeof body['flow'] !== 'string') return refuseJson(c, 'mfa.expired');
    const r = await deps.passkeySignIn.verify(body['flow'], c.get('browserId'), body['response'], { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, redirect: await startSession(c, deps.sessions, r.value.sessionToken, r.value.user, r.value.next) });
  });

  // Reached only without JavaScript.
  app.post('/sign-in/verify/passkey', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const view = await deps.secondFactor.view(flow, c.get('browserId'));
    if (view.kind !== 'choose') return c.redirect(`/sign-in/verify?flow=${encodeURIComponent(flow)}`, 303);
    return c.html(<SecondFactorPage c={c} deps={deps} view={view} error="passkeys.needsScript" />, 400);
  });

  return app;
}
