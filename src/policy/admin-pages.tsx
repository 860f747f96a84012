import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { AppContext, AppEnv } from '../http/context.js';
import { NotFoundPage } from '../http/errors.js';
import { readForm, str, type Form } from '../http/form.js';
import { ErrorSummary, Field, Submit, errorText } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import type { MessageKey } from '../i18n/index.js';
import type { FieldErrors } from '../shared/validation.js';
import { SettingInput } from './admin-forms.js';
import type { PolicySection } from './policy.js';
import { policyChanges, settingValueText, type SettingChange } from './policy-diff.js';
import { policyConflictMessage, type PolicyService, type PolicyVersion } from './policy-service.js';
import type { Group, GroupStore } from '../directory/groups.js';
import { formatDateTime } from '../http/ui/dates.js';
import { formFromPolicy, formName, patchFromForm, policySettings, sectionPages, settingOfPath, settingsOf, valueAt } from './settings.js';
import { BannedListFile, PasswordRulesFields, bannedListRoutes } from './password-rules-page.js';

type SectionPage = (typeof sectionPages)[number];

const HISTORY_ROWS = 100;

export interface PolicyPageDeps {
  policy: Pick<PolicyService, 'current' | 'refresh' | 'history' | 'version' | 'update'>;
  /** The groups the "enabled for" setting chooses from. */
  groups: Pick<GroupStore, 'list'>;
}

const when = (ms: number) => formatDateTime(ms, 'minute');

/** "Version 3, saved by ada on …" — or that the policy still is the configuration's. */
function VersionLine({ c, v }: { c: AppContext; v: PolicyVersion }) {
  const t = c.get('t');
  return (
    <p class="muted">
      {v.version === 0 || v.changedAt === null ? t('policy.version.initial') : t('policy.version.saved', { version: v.version, who: v.changedBy ?? '—', when: when(v.changedAt) })}
      {v.comment ? (
        <>
          {' '}
          {t('policy.version.comment', { comment: v.comment })}
        </>
      ) : null}
    </p>
  );
}

/** The policy frame: title, the sub-navigation between the six sections and the history. */
function PolicyFrame(props: { c: AppContext; title: string; active: string; children?: Child }) {
  const { c } = props;
  const t = c.get('t');
  const links: Array<{ href: string; label: MessageKey }> = [...sectionPages.map((p) => ({ href: `/admin/policy/${p.slug}`, label: p.title })), { href: '/admin/policy/history', label: 'policy.section.history' }];
  return (
    <AdminPage c={c} title={`${props.title} · ${t('policy.title')}`} section="/admin/policy">
      <h1>{t('policy.title')}</h1>
      <nav aria-label={t('policy.sections')}>
        <p class="row">
          {links.map((l) => (
            <a href={l.href} aria-current={l.href === props.active ? 'page' : undefined}>
              {l.href === props.active ? <strong>{t(l.label)}</strong> : t(l.label)}
            </a>
          ))}
        </p>
      </nav>
      {props.children}
    </AdminPage>
  );
}

/** Errors of the posted form: those of this page's settings by field, any other (a stale group elsewhere) as text. */
function splitErrors(t: AppContext['var']['t'], section: PolicySection, errors: FieldErrors): { fields: FieldErrors; other: string[] } {
  const fields: FieldErrors = {};
  const other: string[] = [];
  for (const [path, key] of Object.entries(errors)) {
    const setting = settingOfPath(path);
    if (setting && setting.section === section) fields[formName(setting.path)] ??= key;
    else {
      const text = setting ? `${t(setting.label)}: ${errorText(t, key)}` : errorText(t, key);
      if (!other.includes(text)) other.push(text);
    }
  }
  return { fields, other };
}

interface SectionView {
  page: SectionPage;
  /** The stored version, for the "saved by" line. */
  current: PolicyVersion;
  groups: Group[];
  /** What the form shows: the stored values, or what was posted. */
  values: Form;
  /** The version the form is based on (sent back as expectedVersion). */
  expectedVersion: number;
  comment?: string;
  errors?: FieldErrors;
  problems?: string[];
}

