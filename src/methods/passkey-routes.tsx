import { Hono, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppContext, AppEnv } from '../http/context.js';
import { requireUser } from '../http/guards.js';
import { readForm, readJson, str } from '../http/form.js';
import { ErrorSummary, Field } from '../http/ui/forms.js';
import { Notice, Page } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import type { SessionStore } from '../state/sessions.js';
import type { Clock } from '../shared/clock.js';
import { PASSKEY_NAME_MAX, checkPasskeyName, type PasskeyRefusal, type PasskeyService } from './passkeys.js';
import { PasskeyForm, PasskeyScripts, REAUTH_OPTIONS, REAUTH_VERIFY, TEST_OPTIONS, TEST_VERIFY } from './passkey-ui.js';
import { nextOf, recentlyVerified, requireRecentVerification } from './reverify-routes.js';
import { BASE } from './route-deps.js';
import { selfServiceGuard } from './self-service-guard.js';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import { methodName } from './ui.js';

const ADD = `${BASE}/add/passkey`;

export interface PasskeyRouteDeps {
  passkeys: Pick<PasskeyService, 'available' | 'startRegistration' | 'finishRegistration' | 'startAssertion' | 'finishAssertion'>;
  sessions: Pick<SessionStore, 'markVerified'>;
  /** For the "verified in the last 10 minutes" rule. */
  clock: Clock;
  /** Users who reported "this wasn't me" add no passkey until an administrator lifts the block. */
  blocks: Pick<SelfServiceBlockStore, 'isBlocked'>;
}

/** The HTTP status of each passkey refusal in the JSON answers (sign-in's passkey step uses them too). */
export const passkeyStatus: Record<PasskeyRefusal | 'mfa.expired' | 'mfa.voided', ContentfulStatusCode> = {
  'methods.notAvailable': 404,
  'methods.notFound': 404,
  'methods.blocked': 429,
  'passkeys.tooMany': 409,
  'passkeys.alreadyRegistered': 409,
  'passkeys.expired': 410,
  'mfa.expired': 410,
  'mfa.voided': 410,
  'passkeys.failed': 400,
  'v.passkeyName.required': 400,
  'v.passkeyName.tooLong': 400,
  'v.passkeyName.taken': 400,
  'v.noControlChars': 400,
};

/** A refusal as the passkey script reads it: the words, the code, and where to go or which field is at fault. */
export function refuseJson(c: AppContext, error: PasskeyRefusal | 'mfa.expired' | 'mfa.voided', extra: { field?: string; redirect?: string } = {}) {
  return c.json({ ok: false, error: c.get('t')(error), code: error, ...extra }, passkeyStatus[error]);
}


/**
 * The JSON endpoints behind the same rules as the pages: a signed-in user whose session proved
 * itself recently. Instead of redirecting a fetch, they answer where the browser should go.
 */
const jsonRecentlyVerified =
  (clock: Clock): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const t = c.get('t');
    if (!c.get('user')) return c.json({ ok: false, error: t('signIn.sessionExpired'), redirect: `/sign-in?m=sessionExpired&next=${encodeURIComponent(ADD)}` }, 401);
    if (!recentlyVerified(c, clock)) return c.json({ ok: false, error: t('methods.reauth.intro'), redirect: `${BASE}/verify?next=${encodeURIComponent(ADD)}` }, 403);
    return next();
  };

/** A signed-in user, answered in JSON: where to sign in again instead of a redirect. */
const jsonSignedIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('user') || !c.get('session')) return c.json({ ok: false, error: c.get('t')('signIn.sessionExpired'), redirect: `/sign-in?m=sessionExpired&next=${encodeURIComponent(BASE)}` }, 401);
  return next();
};

