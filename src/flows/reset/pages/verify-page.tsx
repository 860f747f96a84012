import type { AppContext } from '../../../http/context.js';
import { Submit } from '../../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../../http/ui/layout.js';
import { isMessageKey, type MessageKey } from '../../../i18n/index.js';
import { PasskeyForm, PasskeyScripts } from '../../../methods/passkey-ui.js';
import { gateOfChoice, type MethodChoice } from '../../../policy/policy.js';
import { startPath } from '../paths.js';
import type { ResetRefusal } from '../refusals.js';
import type { ResetView } from '../reset-view.js';
import { Helpdesk } from './helpdesk.js';
import { AttemptsWarning } from './block-notice.js';

type Verifying = Extract<ResetView, { kind: 'verifying' }>;

const choiceLabel: Record<MethodChoice, MessageKey> = {
  email: 'reset.choice.email',
  mobile_sms: 'reset.choice.mobileSms',
  mobile_voice: 'reset.choice.mobileVoice',
  office_voice: 'reset.choice.officeVoice',
  totp: 'reset.choice.totp',
  passkey: 'reset.choice.passkey',
  questions: 'reset.choice.questions',
  recovery_code: 'reset.choice.recoveryCode',
};

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

function ChoiceForm({ c, flow, choice, phoneRegion }: { c: AppContext; flow: string; choice: MethodChoice; phoneRegion: string }) {
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
            {t(choice === 'email' ? 'reset.contact.emailHint' : 'reset.contact.phoneHint', { region: phoneRegion })}
          </p>
          <input id={id} name="contact" type={choice === 'email' ? 'email' : 'text'} autocomplete={choice === 'email' ? 'email' : 'tel'} required maxlength={254} aria-describedby={`${id}-hint`} />
        </div>
      ) : null}
      <Submit kind="secondary">{t(choiceLabel[choice])}</Submit>
    </form>
  );
}

export function VerifyPage({ c, view, error, field }: { c: AppContext; view: Verifying; error?: ResetRefusal; field?: string | undefined }) {
  const t = c.get('t');
  const { flow } = view;
  const { step } = view;
  const title = flow.data.intent === 'unlock' ? t('unlock.title') : t('reset.title');
  const errorText = error && isMessageKey(error) ? t(error) : null;
  return (
    <Page c={c} title={title} narrow>
      <h1>{title}</h1>
      <p class="muted">{t('reset.for', { username: flow.data.username })}</p>
      {flow.data.passed.length > 0 ? <Notice kind="ok">{t(view.strongReason.length > 0 ? strongReasonKey(view.strongReason, view.choices) : 'reset.onePassed')}</Notice> : null}
      {errorText && !field ? <Notice kind="error">{errorText}</Notice> : null}
      <AttemptsWarning c={c} warning={view.attemptsWarning} />
      {view.noMoreMethods ? (
        <>
          <Notice kind="warn">{t('reset.noMoreMethods')}</Notice>
          <Helpdesk c={c} helpdesk={view.helpdesk} />
        </>
      ) : null}
      {step && step.kind !== 'passkey' ? (
        step.kind === 'questions' ? (
          <form method="post" action="/reset/verify/questions" class="card" novalidate>
            <Csrf c={c} />
            <input type="hidden" name="flow" value={flow.id} />
            <h2>{t('reset.questions.title')}</h2>
            {errorText && field === 'answers' ? <p class="field-error">{errorText}</p> : null}
            {step.questions.map((q, i) => (
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
              <label for="f-code">{t(step.from === 'recovery' ? 'methods.recovery.label' : 'methods.code.label')}</label>
              <p class="hint" id="f-code-hint">
                {step.from === 'app' ? t('methods.code.hintTotp') : step.from === 'recovery' ? t('methods.recovery.hint') : t(step.from === 'email' ? 'reset.code.sentEmail' : step.from === 'sms' ? 'reset.code.sentSms' : 'reset.code.sentCall', { minutes: step.minutes })}
              </p>
              {/* A recovery code has letters too, in groups, and is pasted as often as typed. */}
              <input id="f-code" name="code" type="text" inputmode={step.from === 'recovery' ? 'text' : 'numeric'} autocomplete={step.from === 'recovery' ? 'off' : 'one-time-code'} autocapitalize={step.from === 'recovery' ? 'characters' : undefined} spellcheck={step.from === 'recovery' ? false : undefined} required maxlength={step.from === 'recovery' ? 40 : 12} autofocus aria-describedby={field === 'code' && errorText ? 'f-code-hint f-code-error' : 'f-code-hint'} aria-invalid={field === 'code' && errorText ? 'true' : undefined} />
            </div>
            <Submit>{t('methods.code.submit')}</Submit>
          </form>
        )
      ) : null}
      {step && step.kind !== 'passkey' ? (
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
              <ChoiceForm c={c} flow={flow.id} choice={ch} phoneRegion={view.phoneRegion} />
            ))}
          {view.choices.includes('passkey') ? (
            <>
              <PasskeyForm c={c} mode="sign-in" action="/reset/verify/passkey" options="/reset/passkey/options" verify="/reset/passkey/verify" button={t('reset.choice.passkey')} explained={error === 'passkeys.needsScript'}>
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
