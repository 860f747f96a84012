import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { safeNext, type AppContext, type AppEnv } from '../http/context.js';
import type { AuditLog } from '../audit/audit-log.js';
import { readForm, str } from '../http/form.js';
import { setBrowserCookie } from '../http/middleware/request-context.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import { randomToken } from '../shared/crypto.js';
import type { FieldErrors } from '../shared/validation.js';
import type { User } from '../directory/users.js';
import { CodeForm, codeHint, methodName } from '../methods/ui.js';
import { PasskeyForm, PasskeyScripts } from '../methods/passkey-ui.js';
import type { SecurityInfoService } from '../methods/security-info.js';
import type { SecondFactorStep, SecondFactorView } from './second-factor.js';
import type { SessionStore } from '../state/sessions.js';
import type { SignInService } from './sign-in.js';
import { consoleRoleOf } from '../http/console-access.js';

/** What the second-factor page needs: which phone channels the organisation allows, and the codes' lifetime. */
export interface SecondFactorPageDeps {
  securityInfo: Pick<SecurityInfoService, 'available'>;
  codeMinutes: number;
}

export interface SignInRouteDeps extends SecondFactorPageDeps {
  signIn: Pick<SignInService, 'attempt'>;
  secondFactor: Pick<SecondFactorStep, 'view' | 'choose' | 'check'>;
  /** The sign-in page says so while no administrator exists yet. */
  firstRun: { needsSetup(): Promise<boolean> };
  sessions: Pick<SessionStore, 'revoke'>;
  audit: AuditLog;
}

const pageMessages: Record<string, MessageKey> = { signedOut: 'signIn.signedOut', sessionExpired: 'signIn.sessionExpired', setupDone: 'signIn.setupDone' };

interface SignInView {
  username?: string;
  next: string;
  errors?: FieldErrors;
  problem?: { kind: 'error' | 'warn'; text: string };
  info?: MessageKey;
  needsSetup?: boolean;
}

function SignInPage({ c, v }: { c: AppContext; v: SignInView }) {
  const t = c.get('t');
  return (
    <Page c={c} title={t('signIn.title')} narrow>
      <h1>{t('signIn.title')}</h1>
      {v.needsSetup ? <Notice kind="warn">{t('signIn.needsSetup')}</Notice> : null}
      {v.info ? <Notice kind="ok">{t(v.info)}</Notice> : null}
      {v.problem ? <Notice kind={v.problem.kind}>{v.problem.text}</Notice> : null}
      <ErrorSummary t={t} errors={v.errors ?? {}} labels={{ username: 'signIn.username', password: 'signIn.password' }} />
      <p class="muted">{t('signIn.intro')}</p>
      {c.get('frame').signInMessage ? <p class="sign-in-message">{c.get('frame').signInMessage}</p> : null}
      <form method="post" action="/sign-in" class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="next" value={v.next} />
        <Field t={t} name="username" label="signIn.username" value={v.username ?? ''} autocomplete="username" required maxlength={256} error={v.errors?.['username']} autofocus={!v.errors && !v.problem} />
        <Field t={t} name="password" label="signIn.password" type="password" autocomplete="current-password" required error={v.errors?.['password']} />
        <Submit>{t('signIn.submit')}</Submit>
      </form>
      <p>
        <a href="/reset">{t('reset.link')}</a>
        {' · '}
        <a href="/unlock">{t('unlock.link')}</a>
      </p>
    </Page>
  );
}

/**
 * Sets the new session cookie and returns where to go next. Rotation: whatever session and
 * browser id this browser had before are replaced.
 */
export async function startSession(c: AppContext, sessions: Pick<SessionStore, 'revoke'>, token: string, user: User, next: string): Promise<string> {
  const names = c.get('cookies');
  const previous = getCookie(c, names.session);
  if (previous) await sessions.revoke(previous);
  setCookie(c, names.session, token, { path: '/', httpOnly: true, secure: names.secure, sameSite: 'Lax' });
  setBrowserCookie(c, names, randomToken());
  // Administrators and the helpdesk start in the console.
  const fallback = consoleRoleOf(user) ? '/admin' : '/account';
  return next || fallback;
}

async function establishSession(c: AppContext, sessions: Pick<SessionStore, 'revoke'>, token: string, user: User, next: string): Promise<Response> {
  return c.redirect(await startSession(c, sessions, token, user, next), 303);
}

