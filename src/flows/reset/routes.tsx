import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../../http/context.js';
import { list, readForm, readJson, str } from '../../http/form.js';
import { ErrorSummary, Field, Submit } from '../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../http/ui/layout.js';
import { isMessageKey, type MessageKey } from '../../i18n/index.js';
import type { PasswordReason } from '../../passwords/check.js';
import type { FieldErrors } from '../../shared/validation.js';
import { PasskeyForm, PasskeyScripts } from '../../methods/passkey-ui.js';
import type { MethodChoice } from '../../policy/policy.js';
import type { Intent } from './reset-flow.js';
import { OnPremisesRules } from '../../writeback/ui.js';
import type { ResetRefusal, ResetView } from './reset-service.js';

type Verifying = Extract<ResetView, { kind: 'verifying' }>;
type Verified = Extract<ResetView, { kind: 'verified' }>;

const startPath = (intent: Intent) => (intent === 'unlock' ? '/unlock' : '/reset');
const verifyPath = (flow: string) => `/reset/verify?flow=${encodeURIComponent(flow)}`;

const statusOf: Partial<Record<ResetRefusal, 202 | 400 | 403 | 409 | 410 | 422 | 429 | 502 | 503>> = {
  'reset.expired': 410,
  'reset.captchaFailed': 400,
  'reset.tooManyStarts': 429,
  'methods.blocked': 429,
  'methods.sendLimited': 429,
  'reset.inProgress': 409,
  'writeback.unavailable': 503,
  'writeback.dc_unreachable': 503,
  'writeback.unconfirmed': 202,
  'reset.unlockDisabled': 403,
};

function refusalStatus(error: ResetRefusal) {
  // AD's refusals are answers about the request (422); the ones listed are about availability.
  return statusOf[error] ?? (error.startsWith('writeback.') ? 422 : 400);
}

/** Who to turn to, whenever the user cannot go on. */
function Helpdesk({ c, helpdesk }: { c: AppContext; helpdesk: string | null }) {
  const t = c.get('t');
  if (!helpdesk) return <p>{t('reset.helpdesk.generic')}</p>;
  const href = helpdesk.includes('@') && !helpdesk.startsWith('http') ? `mailto:${helpdesk}` : helpdesk;
  return (
    <p>
      {t('reset.helpdesk.lead')} <a href={href}>{helpdesk}</a>
    </p>
  );
}

function IdentifyPage({ c, intent, username, errors, problem, info }: { c: AppContext; intent: Intent; username?: string; errors?: FieldErrors; problem?: MessageKey; info?: MessageKey }) {
  const t = c.get('t');
  const title = intent === 'unlock' ? t('unlock.title') : t('reset.title');
  const e = errors ?? {};
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      {info ? <Notice kind="warn">{t(info)}</Notice> : null}
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={{ username: 'reset.username', captcha: 'reset.captcha.label' }} />
      <p class="muted">{intent === 'unlock' ? t('unlock.intro') : t('reset.intro')}</p>
      <form method="post" action={startPath(intent)} class="card" novalidate>
        <Csrf c={c} />
        <Field t={t} name="username" label="reset.username" hint={t('reset.usernameHint')} value={username ?? ''} autocomplete="username" required maxlength={256} error={e['username']} autofocus={!errors && !problem} />
        <div
          data-captcha
          data-challenge="/reset/captcha"
          data-msg-working={t('reset.captcha.working')}
          data-msg-done={t('reset.captcha.done')}
          data-msg-failed={t('reset.captcha.failed')}
          hidden
        >
          <input type="hidden" name="captcha" value="" />
          <p class="hint" data-captcha-status role="status" aria-live="polite"></p>
        </div>
        <noscript>
          <p class="notice warn">{t('reset.captcha.needsScript')}</p>
        </noscript>
        {e['captcha'] ? (
          <p class="field-error" id="f-captcha">
            {t('reset.captchaFailed')}
          </p>
        ) : null}
        <Submit>{t('reset.next')}</Submit>
      </form>
      <p>
        <a href="/sign-in">{t('reset.backToSignIn')}</a>
        {' · '}
        {intent === 'unlock' ? <a href="/reset">{t('reset.link')}</a> : <a href="/unlock">{t('unlock.link')}</a>}
      </p>
      <script type="module" src="/assets/captcha.js"></script>
    </Page>
  );
}

