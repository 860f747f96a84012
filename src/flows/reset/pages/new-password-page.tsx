import type { AppContext } from '../../../http/context.js';
import { ErrorSummary, Field, Submit } from '../../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../../http/ui/layout.js';
import { isMessageKey } from '../../../i18n/index.js';
import type { PasswordReason } from '../../../passwords/check.js';
import type { FieldErrors } from '../../../shared/validation.js';
import { OnPremisesRules } from '../../../writeback/ui.js';
import type { ResetView } from '../reset-view.js';
import { Helpdesk } from './helpdesk.js';
import { StepIndicator } from './step-indicator.js';

type Verified = Extract<ResetView, { kind: 'verified' }>;

/** Every gate passed: the new password (with the rules it must meet), or unlock only. */
export function NewPasswordPage({ c, view, errors, reasons, problem }: { c: AppContext; view: Verified; errors?: FieldErrors; reasons?: PasswordReason[] | undefined; problem?: string | undefined }) {
  const t = c.get('t');
  const { flow } = view;
  const { min, max } = view.passwordLength;
  const e = errors ?? {};
  const unlockFirst = flow.data.intent === 'unlock' && view.canUnlock;
  // Unlock first: its own card. Reset first: a one-line choice that opens (no script needed), so the page stays short.
  const unlockForm = !view.canUnlock ? null : unlockFirst ? (
    <form method="post" action="/reset/unlock" class="card">
      <Csrf c={c} />
      <input type="hidden" name="flow" value={flow.id} />
      <h2>{t('unlock.only')}</h2>
      <p>{t('unlock.onlyHint')}</p>
      <Submit>{t('unlock.submit')}</Submit>
    </form>
  ) : (
    <details>
      <summary>{t('unlock.instead')}</summary>
      <form method="post" action="/reset/unlock">
        <Csrf c={c} />
        <input type="hidden" name="flow" value={flow.id} />
        <p>{t('unlock.onlyHint')}</p>
        <Submit kind="secondary">{t('unlock.submit')}</Submit>
      </form>
    </details>
  );
  const passwordForm = (
    <form method="post" action="/reset/password" class="card" novalidate>
      <Csrf c={c} />
      <input type="hidden" name="flow" value={flow.id} />
      <div class="hint" id="rules">
        {t('reset.rules.lead')}
        <ul>
          <li>{t('reset.rules.length', { min, max })}</li>
          <li>{t('reset.rules.notCommon')}</li>
          {view.passwordLength.refuseNames !== false ? <li>{t('reset.rules.notName')}</li> : null}
          {view.passwordLength.breachedCheck ? <li>{t('reset.rules.notBreached')}</li> : null}
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
      <Submit kind={unlockFirst ? 'secondary' : undefined}>{t('reset.submit')}</Submit>
    </form>
  );
  return (
    <Page c={c} title={unlockFirst ? t('unlock.title') : t('reset.newTitle')} narrow>
      <StepIndicator c={c} step={view.stepNo} label={unlockFirst ? 'reset.step.unlock' : 'reset.step.password'} />
      <h1>{unlockFirst ? t('unlock.title') : t('reset.newTitle')}</h1>
      <Notice kind="ok">{t('reset.verified', { username: view.user.username })}</Notice>
      {problem && isMessageKey(problem) ? <Notice kind="error">{t(problem)}</Notice> : null}
      {problem?.startsWith('writeback.') ? <Helpdesk c={c} helpdesk={view.helpdesk} /> : null}
      {unlockFirst ? unlockForm : null}
      <ErrorSummary t={t} errors={e} vars={{ min, max }} labels={{ password: 'change.new', confirm: 'field.confirmPassword' }} />
      {unlockFirst ? (
        <details open={Boolean(errors) || undefined}>
          <summary>{t('unlock.orReset')}</summary>
          {passwordForm}
        </details>
      ) : (
        passwordForm
      )}
      {!unlockFirst ? unlockForm : null}
      <script src="/assets/meter.js" defer></script>
    </Page>
  );
}
