import type { AppContext } from '../../../http/context.js';
import { ErrorSummary, Submit } from '../../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../../http/ui/layout.js';
import { isMessageKey, type MessageKey } from '../../../i18n/index.js';
import { PasskeyForm, PasskeyScripts } from '../../../methods/passkey-ui.js';
import { gateOfChoice, type MethodChoice } from '../../../policy/policy.js';
import { startPath, waysPath } from '../paths.js';
import type { ResetRefusal } from '../refusals.js';
import type { ProofStep, ResetView } from '../reset-view.js';
import { Helpdesk } from './helpdesk.js';
import { AttemptsWarning } from './block-notice.js';
import { StepIndicator } from './step-indicator.js';

type Verifying = Extract<ResetView, { kind: 'verifying' }>;

export const choiceLabel: Record<MethodChoice, MessageKey> = {
  email: 'reset.choice.email',
  mobile_sms: 'reset.choice.mobileSms',
  mobile_voice: 'reset.choice.mobileVoice',
  office_voice: 'reset.choice.officeVoice',
  totp: 'reset.choice.totp',
  passkey: 'reset.choice.passkey',
  questions: 'reset.choice.questions',
  recovery_code: 'reset.choice.recoveryCode',
};

const needsContact = (choice: MethodChoice) => choice === 'email' || choice === 'mobile_sms' || choice === 'mobile_voice' || choice === 'office_voice';

/**
 * Why one more check is asked of a user whose sign-in is strong (an authenticator app, a passkey,
 * or both): use it, or one more way — or, where the reset does not offer it, one more way.
 */
function strongReasonKey(strong: readonly string[], choices: readonly MethodChoice[]): MessageKey {
  if (!choices.some((ch) => strong.includes(gateOfChoice[ch]))) return 'reset.strong.oneMore';
  const app = strong.includes('totp');
  const passkey = strong.includes('passkey');
  return app && passkey ? 'reset.strong.both' : app ? 'reset.strong.app' : 'reset.strong.passkey';
}

export interface StepError {
  error?: ResetRefusal | undefined;
  field?: string | undefined;
  vars?: Record<string, number> | undefined;
}

/**
 * One step of proving who you are, one thing per page: the list of ways (the policy's, the same
 * for every name), then the picked way on its own page (the address or number to type, the code,
 * the questions, the passkey), with "Try another way" back to the list on each.
 */
export function VerifyPage({ c, view, error, field, vars, list }: { c: AppContext; view: Verifying; list?: boolean } & StepError) {
  const t = c.get('t');
  const { flow, step } = view;
  const title = flow.data.intent === 'unlock' ? t('unlock.title') : t('reset.title');
  const errorText = error && isMessageKey(error) ? t(error, vars) : null;
  // The list, unless a way is under way (and the user did not ask for the list).
  const showList = list || (!step && !view.picked);
  const picked = showList ? null : view.picked;
  // The one form this page shows: the list, the code or answers of a step under way, the passkey, or the address to type.
  const pane: 'choice' | 'proof' | 'passkey' | 'contact' = showList ? 'choice' : step && step.kind !== 'passkey' ? 'proof' : picked === 'passkey' || step?.kind === 'passkey' ? 'passkey' : picked && needsContact(picked) ? 'contact' : 'choice';
  // Its field: an error for another one (a form sent from an older page) is told as a notice.
  const shown = pane === 'proof' ? (step?.kind === 'questions' ? 'answers' : 'code') : pane === 'passkey' ? null : pane;
  const fieldShown = field !== undefined && field === shown;
  return (
    <Page c={c} title={title} narrow>
      <StepIndicator c={c} step={view.stepNo} label="reset.step.check" />
      <h1>{title}</h1>
      <p class="muted">{t('reset.for', { username: flow.data.username })}</p>
      {flow.data.passed.length > 0 ? <Notice kind="ok">{t(view.strongReason.length > 0 ? strongReasonKey(view.strongReason, view.choices) : 'reset.onePassed')}</Notice> : null}
      {errorText && !fieldShown ? <Notice kind="error">{errorText}</Notice> : null}
      {errorText && fieldShown && error ? <StepErrorSummary c={c} view={view} field={field} error={error} vars={vars} picked={picked} /> : null}
      {!showList && step && view.notSent && !errorText ? <Notice kind="error">{t('reset.sendFailed', view.notSent)}</Notice> : null}
      {showList ? null : <AttemptsWarning c={c} warning={view.attemptsWarning} />}
      {view.noMoreMethods ? (
        <>
          <Notice kind="warn">{t('reset.noMoreMethods')}</Notice>
          <Helpdesk c={c} helpdesk={view.helpdesk} />
        </>
      ) : null}
      {pane === 'proof' && step && step.kind !== 'passkey' ? (
        <ProofForm c={c} flow={flow.id} step={step} now={view.now} errorText={fieldShown ? errorText : null} field={field} />
      ) : pane === 'passkey' ? (
        <>
          <h2>{t('reset.passkey.title')}</h2>
          <p>{t('reset.passkey.intro')}</p>
          <PasskeyForm c={c} mode="sign-in" action="/reset/verify/passkey" options="/reset/passkey/options" verify="/reset/passkey/verify" button={t('reset.choice.passkey')} explained={error === 'passkeys.needsScript'}>
            <input type="hidden" name="flow" value={flow.id} />
          </PasskeyForm>
          <PasskeyScripts />
        </>
      ) : pane === 'contact' && picked ? (
        <ContactForm c={c} flow={flow.id} choice={picked} phoneRegion={view.phoneRegion} errorText={field === 'contact' ? errorText : null} />
      ) : (
        <WaysList c={c} view={view} errorText={field === 'choice' ? errorText : null} />
      )}
      <p>
        {showList ? null : (
          <>
            <a href={waysPath(flow.id)}>{t('reset.another')}</a>
            {' · '}
          </>
        )}
        <a href={startPath(flow.data.intent)}>{t('reset.startOver')}</a>
      </p>
      {showList ? <Helpdesk c={c} helpdesk={view.helpdesk} /> : null}
    </Page>
  );
}