const choiceLabel: Record<MethodChoice, MessageKey> = {
  email: 'reset.choice.email',
  mobile_sms: 'reset.choice.mobileSms',
  mobile_voice: 'reset.choice.mobileVoice',
  office_voice: 'reset.choice.officeVoice',
  totp: 'reset.choice.totp',
  passkey: 'reset.choice.passkey',
  questions: 'reset.choice.questions',
};

function ChoiceForm({ c, flow, choice }: { c: AppContext; flow: string; choice: MethodChoice }) {
  const t = c.get('t');
  const needsContact = choice === 'email' || choice === 'mobile_sms' || choice === 'mobile_voice' || choice === 'office_voice';
  const id = `contact-${choice}`;
  return (
    <form method="post" action="/reset/verify/choose" class="card" novalidate>
      <Csrf c={c} />
      <input type="hidden" name="flow" value={flow} />
      <input type="hidden" name="choice" value={choice} />
      {needsContact ? (
        <div>
          <label for={id}>{t(choice === 'email' ? 'reset.contact.email' : choice === 'office_voice' ? 'reset.contact.office' : 'reset.contact.mobile')}</label>
          <p class="hint" id={`${id}-hint`}>
            {t(choice === 'email' ? 'reset.contact.emailHint' : 'reset.contact.phoneHint', { region: c.get('portal').config.methods.phoneRegion })}
          </p>
          <input id={id} name="contact" type={choice === 'email' ? 'email' : 'text'} autocomplete={choice === 'email' ? 'email' : 'tel'} required maxlength={254} aria-describedby={`${id}-hint`} />
        </div>
      ) : null}
      <Submit kind="secondary">{t(choiceLabel[choice])}</Submit>
    </form>
  );
}

function VerifyPage({ c, view, error, field }: { c: AppContext; view: Verifying; error?: ResetRefusal; field?: string | undefined }) {
  const t = c.get('t');
  const { flow } = view;
  const pending = flow.data.pending;
  const title = flow.data.intent === 'unlock' ? t('unlock.title') : t('reset.title');
  const errorText = error && isMessageKey(error) ? t(error) : null;
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      <p class="muted">{t('reset.for', { username: flow.data.username })}</p>
      {flow.data.passed.length > 0 ? <Notice kind="ok">{t('reset.onePassed')}</Notice> : null}
      {errorText && !field ? <Notice kind="error">{errorText}</Notice> : null}
      {view.noMoreMethods ? (
        <>
          <Notice kind="warn">{t('reset.noMoreMethods')}</Notice>
          <Helpdesk c={c} helpdesk={view.helpdesk} />
        </>
      ) : null}
      {pending && pending.choice !== 'passkey' ? (
        pending.choice === 'questions' ? (
          <form method="post" action="/reset/verify/questions" class="card" novalidate>
            <Csrf c={c} />
            <input type="hidden" name="flow" value={flow.id} />
            <h2>{t('reset.questions.title')}</h2>
            {errorText && field === 'answers' ? <p class="field-error">{errorText}</p> : null}
            {view.questions.map((q, i) => (
              <div>
                <label for={`f-answer${i}`}>{q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text}</label>
                <input id={`f-answer${i}`} name="answer" type="text" autocomplete="off" required maxlength={40} autofocus={i === 0} />
              </div>
            ))}
            <Submit>{t('reset.questions.submit')}</Submit>
          </form>
        ) : (
          <form method="post" action="/reset/verify/code" class="card" novalidate>
            <Csrf c={c} />
            <input type="hidden" name="flow" value={flow.id} />
            {field === 'code' && errorText ? (
              <p class="field-error" id="f-code-error">
                {errorText}
              </p>
            ) : null}
            <div>
              <label for="f-code">{t('methods.code.label')}</label>
              <p class="hint" id="f-code-hint">
                {pending.choice === 'totp' ? t('methods.code.hintTotp') : t(pending.choice === 'email' ? 'reset.code.sentEmail' : pending.choice === 'mobile_sms' ? 'reset.code.sentSms' : 'reset.code.sentCall', { minutes: c.get('portal').config.methods.codeMinutes })}
              </p>
              <input id="f-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength={12} autofocus aria-describedby={field === 'code' && errorText ? 'f-code-hint f-code-error' : 'f-code-hint'} aria-invalid={field === 'code' && errorText ? 'true' : undefined} />
            </div>
            <Submit>{t('methods.code.submit')}</Submit>
          </form>
        )
      ) : null}
      {pending && pending.choice !== 'passkey' ? (
        <form method="post" action="/reset/verify/another">
          <Csrf c={c} />
          <input type="hidden" name="flow" value={flow.id} />
          <Submit kind="secondary">{t('reset.another')}</Submit>
        </form>
      ) : (
        <>
          <h2>{flow.data.passed.length > 0 ? t('reset.chooseSecond') : t('reset.choose')}</h2>
          {field === 'contact' && errorText ? <Notice kind="error">{errorText}</Notice> : null}
          {view.choices
            .filter((ch) => ch !== 'passkey')
            .map((ch) => (
              <ChoiceForm c={c} flow={flow.id} choice={ch} />
            ))}
          {view.choices.includes('passkey') ? (
            <>
              <PasskeyForm c={c} mode="sign-in" action="/reset/verify/passkey" options="/reset/passkey/options" verify="/reset/passkey/verify" button={t('reset.choice.passkey')} explained={(error as string | undefined) === 'passkeys.needsScript'}>
                <input type="hidden" name="flow" value={flow.id} />
              </PasskeyForm>
              <PasskeyScripts />
            </>
          ) : null}
          <Helpdesk c={c} helpdesk={view.helpdesk} />
        </>
      )}
      <p>
        <a href={startPath(flow.data.intent)}>{t('reset.startOver')}</a>
      </p>
    </Page>
  );
}

