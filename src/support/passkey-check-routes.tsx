import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readJson } from '../http/form.js';
import { Notice, Page } from '../http/ui/layout.js';
import { isMessageKey } from '../i18n/index.js';
import { PasskeyForm, PasskeyScripts } from '../methods/passkey-ui.js';
import { PASSKEY_CHECK_PATH, type PasskeyCallerCheck, type PasskeyCheckView } from './passkey-verification.js';

export interface PasskeyCheckRouteDeps {
  check: Pick<PasskeyCallerCheck, 'view' | 'options' | 'verify'>;
}

const OPTIONS = `${PASSKEY_CHECK_PATH}/options`;
const VERIFY = `${PASSKEY_CHECK_PATH}/verify`;
const DONE = `${PASSKEY_CHECK_PATH}/done`;

function CheckPage({ c, view, token, needsScript }: { c: AppContext; view: PasskeyCheckView | { kind: 'finished' }; token?: string; needsScript?: boolean }) {
  const t = c.get('t');
  if (view.kind === 'invalid') {
    return (
      <Page c={c} title={t('support.check.invalidTitle')} narrow>
        <h1>{t('support.check.invalidTitle')}</h1>
        <p>{t('support.verify.linkInvalid')}</p>
      </Page>
    );
  }
  if (view.kind === 'done' || view.kind === 'finished') {
    return (
      <Page c={c} title={t('support.check.title')} narrow>
        <h1>{t('support.check.title')}</h1>
        <Notice kind="ok">{t('support.check.done')}</Notice>
      </Page>
    );
  }
  return (
    <Page c={c} title={t('support.check.title')} narrow>
      <h1>{t('support.check.title')}</h1>
      <p>{t('support.check.lead', { username: view.username })}</p>
      <p class="hint">{t('support.check.notYou')}</p>
      {needsScript ? <Notice kind="error">{t('passkeys.needsScript')}</Notice> : null}
      <PasskeyForm c={c} mode="sign-in" id="helpdesk-check" action={PASSKEY_CHECK_PATH} options={OPTIONS} verify={VERIFY} button={t('support.check.button')} explained={needsScript}>
        <input type="hidden" name="flow" value={token} />
      </PasskeyForm>
      <PasskeyScripts />
    </Page>
  );
}

/**
 * /helpdesk-check: the caller's page behind the link the helpdesk sent for a passkey check. No
 * sign-in (the caller may be locked out), no referrer (the token is in the address), nothing
 * changes on GET (mail scanners follow links); the passkey ceremony runs through two JSON POSTs.
 */
export function passkeyCheckRoutes({ check }: PasskeyCheckRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tokenOf = (body: Record<string, unknown> | null) => (typeof body?.['flow'] === 'string' ? body['flow'] : '');

  app.get(PASSKEY_CHECK_PATH, async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.query('token') ?? '';
    const view = await check.view(token);
    return c.html(<CheckPage c={c} view={view} token={token} />, view.kind === 'invalid' ? 410 : 200);
  });
  // Reached only without JavaScript: passkeys need the browser's WebAuthn API.
  app.post(PASSKEY_CHECK_PATH, async (c) => {
    const body = await c.req.parseBody();
    const token = typeof body['flow'] === 'string' ? body['flow'] : '';
    const view = await check.view(token);
    return c.html(<CheckPage c={c} view={view} token={token} needsScript />, view.kind === 'invalid' ? 410 : 400);
  });
  app.get(DONE, (c) => c.html(<CheckPage c={c} view={{ kind: 'finished' }} />));

  app.post(OPTIONS, async (c) => {
    const token = tokenOf(await readJson(c));
    const r = await check.options(token);
    if (!r.ok) return c.json({ ok: false, error: isMessageKey(r.reason) ? c.get('t')(r.reason) : r.reason }, r.reason === 'support.verify.linkInvalid' ? 410 : 400);
    return c.json({ ok: true, flow: token, options: r.value });
  });
  app.post(VERIFY, async (c) => {
    const body = await readJson(c);
    const r = await check.verify(tokenOf(body), body?.['response']);
    if (r.ok) return c.json({ ok: true, redirect: DONE });
    return c.json({ ok: false, error: c.get('t')(r.reason) }, r.reason === 'support.verify.blocked' ? 429 : r.reason === 'support.verify.linkInvalid' ? 410 : 400);
  });
  return app;
}