/** The summary above a step's form when one of its fields was refused, linking to that field (as on every other form). */
function StepErrorSummary({ c, view, field, error, vars, picked }: { c: AppContext; view: Verifying; field: string; error: ResetRefusal; vars: Record<string, number> | undefined; picked: MethodChoice | null }) {
  const step = view.step;
  const labels: Record<string, MessageKey> = {
    choice: view.flow.data.passed.length > 0 ? 'reset.chooseSecond' : 'reset.choose',
    contact: contactLabel(picked ?? 'email'),
    code: step && step.kind === 'code' && step.from === 'recovery' ? 'methods.recovery.label' : 'methods.code.label',
    answers: 'reset.questions.title',
  };
  const ids: Record<string, string> = { contact: `contact-${picked ?? 'email'}`, answers: 'f-answers' };
  return <ErrorSummary t={c.get('t')} errors={{ [field]: error }} labels={labels} ids={ids} {...(vars ? { vars } : {})} />;
}

const contactLabel = (choice: MethodChoice): MessageKey => (choice === 'email' ? 'reset.contact.email' : choice === 'office_voice' ? 'reset.contact.office' : 'reset.contact.mobile');

/** The ways to prove it is you, as radio buttons; with `reset.showRegisteredHints`, the masked hints of the registered ones. */
function WaysList({ c, view, errorText }: { c: AppContext; view: Verifying; errorText: string | null }) {
  const t = c.get('t');
  const current = view.step ? view.flow.data.pending?.choice : view.picked;
  return (
    <form method="post" action="/reset/verify/pick" class="card" novalidate>
      <fieldset id="f-choice" aria-describedby={errorText ? 'f-choice-error' : undefined}>
        <legend>{view.flow.data.passed.length > 0 ? t('reset.chooseSecond') : t('reset.choose')}</legend>
        {errorText ? (
          <p class="field-error" id="f-choice-error">
            {errorText}
          </p>
        ) : null}
        {view.choices.map((ch, i) => {
          const hints = view.hints[ch];
          return (
            <label>
              <input type="radio" name="choice" value={ch} checked={current ? current === ch : i === 0} />
              <span>
                {t(choiceLabel[ch])}
                {hints && hints.length > 0 ? <span class="hint"> — {t('reset.hint.registered', { hints: hints.join(', ') })}</span> : null}
              </span>
            </label>
          );
        })}
      </fieldset>
      <Csrf c={c} />
      <input type="hidden" name="flow" value={view.flow.id} />
      <Submit>{t('reset.next')}</Submit>
    </form>
  );
}

