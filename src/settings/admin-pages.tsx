import { Hono } from 'hono';
import type { StoredSection } from '../config/stored-sections.js';
import { actorOf } from '../http/actor.js';
import type { AppContext, AppEnv } from '../http/context.js';
import { NotFoundPage } from '../http/errors.js';
import { readForm, str, type Form } from '../http/form.js';
import { AdminPage } from '../http/ui/console-page.js';
import { formatDateTime } from '../http/ui/dates.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { Translate } from '../i18n/index.js';
import { formName } from '../policy/settings.js';
import { validateSection, type SettingProblem, type SettingProblems } from './document.js';
import { fieldOfPath, sectionPages, type SectionPage, type SettingField } from './fields.js';
import { COMMENT_MAX, documentFromForm, formOf, formShapeProblems, problemsByField, removeName, secretIsSet } from './form.js';
import type { SettingsService, SettingsVersion } from './settings-service.js';
import type { TestMessages, TestOutcome } from './test-messages.js';

const PATH = '/admin/settings';
const HISTORY_ROWS = 10;

export interface SettingsPageDeps {
  settings: Pick<SettingsService, 'refresh' | 'update' | 'history' | 'view' | 'isFixed'>;
  tests: Pick<TestMessages, 'email' | 'sms'>;
}

type Status = { kind: 'ok' | 'error' | 'warn'; text: string } | null;
const when = (ms: number) => formatDateTime(ms, 'minute');

function problemText(t: Translate, p: SettingProblem): string {
  return t(p.key, p.vars);
}