export function SecondFactorPage({ c, deps, view, error }: { c: AppContext; deps: SecondFactorPageDeps; view: Extract<SecondFactorView, { kind: 'choose' }>; error?: MessageKey }) {
  const t = c.get('t');
  const flow = view.flow.id;
  const others = view.methods.filter((m) => m.id !== view.chosen?.id && m.type !== 'passkey');
  const passkeys = view.methods.some((m) => m.type === 'passkey');
  const channel = view.chosen?.type === 'mobile' ? (view.flow.data.channel ?? 'sms') : undefined;
  // A mobile phone can get its code by text or by call, as the organisation allows.
  const channels = (['sms', 'voice'] as const).filter((ch) => deps.securityInfo.available(ch === 'sms' ? 'mobile_sms' : 'mobile_voice'));
  return (
    <Page c={c} title={t('mfa.title')} narrow>
      <h1>{t('mfa.title')}</h1>
      <p class="muted">{t('mfa.intro')}</p>
      {view.chosen ? (
        <CodeForm
          c={c}
          action="/sign-in/verify/code"
          hint={codeHint(c, view.chosen, channel ?? null, deps.codeMinutes)}
          error={error}
          hidden={{ flow }}
          resendAction="/sign-in/verify/choose"
          resendHidden={{ flow, method: view.chosen.id, ...(channel ? { channel } : {}) }}
          totp={view.chosen.type === 'totp'}
          recovery={view.chosen.type === 'recovery_code'}
        />
      ) : error ? (
        <Notice kind="error">{t(error)}</Notice>
      ) : null}
      {passkeys ? (
        <>
          <PasskeyForm c={c} mode="sign-in" action="/sign-in/verify/passkey" options="/sign-in/passkey/options" verify="/sign-in/passkey/verify" button={t('passkeys.use')} explained={error === 'passkeys.needsScript'}>
            <input type="hidden" name="flow" value={flow} />
            <p>{t('passkeys.signInHint')}</p>
          </PasskeyForm>
          <PasskeyScripts />
        </>
      ) : null}
      {others.length ? (
        <div class="card">
          <p>{view.chosen || passkeys ? t('mfa.other') : t('methods.reauth.choose')}</p>
          {others.map((m) =>
            m.type === 'mobile' && channels.length === 2 ? (
              <form method="post" action="/sign-in/verify/choose">
                <Csrf c={c} />
                <input type="hidden" name="flow" value={flow} />
                <input type="hidden" name="method" value={m.id} />
                <fieldset>
                  <legend>{t('mfa.use', { method: methodName(c, m) })}</legend>
                  <div class="row">
                    <button type="submit" name="channel" value="sms" class={view.chosen ? 'secondary' : undefined}>
                      {t('mfa.textMe')}
                    </button>
                    <button type="submit" name="channel" value="voice" class="secondary">
                      {t('mfa.callMe')}
                    </button>
                  </div>
                </fieldset>
              </form>
            ) : (
              <form method="post" action="/sign-in/verify/choose">
                <Csrf c={c} />
                <input type="hidden" name="flow" value={flow} />
                <input type="hidden" name="method" value={m.id} />
                {m.type === 'mobile' && channels.length === 1 ? <input type="hidden" name="channel" value={channels[0]} /> : null}
                <Submit kind={view.chosen ? 'secondary' : undefined}>{t('mfa.use', { method: methodName(c, m) })}</Submit>
              </form>
            ),
          )}
        </div>
      ) : null}
    </Page>
  );
}

function minutesText(c: AppContext, seconds: number): string {
  const t = c.get('t');
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? t('signIn.minute') : t('signIn.minutes', { n: minutes });
}

