import { Hono, type MiddlewareHandler } from 'hono';
import { raw } from 'hono/html';
import type { AppContext, AppEnv } from '../http/context.js';
import { safeNext } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit, errorText } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import { isMessageKey, type MessageKey } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import type { Method } from './method-store.js';
import { questionCatalogue } from './questions.js';
import { CodeForm, codeHint, methodName } from './ui.js';
import { registrationPolicyFor, registrationStatus } from './registration.js';
import { PasskeyButton, PasskeyButtonMessages, PasskeyForm, PasskeyScripts, REAUTH_OPTIONS, REAUTH_VERIFY, TEST_OPTIONS, TEST_VERIFY } from './passkey-ui.js';
import { throttleKeys } from '../state/throttle-keys.js';

/** A change to security info needs a proof of identity from the last 10 minutes. */
export const REAUTH_MS = 10 * 60_000;
const BASE = '/account/security-info';

/** Whether this session proved itself recently enough to change security info. */
export function recentlyVerified(c: AppContext): boolean {
  const session = c.get('session');
  return session !== null && c.get('portal').clock.now() - session.verifiedAt <= REAUTH_MS;
}

export const requireRecentVerification: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (recentlyVerified(c)) return next();
  const url = new URL(c.req.url);
  // A POST cannot be replayed after verifying; go back to the page it came from.
  const back = c.req.method === 'GET' ? url.pathname + url.search : BASE;
  return c.redirect(`${BASE}/verify?next=${encodeURIComponent(back)}`, 303);
};

function doneNotice(c: AppContext) {
  const t = c.get('t');
  const done = c.req.query('done');
  const method = c.req.query('method') ?? '';
  if (!done || !isMessageKey(done) || !done.startsWith('methods.done.')) return null;
  return <Notice kind="ok">{t(done, { method: method.slice(0, 120) })}</Notice>;
}

