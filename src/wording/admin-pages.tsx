import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { list, readForm, str } from '../http/form.js';
import type { AppContext, AppEnv } from '../http/context.js';
import { actorOf } from '../http/actor.js';
import { AdminPage } from '../http/ui/console-page.js';
import { Field, Submit } from '../http/ui/forms.js';
import { Csrf } from '../http/ui/layout.js';
import { en, type MessageKey } from '../i18n/en.js';
import { messageShape } from '../i18n/check.js';
import { sourceText } from '../i18n/index.js';
import { LANGUAGE_CODES, languageName, PSEUDO_LOCALE } from '../i18n/languages.js';
import type { WordingService, WordingVersion } from './wording-service.js';
import type { WordingProblem } from './wording.js';

const PATH = '/admin/languages';
const MAX_RESULTS = 25;

export interface WordingPageDeps {
  wording: Pick<WordingService, 'refresh' | 'setLanguages' | 'setOverride'>;
}

type Errors = Record<string, WordingProblem>;

const isKey = (k: string): k is MessageKey => Object.hasOwn(en, k);

function problemText(c: AppContext, p: WordingProblem | undefined): string | null {
  return p ? c.get('t')(p.key, p.vars) : null;
}

/** The form's own error summary: each problem links to its field. */
function Summary({ c, errors, labels }: { c: AppContext; errors: Errors; labels: Record<string, string> }) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1} autofocus>
      <strong>{c.get('t')('error.formHasProblems')}</strong>
      <ul>
        {entries.map(([field, p]) => (
          <li>
            <a href={`#f-${field}`}>{`${labels[field] ? `${labels[field]}: ` : ''}${problemText(c, p)}`}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function LanguagesForm({ c, current, errors = {}, chosen }: { c: AppContext; current: WordingVersion; errors?: Errors; chosen?: { languages: string[]; defaultLanguage: string } }) {
  const t = c.get('t');
  const w = chosen ?? current.wording;
  return (
    <form method="post" action={PATH} class="card">
      <h2>{t('wording.offered.title')}</h2>
      <Summary c={c} errors={errors} labels={{ languages: t('wording.offered.legend'), defaultLanguage: t('wording.default.label'), _form: '' }} />
      <Csrf c={c} />
      <input type="hidden" name="expectedVersion" value={String(current.version)} />
      <fieldset id="f-languages" aria-describedby={errors['languages'] ? 'f-languages-hint f-languages-error' : 'f-languages-hint'}>
        <legend>{t('wording.offered.legend')}</legend>
        <p class="hint" id="f-languages-hint">
          {t('wording.offered.hint')}
        </p>
        {errors['languages'] ? (
          <p class="field-error" id="f-languages-error">
            {problemText(c, errors['languages'])}
          </p>
        ) : null}
        {/* The pseudo-locale only while it is offered (a translator's check), so that saving keeps it. */}
        {[...LANGUAGE_CODES, ...(w.languages.includes(PSEUDO_LOCALE) ? [PSEUDO_LOCALE] : [])].map((code) => (
          <label class="choice">
            <input type="checkbox" name="languages" value={code} checked={w.languages.includes(code)} /> <span lang={code}>{languageName(code)}</span>
          </label>
        ))}
      </fieldset>
      <label for="f-defaultLanguage">{t('wording.default.label')}</label>
      <p class="hint" id="f-defaultLanguage-hint">
        {t('wording.default.hint')}
      </p>
      {errors['defaultLanguage'] ? (
        <p class="field-error" id="f-defaultLanguage-error">
          {problemText(c, errors['defaultLanguage'])}
        </p>
      ) : null}
      <select id="f-defaultLanguage" name="defaultLanguage" aria-describedby={errors['defaultLanguage'] ? 'f-defaultLanguage-hint f-defaultLanguage-error' : 'f-defaultLanguage-hint'} aria-invalid={errors['defaultLanguage'] ? 'true' : undefined}>
        {LANGUAGE_CODES.map((code) => (
          <option value={code} lang={code} selected={w.defaultLanguage === code}>
            {languageName(code)}
          </option>
        ))}
      </select>
      <div>
        <Submit>{t('wording.save')}</Submit>
      </div>
    </form>
  );
}

/** Messages whose words in `lang` (with the overrides) or key contain every word of the query. */
function search(q: string, lang: string, current: WordingVersion): MessageKey[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const own = current.wording.overrides[lang] ?? {};
  const found: MessageKey[] = [];
  for (const key of Object.keys(en) as MessageKey[]) {
    const hay = `${key} ${own[key] ?? ''} ${sourceText(lang, key)}`.toLowerCase();
    if (words.every((w) => hay.includes(w))) found.push(key);
    if (found.length > MAX_RESULTS) break;
  }
  return found;
}

function OwnWording({ c, current, q, lang }: { c: AppContext; current: WordingVersion; q: string; lang: string }) {
  const t = c.get('t');
  const found = search(q, lang, current);
  const overrides = Object.entries(current.wording.overrides).flatMap(([l, m]) => Object.entries(m).map(([key, value]) => ({ lang: l, key, value })));
  return (
    <section class="card" aria-labelledby="own-title">
      <h2 id="own-title">{t('wording.own.title')}</h2>
      <p>{t('wording.own.intro', { example: '{helpdesk}' })}</p>
      <form method="get" action={PATH} class="row">
        <Field t={t} name="q" type="search" label="wording.search.label" value={q} hint={t('wording.search.hint')} maxlength={100} />
        <div>
          <label for="f-lang">{t('wording.search.language')}</label>
          <select id="f-lang" name="wlang">
            {LANGUAGE_CODES.map((code) => (
              <option value={code} lang={code} selected={code === lang}>
                {languageName(code)}
              </option>
            ))}
          </select>
        </div>
        <Submit kind="secondary">{t('wording.search.submit')}</Submit>
      </form>
      {q ? (
        found.length === 0 ? (
          <p role="status">{t('wording.search.none')}</p>
        ) : (
          <>
            {found.length > MAX_RESULTS ? <p role="status">{t('wording.search.more', { n: MAX_RESULTS })}</p> : null}
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('wording.col.message')}</th>
                  <th scope="col">{t('wording.col.language')}</th>
                </tr>
              </thead>
              <tbody>
                {found.slice(0, MAX_RESULTS).map((key) => (
                  <tr>
                    <td lang={lang} class="wrap">
                      <a href={`${PATH}/message?wlang=${encodeURIComponent(lang)}&key=${encodeURIComponent(key)}`} title={key}>
                        {current.wording.overrides[lang]?.[key] ?? sourceText(lang, key)}
                      </a>
                    </td>
                    <td>{languageName(lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )
      ) : null}
      {overrides.length === 0 ? (
        <p class="muted">{t('wording.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('wording.col.wording')}</th>
              <th scope="col">{t('wording.col.language')}</th>
              <th scope="col">{t('wording.col.message')}</th>
            </tr>
          </thead>
          <tbody>
            {overrides.map((o) => (
              <tr>
                <td lang={o.lang} class="wrap">
                  <a href={`${PATH}/message?wlang=${encodeURIComponent(o.lang)}&key=${encodeURIComponent(o.key)}`}>{o.value}</a>
                </td>
                <td>{languageName(o.lang)}</td>
                <td class="wrap" lang={o.lang}>
                  <span title={o.key}>{isKey(o.key) ? sourceText(o.lang, o.key) : o.key}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function WordingPage({ c, current, errors, chosen }: { c: AppContext; current: WordingVersion; errors?: Errors; chosen?: { languages: string[]; defaultLanguage: string } }) {
  const t = c.get('t');
  const q = (c.req.query('q') ?? '').slice(0, 100);
  const askedLang = c.req.query('wlang') ?? '';
  const lang = (LANGUAGE_CODES as readonly string[]).includes(askedLang) ? askedLang : c.get('locale').lang === PSEUDO_LOCALE ? 'en' : c.get('locale').lang;
  return (
    <AdminPage c={c} title={t('wording.title')} section={PATH}>
      <h1>{t('wording.title')}</h1>
      <p>{t('wording.intro')}</p>
      {errors?.['_form'] ? <p class="notice error" role="alert">{problemText(c, errors['_form'])}</p> : null}
      <LanguagesForm c={c} current={current} errors={errors} chosen={chosen} />
      <OwnWording c={c} current={current} q={q} lang={lang} />
    </AdminPage>
  );
}

function MessagePage({ c, current, lang, messageKey, value, errors = {} }: { c: AppContext; current: WordingVersion; lang: string; messageKey: MessageKey; value: string; errors?: Errors }) {
  const t = c.get('t');
  const language = languageName(lang);
  const names = [...messageShape(en[messageKey]).names].map((n) => `{${n}}`);
  const own = current.wording.overrides[lang]?.[messageKey];
  const label = t('wording.edit.text', { language });
  const describedBy = ['f-text-hint', errors['text'] ? 'f-text-error' : null].filter(Boolean).join(' ');
  return (
    <AdminPage c={c} title={t('wording.edit.title')} section={PATH}>
      <h1>{t('wording.edit.title')}</h1>
      <Summary c={c} errors={errors} labels={{ text: label, _form: '' }} />
      <dl class="props">
        <dt>{t('wording.edit.english')}</dt>
        <dd lang="en">{sourceText('en', messageKey)}</dd>
        {lang === 'en' ? null : (
          <>
            <dt>{t('wording.edit.standard', { language })}</dt>
            <dd lang={lang}>{sourceText(lang, messageKey)}</dd>
          </>
        )}
      </dl>
      <form method="post" action={`${PATH}/message`} class="card">
        <Csrf c={c} />
        <input type="hidden" name="lang" value={lang} />
        <input type="hidden" name="key" value={messageKey} />
        <input type="hidden" name="expectedVersion" value={String(current.version)} />
        <label for="f-text">{label}</label>
        <p class="hint" id="f-text-hint">
          {names.length ? t('wording.edit.placeholders', { names: names.join(', ') }) : t('wording.edit.noPlaceholders')}
        </p>
        {errors['text'] ? (
          <p class="field-error" id="f-text-error">
            {problemText(c, errors['text'])}
          </p>
        ) : null}
        <textarea id="f-text" name="text" rows={4} lang={lang} maxlength={2000} aria-describedby={describedBy} aria-invalid={errors['text'] ? 'true' : undefined}>
          {value}
        </textarea>
        <Submit>{t('wording.save')}</Submit>
      </form>
      {own !== undefined ? (
        <form method="post" action={`${PATH}/message`}>
          <Csrf c={c} />
          <input type="hidden" name="lang" value={lang} />
          <input type="hidden" name="key" value={messageKey} />
          <input type="hidden" name="expectedVersion" value={String(current.version)} />
          <input type="hidden" name="remove" value="1" />
          <Submit kind="secondary">{t('wording.remove')}</Submit>
        </form>
      ) : null}
      <p>
        <a href={PATH}>{t('wording.edit.back')}</a>
      </p>
    </AdminPage>
  );
}

/** The console's languages and wording: administrators only (the console's role guard), CSRF-checked like every form. */
export function wordingPages(deps: WordingPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The version the form was read at: a form that does not carry one (sent twice, cut, too long) cannot be read.
  const version = (v: unknown) => {
    if (typeof v !== 'string' || !/^\d{1,9}$/.test(v)) throw new HTTPException(400, { message: 'The form could not be read. Reload the page and try again.' });
    return Number(v);
  };
  const pick = (c: AppContext) => {
    const lang = c.req.query('wlang') ?? '';
    const key = c.req.query('key') ?? '';
    return (LANGUAGE_CODES as readonly string[]).includes(lang) && isKey(key) ? { lang, key } : null;
  };

  app.get(PATH, async (c) => c.html(<WordingPage c={c} current={await deps.wording.refresh()} />));

  app.post(PATH, async (c) => {
    const body = await readForm(c);
    const languages = list(body, 'languages');
    const defaultLanguage = str(body, 'defaultLanguage') ?? '';
    const saved = await deps.wording.setLanguages(actorOf(c), { languages, defaultLanguage }, version(body['expectedVersion']));
    const current = await deps.wording.refresh();
    if (saved.ok) return c.redirect(`${PATH}?done=wording.done.${saved.value.version === Number(body['expectedVersion']) ? 'unchanged' : 'saved'}`, 303);
    if (saved.reason === 'conflict') return c.html(<WordingPage c={c} current={current} errors={{ _form: { key: 'wording.conflict' } }} />, 409);
    return c.html(<WordingPage c={c} current={current} errors={saved.errors} chosen={{ languages, defaultLanguage }} />, 400);
  });

  app.get(`${PATH}/message`, async (c) => {
    const chosen = pick(c);
    if (!chosen) return c.notFound();
    const current = await deps.wording.refresh();
    const value = current.wording.overrides[chosen.lang]?.[chosen.key] ?? sourceText(chosen.lang, chosen.key);
    return c.html(<MessagePage c={c} current={current} lang={chosen.lang} messageKey={chosen.key} value={value} />);
  });

  app.post(`${PATH}/message`, async (c) => {
    const body = await readForm(c);
    const lang = str(body, 'lang') ?? '';
    const key = str(body, 'key') ?? '';
    if (!(LANGUAGE_CODES as readonly string[]).includes(lang) || !isKey(key)) return c.notFound();
    const given = str(body, 'text');
    if (given === undefined && body['remove'] !== '1') throw new HTTPException(400, { message: 'The form could not be read. Reload the page and try again.' });
    const value = (given ?? '').replace(/\r\n/g, '\n');
    const saved = await deps.wording.setOverride(actorOf(c), lang, key, body['remove'] === '1' ? null : value, version(body['expectedVersion']));
    const current = await deps.wording.refresh();
    if (saved.ok) return c.redirect(`${PATH}?done=wording.done.saved`, 303);
    if (saved.reason === 'conflict') return c.html(<MessagePage c={c} current={current} lang={lang} messageKey={key} value={value} errors={{ _form: { key: 'wording.conflict' } }} />, 409);
    return c.html(<MessagePage c={c} current={current} lang={lang} messageKey={key} value={value} errors={saved.errors} />, 400);
  });
  return app;
}