/** Sign-in and sign-out. */
export function signInRoutes(deps: SignInRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/sign-in', async (c) => {
    const m = c.req.query('m');
    const next = safeNext(c.req.query('next'), '');
    if (c.get('user') && !m) return c.redirect(next || '/account', 303);
    return c.html(<SignInPage c={c} v={{ next, info: m ? pageMessages[m] : undefined, needsSetup: await deps.firstRun.needsSetup() }} />);
  });

  app.post('/sign-in', async (c) => {
    const t = c.get('t');
    const form = await readForm(c);
    const username = str(form, 'username')?.trim() ?? '';
    const password = str(form, 'password') ?? '';
    const next = safeNext(str(form, 'next'), '');
    const errors: FieldErrors = {};
    if (username === '') errors['username'] = 'v.username.required';
    else if (username.length > 256) errors['username'] = 'v.username.tooLong';
    if (password === '') errors['password'] = 'v.password.empty';
    else if (password.length > 4096) errors['password'] = 'v.password.tooLong';
    if (Object.keys(errors).length > 0) return c.html(<SignInPage c={c} v={{ username: username.slice(0, 256), next, errors }} />, 400);

    const outcome = await deps.signIn.attempt({ username, password, ip: c.get('ip'), userAgent: c.get('userAgent'), browserId: c.get('browserId'), next });
    if (outcome.ok) {
      const done = outcome.value;
      return done.kind === 'signed_in' ? establishSession(c, deps.sessions, done.sessionToken, done.user, next) : c.redirect(`/sign-in/verify?flow=${encodeURIComponent(done.flowId)}`, 303);
    }
    switch (outcome.reason) {
      case 'invalid':
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'error', text: t('signIn.invalid') } }} />, 401);
      case 'locked':
        c.header('Retry-After', String(outcome.retryAfterSeconds));
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'error', text: t('signIn.locked', { minutes: minutesText(c, outcome.retryAfterSeconds) }) } }} />, 429);
      case 'disabled':
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'error', text: t('signIn.disabled') } }} />, 403);
      case 'onprem_unavailable':
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'warn', text: t('signIn.onpremUnavailable') } }} />, 503);
      case 'onprem_locked':
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'error', text: t('signIn.onpremLocked') } }} />, 423);
      case 'password_expired':
        return c.html(<SignInPage c={c} v={{ username, next, problem: { kind: 'warn', text: t('signIn.passwordExpired') } }} />, 403);
    }
  });

  /** A sign-in flow that is over starts again at the password; one voided by a password change says so. */
  const expired = (c: AppContext, voided = false) => c.html(<SignInPage c={c} v={{ next: '', problem: { kind: 'warn', text: c.get('t')(voided ? 'mfa.voided' : 'mfa.expired') } }} />, 410);

  app.get('/sign-in/verify', async (c) => {
    const view = await deps.secondFactor.view(c.req.query('flow') ?? '', c.get('browserId'));
    if (view.kind !== 'choose') return expired(c, view.kind === 'voided');
    return c.html(<SecondFactorPage c={c} deps={deps} view={view} />);
  });

  app.post('/sign-in/verify/choose', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    // How a mobile phone gets its code: absent (a text message), or one the organisation allows.
    const channelInput = str(form, 'channel');
    const channel = channelInput === 'sms' || channelInput === 'voice' ? channelInput : undefined;
    const channelRefused = form['channel'] !== undefined && (!channel || !deps.securityInfo.available(channel === 'sms' ? 'mobile_sms' : 'mobile_voice'));
    if (channelRefused) {
      const view = await deps.secondFactor.view(flow, c.get('browserId'));
      if (view.kind !== 'choose') return expired(c, view.kind === 'voided');
      return c.html(<SecondFactorPage c={c} deps={deps} view={view} error="methods.notAvailable" />, 400);
    }
    const r = await deps.secondFactor.choose(flow, c.get('browserId'), str(form, 'method') ?? '', channel);
    if (!r.ok && (r.reason === 'mfa.expired' || r.reason === 'mfa.voided')) return expired(c, r.reason === 'mfa.voided');
    if (!r.ok) {
      const view = await deps.secondFactor.view(flow, c.get('browserId'));
      if (view.kind !== 'choose') return expired(c, view.kind === 'voided');
      return c.html(<SecondFactorPage c={c} deps={deps} view={view} error={r.reason} />, r.reason === 'methods.sendFailed' ? 502 : 429);
    }
    return c.redirect(`/sign-in/verify?flow=${encodeURIComponent(flow)}`, 303);
  });

  app.post('/sign-in/verify/code', async (c) => {
    const form = await readForm(c);
    const r = await deps.secondFactor.check(str(form, 'flow') ?? '', c.get('browserId'), str(form, 'code') ?? '', { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return establishSession(c, deps.sessions, r.value.sessionToken, r.value.user, r.value.next);
    if (r.reason === 'mfa.expired' || r.reason === 'mfa.voided' || !r.view || r.view.kind !== 'choose') return expired(c, r.reason === 'mfa.voided');
    return c.html(<SecondFactorPage c={c} deps={deps} view={r.view} error={r.reason} />, r.reason === 'methods.blocked' ? 429 : 400);
  });

  app.post('/sign-out', async (c) => {
    const names = c.get('cookies');
    const token = getCookie(c, names.session);
    if (token) await deps.sessions.revoke(token);
    const user = c.get('user');
    if (user) await deps.audit.record({ event: 'sign_out', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent') });
    deleteCookie(c, names.session, { path: '/', secure: names.secure });
    return c.redirect('/sign-in?m=signedOut', 303);
  });

  return app;
}
