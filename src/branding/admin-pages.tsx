import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AdminPage } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { AppContext, AppEnv } from '../http/context.js';
import { Field, errorText } from '../http/ui/forms.js';
import { Csrf } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import { MAX_FOOTER_LINKS, problemVars, type Brand, type BrandErrors, type BrandInput } from './brand.js';
import type { BrandService, BrandVersion } from './brand-service.js';
import { logoContentTypes, type LogoKind } from './image-check.js';
import { HELPDESK_MARK, serveLogo } from './routes.js';

export interface BrandPageDeps {
  brand: Pick<BrandService, 'current' | 'refresh' | 'update' | 'validate' | 'storeLogo' | 'logo'>;
}

const PATH = '/admin/branding';

/** What the form shows: the values as typed (not yet valid), the logo it carries, the version it edits. */
interface FormState {
  input: { organisationName: string; primaryColour: string; backgroundColour: string; signInMessage: string; helpdesk: string; footerLinks: Array<{ label: string; url: string }> };
  logo: Brand['logo'];
  expectedVersion: number;
}

function stateOf(v: BrandVersion): FormState {
  const b = v.brand;
  return {
    input: { organisationName: b.organisationName, primaryColour: b.primaryColour, backgroundColour: b.backgroundColour, signInMessage: b.signInMessage ?? '', helpdesk: b.helpdesk ?? '', footerLinks: b.footerLinks },
    logo: b.logo,
    expectedVersion: v.version,
  };
}

const labels: Record<string, MessageKey> = {
  organisationName: 'brand.field.organisationName',
  logo: 'brand.field.logo',
  primaryColour: 'brand.field.primaryColour',
  backgroundColour: 'brand.field.backgroundColour',
  signInMessage: 'brand.field.signInMessage',
  helpdesk: 'brand.field.helpdesk',
  footerLinks: 'brand.field.footerLinks',
};

function problemText(c: AppContext, errors: BrandErrors, field: string): string | undefined {
  const f = fieldError(c, errors, field);
  return f.error ? errorText(c.get('t'), f.error, f.errorVars) : undefined;
}

function fieldLabel(c: AppContext, field: string): string {
  const t = c.get('t');
  const link = /^footerLinks\.(\d+)\.(label|url)$/.exec(field);
  if (link) return t(link[2] === 'label' ? 'brand.field.linkLabel' : 'brand.field.linkUrl', { n: Number(link[1]) + 1 });
  return labels[field] ? t(labels[field]) : '';
}

/** A field's error as Field takes it: the message key and its values (the colour names translated). */
function fieldError(c: AppContext, errors: BrandErrors, field: string): { error?: string; errorVars?: Record<string, string | number> } {
  const p = errors[field];
  if (!p) return {};
  return { error: p.key, errorVars: problemVars(c.get('t'), p) };
}

/** The console's own address of a logo: also one only uploaded for a preview, not yet served to everyone. */
const consoleLogoPath = (logo: NonNullable<Brand['logo']>) => `${PATH}/logo/${logo.sha256}.${logo.kind}`;

const fieldId = (field: string) => `f-${field.replace(/\./g, '-')}`;

/**
 * The brand as the sign-in page would show it: the saved one, or the unsaved values after
 * Preview. Colours come from /brand/preview.css (no inline styles under the CSP); with
 * JavaScript, /assets/brand-preview.js updates the name, the logo chosen, the message, the colours, the
 * helpdesk and the footer links as they are typed (the portal checks them all on Preview and Save).
 */