function SectionForm({ c, view }: { c: AppContext; view: SectionView }) {
  const t = c.get('t');
  const { page, current, groups } = view;
  const settings = settingsOf(page.section);
  const errors = view.errors ?? {};
  const labels: Record<string, MessageKey> = { ...Object.fromEntries(settings.map((s) => [formName(s.path), s.label])), comment: 'policy.comment' };
  const input = (path: string) => <SettingInput t={t} setting={settings.find((s) => s.path === path)!} values={view.values} errors={errors} groups={groups} />;
  return (
    <PolicyFrame c={c} title={t(page.title)} active={`/admin/policy/${page.slug}`}>
      <h2>{t(page.title)}</h2>
      <VersionLine c={c} v={current} />
      <p>{t(page.intro)}</p>
      {page.section === 'properties' || page.section === 'methods' ? <Notice>{t('policy.twoGate')}</Notice> : null}
      {(view.problems ?? []).map((p) => (
        <Notice kind="error">{p}</Notice>
      ))}
      <ErrorSummary t={t} errors={errors} labels={labels} />
      <form method="post" action={`/admin/policy/${page.slug}`} class="card" novalidate>
        <Csrf c={c} />
        <input type="hidden" name="expectedVersion" value={String(view.expectedVersion)} />
        {page.section === 'methods' ? (
          <>
            {input('methodsRequired')}
            {input('methodsAvailable')}
            {input('reset.neverWeakerThanSignIn')}
            {input('reset.showRegisteredHints')}
            <h3>{t('policy.questions.heading')}</h3>
            <p class="hint">{t('policy.questions.intro')}</p>
            {input('questions.toRegister')}
            {input('questions.toAnswer')}
            {input('questions.custom')}
          </>
        ) : page.section === 'passwords' ? (
          <PasswordRulesFields t={t} input={input} />
        ) : (
          settings.map((s) => input(s.path))
        )}
        <Field t={t} name="comment" label="policy.comment" hint={t('policy.comment.hint')} value={view.comment ?? ''} maxlength={COMMENT_MAX} error={errors['comment']} />
        <Submit>{t('policy.save')}</Submit>
      </form>
      {page.section === 'passwords' ? <BannedListFile c={c} expectedVersion={view.expectedVersion} /> : null}
    </PolicyFrame>
  );
}

/**
 * The form as its page sends it, before anything is saved: one value for every field but the
 * checkbox lists, a version number that is one, a comment of at most 500 characters. Anything
 * else is refused (400) and changes nothing, instead of being cut or read as "no change".
 */
function formShapeErrors(section: PolicySection, form: Form): { errors: FieldErrors; malformed: boolean } | null {
  const lists = new Set(settingsOf(section).filter((s) => s.kind === 'checks').map((s) => formName(s.path)));
  const malformed = Object.entries(form).some(([name, value]) => Array.isArray(value) && !lists.has(name)) || (form['expectedVersion'] !== undefined && versionNumber(str(form, 'expectedVersion')) === undefined);
  const comment = str(form, 'comment');
  const errors: FieldErrors = comment !== undefined && [...comment].length > COMMENT_MAX ? { comment: 'policy.comment.tooLong' } : {};
  return malformed || Object.keys(errors).length > 0 ? { errors, malformed } : null;
}

const COMMENT_MAX = 500;

function versionNumber(raw: string | undefined): number | undefined {
  return raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}

/** "Methods required: 1 → 2", the setting's path as a tooltip. */
function ChangeList({ c, changes }: { c: AppContext; changes: SettingChange[] }) {
  const t = c.get('t');
  return (
    <ul class="changes">
      {changes.map((ch) => (
        <li title={ch.path}>{t('policy.history.change', { setting: ch.label, before: ch.before, after: ch.after })}</li>
      ))}
    </ul>
  );
}

function HistoryPage({ c, versions, before, groupNames }: { c: AppContext; versions: PolicyVersion[]; before: PolicyVersion | null; groupNames: ReadonlyMap<string, string> }) {
  const t = c.get('t');
  const oldest = versions.at(-1);
  const rows = versions.map((v, i) => {
    const previous = versions[i + 1] ?? before;
    return { v, changes: previous ? policyChanges(t, previous.policy, v.policy, groupNames) : [] };
  });
  const showInitial = !oldest || oldest.version === 1;
  return (
    <PolicyFrame c={c} title={t('policy.section.history')} active="/admin/policy/history">
      <h2>{t('policy.section.history')}</h2>
      <p>{t('policy.history.intro')}</p>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('policy.history.col.version')}</th>
              <th scope="col">{t('policy.history.col.when')}</th>
              <th scope="col">{t('policy.history.col.who')}</th>
              <th scope="col">{t('policy.history.col.comment')}</th>
              <th scope="col">{t('policy.history.col.changed')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ v, changes }) => (
              <tr>
                <td>
                  <a href={`/admin/policy/history/${v.version}`}>{t('policy.history.version', { version: v.version })}</a>
                </td>
                <td>{v.changedAt === null ? '—' : when(v.changedAt)}</td>
                <td>{v.changedBy ?? '—'}</td>
                <td class="wrap">{v.comment ?? ''}</td>
                <td class="wrap">
                  <ChangeList c={c} changes={changes} />
                </td>
              </tr>
            ))}
            {showInitial ? (
              <tr>
                <td>
                  <a href="/admin/policy/history/0">{t('policy.history.version', { version: 0 })}</a>
                </td>
                <td>—</td>
                <td>{t('policy.history.configuration')}</td>
                <td>{t('policy.history.initial')}</td>
                <td></td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </PolicyFrame>
  );
}

