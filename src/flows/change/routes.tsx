import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../../http/context.js';
import { requireUser } from '../../http/guards.js';
import { readForm, str } from '../../http/form.js';
import { ErrorSummary, Field, Submit } from '../../http/ui/forms.js';
import { Csrf, Notice, Page } from '../../http/ui/layout.js';
import type { MessageKey } from '../../i18n/index.js';
import type { PasswordReason } from '../../passwords/check.js';
import type { FieldErrors } from '../../shared/validation.js';
import type { ReportedPolicy } from '../../agent-protocol/index.js';
import { OnPremisesRules } from '../../writeback/ui.js';

const PATH = '/account/change-password';

function ChangePage({ c, errors, reasons, problem, adPolicy }: { c: AppContext; errors?: FieldErrors; reasons?: PasswordReason[] | undefined; problem?: MessageKey; adPolicy?: ReportedPolicy | null }) {
  const t = c.get('t');
  const { minLength: min, maxLength: max } = c.get('portal').config.passwords;
  const e = errors ?? {};
  return (
    <Page c={c} title={t('change.title')} narrow>
      <h1>{t('change.title')}</h1>
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <ErrorSummary t={t} errors={e} vars={{ min, max }} labels={{ current: 'change.current', password: 'change.new', confirm: 'field.confirmPassword' }} />
      <p class="muted">{t('change.intro', { min })}</p>
      {adPolicy ? <OnPremisesRules c={c} policy={adPolicy} context="change" /> : null}
      <form method="post" action={PATH} class="card" novalidate>
        <Csrf c={c} />
        <Field t={t} name="current" label="change.current" type="password" autocomplete="current-password" required error={e['current']} autofocus={!errors && !problem} />
        <Field t={t} name="password" label="change.new" type="password" hint={t('field.passwordHint', { min })} autocomplete="new-password" required error={e['password']} errorVars={{ min, max }} reasons={reasons} />
        <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
        <Submit>{t('change.submit')}</Submit>
      </form>
      <p>
        <a href="/account">{t('methods.cancel')}</a>
      </p>
    </Page>
  );
}

/** The change flow for a signed-in user: current password + new password. */
export function changePasswordRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(PATH, requireUser);
  // Hybrid users also see their domain's own rules, as the agent read them from AD.
  const adPolicy = async (c: AppContext) => {
    const user = c.get('user');
    if (user?.source !== 'onprem') return null;
    return (await c.get('portal').writeback.policyFor(user)) ?? c.get('portal').agents.domainPolicy();
  };
  app.get(PATH, async (c) => c.html(<ChangePage c={c} adPolicy={await adPolicy(c)} />));
  app.post(PATH, async (c) => {
    const form = await readForm(c);
    const session = c.get('session')!;
    const r = await c.get('portal').changePassword.change(c.get('user')!, { current: str(form, 'current'), password: str(form, 'password'), confirm: str(form, 'confirm') ?? '' }, { idHash: session.idHash, ip: c.get('ip'), userAgent: c.get('userAgent') });
    if (r.ok) return c.redirect('/account?done=change.done', 303);
    if (r.reason === 'invalid') return c.html(<ChangePage c={c} errors={r.errors} reasons={r.passwordReasons} adPolicy={await adPolicy(c)} />, 400);
    return c.html(<ChangePage c={c} problem={r.message as MessageKey} adPolicy={await adPolicy(c)} />, r.message === 'change.locked' ? 429 : 422);
  });
  return app;
}