function AddPasskeyPage({ c, available, name, errors, problem }: { c: AppContext; available: boolean; name?: string; errors?: FieldErrors; problem?: MessageKey }) {
  const t = c.get('t');
  return (
    <Page c={c} title={t('methods.add.passkey')} narrow>
      <h1>{t('methods.add.passkey')}</h1>
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <ErrorSummary t={t} errors={errors ?? {}} labels={{ name: 'passkeys.name.label' }} />
      {available ? (
        <>
          <p class="muted">{t('passkeys.intro')}</p>
          <PasskeyForm c={c} mode="register" action={ADD} options={`${BASE}/passkeys/options`} verify={`${BASE}/passkeys/verify`} button={t('passkeys.create')} explained={problem === 'passkeys.needsScript'}>
            <Field t={t} name="name" label="passkeys.name.label" hint={t('passkeys.name.hint', { max: PASSKEY_NAME_MAX })} value={name} autocomplete="off" required maxlength={PASSKEY_NAME_MAX} error={errors?.['name']} autofocus={!errors} />
          </PasskeyForm>
          <p class="muted">{t('passkeys.other')}</p>
          <PasskeyScripts />
        </>
      ) : null}
      <p>
        <a href={BASE}>{t('methods.back')}</a>
      </p>
    </Page>
  );
}

/** Registering passkeys from "My security info" (removal goes through the common remove route). */
export function passkeyRoutes(deps: PasskeyRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(ADD, requireUser, selfServiceGuard(deps.blocks), requireRecentVerification(deps.clock));
  app.use(`${BASE}/passkeys/*`, jsonRecentlyVerified(deps.clock), selfServiceGuard(deps.blocks, 'json'));

  for (const path of [TEST_OPTIONS, TEST_VERIFY, REAUTH_OPTIONS, REAUTH_VERIFY]) app.use(path, jsonSignedIn);

  // "Test": a challenge only the chosen passkey may answer; success changes last-used and the counter only.
  app.post(TEST_OPTIONS, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.startAssertion(c.get('user')!, c.get('browserId'), 'test', { methodId: body['method'] });
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, flow: r.value.flowId, options: r.value.options });
  });

  app.post(TEST_VERIFY, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.finishAssertion(c.get('user')!, c.get('browserId'), 'test', body['flow'], body['response']);
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, redirect: `${BASE}?done=methods.done.tested&method=${encodeURIComponent(methodName(c, r.value.method))}` });
  });

  // Re-verification with any of the user's passkeys; `next` is checked and kept with the challenge.
  app.post(REAUTH_OPTIONS, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.startAssertion(c.get('user')!, c.get('browserId'), 'reauth', { next: nextOf(body['next']) });
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, flow: r.value.flowId, options: r.value.options });
  });

  app.post(REAUTH_VERIFY, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.finishAssertion(c.get('user')!, c.get('browserId'), 'reauth', body['flow'], body['response']);
    if (!r.ok) return refuseJson(c, r.reason);
    await deps.sessions.markVerified(c.get('session')!.idHash);
    return c.json({ ok: true, redirect: nextOf(r.value.next) });
  });

  app.get(ADD, (c) => {
    if (!deps.passkeys.available()) return c.html(<AddPasskeyPage c={c} available={false} problem="methods.notAvailable" />, 404);
    return c.html(<AddPasskeyPage c={c} available />);
  });

  // Reached only without JavaScript (the script takes the submit over): say what is needed.
  app.post(ADD, async (c) => {
    const form = await readForm(c);
    const name = (str(form, 'name') ?? '').slice(0, PASSKEY_NAME_MAX * 4);
    if (!deps.passkeys.available()) return c.html(<AddPasskeyPage c={c} available={false} problem="methods.notAvailable" />, 404);
    const checked = checkPasskeyName(name);
    if (!checked.ok) return c.html(<AddPasskeyPage c={c} available name={name} errors={{ name: checked.reason }} />, 400);
    return c.html(<AddPasskeyPage c={c} available name={name} problem="passkeys.needsScript" />, 400);
  });

  app.post(`${BASE}/passkeys/options`, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.startRegistration(c.get('user')!, c.get('browserId'), body['name']);
    if (!r.ok) return refuseJson(c, r.reason, r.field ? { field: r.field } : {});
    return c.json({ ok: true, flow: r.value.flowId, options: r.value.options });
  });

  app.post(`${BASE}/passkeys/verify`, async (c) => {
    const body = await readJson(c);
    if (!body) return refuseJson(c, 'passkeys.failed');
    const r = await deps.passkeys.finishRegistration(c.get('user')!, c.get('browserId'), body['flow'], body['response']);
    if (!r.ok) return refuseJson(c, r.reason);
    return c.json({ ok: true, redirect: `${BASE}?done=methods.done.added&method=${encodeURIComponent(methodName(c, r.value))}` });
  });

  return app;
}