function VersionPage({ c, v, current, previous, groupNames }: { c: AppContext; v: PolicyVersion; current: PolicyVersion; previous: PolicyVersion | null; groupNames: ReadonlyMap<string, string> }) {
  const t = c.get('t');
  const changes = previous ? policyChanges(t, previous.policy, v.policy, groupNames) : [];
  const title = t('policy.history.version', { version: v.version });
  return (
    <PolicyFrame c={c} title={title} active="/admin/policy/history">
      <h2>{title}</h2>
      <VersionLine c={c} v={v} />
      {v.version === current.version ? <p>{t('policy.history.current')}</p> : null}
      {previous ? (
        <>
          <h3>{t('policy.history.changedFromPrevious', { previous: previous.version })}</h3>
          {changes.length === 0 ? <p>{t('policy.history.noChanges')}</p> : <ChangeList c={c} changes={changes} />}
        </>
      ) : null}
      <h3>{t('policy.history.document')}</h3>
      <dl class="props card">
        {policySettings.map((s) => (
          <>
            <dt title={s.path}>{t(s.label)}</dt>
            <dd>{settingValueText(t, s, valueAt(v.policy, s.path), groupNames)}</dd>
          </>
        ))}
      </dl>
      <details>
        <summary>{t('policy.history.json')}</summary>
        <pre class="card">
          <code>{JSON.stringify(v.policy, null, 2)}</code>
        </pre>
      </details>
      <p>
        <a href="/admin/policy/history">{t('policy.history.back')}</a>
      </p>
    </PolicyFrame>
  );
}

/** The SSPR policy console: /admin/policy/* (one page per section, and the history). Behind the /admin/* role check. */
export function policyPages(deps: PolicyPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { policy } = deps;
  const sectionForm = async (c: AppContext, view: Omit<SectionView, 'current' | 'groups'>) => {
    const current = await policy.current();
    const groups = view.page.section === 'properties' ? await deps.groups.list() : [];
    return <SectionForm c={c} view={{ ...view, current, groups }} />;
  };

  const groupNames = async () => new Map((await deps.groups.list()).map((g) => [g.id, g.name] as const));

  app.get('/admin/policy', (c) => c.redirect('/admin/policy/properties', 302));

  for (const page of sectionPages) {
    const path = `/admin/policy/${page.slug}`;

    app.get(path, async (c) => {
      const current = await policy.refresh();
      return c.html(await sectionForm(c, { page, values: formFromPolicy(page.section, current.policy), expectedVersion: current.version }));
    });

    app.post(path, async (c) => {
      const form = await readForm(c);
      const before = await policy.refresh();
      const shape = formShapeErrors(page.section, form);
      if (shape) {
        const comment = str(form, 'comment') ?? '';
        const problems = shape.malformed ? [c.get('t')('policy.refuse.form')] : [];
        return c.html(await sectionForm(c, { page, values: shape.malformed ? formFromPolicy(page.section, before.policy) : form, expectedVersion: before.version, comment, errors: shape.errors, problems }), 400);
      }
      const expectedVersion = versionNumber(str(form, 'expectedVersion'));
      const comment = str(form, 'comment') ?? '';
      const result = await policy.update(actorOf(c), patchFromForm(page.section, form), { expectedVersion, comment });
      if (result.ok) return c.redirect(`${path}?done=${result.value.version === before.version ? 'policy.done.unchanged' : 'policy.done.saved'}`, 303);
      const t = c.get('t');
      if (result.reason === 'invalid') {
        const { fields, other } = splitErrors(t, page.section, result.errors);
        return c.html(await sectionForm(c, { page, values: form, expectedVersion: expectedVersion ?? before.version, comment, errors: fields, problems: other }), 400);
      }
      // A concurrent save (or another refusal): show what is stored now, so the change is made on top of it.
      const fresh = await policy.refresh();
      const message = t(policyConflictMessage);
      return c.html(await sectionForm(c, { page, values: formFromPolicy(page.section, fresh.policy), expectedVersion: fresh.version, comment, problems: [message] }), statusFor[result.reason]);
    });
  }

  const passwordsPage = sectionPages.find((p) => p.section === 'passwords')!;
  bannedListRoutes(app, {
    policy,
    render: async (c, view, status) => {
      const { fields, other } = splitErrors(c.get('t'), 'passwords', view.errors ?? {});
      return c.html(await sectionForm(c, { page: passwordsPage, values: view.values, expectedVersion: view.expectedVersion, errors: fields, problems: [...(view.problems ?? []), ...other] }), status);
    },
  });

  app.get('/admin/policy/history', async (c) => {
    const versions = await policy.history(HISTORY_ROWS);
    const oldest = versions.at(-1);
    // The version before the oldest one listed, to tell what that one changed.
    const before = oldest && oldest.version > 0 ? await policy.version(oldest.version - 1) : null;
    return c.html(<HistoryPage c={c} versions={versions} before={before} groupNames={await groupNames()} />);
  });

  app.get('/admin/policy/history/:version', async (c) => {
    const n = versionNumber(c.req.param('version'));
    const v = n === undefined ? null : await policy.version(n);
    if (!v) return c.html(<NotFoundPage c={c} />, 404);
    const current = await policy.current();
    const previous = v.version > 0 ? await policy.version(v.version - 1) : null;
    return c.html(<VersionPage c={c} v={v} current={current} previous={previous} groupNames={await groupNames()} />);
  });

  return app;
}