function NewPasswordPage({ c, view, errors, reasons, problem }: { c: AppContext; view: Verified; errors?: FieldErrors; reasons?: PasswordReason[] | undefined; problem?: ResetRefusal | undefined }) {
  const t = c.get('t');
  const { flow } = view;
  const { minLength: min, maxLength: max } = c.get('portal').config.passwords;
  const e = errors ?? {};
  const unlockFirst = flow.data.intent === 'unlock' && view.canUnlock;
  const unlockForm = view.canUnlock ? (
    <form method="post" action="/reset/unlock" class="card">
      <Csrf c={c} />
      <input type="hidden" name="flow" value={flow.id} />
      <h2>{t('unlock.only')}</h2>
      <p>{t('unlock.onlyHint')}</p>
      <Submit kind={unlockFirst ? undefined : 'secondary'}>{t('unlock.submit')}</Submit>
    </form>
  ) : null;
  return (
    <Page c={c} title={t('reset.newTitle')} narrow>
      <h1>{unlockFirst ? t('unlock.title') : t('reset.newTitle')}</h1>
      <Notice kind="ok">{t('reset.verified', { username: view.user.username })}</Notice>
      {problem && isMessageKey(problem) ? <Notice kind="error">{t(problem)}</Notice> : null}
      {problem?.startsWith('writeback.') ? <Helpdesk c={c} helpdesk={view.helpdesk} /> : null}
      {unlockFirst ? unlockForm : null}
      <ErrorSummary t={t} errors={e} vars={{ min, max }} labels={{ password: 'change.new', confirm: 'field.confirmPassword' }} />
      <form method="post" action="/reset/password" class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="flow" value={flow.id} />
        {unlockFirst ? <h2>{t('unlock.orReset')}</h2> : null}
        <div class="hint" id="rules">
          <p>{t('reset.rules.lead')}</p>
          <ul>
            <li>{t('reset.rules.length', { min, max })}</li>
            <li>{t('reset.rules.notCommon')}</li>
            <li>{t('reset.rules.notName')}</li>
            {view.user.source === 'cloud' ? <li>{t('reset.rules.history')}</li> : <li>{t('reset.rules.onprem')}</li>}
          </ul>
          {view.adPolicy ? <OnPremisesRules c={c} policy={view.adPolicy} context="reset" /> : null}
        </div>
        <div>
          <label for="f-password">{t('change.new')}</label>
          {e['password'] ? (
            reasons && reasons.length > 1 ? (
              <ul class="field-error" id="f-password-error">
                {reasons.map((r) => (
                  <li>{t(r.key, { min, max, ...r.values })}</li>
                ))}
              </ul>
            ) : (
              <p class="field-error" id="f-password-error">
                {reasons?.[0] ? t(reasons[0].key, { min, max, ...reasons[0].values }) : isMessageKey(e['password']) ? t(e['password'], { min, max }) : ''}
              </p>
            )
          ) : null}
          <input
            id="f-password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            spellcheck={false}
            autofocus={!unlockFirst}
            aria-describedby={e['password'] ? 'rules f-password-error meter' : 'rules meter'}
            aria-invalid={e['password'] ? 'true' : undefined}
            data-meter="/reset/password/check"
            data-meter-output="meter"
          />
          <div id="meter" class="meter" aria-live="polite" hidden>
            <label>
              {t('reset.meter.label')} <meter min={0} max={4} low={2} high={3} optimum={4} value={0}></meter> <span data-meter-label></span>
            </label>
            <ul class="field-error"></ul>
          </div>
        </div>
        <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
        <Submit>{t('reset.submit')}</Submit>
      </form>
      {!unlockFirst ? unlockForm : null}
      <script src="/assets/meter.js" defer></script>
    </Page>
  );
}