/** The address or number to send the code to: typed in full, never shown by the portal. */
function ContactForm({ c, flow, choice, phoneRegion, errorText }: { c: AppContext; flow: string; choice: MethodChoice; phoneRegion: string; errorText: string | null }) {
  const t = c.get('t');
  const id = `contact-${choice}`;
  const described = errorText ? `${id}-hint ${id}-error` : `${id}-hint`;
  return (
    <form method="post" action="/reset/verify/choose" class="card" novalidate>
      <h2>{t(choiceLabel[choice])}</h2>
      <Csrf c={c} />
      <input type="hidden" name="flow" value={flow} />
      <input type="hidden" name="choice" value={choice} />
      <div>
        <label for={id}>{t(contactLabel(choice))}</label>
        <p class="hint" id={`${id}-hint`}>
          {t(choice === 'email' ? 'reset.contact.emailHint' : 'reset.contact.phoneHint', { region: phoneRegion })}
        </p>
        {errorText ? (
          <p class="field-error" id={`${id}-error`}>
            {errorText}
          </p>
        ) : null}
        <input id={id} name="contact" type={choice === 'email' ? 'email' : 'text'} autocomplete={choice === 'email' ? 'email' : 'tel'} required maxlength={254} aria-describedby={described} aria-invalid={errorText ? 'true' : undefined} autofocus />
      </div>
      <Submit>{t('reset.sendCode')}</Submit>
    </form>
  );
}

/** The code (or the questions) of the way under way; codes sent to an address or phone can be sent again after a cooldown. */
function ProofForm({ c, flow, step, now, errorText, field }: { c: AppContext; flow: string; step: Exclude<ProofStep, { kind: 'passkey' }>; now: number; errorText: string | null; field: string | undefined }) {
  const t = c.get('t');
  if (step.kind === 'questions') {
    return (
      <form method="post" action="/reset/verify/questions" class="card" novalidate>
        <h2 id="f-answers-title">{t('reset.questions.title')}</h2>
        <Csrf c={c} />
        <input type="hidden" name="flow" value={flow} />
        <div id="f-answers" role="group" aria-labelledby="f-answers-title" aria-describedby={errorText && field === 'answers' ? 'f-answers-error' : undefined}>
          {errorText && field === 'answers' ? (
            <p class="field-error" id="f-answers-error">
              {errorText}
            </p>
          ) : null}
          {step.questions.map((q, i) => (
            <div>
              <label for={`f-answer${i}`}>{q.custom ? q.text : isMessageKey(q.text) ? t(q.text) : q.text}</label>
              <input id={`f-answer${i}`} name="answer" type="text" autocomplete="off" required maxlength={40} autofocus={i === 0} />
            </div>
          ))}
        </div>
        <Submit>{t('reset.questions.submit')}</Submit>
      </form>
    );
  }
  const codeError = field === 'code' && errorText;
  const waitS = 'resendAt' in step ? Math.ceil((step.resendAt - now) / 1000) : 0;
  return (
    <>
      <form method="post" action="/reset/verify/code" class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="flow" value={flow} />
        <div>
          <label for="f-code">{t(step.from === 'recovery' ? 'methods.recovery.label' : 'methods.code.label')}</label>
          <p class="hint" id="f-code-hint">
            {step.from === 'app' ? t('methods.code.hintTotp') : step.from === 'recovery' ? t('methods.recovery.hint') : t(step.from === 'email' ? 'reset.code.sentEmail' : step.from === 'sms' ? 'reset.code.sentSms' : 'reset.code.sentCall', { minutes: step.minutes })}
          </p>
          {/* Where every other field has its message: under the label and hint, over the box. */}
          {codeError ? (
            <p class="field-error" id="f-code-error">
              {errorText}
            </p>
          ) : null}
          {/* A recovery code has letters too, in groups, and is pasted as often as typed. */}
          <input id="f-code" name="code" type="text" inputmode={step.from === 'recovery' ? 'text' : 'numeric'} autocomplete={step.from === 'recovery' ? 'off' : 'one-time-code'} autocapitalize={step.from === 'recovery' ? 'characters' : undefined} spellcheck={step.from === 'recovery' ? false : undefined} required maxlength={step.from === 'recovery' ? 40 : 12} autofocus aria-describedby={codeError ? 'f-code-hint f-code-error' : 'f-code-hint'} aria-invalid={codeError ? 'true' : undefined} />
        </div>
        <Submit>{t('methods.code.submit')}</Submit>
      </form>
      {'resendAt' in step ? (
        <form method="post" action="/reset/verify/resend">
          <Csrf c={c} />
          <input type="hidden" name="flow" value={flow} />
          <p class="hint" id="f-resend-hint">
            {waitS > 0 ? t('reset.resendAfter', { seconds: waitS }) : t('reset.resendNow')}
          </p>
          <Submit kind="secondary">{t('reset.resend')}</Submit>
        </form>
      ) : null}
    </>
  );
}
