import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, list, str } from '../http/form.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import { Pager } from '../http/ui/pager.js';
import type { MessageKey } from '../i18n/index.js';
import { roles } from '../directory/names.js';
import type { User, UserPage, UserStore } from '../directory/users.js';
import type { Group, GroupStore } from '../directory/groups.js';
import type { DirectoryService, Outcome } from '../directory/directory-service.js';
import type { HybridAccountActions } from '../writeback/admin-actions.js';
import type { FieldErrors } from '../shared/validation.js';
import type { PasswordReason } from '../passwords/check.js';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { NotMeService } from '../not-me/not-me-service.js';
import { viewerOf } from '../support/access.js';
import type { HelpdeskScopeService, ScopedAccess } from '../support/scope.js';
import type { HelpdeskScope } from '../support/scope-store.js';
import { HelpdeskScopeForm } from '../support/scope-ui.js';
import { consoleRoleOf } from '../http/console-access.js';
import { maskEmail } from '../delivery/destinations.js';
import type { SupportReader } from '../support/support-reader.js';
import type { SupportView } from '../support/types.js';
import { SupportPage } from '../support/support-page.js';

export interface UserPageDeps {
  users: Pick<UserStore, 'list' | 'byId'>;
  groups: Pick<GroupStore, 'list' | 'byId' | 'groupsOfUser'>;
  directory: Pick<DirectoryService, 'createUser' | 'setEnabled' | 'setPassword' | 'setRoles' | 'addMember' | 'removeMember' | 'temporaryPasswordsAllowed'>;
  /** The same actions on a hybrid user's AD account, through the agent. */
  hybridAccounts: Pick<HybridAccountActions, 'setPassword' | 'unlock' | 'requireChange'>;
  /** `config.passwords`: the length the forms' hints and messages name. */
  passwords: PasswordLength;
  /** The self-service block a "this wasn't me" report set, and lifting it. */
  notMe: Pick<NotMeService, 'lift' | 'eventText'>;
  /** Who the signed-in viewer may see: a helpdesk user only the users of their scope (others answer 404, as unknown users do). */
  access: Pick<ScopedAccess, 'find' | 'list' | 'refusal'>;
  /** A helpdesk user's scope, shown to administrators on that user's page. */
  helpdeskScopes: Pick<HelpdeskScopeService, 'of'>;
  /** One user as the support desk sees them. */
  support: Pick<SupportReader, 'view'>;
}

interface PasswordLength {
  minLength: number;
  maxLength: number;
}

const PAGE_SIZE = 25;
const userLabels: Record<string, MessageKey> = { username: 'field.username', displayName: 'field.displayName', email: 'field.email', password: 'field.password', confirm: 'field.confirmPassword', roles: 'field.roles' };

function StatusBadge({ c, user }: { c: AppContext; user: User }) {
  const t = c.get('t');
  return <span class={`badge ${user.enabled ? 'on' : 'off'}`}>{user.enabled ? t('users.enabled') : t('users.disabled')}</span>;
}

function RoleChecks({ c, selected }: { c: AppContext; selected: readonly string[] }) {
  const t = c.get('t');
  return (
    <fieldset>
      <legend>{t('field.roles')}</legend>
      {roles.map((r) => (
        <label>
          <input type="checkbox" name="roles" value={r} checked={selected.includes(r)} />
          {t(`role.${r}`)}
        </label>
      ))}
    </fieldset>
  );
}