function FinishedPage({ c, view }: { c: AppContext; view: Extract<ResetView, { kind: 'completed' | 'failed' | 'applying' }> }) {
  const t = c.get('t');
  if (view.kind === 'failed') {
    return (
      <Page c={c} title={t('reset.blockedTitle')} narrow>
        <h1>{t('reset.blockedTitle')}</h1>
        <Notice kind="error">{t('methods.blocked')}</Notice>
        <Helpdesk c={c} helpdesk={view.helpdesk} />
        <p>
          <a href="/sign-in">{t('reset.backToSignIn')}</a>
        </p>
      </Page>
    );
  }
  if (view.kind === 'applying') {
    return (
      <Page c={c} title={t('reset.title')} narrow>
        <h1>{t('reset.title')}</h1>
        <Notice kind="warn">{t('reset.inProgress')}</Notice>
        <p>
          <a href={verifyPath(view.flow.id)}>{t('reset.refresh')}</a>
        </p>
      </Page>
    );
  }
  const unlocked = view.flow.data.action === 'unlock';
  const title = unlocked ? t('unlock.doneTitle') : t('reset.doneTitle');
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      <Notice kind="ok">{unlocked ? t('unlock.done') : t('reset.done')}</Notice>
      <p>{t('reset.doneNext')}</p>
      <p>
        <a class="button" href="/sign-in">
          {t('reset.signIn')}
        </a>
      </p>
    </Page>
  );
}

