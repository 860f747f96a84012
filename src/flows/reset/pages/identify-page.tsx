import type { AppContext } from '../../../http/context.js';
import { ErrorSummary, Field, Submit } from '../../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../../http/ui/layout.js';
import type { MessageKey } from '../../../i18n/index.js';
import type { FieldErrors } from '../../../shared/validation.js';
import { startPath } from '../paths.js';
import type { Intent } from '../reset-flow.js';
import { StepIndicator } from './step-indicator.js';

/** The first page: who is it for (and the CAPTCHA, solved by the page's own script). */
export function IdentifyPage({ c, step, intent, username, errors, problem, info }: { c: AppContext; step: { n: number; of: number }; intent: Intent; username?: string; errors?: FieldErrors; problem?: MessageKey; info?: MessageKey }) {
  const t = c.get('t');
  const title = intent === 'unlock' ? t('unlock.title') : t('reset.title');
  const e = errors ?? {};
  return (
    <Page c={c} title={title} narrow>
      <StepIndicator c={c} step={step} label="reset.step.name" />
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
