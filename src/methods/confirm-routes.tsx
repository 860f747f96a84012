import { Hono } from 'hono';
import { raw } from 'hono/html';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { Page } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { Method } from './method-store.js';
import { CodeForm, codeHint, methodName } from './ui.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type ConfirmDeps = Pick<SecurityInfoRouteDeps, 'methods' | 'securityInfo' | 'productName' | 'codeMinutes'>;

const viaOf = (v: string | undefined): 'sms' | 'voice' | null => (v === 'voice' ? 'voice' : v === 'sms' ? 'sms' : null);

async function ConfirmPage({ c, deps, method, error, via }: { c: AppContext; deps: ConfirmDeps; method: Method; error?: MessageKey; via: 'sms' | 'voice' | null }) {
  const t = c.get('t');
  const user = c.get('user')!;
  let qr: { svg: string; secret: string } | null = null;
  if (method.type === 'totp') {
    const secret = (await deps.methods.totpSecret(user.id, method.id))!;
    const { totpUri, totpQrSvg } = await import('./totp.js');
    qr = { svg: await totpQrSvg(totpUri(secret, deps.productName, user.username)), secret };
  }
  const title = method.type === 'totp' ? t('methods.add.totp') : methodName(c, method);
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      {qr ? (
        <div class="card">
          <p>{t('methods.totp.scan')}</p>
          <div class="qr" role="img" aria-label={t('methods.totp.qrAlt')}>
            {raw(qr.svg)}
          </div>
          <p>{t('methods.totp.manual')}</p>
          <p>
            <code class="secret">{qr.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
          </p>
          <p>{t('methods.totp.enter')}</p>
        </div>
      ) : null}
      <CodeForm
        c={c}
        action={`${BASE}/confirm/${method.id}`}
        hint={codeHint(c, method, via, deps.codeMinutes)}
        error={error}
        hidden={via ? { via } : {}}
        resendAction={`${BASE}/resend/${method.id}`}
        resendHidden={via ? { via } : {}}
        totp={method.type === 'totp'}
      />
      <p>
        <a href={BASE}>{t('methods.cancel')}</a>
      </p>
    </Page>
  );
}

/** Confirming a new method with its first code (email, phone, authenticator app), and sending a code again. */
export function confirmRoutes(deps: ConfirmDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(`${BASE}/confirm/:id`, async (c) => {
    const method = await deps.methods.get(c.get('user')!.id, c.req.param('id'));
    if (!method || method.confirmed) return c.redirect(BASE, 303);
    return c.html(await ConfirmPage({ c, deps, method, via: viaOf(c.req.query('via')) }));
  });

  app.post(`${BASE}/confirm/:id`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await deps.methods.get(user.id, c.req.param('id'));
    if (!method || method.confirmed) return c.redirect(BASE, 303);
    const code = str(form, 'code') ?? '';
    const r = method.type === 'totp' ? await deps.securityInfo.confirmTotp(user, method.id, code) : await deps.securityInfo.confirmContact(user, method.id, code);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.added&method=${encodeURIComponent(methodName(c, r.value))}`, 303);
    return c.html(await ConfirmPage({ c, deps, method, error: r.reason, via: viaOf(str(form, 'via')) }), r.reason === 'methods.blocked' ? 429 : 400);
  });

  app.post(`${BASE}/resend/:id`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await deps.methods.get(user.id, c.req.param('id'));
    if (!method || method.confirmed || method.type === 'totp' || method.type === 'passkey') return c.redirect(BASE, 303);
    const via = viaOf(str(form, 'via'));
    const r = await deps.securityInfo.deliverCode(user, method, 'register', via ?? undefined);
    if (!r.ok) return c.html(await ConfirmPage({ c, deps, method, error: r.reason, via }), 429);
    return c.redirect(`${BASE}/confirm/${method.id}${via ? `?via=${via}` : ''}`, 303);
  });

  return app;
}
