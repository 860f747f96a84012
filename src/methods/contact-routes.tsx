import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice, Page } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import type { MessageKey } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import { BASE, type SecurityInfoRouteDeps } from './route-deps.js';

export type ContactDeps = Pick<SecurityInfoRouteDeps, 'securityInfo' | 'phoneRegion'>;

const contactKind = (k: string | undefined): 'email' | 'mobile' | 'office' | null => (k === 'email' || k === 'mobile' || k === 'office' ? k : null);

function ContactForm({ c, deps, kind, values, errors, problem }: { c: AppContext; deps: ContactDeps; kind: 'email' | 'mobile' | 'office'; values?: { email?: string; phone?: string; via?: string }; errors?: FieldErrors; problem?: MessageKey }) {
  const t = c.get('t');
  const e = errors ?? {};
  const title: MessageKey = kind === 'email' ? 'methods.add.email' : kind === 'mobile' ? 'methods.add.mobile' : 'methods.add.office';
  const sms = deps.securityInfo.available('mobile_sms');
  const voice = deps.securityInfo.available('mobile_voice');
  return (
    <Page c={c} title={t(title)} narrow>
      <h1>{t(title)}</h1>
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={{ email: 'methods.email.label', phone: 'methods.phone.label' }} />
      <form method="post" action={`${BASE}/add/${kind}`} class="card" novalidate>
        <Csrf c={c} />
        {kind === 'email' ? (
          <Field t={t} name="email" type="email" label="methods.email.label" hint={t('methods.email.hint')} value={values?.email} autocomplete="email" required maxlength={320} error={e['email']} autofocus={!errors} />
        ) : (
          <Field t={t} name="phone" label="methods.phone.label" hint={t('methods.phone.hint', { region: deps.phoneRegion })} value={values?.phone} autocomplete="tel" required maxlength={40} error={e['phone']} autofocus={!errors} />
        )}
        {kind === 'mobile' && sms && voice ? (
          <fieldset>
            <legend>{t('methods.phone.how')}</legend>
            <label>
              <input type="radio" name="via" value="sms" checked={values?.via !== 'voice'} />
              {t('methods.phone.sms')}
            </label>
            <label>
              <input type="radio" name="via" value="voice" checked={values?.via === 'voice'} />
              {t('methods.phone.voice')}
            </label>
          </fieldset>
        ) : null}
        <Submit>{t('methods.sendCode')}</Submit>
      </form>
      <p>
        <a href={BASE}>{t('methods.back')}</a>
      </p>
    </Page>
  );
}

/** Adding an email address or a phone: the address or number, then a code sent to it (confirm-routes). */
export function contactRoutes(deps: ContactDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(`${BASE}/add/:kind`, (c) => {
    const kind = contactKind(c.req.param('kind'));
    if (!kind) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(<ContactForm c={c} deps={deps} kind={kind} />);
  });

  app.post(`${BASE}/add/:kind`, async (c) => {
    const kind = contactKind(c.req.param('kind'));
    if (!kind) return c.html(<NotFoundPage c={c} />, 404);
    const form = await readForm(c);
    const via = str(form, 'via') === 'voice' ? 'voice' : 'sms';
    const value = kind === 'email' ? str(form, 'email') : str(form, 'phone');
    const r = await deps.securityInfo.startContact(c.get('user')!, kind, value ?? '', via);
    if (r.ok) return c.redirect(`${BASE}/confirm/${r.value.id}${kind === 'mobile' ? `?via=${via}` : ''}`, 303);
    const values = { email: str(form, 'email'), phone: str(form, 'phone'), via };
    if (r.field) return c.html(<ContactForm c={c} deps={deps} kind={kind} values={values} errors={{ [r.field]: r.reason }} />, 400);
    return c.html(<ContactForm c={c} deps={deps} kind={kind} values={values} problem={r.reason} />, r.reason === 'methods.sendFailed' ? 502 : 422);
  });

  return app;
}