async function SecurityInfoPage({ c, problem }: { c: AppContext; problem?: MessageKey }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const user = c.get('user')!;
  const methods = await portal.methods.list(user.id, { confirmedOnly: true });
  const questions = await portal.questions.registeredQuestionIds(user.id);
  const svc = portal.securityInfo;
  const status = await registrationStatus(user, { methods: portal.methods, questions: portal.questions, policy: await registrationPolicyFor(portal, user), now: portal.clock.now() });
  const testablePasskeys = portal.passkeys.available() && methods.some((m) => m.type === 'passkey');
  const adds: Array<[string, MessageKey, boolean]> = [
    ['email', 'methods.add.email', svc.available('email')],
    ['mobile', 'methods.add.mobile', svc.available('mobile_sms') || svc.available('mobile_voice')],
    ['office', 'methods.add.office', svc.available('office_voice')],
    ['passkey', 'methods.add.passkey', portal.passkeys.available()],
    ['questions', questions.length ? 'methods.change.questions' : 'methods.add.questions', svc.available('questions')],
  ];
  return (
    <Page c={c} title={t('methods.title')}>
      <h1>{t('methods.title')}</h1>
      {status.missing ? (
        <Notice kind="warn">
          <strong>{t('methods.register.title')}</strong>
          <br />
          {t('methods.register.intro', { n: status.need })} {t('methods.register.progress', { have: status.have, need: status.need })}
        </Notice>
      ) : null}
      {doneNotice(c)}
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      {!status.missing && (c.req.query('register') || c.req.query('done')) ? (
        <p>
          <a class="button" href="/account">
            {t('methods.continue')}
          </a>
        </p>
      ) : null}
      <p class="muted">{t('methods.intro')}</p>
      {methods.length === 0 && questions.length === 0 ? <p>{t('methods.none')}</p> : null}
      {testablePasskeys ? <PasskeyButtonMessages c={c} id="passkey-test" /> : null}
      {methods.length || questions.length ? (
        <table>
          <tbody>
            {methods.map((m) => (
              <tr>
                <td>
                  <strong>{methodName(c, m)}</strong> {m.isDefault ? <span class="badge on">{t('methods.default')}</span> : null}
                  <br />
                  <span class="muted">{m.lastUsedAt ? t('methods.lastUsed', { when: new Date(m.lastUsedAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' }) : t('methods.neverUsed')}</span>
                </td>
                <td class="row">
                  {m.type !== 'passkey' ? (
                    <form method="post" action={`${BASE}/test/${m.id}`} class="inline">
                      <Csrf c={c} />
                      <button type="submit" class="link" aria-label={t('methods.testNamed', { method: methodName(c, m) })}>
                        {t('methods.test')}
                      </button>
                    </form>
                  ) : testablePasskeys ? (
                    <PasskeyButton c={c} id="passkey-test" action={`${BASE}/test/${m.id}`} options={TEST_OPTIONS} verify={TEST_VERIFY} label={t('methods.test')} ariaLabel={t('methods.testNamed', { method: methodName(c, m) })} hidden={{ method: m.id }} />
                  ) : null}
                  {!m.isDefault && m.type !== 'passkey' ? (
                    <form method="post" action={`${BASE}/default/${m.id}`} class="inline">
                      <Csrf c={c} />
                      <button type="submit" class="link">
                        {t('methods.makeDefault')}
                      </button>
                    </form>
                  ) : null}
                  <form method="post" action={`${BASE}/remove/${m.id}`} class="inline">
                    <Csrf c={c} />
                    <button type="submit" class="link" aria-label={t('methods.removeNamed', { method: methodName(c, m) })}>
                      {t('methods.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
            {questions.length ? (
              <tr>
                <td>
                  <strong>{t('methods.type.questions')}</strong>
                  <br />
                  <span class="muted">{t('methods.questions.registered', { n: questions.length })}</span>
                </td>
                <td class="row">
                  <a href={`${BASE}/test-questions`}>{t('methods.test')}</a>
                  <form method="post" action={`${BASE}/questions/remove`} class="inline">
                    <Csrf c={c} />
                    <button type="submit" class="link">
                      {t('methods.questions.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      <h2>{t('methods.add')}</h2>
      <ul>
        {adds
          .filter(([, , on]) => on)
          .map(([kind, label]) => (
            <li>
              <a href={`${BASE}/add/${kind}`}>{t(label)}</a>
            </li>
          ))}
      </ul>
      {svc.available('totp') ? (
        <form method="post" action={`${BASE}/add/totp`}>
          <Csrf c={c} />
          <Submit kind="secondary">{t('methods.add.totp')}</Submit>
        </form>
      ) : null}
      {testablePasskeys ? <PasskeyScripts /> : null}
    </Page>
  );
}

function ContactForm({ c, kind, values, errors, problem }: { c: AppContext; kind: 'email' | 'mobile' | 'office'; values?: { email?: string; phone?: string; via?: string }; errors?: FieldErrors; problem?: MessageKey }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const e = errors ?? {};
  const title: MessageKey = kind === 'email' ? 'methods.add.email' : kind === 'mobile' ? 'methods.add.mobile' : 'methods.add.office';
  const sms = portal.securityInfo.available('mobile_sms');
  const voice = portal.securityInfo.available('mobile_voice');
  return (
    <Page c={c} title={t(title)} narrow>
      <h1>{t(title)}</h1>
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={{ email: 'methods.email.label', phone: 'methods.phone.label' }} />
      <form method="post" action={`${BASE}/add/${kind}`} class="card" novalidate>
        <Csrf c={c} />
        {kind === 'email' ? (
          <Field t={t} name="email" type="email" label="methods.email.label" hint={t('methods.email.hint')} value={values?.email} autocomplete="email" required maxlength={320} error={e['email']} autofocus={!errors} />
        ) : (
          <Field t={t} name="phone" label="methods.phone.label" hint={t('methods.phone.hint', { region: portal.config.methods.phoneRegion })} value={values?.phone} autocomplete="tel" required maxlength={40} error={e['phone']} autofocus={!errors} />
        )}
        {kind === 'mobile' && sms && voice ? (
          <fieldset>
            <legend>{t('methods.phone.how')}</legend>
            <label>
              <input type="radio" name="via" value="sms" checked={values?.via !== 'voice'} />
              {t('methods.phone.sms')}
            </label>
            <label>
              <input type="radio" name="via" value="voice" checked={values?.via === 'voice'} />
              {t('methods.phone.voice')}
            </label>
          </fieldset>
        ) : null}
        <Submit>{t('methods.sendCode')}</Submit>
      </form>
      <p>
        <a href={BASE}>{t('methods.back')}</a>
      </p>
    </Page>
  );
}

async function ConfirmPage({ c, method, error, via }: { c: AppContext; method: Method; error?: MessageKey; via: 'sms' | 'voice' | null }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const user = c.get('user')!;
  let qr: { svg: string; secret: string } | null = null;
  if (method.type === 'totp') {
    const secret = (await portal.methods.totpSecret(user.id, method.id))!;
    const { totpUri, totpQrSvg } = await import('./totp.js');
    qr = { svg: await totpQrSvg(totpUri(secret, portal.config.branding.productName, user.username)), secret };
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
        hint={codeHint(c, method, via)}
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

function QuestionsPage({ c, errors, values }: { c: AppContext; errors?: FieldErrors; values?: Array<{ questionId: string; answer: string }> }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const { toRegister, custom } = portal.policy.snapshot().policy.questions;
  const catalogue = questionCatalogue(custom);
  const e = errors ?? {};
  const labels: Record<string, MessageKey> = {};
  for (let i = 0; i < toRegister; i++) {
    labels[`question${i}`] = 'methods.questions.choose';
    labels[`answer${i}`] = 'methods.questions.anAnswer';
  }
  return (
    <Page c={c} title={t('methods.questions.title')} narrow>
      <h1>{t('methods.questions.title')}</h1>
      {e['_form'] ? <Notice kind="error">{errorText(t, e['_form'])}</Notice> : null}
      <ErrorSummary t={t} errors={Object.fromEntries(Object.entries(e).filter(([k]) => k !== '_form'))} labels={labels} />
      <p class="muted">{t('methods.questions.intro', { n: toRegister })}</p>
      <form method="post" action={`${BASE}/add/questions`} class="card" novalidate>
        <Csrf c={c} />
        {Array.from({ length: toRegister }, (_, i) => (
          <fieldset>
            <legend>{t('methods.questions.question', { n: i + 1 })}</legend>
            <label for={`f-question${i}`}>{t('methods.questions.choose')}</label>
            {e[`question${i}`] ? (
              <p class="field-error" id={`f-question${i}-error`}>
                {errorText(t, e[`question${i}`]!)}
              </p>
            ) : null}
            <select id={`f-question${i}`} name={`question${i}`} aria-invalid={e[`question${i}`] ? 'true' : undefined} aria-describedby={e[`question${i}`] ? `f-question${i}-error` : undefined}>
              <option value="">—</option>
              {catalogue.map((q) => (
                <option value={q.id} selected={values?.[i]?.questionId === q.id}>
                  {q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text}
                </option>
              ))}
            </select>
            <label for={`f-answer${i}`}>{t('methods.questions.answer', { n: i + 1 })}</label>
            {e[`answer${i}`] ? (
              <p class="field-error" id={`f-answer${i}-error`}>
                {errorText(t, e[`answer${i}`]!)}
              </p>
            ) : null}
            <input id={`f-answer${i}`} name={`answer${i}`} type="text" maxlength={40} autocomplete="off" aria-invalid={e[`answer${i}`] ? 'true' : undefined} aria-describedby={e[`answer${i}`] ? `f-answer${i}-error` : undefined} />
          </fieldset>
        ))}
        <Submit>{t('methods.questions.save')}</Submit>
      </form>
      <p>
        <a href={BASE}>{t('methods.cancel')}</a>
      </p>
    </Page>
  );
}

async function VerifyPage({ c, next, chosen, error }: { c: AppContext; next: string; chosen?: Method; error?: MessageKey }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const user = c.get('user')!;
  const confirmed = await portal.methods.list(user.id, { confirmedOnly: true });
  const methods = confirmed.filter((m) => m.type !== 'passkey');
  // A passkey needs JavaScript: offered next to the other methods, never instead of them.
  const passkey = !chosen && portal.passkeys.available() && confirmed.some((m) => m.type === 'passkey');
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
        <CodeForm c={c} action={`${BASE}/verify/code`} hint={codeHint(c, chosen, null)} error={error} hidden={{ method: chosen.id, next }} resendAction={`${BASE}/verify/send`} resendHidden={{ method: chosen.id, next }} totp={chosen.type === 'totp'} />
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

/** "My security info": register, confirm, test, set default and remove methods. */
export function securityInfoRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(BASE, requireUser);
  app.use(`${BASE}/*`, requireUser);
  for (const path of ['/add/*', '/confirm/*', '/resend/*', '/remove/*', '/default/*', '/questions/*']) app.use(`${BASE}${path}`, requireRecentVerification);

  app.get(BASE, async (c) => c.html(await SecurityInfoPage({ c })));

  // Re-confirmation: the methods are shown; the user confirms them or changes them.
  app.get(`${BASE}/reconfirm`, async (c) => {
    const t = c.get('t');
    const portal = c.get('portal');
    const user = c.get('user')!;
    const methods = await portal.methods.list(user.id, { confirmedOnly: true });
    return c.html(
      <Page c={c} title={t('methods.reconfirm.title')} narrow>
        <h1>{t('methods.reconfirm.title')}</h1>
        <p>{t('methods.reconfirm.intro')}</p>
        <ul class="card">
          {methods.map((m) => (
            <li>{methodName(c, m)}</li>
          ))}
          {(await portal.questions.registeredQuestionIds(user.id)).length ? <li>{t('methods.type.questions')}</li> : null}
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
    const portal = c.get('portal');
    const user = c.get('user')!;
    await portal.users.markSecurityInfoConfirmed(user.id);
    await portal.audit.record({ event: 'security_info_reconfirmed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: c.get('ip'), userAgent: c.get('userAgent') });
    return c.redirect('/account?done=methods.done.confirmed', 303);
  });

  const contactKind = (k: string | undefined): 'email' | 'mobile' | 'office' | null => (k === 'email' || k === 'mobile' || k === 'office' ? k : null);

  app.get(`${BASE}/add/questions`, (c) => c.html(<QuestionsPage c={c} />));
  app.post(`${BASE}/add/questions`, async (c) => {
    const form = await readForm(c);
    const n = c.get('portal').policy.snapshot().policy.questions.toRegister;
    const entries = Array.from({ length: n }, (_, i) => ({ questionId: str(form, `question${i}`), answer: str(form, `answer${i}`) }));
    const r = await c.get('portal').securityInfo.registerQuestions(c.get('user')!, entries);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.questions`, 303);
    return c.html(<QuestionsPage c={c} errors={r.errors} values={entries.map((e) => ({ questionId: e.questionId ?? '', answer: '' }))} />, 400);
  });

  app.get(`${BASE}/add/:kind`, (c) => {
    const kind = contactKind(c.req.param('kind'));
    if (!kind) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(<ContactForm c={c} kind={kind} />);
  });

  app.post(`${BASE}/add/totp`, async (c) => {
    const r = await c.get('portal').securityInfo.startTotp(c.get('user')!);
    if (!r.ok) return c.html(await SecurityInfoPage({ c, problem: r.error }), 422);
    return c.redirect(`${BASE}/confirm/${r.value.method.id}`, 303);
  });

  app.post(`${BASE}/add/:kind`, async (c) => {
    const kind = contactKind(c.req.param('kind'));
    if (!kind) return c.html(<NotFoundPage c={c} />, 404);
    const form = await readForm(c);
    const via = str(form, 'via') === 'voice' ? 'voice' : 'sms';
    const value = kind === 'email' ? str(form, 'email') : str(form, 'phone');
    const r = await c.get('portal').securityInfo.startContact(c.get('user')!, kind, value ?? '', via);
    if (r.ok) return c.redirect(`${BASE}/confirm/${r.value.id}${kind === 'mobile' ? `?via=${via}` : ''}`, 303);
    const values = { email: str(form, 'email'), phone: str(form, 'phone'), via };
    if (r.field) return c.html(<ContactForm c={c} kind={kind} values={values} errors={{ [r.field]: r.error }} />, 400);
    return c.html(<ContactForm c={c} kind={kind} values={values} problem={r.error} />, r.error === 'methods.sendFailed' ? 502 : 422);
  });

  const viaOf = (v: string | undefined): 'sms' | 'voice' | null => (v === 'voice' ? 'voice' : v === 'sms' ? 'sms' : null);

  app.get(`${BASE}/confirm/:id`, async (c) => {
    const method = await c.get('portal').methods.get(c.get('user')!.id, c.req.param('id'));
    if (!method || method.confirmed) return c.redirect(BASE, 303);
    return c.html(await ConfirmPage({ c, method, via: viaOf(c.req.query('via')) }));
  });

  app.post(`${BASE}/confirm/:id`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await portal.methods.get(user.id, c.req.param('id'));
    if (!method || method.confirmed) return c.redirect(BASE, 303);
    const code = str(form, 'code') ?? '';
    const r = method.type === 'totp' ? await portal.securityInfo.confirmTotp(user, method.id, code) : await portal.securityInfo.confirmContact(user, method.id, code);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.added&method=${encodeURIComponent(methodName(c, r.value))}`, 303);
    return c.html(await ConfirmPage({ c, method, error: r.error, via: viaOf(str(form, 'via')) }), r.error === 'methods.blocked' ? 429 : 400);
  });

  app.post(`${BASE}/resend/:id`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await portal.methods.get(user.id, c.req.param('id'));
    if (!method || method.confirmed || method.type === 'totp' || method.type === 'passkey') return c.redirect(BASE, 303);
    const via = viaOf(str(form, 'via'));
    const r = await portal.securityInfo.sendCode(user, method, 'register', via ?? undefined);
    if (!r.ok) return c.html(await ConfirmPage({ c, method, error: r.error, via }), 429);
    return c.redirect(`${BASE}/confirm/${method.id}${via ? `?via=${via}` : ''}`, 303);
  });

  app.post(`${BASE}/remove/:id`, async (c) => {
    const r = await c.get('portal').securityInfo.remove(c.get('user')!, c.req.param('id'));
    if (!r.ok) return c.html(await SecurityInfoPage({ c, problem: r.error }), 404);
    return c.redirect(`${BASE}?done=methods.done.removed`, 303);
  });

  app.post(`${BASE}/default/:id`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const method = await portal.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed) return c.html(await SecurityInfoPage({ c, problem: 'methods.notFound' }), 404);
    await portal.methods.setDefault(user.id, method.id);
    return c.redirect(`${BASE}?done=methods.done.default`, 303);
  });

  app.post(`${BASE}/questions/remove`, async (c) => {
    await c.get('portal').securityInfo.removeQuestions(c.get('user')!);
    return c.redirect(`${BASE}?done=methods.done.removed`, 303);
  });

  // Testing security questions: answer the registered ones (as the reset flow will ask).
  const QuestionsTestPage = async ({ c, error }: { c: AppContext; error?: MessageKey }) => {
    const t = c.get('t');
    const portal = c.get('portal');
    const ids = (await portal.questions.registeredQuestionIds(c.get('user')!.id)).slice(0, portal.policy.snapshot().policy.questions.toAnswer);
    const catalogue = new Map(questionCatalogue(portal.policy.snapshot().policy.questions.custom).map((q) => [q.id, q]));
    const title = t('methods.testNamed', { method: t('methods.type.questions') });
    return (
      <Page c={c} title={title} narrow>
        <h1>{title}</h1>
        {error ? <Notice kind="error">{t(error)}</Notice> : null}
        <form method="post" action={`${BASE}/test-questions`} class="card" novalidate>
          <Csrf c={c} />
          {ids.map((id, i) => {
            const q = catalogue.get(id);
            const text = q ? (q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text) : id;
            return (
              <div>
                <input type="hidden" name={`question${i}`} value={id} />
                <label for={`f-answer${i}`}>{text}</label>
                <input id={`f-answer${i}`} name={`answer${i}`} type="text" maxlength={40} autocomplete="off" autofocus={i === 0 && !error} />
              </div>
            );
          })}
          <Submit>{t('methods.code.submit')}</Submit>
        </form>
        <p>
          <a href={BASE}>{t('methods.back')}</a>
        </p>
      </Page>
    );
  };

  app.get(`${BASE}/test-questions`, async (c) => {
    if ((await c.get('portal').questions.registeredQuestionIds(c.get('user')!.id)).length === 0) return c.redirect(BASE, 303);
    return c.html(await QuestionsTestPage({ c }));
  });

  app.post(`${BASE}/test-questions`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const registered = new Set(await portal.questions.registeredQuestionIds(user.id));
    const n = portal.policy.snapshot().policy.questions.toAnswer;
    const answers = Array.from({ length: n }, (_, i) => ({ questionId: str(form, `question${i}`) ?? '', answer: str(form, `answer${i}`) }));
    // Only the user's own registered questions can be answered, each once.
    if (answers.some((a) => !registered.has(a.questionId)) || new Set(answers.map((a) => a.questionId)).size !== answers.length) return c.redirect(BASE, 303);
    const r = await portal.securityInfo.checkQuestions(user, answers);
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.tested&method=${encodeURIComponent(c.get('t')('methods.type.questions'))}`, 303);
    return c.html(await QuestionsTestPage({ c, error: r.error }), r.error === 'methods.blocked' ? 429 : 400);
  });

  // Testing a method: send (for code methods) then check, without changing anything.
  app.post(`${BASE}/test/:id`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const method = await portal.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed) return c.html(await SecurityInfoPage({ c, problem: 'methods.notFound' }), 404);
    // Reached for a passkey only without JavaScript (the script runs the ceremony instead).
    if (method.type === 'passkey') return c.html(await SecurityInfoPage({ c, problem: 'passkeys.needsScript' }), 400);
    if (method.type !== 'totp') {
      const sent = await portal.securityInfo.sendCode(user, method, 'test');
      if (!sent.ok) return c.html(await SecurityInfoPage({ c, problem: sent.error }), 429);
    }
    return c.redirect(`${BASE}/test/${method.id}`, 303);
  });

  const TestPage = ({ c, method, error }: { c: AppContext; method: Method; error?: MessageKey }) => (
    <Page c={c} title={c.get('t')('methods.testNamed', { method: methodName(c, method) })} narrow>
      <h1>{c.get('t')('methods.testNamed', { method: methodName(c, method) })}</h1>
      <CodeForm c={c} action={`${BASE}/test/${method.id}/check`} hint={codeHint(c, method, null)} error={error} resendAction={`${BASE}/test/${method.id}`} totp={method.type === 'totp'} />
      <p>
        <a href={BASE}>{c.get('t')('methods.back')}</a>
      </p>
    </Page>
  );

  app.get(`${BASE}/test/:id`, async (c) => {
    const method = await c.get('portal').methods.get(c.get('user')!.id, c.req.param('id'));
    if (!method || !method.confirmed || method.type === 'passkey') return c.redirect(BASE, 303);
    return c.html(<TestPage c={c} method={method} />);
  });

  app.post(`${BASE}/test/:id/check`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const method = await portal.methods.get(user.id, c.req.param('id'));
    if (!method || !method.confirmed || method.type === 'passkey') return c.redirect(BASE, 303);
    const r = await portal.securityInfo.checkCode(user, method, 'test', str(form, 'code') ?? '');
    if (r.ok) return c.redirect(`${BASE}?done=methods.done.tested&method=${encodeURIComponent(methodName(c, method))}`, 303);
    return c.html(<TestPage c={c} method={method} error={r.error} />, r.error === 'methods.blocked' ? 429 : 400);
  });

  // Re-verification before changes.
  app.get(`${BASE}/verify`, async (c) => c.html(await VerifyPage({ c, next: nextOf(c.req.query('next')) })));

  app.post(`${BASE}/verify/send`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    const method = await portal.methods.get(user.id, str(form, 'method') ?? '');
    if (!method || !method.confirmed || method.type === 'passkey') return c.html(await VerifyPage({ c, next, error: 'methods.notFound' }), 404);
    if (method.type !== 'totp') {
      const sent = await portal.securityInfo.sendCode(user, method, 'reauth');
      if (!sent.ok) return c.html(await VerifyPage({ c, next, error: sent.error }), 429);
    }
    return c.html(await VerifyPage({ c, next, chosen: method }));
  });

  app.post(`${BASE}/verify/code`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    const method = await portal.methods.get(user.id, str(form, 'method') ?? '');
    if (!method || !method.confirmed) return c.html(await VerifyPage({ c, next, error: 'methods.notFound' }), 404);
    const r = await portal.securityInfo.checkCode(user, method, 'reauth', str(form, 'code') ?? '');
    if (!r.ok) return c.html(await VerifyPage({ c, next, chosen: r.error === 'methods.blocked' ? undefined : method, error: r.error }), r.error === 'methods.blocked' ? 429 : 400);
    await portal.sessions.markVerified(c.get('session')!.idHash);
    return c.redirect(next, 303);
  });

  // Reached only without JavaScript: passkeys need it; the page still offers the other methods.
  app.post(`${BASE}/verify/passkey`, async (c) => {
    const form = await readForm(c);
    return c.html(await VerifyPage({ c, next: nextOf(str(form, 'next')), error: 'passkeys.needsScript' }), 400);
  });

  app.post(`${BASE}/verify/password`, async (c) => {
    const portal = c.get('portal');
    const user = c.get('user')!;
    const form = await readForm(c);
    const next = nextOf(str(form, 'next'));
    // Only for users with no method yet: everyone else proves themselves with a method.
    if ((await portal.methods.list(user.id, { confirmedOnly: true })).some((m) => m.type !== 'passkey')) return c.html(await VerifyPage({ c, next }), 400);
    const hash = await portal.users.passwordHash(user.id);
    const password = str(form, 'password') ?? '';
    const ok = hash !== null && password.length <= 4096 && (await portal.hasher.verify(hash, password));
    if (!ok) {
      await portal.throttle.recordFailure(throttleKeys.verifyFailures(user.id), portal.securityInfoLimits.verifyFailures);
      return c.html(await VerifyPage({ c, next, error: 'methods.reauth.passwordWrong' }), 400);
    }
    await portal.sessions.markVerified(c.get('session')!.idHash);
    return c.redirect(next, 303);
  });

  return app;
}
