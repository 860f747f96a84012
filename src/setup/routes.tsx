import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import type { FieldErrors } from '../shared/validation.js';
import type { PasswordReason } from '../passwords/check.js';
import type { FirstRun } from './first-run.js';

export interface SetupRouteDeps {
  firstRun: Pick<FirstRun, 'isTokenValid' | 'complete'>;
  /** `config.passwords`: the length the form's hints and messages name. */
  passwords: { minLength: number; maxLength: number };
}

interface SetupView {
  token: string;
  values?: { username?: string; displayName?: string; email?: string };
  errors?: FieldErrors;
  reasons?: PasswordReason[] | undefined;
}

function SetupPage({ c, v, passwords }: { c: AppContext; v: SetupView; passwords: SetupRouteDeps['passwords'] }) {
  const t = c.get('t');
  const { minLength: min, maxLength: max } = passwords;
  const e = v.errors ?? {};
  return (
    <Page c={c} title={t('setup.title')} narrow>
      <h1>{t('setup.title')}</h1>
      <ErrorSummary t={t} errors={e} vars={{ min, max }} labels={{ username: 'field.username', displayName: 'field.displayName', email: 'field.email', password: 'field.password', confirm: 'field.confirmPassword' }} />
      <p class="muted">{t('setup.intro')}</p>
      <form method="post" action="/setup" class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="token" value={v.token} />
        <Field t={t} name="username" label="field.username" hint={t('field.usernameHint')} value={v.values?.username} autocomplete="username" required maxlength={256} error={e['username']} autofocus={!v.errors} />
        <Field t={t} name="displayName" label="field.displayName" value={v.values?.displayName} autocomplete="name" required maxlength={256} error={e['displayName']} />
        <Field t={t} name="email" label="field.emailOptional" type="email" value={v.values?.email} autocomplete="email" maxlength={320} error={e['email']} />
        <Field t={t} name="password" label="field.password" type="password" hint={t('field.passwordHint', { min })} autocomplete="new-password" required error={e['password']} errorVars={{ min, max }} reasons={v.reasons} />
        <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
        <Submit>{t('setup.submit')}</Submit>
      </form>
    </Page>
  );
}

function InvalidLink({ c }: { c: AppContext }) {
  const t = c.get('t');
  return (
    <Page c={c} title={t('setup.title')} narrow>
      <h1>{t('setup.title')}</h1>
      <Notice kind="error">{t('setup.invalid')}</Notice>
    </Page>
  );
}

/** The one-time administrator setup page. The GET only shows the form; only the POST uses the token. */
export function setupRoutes(deps: SetupRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/setup', async (c) => {
    const token = c.req.query('token') ?? '';
    if (!(await deps.firstRun.isTokenValid(token))) return c.html(<InvalidLink c={c} />, 410);
    return c.html(<SetupPage c={c} passwords={deps.passwords} v={{ token }} />);
  });

  app.post('/setup', async (c) => {
    const form = await readForm(c);
    const token = str(form, 'token') ?? '';
    const input = { username: str(form, 'username'), displayName: str(form, 'displayName'), email: str(form, 'email') ?? '', password: str(form, 'password'), confirm: str(form, 'confirm') };
    const result = await deps.firstRun.complete(token, input);
    if (result.ok) return c.redirect('/sign-in?m=setupDone', 303);
    const values = { username: input.username ?? '', displayName: input.displayName ?? '', email: input.email };
    if (result.reason === 'invalid') return c.html(<SetupPage c={c} passwords={deps.passwords} v={{ token, values, errors: result.errors, reasons: result.passwordReasons }} />, 400);
    if (result.reason === 'conflict') return c.html(<SetupPage c={c} passwords={deps.passwords} v={{ token, values, errors: { username: result.message } }} />, 409);
    return c.html(<InvalidLink c={c} />, 410);
  });
  return app;
}
