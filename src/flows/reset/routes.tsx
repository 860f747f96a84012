import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../../http/context.js';
import { list, readForm, readJson, str } from '../../http/form.js';
import { keepLanguage } from '../../http/middleware/request-context.js';
import { isMessageKey, type MessageKey } from '../../i18n/index.js';
import type { PasswordReason } from '../../passwords/check.js';
import type { FieldErrors } from '../../shared/validation.js';
import type { Captcha } from './captcha.js';
import { FinishedPage } from './pages/finished-page.js';
import { IdentifyPage } from './pages/identify-page.js';
import { NewPasswordPage } from './pages/new-password-page.js';
import { VerifyPage } from './pages/verify-page.js';
import { VoidedPage } from './pages/voided-page.js';
import { EXPIRED_PATH, verifyPath } from './paths.js';
import { refusalStatus, type ResetStatus } from './refusal-status.js';
import type { StepRefusal } from './refusals.js';
import type { Intent } from './reset-flow.js';
import type { ResetService, StepResult } from './reset-service.js';

/** reset.flowMinutes is at most 60. */
const MAX_FLOW_SECONDS = 3600;

export interface ResetRouteDeps {
  resets: Pick<ResetService, 'unlockAllowed' | 'stepsBeforeStart' | 'start' | 'pick' | 'resend' | 'view' | 'choose' | 'checkCode' | 'checkQuestions' | 'abandonProof' | 'passkeyOptions' | 'passkeyVerify' | 'previewPassword' | 'setPassword' | 'unlock'>;
  captcha: Pick<Captcha, 'challenge'>;
}