function UsersList({ c, q, page }: { c: AppContext; q: string; page: UserPage }) {
  const t = c.get('t');
  const link = (p: number) => `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) }).toString()}`;
  // The helpdesk sees addresses masked; creating users is for administrators.
  const admin = consoleRoleOf(c.get('user')) === 'administrator';
  return (
    <AdminPage c={c} title={t('users.title')} section="/admin/users">
      <h1>{t('users.title')}</h1>
      <div class="row">
        <form method="get" action="/admin/users" role="search" class="row">
          <div>
            <label for="f-q">{t('field.search')}</label>
            <input id="f-q" type="search" name="q" value={q} maxlength={256} />
          </div>
          <Submit kind="secondary">{t('users.search')}</Submit>
        </form>
        {admin ? (
          <a class="button" href="/admin/users/new">
            {t('users.new')}
          </a>
        ) : null}
      </div>
      <p class="muted" role="status">
        {t('users.count', { total: page.total })}
      </p>
      {page.items.length === 0 ? (
        <p>{t('users.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.col.username')}</th>
              <th scope="col">{t('users.col.name')}</th>
              <th scope="col">{t('users.col.email')}</th>
              <th scope="col">{t('users.col.roles')}</th>
              <th scope="col">{t('users.col.status')}</th>
              <th scope="col">{t('users.col.source')}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((u) => (
              <tr>
                <td>
                  <a href={`/admin/users/${encodeURIComponent(u.username)}`}>{u.username}</a>
                </td>
                <td>{u.displayName}</td>
                <td>{u.email ? (admin ? u.email : maskEmail(u.email)) : ''}</td>
                <td>{u.roles.map((r) => t(`role.${r}`)).join(', ')}</td>
                <td>
                  <StatusBadge c={c} user={u} />
                </td>
                <td>{t(`users.source.${u.source}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager t={t} page={page.page} pageSize={page.pageSize} total={page.total} link={link} />
    </AdminPage>
  );
}

function NewUserPage({ c, passwords, values, errors, problem, reasons }: { c: AppContext; passwords: PasswordLength; values?: Record<string, string | string[]>; errors?: FieldErrors; problem?: string; reasons?: PasswordReason[] | undefined }) {
  const t = c.get('t');
  const { minLength: min, maxLength: max } = passwords;
  const e = errors ?? {};
  const v = (k: string) => (typeof values?.[k] === 'string' ? (values[k] as string) : '');
  return (
    <AdminPage c={c} title={t('users.create.title')} section="/admin/users">
      <h1>{t('users.create.title')}</h1>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={userLabels} vars={{ min, max }} />
      <form method="post" action="/admin/users" class="card" novalidate>
        <Csrf c={c} />
        <Field t={t} name="username" label="field.username" hint={t('field.usernameHint')} value={v('username')} required maxlength={256} error={e['username']} autofocus={!errors && !problem} />
        <Field t={t} name="displayName" label="field.displayName" value={v('displayName')} required maxlength={256} error={e['displayName']} />
        <Field t={t} name="email" label="field.emailOptional" type="email" value={v('email')} maxlength={320} error={e['email']} />
        <RoleChecks c={c} selected={Array.isArray(values?.['roles']) ? values['roles'] : typeof values?.['roles'] === 'string' ? [values['roles']] : ['user']} />
        <Field t={t} name="password" label="field.password" type="password" hint={`${t('field.passwordHint', { min })} ${t('users.create.passwordHint')}`} autocomplete="new-password" error={e['password']} errorVars={{ min, max }} reasons={reasons} />
        <Submit>{t('users.new')}</Submit>
      </form>
    </AdminPage>
  );
}

interface AdminFormsView {
  user: User;
  /** The user's groups, direct and through nesting. */
  memberships: Array<Group & { direct: boolean }>;
  /** Every group, for "add to group". */
  allGroups: Group[];
  passwords: PasswordLength;
  /** The user's helpdesk scope, when the user is a helpdesk user and the viewer an administrator (else null: no form). */
  scope: HelpdeskScope | null;
  /** `policy.helpdesk.temporaryPasswords`: off hides the set-password forms. */
  temporaryPasswords: boolean;
  errors?: FieldErrors;
  problem?: string;
  reasons?: PasswordReason[] | undefined;
}

/** The administrator's own forms below the support page: enable/disable, set a password, AD actions, roles, groups. */
function AdminForms({ c, view }: { c: AppContext; view: AdminFormsView }) {
  const t = c.get('t');
  const { user, memberships, allGroups, errors, reasons } = view;
  const { minLength: min, maxLength: max } = view.passwords;
  const directIds = new Set(memberships.filter((g) => g.direct).map((g) => g.id));
  const e = errors ?? {};
  return (
    <>
      <h2>{t('support.admin.title')}</h2>
      <div class="card">
        <form method="post" action={`/admin/users/${user.id}/enabled`}>
          <Csrf c={c} />
          <input type="hidden" name="enabled" value={user.enabled ? '0' : '1'} />
          {user.enabled ? <p class="hint">{t('users.detail.disableHint')}</p> : null}
          <Submit kind={user.enabled ? 'danger' : undefined}>{user.enabled ? t('users.detail.disable') : t('users.detail.enable')}</Submit>
        </form>
      </div>
      {view.temporaryPasswords ? null : <p class="hint">{t('support.admin.temporaryOff')}</p>}

      {user.source === 'onprem' ? (
        <>
          <h2>{t('users.hybrid.title')}</h2>
          <p class="hint">{t('users.hybrid.intro')}</p>
          {view.temporaryPasswords ? (
          <form method="post" action={`/admin/users/${user.id}/ad/password`} class="card" novalidate>
            <Csrf c={c} />
            <h3>{t('users.hybrid.setPassword')}</h3>
            <Field t={t} name="password" label="field.password" type="password" hint={t('field.passwordHint', { min })} autocomplete="new-password" required error={e['password']} errorVars={{ min, max }} reasons={reasons} />
            <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
            <div class="check">
              <input type="checkbox" id="f-mustChange" name="mustChange" value="1" checked />
              <label for="f-mustChange">{t('users.hybrid.mustChange')}</label>
            </div>
            <Submit>{t('users.hybrid.setPassword')}</Submit>
          </form>
          ) : null}
          <div class="row">
            <form method="post" action={`/admin/users/${user.id}/ad/unlock`}>
              <Csrf c={c} />
              <Submit kind="secondary">{t('users.hybrid.unlock')}</Submit>
            </form>
            <form method="post" action={`/admin/users/${user.id}/ad/must-change`}>
              <Csrf c={c} />
              <Submit kind="secondary">{t('users.hybrid.requireChange')}</Submit>
            </form>
          </div>
        </>
      ) : view.temporaryPasswords ? (
        <>
          <h2>{t('users.detail.setPassword')}</h2>
          <form method="post" action={`/admin/users/${user.id}/password`} class="card" novalidate>
            <Csrf c={c} />
            <p class="hint">{t('users.detail.setPasswordHint')}</p>
            <Field t={t} name="password" label="field.password" type="password" hint={t('field.passwordHint', { min })} autocomplete="new-password" required error={e['password']} errorVars={{ min, max }} reasons={reasons} />
            <Field t={t} name="confirm" label="field.confirmPassword" type="password" autocomplete="new-password" required error={e['confirm']} />
            <Submit>{t('users.detail.setPassword')}</Submit>
          </form>
        </>
      ) : null}

      <h2>{t('users.detail.roles')}</h2>
      <form method="post" action={`/admin/users/${user.id}/roles`} class="card">
        <Csrf c={c} />
        <RoleChecks c={c} selected={user.roles} />
        <Submit>{t('users.detail.saveRoles')}</Submit>
      </form>
      {view.scope ? <HelpdeskScopeForm c={c} user={user} scope={view.scope} groups={allGroups} /> : null}

      <h2>{t('users.detail.groups')}</h2>
      <div class="card">
        {memberships.length === 0 ? (
          <p>{t('users.detail.noGroups')}</p>
        ) : (
          <ul>
            {memberships.map((g) => (
              <li>
                <a href={`/admin/groups/${g.id}`}>{g.name}</a>{' '}
                {g.direct ? (
                  <form method="post" action={`/admin/users/${user.id}/groups/remove`} class="inline">
                    <Csrf c={c} />
                    <input type="hidden" name="groupId" value={g.id} />
                    <button type="submit" class="link">
                      {t('users.detail.removeFromGroup', { group: g.name })}
                    </button>
                  </form>
                ) : (
                  <span class="muted">({t('users.detail.viaNested')})</span>
                )}
              </li>
            ))}
          </ul>
        )}
        {allGroups.some((g) => !directIds.has(g.id)) ? (
          <form method="post" action={`/admin/users/${user.id}/groups`} class="row">
            <Csrf c={c} />
            <div>
              <label for="f-groupId">{t('users.detail.chooseGroup')}</label>
              <select id="f-groupId" name="groupId">
                {allGroups
                  .filter((g) => !directIds.has(g.id))
                  .map((g) => (
                    <option value={g.id}>{g.name}</option>
                  ))}
              </select>
            </div>
            <Submit kind="secondary">{t('users.detail.addToGroup')}</Submit>
          </form>
        ) : null}
      </div>
    </>
  );
}

/** /admin/users: the directory's users, one user's details and the administrator's actions on them. Behind the /admin/* role check. */
export function userPages(deps: UserPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { users, groups, directory, hybridAccounts, passwords, notMe, access, support, helpdeskScopes } = deps;
  // The support page for everyone who may see the user; the administrator's forms below it for administrators only.
  const detail = async (c: AppContext, user: User, more: Pick<AdminFormsView, 'errors' | 'problem' | 'reasons'> = {}) => {
    const viewer = viewerOf(c);
    const isAdmin = viewer.roles.includes('administrator');
    const scoped = isAdmin && consoleRoleOf(user) === 'helpdesk';
    // Whether the set-password forms show: the same switch DirectoryService.setPassword enforces.
    const [view, memberships, allGroups, scope, temporaryPasswords] = await Promise.all([support.view(viewer, user), isAdmin ? groups.groupsOfUser(user.id) : [], isAdmin ? groups.list() : [], scoped ? helpdeskScopes.of(user.id) : null, isAdmin ? directory.temporaryPasswordsAllowed() : false]);
    const { minLength: min, maxLength: max } = passwords;
    const errors = more.errors ? <ErrorSummary t={c.get('t')} errors={more.errors} labels={userLabels} vars={{ min, max }} /> : undefined;
    return (
      <SupportPage c={c} view={view satisfies SupportView} eventText={(e) => notMe.eventText(e)} problem={more.problem} errors={errors}>
        {isAdmin ? <AdminForms c={c} view={{ user, memberships, allGroups, passwords, scope, temporaryPasswords, ...more }} /> : null}
      </SupportPage>
    );
  };

  app.get('/admin/users', async (c) => {
    const q = (c.req.query('q') ?? '').slice(0, 256);
    const pageNo = Math.min(Math.max(Number.parseInt(c.req.query('page') ?? '1', 10) || 1, 1), 1_000_000);
    const page = await access.list(viewerOf(c), { q, page: pageNo, pageSize: PAGE_SIZE });
    return c.html(<UsersList c={c} q={q} page={page} />);
  });

  app.get('/admin/users/new', (c) => c.html(<NewUserPage c={c} passwords={passwords} />));

  app.post('/admin/users', async (c) => {
    const form = await readForm(c);
    const input = { username: str(form, 'username'), displayName: str(form, 'displayName'), email: str(form, 'email') ?? '', roles: list(form, 'roles'), password: str(form, 'password') ?? '' };
    const result = await directory.createUser(actorOf(c), input);
    if (result.ok) return c.redirect(`/admin/users/${result.value.id}?done=users.done.created`, 303);
    if (result.reason === 'invalid') return c.html(<NewUserPage c={c} passwords={passwords} values={form} errors={result.errors} reasons={result.passwordReasons} />, 400);
    return c.html(<NewUserPage c={c} passwords={passwords} values={form} problem={c.get('t')(result.message as MessageKey)} />, statusFor[result.reason]);
  });

  // Every action on one user finds them by `:key` (username or id) as the viewer may see them, then asks whether the viewer may act on them.
  const withUser = async (c: AppContext, run: (user: User) => Promise<Outcome<User>>, done: MessageKey) => {
    const user = await access.find(viewerOf(c), c.req.param('key') ?? '');
    if (!user) return c.html(<NotFoundPage c={c} />, 404);
    const refusal = await access.refusal(viewerOf(c), user);
    if (refusal) return c.html(await detail(c, user, { problem: c.get('t')(refusal) }), 403);
    const result = await run(user);
    if (result.ok) return c.redirect(`/admin/users/${user.id}?done=${done}`, 303);
    const fresh = (await users.byId(user.id)) ?? user;
    if (result.reason === 'invalid') return c.html(await detail(c, fresh, { errors: result.errors, reasons: result.passwordReasons }), 400);
    return c.html(await detail(c, fresh, { problem: c.get('t')(result.message as MessageKey) }), statusFor[result.reason]);
  };

  app.get('/admin/users/:key', async (c) => {
    const user = await access.find(viewerOf(c), c.req.param('key'));
    if (!user) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(await detail(c, user));
  });

  app.post('/admin/users/:key/enabled', async (c) => {
    const form = await readForm(c);
    const enabled = str(form, 'enabled');
    if (enabled !== '0' && enabled !== '1') return c.text('enabled must be 0 or 1', 400);
    return withUser(c, (u) => directory.setEnabled(actorOf(c), u.id, enabled === '1'), enabled === '1' ? 'users.done.enabled' : 'users.done.disabled');
  });

  app.post('/admin/users/:key/password', async (c) => {
    const form = await readForm(c);
    return withUser(c, (u) => directory.setPassword(actorOf(c), u.id, { password: str(form, 'password'), confirm: str(form, 'confirm') ?? '' }), 'users.done.password');
  });

  // Hybrid users: the same actions on the AD account, through the agent.
  app.post('/admin/users/:key/ad/password', async (c) => {
    const form = await readForm(c);
    return withUser(c, (u) => hybridAccounts.setPassword(actorOf(c), u, { password: str(form, 'password'), confirm: str(form, 'confirm') ?? '', mustChange: str(form, 'mustChange') === '1' }), 'users.done.password');
  });
  app.post('/admin/users/:key/ad/unlock', (c) => withUser(c, (u) => hybridAccounts.unlock(actorOf(c), u), 'users.done.unlocked'));
  app.post('/admin/users/:key/ad/must-change', (c) => withUser(c, (u) => hybridAccounts.requireChange(actorOf(c), u, true), 'users.done.mustChange'));

  // "This wasn't me": the administrator turns self-service back on after checking the account with the user.
  app.post('/admin/users/:key/self-service/unblock', (c) =>
    withUser(c, async (u) => {
      const r = await notMe.lift(actorOf(c), u.id);
      return r.ok ? { ok: true, value: u } : r;
    }, 'notMe.done.lifted'),
  );

  app.post('/admin/users/:key/roles', async (c) => {
    const form = await readForm(c);
    return withUser(c, (u) => directory.setRoles(actorOf(c), u.id, list(form, 'roles')), 'users.done.roles');
  });

  app.post('/admin/users/:key/groups', async (c) => {
    const form = await readForm(c);
    return withUser(
      c,
      async (u) => {
        const group = await groups.byId(str(form, 'groupId') ?? '');
        if (!group) return { ok: false, reason: 'not_found', message: 'groups.notFound' };
        const r = await directory.addMember(actorOf(c), group.id, { type: 'user', name: u.username });
        return r.ok ? { ok: true, value: u } : r.reason === 'conflict' ? { ok: false, reason: 'conflict', message: 'users.refuse.alreadyMember' } : r;
      },
      'users.done.groupAdded',
    );
  });

  app.post('/admin/users/:key/groups/remove', async (c) => {
    const form = await readForm(c);
    return withUser(
      c,
      async (u) => {
        const r = await directory.removeMember(actorOf(c), str(form, 'groupId') ?? '', { type: 'user', id: u.id });
        return r.ok ? { ok: true, value: u } : r;
      },
      'users.done.groupRemoved',
    );
  });

  return app;
}