function Preview({ c, brand, unsaved }: { c: AppContext; brand: Brand; unsaved: boolean }) {
  const t = c.get('t');
  const css = `/brand/preview.css?primary=${encodeURIComponent(brand.primaryColour)}&background=${encodeURIComponent(brand.backgroundColour)}`;
  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">{t(unsaved ? 'brand.preview.title' : 'brand.preview.current')}</h2>
      <p class="hint">{t(unsaved ? 'brand.preview.intro' : 'brand.preview.live')}</p>
      <div class="brand-preview" data-testid="brand-preview">
        <div class="brand-preview-bar">
          <img data-preview="logo" src={brand.logo ? consoleLogoPath(brand.logo) : undefined} alt={t('brand.logoAlt', { org: brand.organisationName })} height="32" hidden={!brand.logo} />
          <span data-preview="name">{brand.organisationName}</span>
        </div>
        <div class="brand-preview-body">
          <p class="brand-preview-heading">{t('brand.preview.heading')}</p>
          <p class="sign-in-message" data-preview="message" hidden={!brand.signInMessage}>
            {brand.signInMessage ?? ''}
          </p>
          <span class="button">{t('brand.preview.button')}</span>
          {/* The script fills the helpdesk into the catalogue's own sentence (its marker), and redraws the links as they are typed. */}
          <p class="hint" data-preview="helpdesk" data-template={t('app.helpdesk', { helpdesk: HELPDESK_MARK })} hidden={!brand.helpdesk}>
            {brand.helpdesk ? t('app.helpdesk', { helpdesk: brand.helpdesk }) : ''}
          </p>
          <ul class="brand-footer-links" data-preview="links" hidden={brand.footerLinks.length === 0}>
            {brand.footerLinks.map((l) => (
              <li>
                <a href={l.url}>{l.label}</a>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <link rel="stylesheet" href={css} />
    </section>
  );
}

function BrandPage({ c, current, state, errors, preview }: { c: AppContext; current: BrandVersion; state: FormState; errors?: BrandErrors; preview?: Brand }) {
  const t = c.get('t');
  const e = errors ?? {};
  const entries = Object.keys(e);
  const rows = [...state.input.footerLinks, ...Array.from({ length: MAX_FOOTER_LINKS }, () => ({ label: '', url: '' }))].slice(0, MAX_FOOTER_LINKS);
  return (
    <AdminPage c={c} title={t('brand.title')} section={PATH}>
      <h1>{t('brand.title')}</h1>
      <p>{t('brand.intro')}</p>
      <p class="muted">{current.version === 0 ? t('brand.version.initial') : t('brand.version.saved', { version: current.version, who: current.changedBy ?? '—' })}</p>
      {entries.length > 0 ? (
        <div class="error-summary" role="alert" tabindex={-1} autofocus>
          <strong>{t('error.formHasProblems')}</strong>
          <ul>
            {entries.map((field) => (
              <li>
                <a href={`#${fieldId(field)}`}>
                  {fieldLabel(c, field) ? `${fieldLabel(c, field)}: ` : ''}
                  {problemText(c, e, field)}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {preview ? <Preview c={c} brand={preview} unsaved /> : entries.length === 0 ? <Preview c={c} brand={current.brand} unsaved={false} /> : null}
      <form method="post" action={PATH} enctype="multipart/form-data" class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="expectedVersion" value={String(state.expectedVersion)} />
        {state.logo ? <input type="hidden" name="logo" value={`${state.logo.sha256}.${state.logo.kind}`} /> : null}
        <Field t={t} name="organisationName" label="brand.field.organisationName" value={state.input.organisationName} {...fieldError(c, e, 'organisationName')} maxlength={120} required />
        <fieldset>
          <legend>{t('brand.field.logo')}</legend>
          {state.logo ? (
            <p>
              <img src={consoleLogoPath(state.logo)} alt={t('brand.field.logo.current')} class="brand-logo-current" />
            </p>
          ) : (
            <p class="hint">{t('brand.field.logo.none')}</p>
          )}
          <label for="f-logo">{t('brand.field.logoFile')}</label>
          <p class="hint" id="f-logo-hint">
            {t('brand.field.logo.hint')}
          </p>
          {e['logo'] ? (
            <p class="field-error" id="f-logo-error">
              {problemText(c, e, 'logo')}
            </p>
          ) : null}
          <input id="f-logo" type="file" name="logoFile" accept={Object.values(logoContentTypes).join(',')} aria-describedby={e['logo'] ? 'f-logo-hint f-logo-error' : 'f-logo-hint'} aria-invalid={e['logo'] ? 'true' : undefined} />
          {state.logo ? (
            <div class="check">
              <input id="f-removeLogo" type="checkbox" name="removeLogo" value="1" />
              <label for="f-removeLogo">{t('brand.field.removeLogo')}</label>
            </div>
          ) : null}
        </fieldset>
        <Field t={t} name="primaryColour" label="brand.field.primaryColour" value={state.input.primaryColour} hint={t('brand.field.primaryColour.hint')} {...fieldError(c, e, 'primaryColour')} maxlength={7} />
        <Field t={t} name="backgroundColour" label="brand.field.backgroundColour" value={state.input.backgroundColour} hint={t('brand.field.backgroundColour.hint')} {...fieldError(c, e, 'backgroundColour')} maxlength={7} />
        <div>
          <label for="f-signInMessage">{t('brand.field.signInMessage')}</label>
          <p class="hint" id="f-signInMessage-hint">
            {t('brand.field.signInMessage.hint')}
          </p>
          {e['signInMessage'] ? (
            <p class="field-error" id="f-signInMessage-error">
              {problemText(c, e, 'signInMessage')}
            </p>
          ) : null}
          <textarea id="f-signInMessage" name="signInMessage" rows={3} maxlength={500} aria-describedby={e['signInMessage'] ? 'f-signInMessage-hint f-signInMessage-error' : 'f-signInMessage-hint'} aria-invalid={e['signInMessage'] ? 'true' : undefined}>
            {state.input.signInMessage}
          </textarea>
        </div>
        <Field t={t} name="helpdesk" label="brand.field.helpdesk" value={state.input.helpdesk} hint={t('brand.field.helpdesk.hint')} {...fieldError(c, e, 'helpdesk')} maxlength={300} />
        <fieldset>
          <legend>{t('brand.field.footerLinks')}</legend>
          <p class="hint">{t('brand.field.footerLinks.hint')}</p>
          {e['footerLinks'] ? <p class="field-error">{problemText(c, e, 'footerLinks')}</p> : null}
          {rows.map((row, i) => (
            <div class="row">
              <FieldRaw c={c} id={fieldId(`footerLinks.${i}.label`)} name={`link-${i}-label`} label={fieldLabel(c, `footerLinks.${i}.label`)} value={row.label} error={problemText(c, e, `footerLinks.${i}.label`)} maxlength={60} />
              <FieldRaw c={c} id={fieldId(`footerLinks.${i}.url`)} name={`link-${i}-url`} label={fieldLabel(c, `footerLinks.${i}.url`)} value={row.url} error={problemText(c, e, `footerLinks.${i}.url`)} maxlength={500} inputmode="url" />
            </div>
          ))}
        </fieldset>
        <div class="row">
          <button type="submit" name="action" value="save">
            {t('brand.save')}
          </button>
          <button type="submit" name="action" value="preview" class="secondary">
            {t('brand.preview')}
          </button>
        </div>
      </form>
      <script src="/assets/brand-preview.js" defer></script>
    </AdminPage>
  );
}

function FieldRaw(p: { c: AppContext; id: string; name: string; label: string; value: string; error?: string | undefined; maxlength: number; inputmode?: 'url' }) {
  return (
    <div>
      <label for={p.id}>{p.label}</label>
      {p.error ? (
        <p class="field-error" id={`${p.id}-error`}>
          {p.error}
        </p>
      ) : null}
      <input id={p.id} name={p.name} type="text" inputmode={p.inputmode} value={p.value} maxlength={p.maxlength} aria-invalid={p.error ? 'true' : undefined} aria-describedby={p.error ? `${p.id}-error` : undefined} />
    </div>
  );
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** The console page of the brand: administrators only (the console's role guard), CSRF-checked like every form. */
export function brandPages(deps: BrandPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(PATH, async (c) => {
    const current = await deps.brand.refresh();
    return c.html(<BrandPage c={c} current={current} state={stateOf(current)} />);
  });

  app.get(`${PATH}/logo/:file`, async (c) => {
    const served = await serveLogo(deps.brand, c.req.param('file'), { unpublished: true });
    return served ? c.body(served.body, 200, { ...served.headers, 'Cache-Control': 'private, max-age=3600' }) : c.text('Not found', 404);
  });

  app.post(PATH, async (c) => {
    const body = await c.req.parseBody({ all: true });
    // Each field once; a file only where the logo goes. Anything else is not this form.
    for (const [k, v] of Object.entries(body)) {
      if (Array.isArray(v)) throw new HTTPException(400, { message: 'Each field of the form may be sent only once.' });
      if (typeof v !== 'string' && k !== 'logoFile') throw new HTTPException(400, { message: 'Files are not accepted here.' });
    }
    const expectedVersion = Number(text(body['expectedVersion']));
    if (!/^\d{1,9}$/.test(text(body['expectedVersion']))) throw new HTTPException(400, { message: 'The form could not be read. Reload the page and try again.' });
    const current = await deps.brand.refresh();
    const input: FormState['input'] = {
      organisationName: text(body['organisationName']).slice(0, 500),
      primaryColour: text(body['primaryColour']).slice(0, 50),
      backgroundColour: text(body['backgroundColour']).slice(0, 50),
      signInMessage: text(body['signInMessage']).slice(0, 2000),
      helpdesk: text(body['helpdesk']).slice(0, 1000),
      footerLinks: Array.from({ length: MAX_FOOTER_LINKS }, (_, i) => ({ label: text(body[`link-${i}-label`]).slice(0, 500), url: text(body[`link-${i}-url`]).slice(0, 1000) })),
    };
    // The logo the form carries (the saved one, or one uploaded for a preview), unless removed or replaced.
    const carried = /^([0-9a-f]{64})\.(png|jpg|webp|svg)$/.exec(text(body['logo']));
    let logo: Brand['logo'] = carried ? { sha256: carried[1]!, kind: carried[2] as LogoKind } : null;
    if (body['removeLogo'] === '1') logo = null;
    const errors: BrandErrors = {};
    const file = body['logoFile'];
    // A text value where the file goes (a script posting the form by hand) is not an image either.
    if (typeof file === 'string' && file !== '') errors['logo'] = { key: 'brand.v.logo.notImage' };
    if (file instanceof File && file.size > 0) {
      const stored = await deps.brand.storeLogo(new Uint8Array(await file.arrayBuffer()));
      if (stored.ok) logo = { sha256: stored.value.sha256, kind: stored.value.kind };
      else errors['logo'] = { key: `brand.v.logo.${stored.reason}` };
    }
    const state: FormState = { input, logo, expectedVersion };
    const brandInput: BrandInput = input;
    const checked = deps.brand.validate(brandInput, logo);
    if (!checked.ok || Object.keys(errors).length > 0) {
      return c.html(<BrandPage c={c} current={current} state={state} errors={{ ...errors, ...(checked.ok ? {} : checked.errors) }} />, 400);
    }
    if (body['action'] === 'preview') return c.html(<BrandPage c={c} current={current} state={state} preview={checked.value} />);
    const saved = await deps.brand.update(actorOf(c), brandInput, logo, { expectedVersion: state.expectedVersion });
    if (saved.ok) return c.redirect(`${PATH}?done=${saved.value.version === current.version ? 'brand.done.unchanged' : 'brand.done.saved'}`, 303);
    if (saved.reason === 'conflict') {
      const now = await deps.brand.refresh();
      return c.html(<BrandPage c={c} current={now} state={stateOf(now)} errors={{ _form: { key: 'brand.conflict' } }} />, 409);
    }
    return c.html(<BrandPage c={c} current={current} state={state} errors={saved.errors} />, 400);
  });
  return app;
}