function FieldInput({ t, field, form, errors, view, fixed }: { t: Translate; field: SettingField; form: Form; errors: SettingProblems; view: Record<string, unknown>; fixed: boolean }) {
  const name = formName(field.path);
  const id = `f-${name}`;
  const error = errors[name];
  const value = typeof form[name] === 'string' ? (form[name] as string) : '';
  const notes = [field.hint ? t(field.hint) : null, field.kind === 'secret' ? t(secretIsSet(view, field.path) ? 'settings.secret.set' : 'settings.secret.notSet') : null, fixed ? t('settings.fixed.note') : null].filter((x): x is string => x !== null);
  const describedBy = [notes.length ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  const hint = notes.length ? (
    <p class="hint" id={`${id}-hint`}>
      {notes.join(' ')}
    </p>
  ) : null;
  const errorLine = error ? (
    <p class="field-error" id={`${id}-error`}>
      {problemText(t, error)}
    </p>
  ) : null;
  const invalid = error ? 'true' : undefined;
  if (field.kind === 'yesno') {
    return (
      <fieldset id={id} tabindex={-1} aria-describedby={describedBy} disabled={fixed}>
        <legend>{t(field.label)}</legend>
        {hint}
        {errorLine}
        {(['yes', 'no'] as const).map((v) => (
          <label class="choice">
            <input type="radio" name={name} value={v} checked={value === v} aria-invalid={invalid} /> {t(v === 'yes' ? 'settings.yes' : 'settings.no')}
          </label>
        ))}
      </fieldset>
    );
  }
  const label = <label for={id}>{t(field.label)}</label>;
  if (field.kind === 'select') {
    return (
      <div>
        {label}
        {hint}
        {errorLine}
        <select id={id} name={name} aria-invalid={invalid} aria-describedby={describedBy} disabled={fixed}>
          {(field.options ?? []).map((o) => (
            <option value={o.value} selected={value === o.value}>
              {t(o.label)}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (field.kind === 'lines') {
    return (
      <div>
        {label}
        {hint}
        {errorLine}
        <textarea id={id} name={name} rows={4} maxlength={field.maxlength} spellcheck={false} aria-invalid={invalid} aria-describedby={describedBy} disabled={fixed}>
          {value}
        </textarea>
      </div>
    );
  }
  const secret = field.kind === 'secret';
  return (
    <div>
      {label}
      {hint}
      {errorLine}
      <input
        id={id}
        name={name}
        type={secret ? 'password' : 'text'}
        inputmode={field.kind === 'number' ? 'numeric' : field.kind === 'decimal' ? 'decimal' : undefined}
        value={secret ? undefined : value}
        autocomplete={secret ? 'new-password' : 'off'}
        spellcheck={false}
        maxlength={field.maxlength}
        class={field.kind === 'number' || field.kind === 'decimal' ? 'short' : undefined}
        aria-invalid={invalid}
        aria-describedby={describedBy}
        disabled={fixed}
      />
      {secret && secretIsSet(view, field.path) && !fixed ? (
        <label class="choice">
          <input type="checkbox" name={removeName(field.path)} value="yes" /> {t('settings.secret.remove')}
        </label>
      ) : null}
    </div>
  );
}

function Summary({ t, errors, section }: { t: Translate; errors: SettingProblems; section: StoredSection }) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1} autofocus>
      <strong>{t('error.formHasProblems')}</strong>
      <ul>
        {entries.map(([name, p]) => {
          const field = name === '_form' ? null : fieldOfPath(section, name.replace(/-/g, '.'));
          return (
            <li>
              <a href={name === '_form' ? '#settings-form' : `#f-${name}`}>{`${field ? `${t(field.label)}: ` : ''}${problemText(t, p)}`}</a>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function VersionLine({ t, v }: { t: Translate; v: SettingsVersion }) {
  return <p class="muted">{v.version === 0 || v.changedAt === null ? t('settings.notChanged') : `${t('settings.history.version', { n: v.version })} · ${t('settings.changedBy', { when: when(v.changedAt), who: v.changedBy ?? '—' })}`}</p>;
}

function outcomeStatus(t: Translate, o: TestOutcome, badAddress: 'settings.test.badAddress' | 'settings.test.badPhone'): Status {
  if (o.ok) return o.via === 'outbox' ? { kind: 'warn', text: t('settings.test.outbox') } : { kind: 'ok', text: t('settings.test.sent', { provider: o.provider, to: o.to }) };
  if (o.reason === 'badAddress') return { kind: 'error', text: t(badAddress) };
  if (o.reason === 'limited') return { kind: 'error', text: t('settings.test.limited') };
  return { kind: 'error', text: t('settings.test.failed', { detail: o.detail ?? '—' }) };
}

function TestForms({ c }: { c: AppContext }) {
  const t = c.get('t');
  const me = c.get('user');
  return (
    <>
      <form method="post" action={`${PATH}/delivery/test-email`} class="card">
        <h2>{t('settings.test.email.title')}</h2>
        <p>{t('settings.test.email.intro')}</p>
        <Csrf c={c} />
        <label for="f-test-email">{t('settings.test.email.to')}</label>
        <input id="f-test-email" name="to" type="email" autocomplete="email" value={me?.email ?? ''} maxlength={320} required />
        <div>
          <Submit kind="secondary">{t('settings.test.email.submit')}</Submit>
        </div>
      </form>
      <form method="post" action={`${PATH}/delivery/test-sms`} class="card">
        <h2>{t('settings.test.sms.title')}</h2>
        <p>{t('settings.test.sms.intro')}</p>
        <Csrf c={c} />
        <label for="f-test-sms">{t('settings.test.sms.to')}</label>
        <input id="f-test-sms" name="to" type="tel" autocomplete="tel" maxlength={32} required dir="ltr" />
        <div>
          <Submit kind="secondary">{t('settings.test.sms.submit')}</Submit>
        </div>
      </form>
    </>
  );
}

async function SectionView(props: { c: AppContext; deps: SettingsPageDeps; page: SectionPage; current: SettingsVersion; form?: Form; errors?: SettingProblems; status?: Status }) {
  const { c, deps, page, current } = props;
  const t = c.get('t');
  const view = deps.settings.view(current);
  const form = props.form ?? formOf(page.section, view);
  const errors = props.errors ?? {};
  const history = await deps.settings.history(page.section, HISTORY_ROWS);
  return (
    <AdminPage c={c} title={`${t(page.title)} · ${t('settings.title')}`} section={PATH}>
      <p>
        <a href={PATH}>{t('settings.cancel')}</a>
      </p>
      <h1>{t(page.title)}</h1>
      <p>{t(page.intro)}</p>
      <VersionLine t={t} v={current} />
      {props.status ? <Notice kind={props.status.kind}>{props.status.text}</Notice> : null}
      <form method="post" action={`${PATH}/${page.slug}`} class="card" id="settings-form" tabindex={-1}>
        <Summary t={t} errors={errors} section={page.section} />
        <Csrf c={c} />
        <input type="hidden" name="expectedVersion" value={String(current.version)} />
        {page.groups.map((g) => {
          const fields = g.fields.map((f) => <FieldInput t={t} field={f} form={form} errors={errors} view={view} fixed={deps.settings.isFixed(page.section, f.path)} />);
          return g.legend ? (
            <fieldset class="group">
              <legend>{t(g.legend)}</legend>
              {fields}
            </fieldset>
          ) : (
            fields
          );
        })}
        <label for="f-comment">{t('settings.comment')}</label>
        <p class="hint" id="f-comment-hint">
          {t('settings.comment.hint')}
        </p>
        {errors['comment'] ? (
          <p class="field-error" id="f-comment-error">
            {problemText(t, errors['comment'])}
          </p>
        ) : null}
        <input id="f-comment" name="comment" type="text" maxlength={COMMENT_MAX} aria-describedby={errors['comment'] ? 'f-comment-hint f-comment-error' : 'f-comment-hint'} aria-invalid={errors['comment'] ? 'true' : undefined} value={(str(form, 'comment') ?? '').slice(0, COMMENT_MAX)} />
        <div>
          <Submit>{t('settings.save')}</Submit>
        </div>
      </form>
      {page.section === 'delivery' ? <TestForms c={c} /> : null}
      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">{t('settings.history.title')}</h2>
        {history.length === 0 ? (
          <p class="muted">{t('settings.history.none')}</p>
        ) : (
          <ul>
            {history.map((v) => (
              <li>
                {`${t('settings.history.version', { n: v.version })} · ${t('settings.changedBy', { when: when(v.changedAt ?? 0), who: v.changedBy ?? '—' })}`}
                {v.comment ? ` · ${v.comment}` : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
    </AdminPage>
  );
}

function IndexPage({ c, all }: { c: AppContext; all: Record<StoredSection, SettingsVersion> }) {
  const t = c.get('t');
  return (
    <AdminPage c={c} title={t('settings.title')} section={PATH}>
      <h1>{t('settings.title')}</h1>
      <p>{t('settings.intro')}</p>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('settings.col.section')}</th>
            <th scope="col">{t('settings.col.changed')}</th>
          </tr>
        </thead>
        <tbody>
          {sectionPages.map((p) => {
            const v = all[p.section];
            return (
              <tr>
                <td>
                  <a href={`${PATH}/${p.slug}`}>{t(p.title)}</a>
                </td>
                <td>{v.version === 0 || v.changedAt === null ? t('settings.notChanged') : t('settings.changedBy', { when: when(v.changedAt), who: v.changedBy ?? '—' })}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </AdminPage>
  );
}

/** The console's settings: one page per stored section, each saved whole as a new version; test messages on the delivery page. */
export function settingsPages(deps: SettingsPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const pageOfSlug = (slug: string) => sectionPages.find((p) => p.slug === slug) ?? null;

  app.get(PATH, async (c) => c.html(<IndexPage c={c} all={await deps.settings.refresh()} />));

  const test = (channel: 'email' | 'sms') => async (c: AppContext) => {
    const form = await readForm(c);
    const page = pageOfSlug('delivery')!;
    const to = (str(form, 'to') ?? '').trim().slice(0, 320);
    const t = c.get('t');
    const outcome = channel === 'email' ? await deps.tests.email(actorOf(c), to, t) : await deps.tests.sms(actorOf(c), to, t);
    const status = outcomeStatus(t, outcome, channel === 'email' ? 'settings.test.badAddress' : 'settings.test.badPhone');
    const current = (await deps.settings.refresh()).delivery;
    return c.html(<SectionView c={c} deps={deps} page={page} current={current} status={status} />, outcome.ok ? 200 : outcome.reason === 'badAddress' ? 400 : 502);
  };
  app.post(`${PATH}/delivery/test-email`, test('email'));
  app.post(`${PATH}/delivery/test-sms`, test('sms'));

  app.get(`${PATH}/:slug`, async (c) => {
    const page = pageOfSlug(c.req.param('slug'));
    if (!page) return c.html(<NotFoundPage c={c} />, 404);
    const current = (await deps.settings.refresh())[page.section];
    const done = c.req.query('done');
    const status: Status = done === 'saved' ? { kind: 'ok', text: c.get('t')('settings.done.saved') } : done === 'unchanged' ? { kind: 'ok', text: c.get('t')('settings.done.unchanged') } : null;
    return c.html(<SectionView c={c} deps={deps} page={page} current={current} status={status} />);
  });

  app.post(`${PATH}/:slug`, async (c) => {
    const page = pageOfSlug(c.req.param('slug'));
    if (!page) return c.html(<NotFoundPage c={c} />, 404);
    const t = c.get('t');
    const form = await readForm(c);
    const before = (await deps.settings.refresh())[page.section];
    const doc = documentFromForm(page.section, form, deps.settings.view(before));
    const shape = formShapeProblems(page.section, form);
    if (Object.keys(shape).length > 0) {
      // Refused as a whole; the other fields' problems are told with it, as a save would have.
      const checked = validateSection(page.section, doc);
      const errors = { ...(checked.ok ? {} : problemsByField(page.section, checked.errors)), ...shape };
      return c.html(<SectionView c={c} deps={deps} page={page} current={before} form={form} errors={errors} />, 400);
    }
    const expected = Number(str(form, 'expectedVersion'));
    const r = await deps.settings.update(actorOf(c), page.section, doc, { mode: 'replace', expectedVersion: Number.isInteger(expected) ? expected : -1, comment: str(form, 'comment') ?? '' });
    if (r.ok) return c.redirect(`${PATH}/${page.slug}?done=${r.value.version === before.version ? 'unchanged' : 'saved'}`, 303);
    const current = (await deps.settings.refresh())[page.section];
    if (r.reason === 'conflict') return c.html(<SectionView c={c} deps={deps} page={page} current={current} status={{ kind: 'error', text: t('settings.conflict') }} />, 409);
    if (r.reason === 'fixed') return c.html(<SectionView c={c} deps={deps} page={page} current={current} form={form} status={{ kind: 'error', text: t('settings.fixed.refused', { paths: r.paths.join(', ') }) }} />, 422);
    return c.html(<SectionView c={c} deps={deps} page={page} current={current} form={form} errors={problemsByField(page.section, r.errors)} />, 400);
  });
  return app;
}