/** Forgot password (/reset) and unlock account (/unlock): for people who cannot sign in. */
export function resetRoutes({ resets, captcha }: ResetRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const identify = (intent: Intent) => async (c: AppContext) => {
    const m = c.req.query('m');
    const step = await resets.stepsBeforeStart();
    if (intent === 'unlock' && !(await resets.unlockAllowed())) return c.html(<IdentifyPage c={c} step={step} intent="reset" info="reset.unlockDisabled" />, 200);
    return c.html(<IdentifyPage c={c} step={step} intent={intent} info={m === 'expired' ? 'reset.expired' : undefined} />);
  };
  app.get('/reset', identify('reset'));
  app.get('/unlock', identify('unlock'));

  app.get('/reset/captcha', async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(await captcha.challenge());
  });

  const start = (intent: Intent) => async (c: AppContext) => {
    const form = await readForm(c);
    const username = str(form, 'username');
    const r = await resets.start({ username, captcha: str(form, 'captcha'), intent }, { ip: c.get('ip'), userAgent: c.get('userAgent'), browserId: c.get('browserId') });
    if (r.ok) {
      keepLanguage(c, MAX_FLOW_SECONDS);
      return c.redirect(verifyPath(r.value.flowId), 303);
    }
    const typed = typeof username === 'string' ? username.slice(0, 256) : '';
    const step = await resets.stepsBeforeStart();
    if (r.field) return c.html(<IdentifyPage c={c} step={step} intent={intent} username={typed} errors={{ [r.field]: r.reason }} />, 400);
    if (r.reason === 'reset.tooManyStarts') c.header('Retry-After', '3600');
    return c.html(<IdentifyPage c={c} step={step} intent={intent} username={typed} problem={r.reason as MessageKey} />, refusalStatus(r.reason));
  };
  app.post('/reset', start('reset'));
  app.post('/unlock', start('unlock'));

  /** An expired or unknown flow starts again, with a message. */
  const restart = (c: AppContext) => c.redirect(EXPIRED_PATH, 303);
  /** A step refused as over: a flow voided by a password change says so; any other starts again. */
  const ended = async (c: AppContext, flowId: string) => {
    const view = await resets.view(flowId, c.get('browserId'));
    return view.kind === 'voided' ? c.html(<VoidedPage c={c} view={view} />, 410) : restart(c);
  };

  const render = async (c: AppContext, flowId: string, extra: { error?: StepRefusal; problem?: string; field?: string | undefined; vars?: Record<string, number> | undefined; list?: boolean; errors?: FieldErrors; reasons?: PasswordReason[] | undefined } = {}, status: ResetStatus = 200) => {
    const view = await resets.view(flowId, c.get('browserId'));
    switch (view.kind) {
      case 'expired':
        return restart(c);
      case 'voided':
        return c.html(<VoidedPage c={c} view={view} />, 410);
      case 'verifying':
        return c.html(<VerifyPage c={c} view={view} error={extra.error} field={extra.field} vars={extra.vars} list={extra.list ?? false} />, status);
      case 'verified':
        return c.html(<NewPasswordPage c={c} view={view} errors={extra.errors} reasons={extra.reasons} problem={extra.problem ?? extra.error} />, status);
      default:
        return c.html(<FinishedPage c={c} view={view} />, view.kind === 'failed' ? 429 : view.kind === 'selfServiceBlocked' ? 403 : view.kind === 'protected' ? status : 200);
    }
  };

  // `ways=1` ("Try another way"): the list, whatever way is under way; picking one replaces it.
  app.get('/reset/verify', (c) => render(c, c.req.query('flow') ?? '', { list: c.req.query('ways') === '1' }));

  /** Runs a step and shows the flow again: a redirect after success, the same page with the reason otherwise. */
  const step = (run: (c: AppContext, flow: string, form: Record<string, string | string[]>) => Promise<StepResult>) => async (c: AppContext) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await run(c, flow, form);
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.reason === 'reset.expired') return ended(c, flow);
    if (r.reason === 'reset.sendFailed' && r.vars?.['minutes']) c.header('Retry-After', String(r.vars['minutes'] * 60));
    if (r.reason === 'reset.resendTooSoon' && r.vars?.['seconds']) c.header('Retry-After', String(r.vars['seconds']));
    return render(c, flow, { error: r.reason, field: r.field, vars: r.vars, list: r.field === 'choice' }, refusalStatus(r.reason));
  };

  app.post('/reset/verify/pick', step((c, flow, form) => resets.pick(flow, c.get('browserId'), str(form, 'choice'))));
  app.post('/reset/verify/resend', step((c, flow) => resets.resend(flow, c.get('browserId'))));
  app.post('/reset/verify/choose', step((c, flow, form) => resets.choose(flow, c.get('browserId'), { choice: str(form, 'choice'), contact: str(form, 'contact') })));
  app.post('/reset/verify/code', step((c, flow, form) => resets.checkCode(flow, c.get('browserId'), str(form, 'code'))));
  app.post(
    '/reset/verify/questions',
    step(async (c, flow, form) => {
      const r = await resets.checkQuestions(flow, c.get('browserId'), list(form, 'answer').slice(0, 5));
      return r.ok ? r : { ...r, field: r.reason === 'methods.questions.wrong' ? 'answers' : undefined };
    }),
  );
  app.post('/reset/verify/another', step((c, flow) => resets.abandonProof(flow, c.get('browserId'))));
  // Reached only without JavaScript: passkeys need the browser's WebAuthn API.
  app.post('/reset/verify/passkey', async (c) => {
    const form = await readForm(c);
    return render(c, str(form, 'flow') ?? '', { error: 'passkeys.needsScript' }, 400);
  });

  // An ended flow sends the script to the flow's own page: it says why (voided) or starts again.
  const jsonRefusal = (c: AppContext, refusal: StepRefusal, flow: string) =>
    c.json({ ok: false, error: isMessageKey(refusal) ? c.get('t')(refusal) : refusal, code: refusal, ...(refusal === 'reset.expired' || refusal === 'methods.blocked' ? { redirect: refusal === 'reset.expired' ? verifyPath(flow) : undefined } : {}) }, refusalStatus(refusal));

  app.post('/reset/passkey/options', async (c) => {
    const body = await readJson(c);
    const flow = typeof body?.['flow'] === 'string' ? body['flow'] : '';
    const r = await resets.passkeyOptions(flow, c.get('browserId'));
    if (!r.ok) return r.reason === 'methods.blocked' ? c.json({ ok: false, redirect: verifyPath(flow) }, 429) : jsonRefusal(c, r.reason, flow);
    return c.json({ ok: true, flow, options: r.value });
  });

  app.post('/reset/passkey/verify', async (c) => {
    const body = await readJson(c);
    const flow = typeof body?.['flow'] === 'string' ? body['flow'] : '';
    const r = await resets.passkeyVerify(flow, c.get('browserId'), body?.['response']);
    if (r.ok || r.reason === 'methods.blocked') return c.json({ ok: r.ok, redirect: verifyPath(flow) }, r.ok ? 200 : 429);
    return jsonRefusal(c, r.reason, flow);
  });

  app.post('/reset/password/check', async (c) => {
    const body = await readJson(c);
    const t = c.get('t');
    const preview = await resets.previewPassword(typeof body?.['flow'] === 'string' ? body['flow'] : '', c.get('browserId'), body?.['password']);
    if (!preview) return c.json({ ok: false }, 410);
    const { verdict } = preview;
    const { min, max } = preview.passwordLength;
    const label = verdict.score === null ? '' : t(`reset.meter.score${verdict.score}` as MessageKey);
    return c.json({ ok: verdict.ok, score: verdict.score, label, reasons: verdict.reasons.map((r) => t(r.key, { min, max, ...r.values })) });
  });

  app.post('/reset/password', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await resets.setPassword(flow, c.get('browserId'), { password: str(form, 'password'), confirm: str(form, 'confirm') ?? '' }, { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.reason === 'invalid') return render(c, flow, { errors: r.errors, reasons: r.passwordReasons }, 400);
    if (r.reason === 'refused') return render(c, flow, { problem: r.message }, 422);
    if (r.reason === 'reset.expired') return ended(c, flow);
    return render(c, flow, { error: r.reason }, refusalStatus(r.reason));
  });

  app.post('/reset/unlock', async (c) => {
    const form = await readForm(c);
    const flow = str(form, 'flow') ?? '';
    const r = await resets.unlock(flow, c.get('browserId'), { ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect(verifyPath(flow), 303);
    if (r.reason === 'reset.expired') return ended(c, flow);
    return render(c, flow, { error: r.reason }, refusalStatus(r.reason));
  });

  return app;
}
