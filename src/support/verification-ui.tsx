import type { AppContext } from '../http/context.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import { VERIFICATION_VALID_MS, type MaskedMethod, type SupportView } from './types.js';

/**
 * What the verification routes (verification-pages.tsx) tell the page after a POST, in the query
 * string of the redirect: a fixed word each, so no text and no catalogue key comes from the URL.
 */
export const verifyOutcomes = {
  sent: 'support.verify.sent',
  app: 'support.verify.askedApp',
  link: 'support.verify.passkeySent',
  waiting: 'support.verify.passkeyWaiting',
  needsEmail: 'support.verify.passkeyNeedsEmail',
  wrong: 'support.verify.wrong',
  expired: 'support.verify.expired',
  blocked: 'support.verify.blocked',
  unavailable: 'support.verify.methodUnavailable',
  limited: 'methods.sendLimited',
  failed: 'methods.sendFailed',
  choose: 'support.verify.chooseMethod',
  code: 'support.verify.codeRequired',
  verified: null,
} as const satisfies Record<string, MessageKey | null>;
export type VerifyOutcome = keyof typeof verifyOutcomes;

const isOutcome = (s: string | undefined): s is VerifyOutcome => s !== undefined && Object.hasOwn(verifyOutcomes, s);
const clockTime = (ms: number) => formatDateTime(ms, 'time');

/** The caller's methods the helpdesk can verify with: a code to an email or phone, the app's code, or a passkey (through a link to the caller's email). */
export function verifiableMethods(methods: readonly MaskedMethod[]): MaskedMethod[] {
  return methods.filter((m) => m.canReceive || m.type === 'totp' || m.type === 'passkey');
}

const startedNotices: readonly VerifyOutcome[] = ['sent', 'app', 'link'];

/** Where a passkey check's link goes: the caller's default registered email, else the first (as passkey-verification.ts picks it). */
function linkAddress(methods: readonly MaskedMethod[]): string {
  return methods.filter((m) => m.type === 'email').sort((a, b) => Number(b.isDefault) - Number(a.isDefault))[0]?.masked ?? '';
}

/**
 * "Verify the caller" on the support page: pick one of the caller's methods, send a code (or ask
 * for the app's code), type what the caller reads out. The state after each step comes back in
 * the query string (`verification`: the attempt waiting for a code; `verify`: what happened);
 * whether the caller is verified comes from the view (`verifiedUntil`), never from the URL.
 */
export function CallerVerificationPanel({ c, view }: { c: AppContext; view: SupportView }) {
  const t = c.get('t');
  const base = `/admin/users/${encodeURIComponent(view.user.id)}/verification`;
  const methods = verifiableMethods(view.methods);
  const attempt = /^[0-9a-f-]{36}$/.test(c.req.query('verification') ?? '') ? c.req.query('verification')! : null;
  const via = methods.find((m) => m.id === c.req.query('via'));
  const outcome = c.req.query('verify');
  const said = isOutcome(outcome) ? outcome : null;
  const until = Number(c.req.query('until'));
  const untilText = Number.isFinite(until) && until > 0 ? clockTime(until) : '';
  const passkeyAttempt = via?.type === 'passkey';
  const here = `/admin/users/${encodeURIComponent(view.user.id)}`;
  return (
    <section class="card" id="verify" aria-labelledby="verify-title">
      <h2 id="verify-title">{t('support.verify.title')}</h2>
      {view.verifiedUntil ? (
        <Notice kind="ok">{t('support.verify.verified', { at: clockTime(view.verifiedUntil - VERIFICATION_VALID_MS), until: clockTime(view.verifiedUntil) })}</Notice>
      ) : (
        <p>
          <span class="badge off">{t('support.verify.notVerified')}</span>
        </p>
      )}
      <p class="hint">{t('support.verify.lead')}</p>
      {said && said !== 'verified' && !startedNotices.includes(said) ? <Notice kind={said === 'blocked' ? 'error' : 'warn'}>{t(verifyOutcomes[said])}</Notice> : null}
      {attempt && said && startedNotices.includes(said) && via && !view.verifiedUntil ? (
        <Notice>{said === 'sent' ? t('support.verify.sent', { sentTo: via.masked, until: untilText }) : said === 'link' ? t('support.verify.passkeySent', { sentTo: linkAddress(view.methods), until: untilText }) : t('support.verify.askedApp', { until: untilText })}</Notice>
      ) : null}
      {attempt && passkeyAttempt && !view.verifiedUntil ? (
        <p>
          <a class="button secondary" href={`${here}?${new URLSearchParams({ verification: attempt, via: via.id, verify: 'link', until: String(until) }).toString()}#verify`}>
            {t('support.verify.reload')}
          </a>
        </p>
      ) : null}
      {attempt && !passkeyAttempt ? (
        <form method="post" action={`${base}/${attempt}/check`} novalidate>
          <Csrf c={c} />
          <div>
            <label for="f-code">{t('support.verify.code')}</label>
            <input id="f-code" name="code" type="text" inputmode="numeric" autocomplete="off" maxlength={32} required autofocus />
          </div>
          <Submit>{t('support.verify.check')}</Submit>
        </form>
      ) : null}
      {methods.length === 0 ? (
        <p>{t('support.verify.none')}</p>
      ) : (
        <form method="post" action={base} novalidate>
          <Csrf c={c} />
          <fieldset>
            <legend>{t('support.verify.method')}</legend>
            {methods.flatMap((m, i) =>
              m.type === 'mobile'
                ? [
                    <label>
                      <input type="radio" name="methodId" value={m.id} checked={i === 0} required />
                      {t('support.verify.viaText', { method: m.masked })}
                    </label>,
                    <label>
                      <input type="radio" name="methodId" value={`${m.id}:voice`} />
                      {t('support.verify.viaCall', { method: m.masked })}
                    </label>,
                  ]
                : [
                    <label>
                      <input type="radio" name="methodId" value={m.id} checked={i === 0} required />
                      {m.type === 'totp' ? t('support.verify.viaApp', { method: m.masked }) : m.type === 'passkey' ? t('support.verify.viaPasskey', { method: m.masked }) : m.masked}
                    </label>,
                  ],
            )}
          </fieldset>
          <Submit kind={attempt ? 'secondary' : undefined}>{t('support.verify.send')}</Submit>
        </form>
      )}
    </section>
  );
}
