import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../../http/context.js';
import { requireUser } from '../../http/guards.js';
import { readForm, str } from '../../http/form.js';
import { ErrorSummary, Field, Submit } from '../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../http/ui/layout.js';
import type { MessageKey } from '../../i18n/index.js';
import type { PasswordReason } from '../../passwords/check.js';
import type { FieldErrors } from '../../shared/validation.js';
import { OnPremisesRules } from '../../writeback/ui.js';
import type { ChangeForm, ChangePasswordService } from './change-password.js';

const PATH = '/account/change-password';

export interface ChangePasswordRouteDeps {
  changePassword: Pick<ChangePasswordService, 'change' | 'form'>;
}

function ChangePage({ c, form, errors, reasons, problem }: { c: AppContext; form: ChangeForm; errors?: FieldErrors; reasons?: PasswordReason[] | undefined; problem?: MessageKey }) {
  const t = c.get('t');
  const { min, max } = form.passwordLength;
  const e = errors ?? {};
  return (
    <Page c={c} title={t('change.title')} narrow>
      <h1>{t('change.title')}</h1>
      {form.blocked ? (
        // Reported "this wasn't me": say so instead of offering a form that cannot succeed.
        <Notice kind="error">{t('change.selfServiceBlocked')}</Notice>
      ) : (
        <>
          {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
          <ErrorSummary t={t} errors={e} vars={{ min, max }} labels={{ current: 'change.current', password: 'change.new', confirm: 'field.confirmPassword' }} />
          <p class="muted">{t('change.intro', { min })}</p>
          {form.adPolicy ? <OnPremisesRules c={c} policy={form.adPolicy} context="change" /> : null}
          <form method="post" action={PATH} class="card" novalidate>
            <Csrf c={c} />
            <Field t={t} name="current" label="change.current" type="password" autocomplete="current-password" required error={e['current']} autofocus={!errors && !problem} />
            <Field t={t} name="password" label="change.new" type="password" hint={t('field.passwordHint', { min })} autocomplete="new-password" required error={e['password']} errorVars={{ min, max }} reasons={reasons} />
            <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
            <Submit>{t('change.submit')}</Submit>
          </form>
        </>
      )}
      <p>
        <a href="/account">{t('methods.cancel')}</a>
      </p>
    </Page>
  );
}

/** The change flow for a signed-in user: current password + new password. */
export function changePasswordRoutes(deps: ChangePasswordRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(PATH, requireUser);
  // Hybrid users also see their domain's own rules, as the agent read them from AD.
  app.get(PATH, async (c) => c.html(<ChangePage c={c} form={await deps.changePassword.form(c.get('user')!)} />));
  app.post(PATH, async (c) => {
    const form = await readForm(c);
    const session = c.get('session')!;
    const user = c.get('user')!;
    const r = await deps.changePassword.change(user, { current: str(form, 'current'), password: str(form, 'password'), confirm: str(form, 'confirm') ?? '' }, { idHash: session.idHash, ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect('/account?done=change.done', 303);
    const page = await deps.changePassword.form(user);
    if (r.reason === 'invalid') return c.html(<ChangePage c={c} form={page} errors={r.errors} reasons={r.passwordReasons} />, 400);
    const problem = (r.reason === 'refused' ? r.message : r.reason) as MessageKey;
    return c.html(<ChangePage c={c} form={page} problem={problem} />, r.reason === 'change.locked' ? 429 : r.reason === 'change.selfServiceBlocked' ? 403 : 422);
  });
  return app;
}