/** Forgot password (/reset) and unlock account (/unlock): for people who cannot sign in. */
export function resetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const portalOf = (c: AppContext) => c.get('portal');

  const identify = (intent: Intent) => async (c: AppContext) => {
    const m = c.req.query('m');
    const { policy } = await portalOf(c).policy.current();
    if (intent === 'unlock' && !policy.onPremises.allowUnlock) return c.html(<IdentifyPage c={c} intent="reset" info="reset.unlockDisabled" />, 200);
    return c.html(<IdentifyPage c={c} intent={intent} info={m === 'expired' ? 'reset.expired' : undefined} />);
  };
  app.get('/reset', identify('reset'));
  app.get('/unlock', identify('unlock'));

  app.get('/reset/captcha', async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(await portalOf(c).captcha.challenge());
  });

  const start = (intent: Intent) => async (c: AppContext) => {
    const form = await readForm(c);
    const username = str(form, 'username');
    const r = await portalOf(c).resets.start({ username, captcha: str(form, 'captcha'), intent }, { ip: c.get('ip'), userAgent: c.get('userAgent'), browserId: c.get('browserId') });
    if (r.ok) return c.redirect(verifyPath(r.value.flowId), 303);
    const typed = typeof username === 'string' ? username.slice(0, 256) : '';
    if (r.field) return c.html(<IdentifyPage c={c} intent={intent} username={typed} errors={{ [r.field]: r.error }} />, 400);
    if (r.error === 'reset.tooManyStarts') c.header('Retry-After', '3600');
    return c.html(<IdentifyPage c={c} intent={intent} username={typed} problem={r.error as MessageKey} />, refusalStatus(r.error));
  };
  app.post('/reset', start('reset'));
  app.post('/unlock', start('unlock'));

  /** An expired or unknown flow starts again, with a message. */
  const restart = (c: AppContext) => c.redirect('/reset?m=expired', 303);

  const render = async (c: AppContext, flowId: string, extra: { error?: ResetRefusal; field?: string | undefined; errors?: FieldErrors; reasons?: PasswordReason[] | undefined } = {}, status: 200 | 202 | 400 | 403 | 409 | 410 | 422 | 429 | 502 | 503 = 200) => {
    const view = await portalOf(c).resets.view(flowId, c.get('browserId'));
    switch (view.kind) {
      case 'expired':
        return restart(c);
      case 'verifying':
        return c.html(<VerifyPage c={c} view={view} error={extra.error} field={extra.field} />, status);
      case 'verified':
        return c.html(<NewPasswordPage c={c} view={view} errors={extra.errors} reasons={extra.reasons} problem={extra.error} />, status);
      default:
        return c.html(<FinishedPage c={c} view={view} />, view.kind === 'failed' ? 429 : 200);
    }
  };

  app.get('/reset/verify', (c) => render(c, c.req.query('flow') ?? ''));

  /** Runs a step and shows the flow again: a redirect after success, the same page with the reason otherwise. */
  const step = (run: (c: AppContext, flow: string, form: Record<string, string | string[]>) => Promise<{ ok: true } | { ok: false; error: ResetRefusal; field?: string }>) => async (c: AppContext) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await run(c, flow, form);
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.error === 'reset.expired') return restart(c);
    return render(c, flow, { error: r.error, field: r.field }, refusalStatus(r.error));
  };

  app.post('/reset/verify/choose', step((c, flow, form) => portalOf(c).resets.choose(flow, c.get('browserId'), { choice: str(form, 'choice'), contact: str(form, 'contact') })));
  app.post('/reset/verify/code', step((c, flow, form) => portalOf(c).resets.checkCode(flow, c.get('browserId'), str(form, 'code'))));
  app.post(
    '/reset/verify/questions',
    step(async (c, flow, form) => {
      const r = await portalOf(c).resets.checkQuestions(flow, c.get('browserId'), list(form, 'answer').slice(0, 5));
      return r.ok ? r : { ...r, field: r.error === 'methods.questions.wrong' ? 'answers' : undefined };
    }),
  );
  app.post('/reset/verify/another', step((c, flow) => portalOf(c).resets.abandonProof(flow, c.get('browserId'))));
  // Reached only without JavaScript: passkeys need the browser's WebAuthn API.
  app.post('/reset/verify/passkey', async (c) => {
    const form = await readForm(c);
    return render(c, str(form, 'flow') ?? '', { error: 'passkeys.needsScript' as ResetRefusal }, 400);
  });

  const jsonRefusal = (c: AppContext, error: ResetRefusal) => c.json({ ok: false, error: isMessageKey(error) ? c.get('t')(error) : error, code: error, ...(error === 'reset.expired' || error === 'methods.blocked' ? { redirect: error === 'reset.expired' ? '/reset?m=expired' : undefined } : {}) }, refusalStatus(error));

  app.post('/reset/passkey/options', async (c) => {
    const body = await readJson(c);
    const flow = typeof body?.['flow'] === 'string' ? body['flow'] : '';
    const r = await portalOf(c).resets.passkeyOptions(flow, c.get('browserId'));
    if (!r.ok) return r.error === 'methods.blocked' ? c.json({ ok: false, redirect: verifyPath(flow) }, 429) : jsonRefusal(c, r.error);
    return c.json({ ok: true, flow, options: r.value });
  });

  app.post('/reset/passkey/verify', async (c) => {
    const body = await readJson(c);
    const flow = typeof body?.['flow'] === 'string' ? body['flow'] : '';
    const r = await portalOf(c).resets.passkeyVerify(flow, c.get('browserId'), body?.['response']);
    if (r.ok || r.error === 'methods.blocked') return c.json({ ok: r.ok, redirect: verifyPath(flow) }, r.ok ? 200 : 429);
    return jsonRefusal(c, r.error);
  });

  app.post('/reset/password/check', async (c) => {
    const body = await readJson(c);
    const t = c.get('t');
    const verdict = await portalOf(c).resets.previewPassword(typeof body?.['flow'] === 'string' ? body['flow'] : '', c.get('browserId'), body?.['password']);
    if (!verdict) return c.json({ ok: false }, 410);
    const { minLength: min, maxLength: max } = portalOf(c).config.passwords;
    const label = verdict.score === null ? '' : t(`reset.meter.score${verdict.score}` as MessageKey);
    return c.json({ ok: verdict.ok, score: verdict.score, label, reasons: verdict.reasons.map((r) => t(r.key, { min, max, ...r.values })) });
  });

  app.post('/reset/password', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await portalOf(c).resets.setPassword(flow, c.get('browserId'), { password: str(form, 'password'), confirm: str(form, 'confirm') ?? '' }, { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.reason === 'flow') {
      if (r.message === 'reset.expired') return restart(c);
      return render(c, flow, { error: r.message }, refusalStatus(r.message));
    }
    if (r.reason === 'invalid') return render(c, flow, { errors: r.errors, reasons: r.passwordReasons }, 400);
    return render(c, flow, { error: r.message as ResetRefusal }, 422);
  });

  app.post('/reset/unlock', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await portalOf(c).resets.unlock(flow, c.get('browserId'), { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.error === 'reset.expired') return restart(c);
    return render(c, flow, { error: r.error }, refusalStatus(r.error));
  });

  return app;
}
