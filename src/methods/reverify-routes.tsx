import { Hono, type MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { safeNext } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { Clock } from '../shared/clock.js';
import { throttleKeys } from '../state/throttle-keys.js';
import type { Method } from './method-store.js';
import { CodeForm, codeHint, methodName } from './ui.js';
import { PasskeyForm, PasskeyScripts, REAUTH_OPTIONS, REAUTH_VERIFY } from './passkey-ui.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

/** A change to security info needs a proof of identity from the last 10 minutes. */
export const REAUTH_MS = 10 * 60_000;

/** Whether this session proved itself recently enough to change security info. */
export function recentlyVerified(c: AppContext, clock: Clock): boolean {
  const session = c.get('session');
  return session !== null && clock.now() - session.verifiedAt <= REAUTH_MS;
}

export function requireRecentVerification(clock: Clock): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (recentlyVerified(c, clock)) return next();
    const url = new URL(c.req.url);
    // A POST cannot be replayed after verifying; go back to the page it came from.
    const back = c.req.method === 'GET' ? url.pathname + url.search : BASE;
    return c.redirect(`${BASE}/verify?next=${encodeURIComponent(back)}`, 303);
  };
}

export type ReverifyDeps = Pick<SecurityInfoRouteDeps, 'clock' | 'methods' | 'securityInfo' | 'passkeys' | 'users' | 'sessions' | 'hasher' | 'throttle' | 'verifyFailures' | 'codeMinutes'>;

async function VerifyPage({ c, deps, next, chosen, error }: { c: AppContext; deps: ReverifyDeps; next: string; chosen?: Method; error?: MessageKey }) {
  const t = c.get('t');
  const user = c.get('user')!;
  const confirmed = await deps.methods.list(user.id, { confirmedOnly: true });
  // A recovery code is for when the usual methods are gone, not for every re-check (it would be spent).
  const methods = confirmed.filter((m) => m.type !== 'passkey' && m.type !== 'recovery_code');
  // A passkey needs JavaScript: offered next to the other methods, never instead of them.
  const passkey = !chosen && deps.passkeys.available() && confirmed.some((m) => m.type === 'passkey');
  return (
    <Page c={c} title={t('methods.reauth.title')} narrow>
      <h1>{t('methods.reauth.title')}</h1>
      <p class="muted">{t('methods.reauth.intro')}</p>
      {error && !chosen ? <Notice kind="error">{t(error)}</Notice> : null}
      {passkey ? (
        <>
          <PasskeyForm c={c} mode="sign-in" id="passkey-reauth" action={`${BASE}/verify/passkey`} options={REAUTH_OPTIONS} verify={REAUTH_VERIFY} button={t('passkeys.use')} explained={error === 'passkeys.needsScript'}>
            <input type="hidden" name="next" value={next} />
            <p>{t('passkeys.signInHint')}</p>
          </PasskeyForm>
          <PasskeyScripts />
        </>
      ) : null}
      {chosen ? (
        <CodeForm c={c} action={`${BASE}/verify/code`} hint={codeHint(c, chosen, null, deps.codeMinutes)} error={error} hidden={{ method: chosen.id, next }} resendAction={`${BASE}/verify/send`} resendHidden={{ method: chosen.id, next }} totp={chosen.type === 'totp'} />
      ) : methods.length ? (
        <div class="card">
          <p>{t('methods.reauth.choose')}</p>
          {methods.map((m) => (
            <form method="post" action={`${BASE}/verify/send`}>
              <Csrf c={c} />
              <input type="hidden" name="method" value={m.id} />
              <input type="hidden" name="next" value={next} />
              <Submit kind="secondary">{t('mfa.use', { method: methodName(c, m) })}</Submit>
            </form>
          ))}
        </div>
      ) : (
        <form method="post" action={`${BASE}/verify/password`} class="card" novalidate>
          <Csrf c={c} />
          <input type="hidden" name="next" value={next} />
          <Field t={t} name="password" type="password" label="field.password" autocomplete="current-password" required autofocus />
          <Submit>{t('methods.reauth.password')}</Submit>
        </form>
      )}
    </Page>
  );
}

/** Where a re-verification continues: a path under My security info, nothing else. */
export function nextOf(v: unknown): string {
  const n = safeNext(v, BASE);
  return n.startsWith(BASE) ? n : BASE;
}

/** Re-verification before changes: a code from a registered method, a passkey, or (with no method yet) the password. */
export function reverifyRoutes(deps: ReverifyDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Re-verification before changes.
  app.get(`${BASE}/verify`, async (c) => c.html(await VerifyPage({ c, deps, next: nextOf(c.req.query('next')) })));

  app.post(`${BASE}/verify/send`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    const method = await deps.methods.get(user.id, str(form, 'method') ?? '');
    if (!method || !method.confirmed || method.type === 'passkey' || method.type === 'recovery_code') return c.html(await VerifyPage({ c, deps, next, error: 'methods.notFound' }), 404);
    if (method.type !== 'totp') {
      const sent = await deps.securityInfo.deliverCode(user, method, 'reauth');
      if (!sent.ok) return c.html(await VerifyPage({ c, deps, next, error: sent.reason }), 429);
    }
    return c.html(await VerifyPage({ c, deps, next, chosen: method }));
  });

  app.post(`${BASE}/verify/code`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    const method = await deps.methods.get(user.id, str(form, 'method') ?? '');
    if (!method || !method.confirmed) return c.html(await VerifyPage({ c, deps, next, error: 'methods.notFound' }), 404);
    const r = await deps.securityInfo.verifyCode(user, method, 'reauth', str(form, 'code') ?? '');
    if (!r.ok) return c.html(await VerifyPage({ c, deps, next, chosen: r.reason === 'methods.blocked' ? undefined : method, error: r.reason }), r.reason === 'methods.blocked' ? 429 : 400);
    await deps.sessions.markVerified(c.get('session')!.idHash);
    return c.redirect(next, 303);
  });

  // Reached only without JavaScript: passkeys need it; the page still offers the other methods.
  app.post(`${BASE}/verify/passkey`, async (c) => {
    const form = await readForm(c);
    return c.html(await VerifyPage({ c, deps, next: nextOf(str(form, 'next')), error: 'passkeys.needsScript' }), 400);
  });

  app.post(`${BASE}/verify/password`, async (c) => {
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    // Only for users with no method yet: everyone else proves themselves with a method.
    if ((await deps.methods.list(user.id, { confirmedOnly: true })).some((m) => m.type !== 'passkey')) return c.html(await VerifyPage({ c, deps, next }), 400);
    const password = str(form, 'password');
    // Missing, repeated or longer than any password: refused as it is, not counted as a wrong password (as at sign-in).
    if (!password || password.length > 4096) return c.html(await VerifyPage({ c, deps, next, error: password ? 'v.field.tooLong' : 'v.password.empty' }), 400);
    const hash = await deps.users.passwordHash(user.id);
    const ok = hash !== null && (await deps.hasher.verify(hash, password));
    if (!ok) {
      await deps.throttle.recordFailure(throttleKeys.verifyFailures(user.id), deps.verifyFailures);
      return c.html(await VerifyPage({ c, deps, next, error: 'methods.reauth.passwordWrong' }), 400);
    }
    await deps.sessions.markVerified(c.get('session')!.idHash);
    return c.redirect(next, 303);
  });

  return app;
}
