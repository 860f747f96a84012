import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import type { MessageKey } from '../i18n/index.js';
import type { Group, GroupStore, Member } from '../directory/groups.js';
import type { DirectoryService, Outcome } from '../directory/directory-service.js';
import type { FieldErrors } from '../shared/validation.js';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';

export interface GroupPageDeps {
  groups: Pick<GroupStore, 'list' | 'byId' | 'directMembers' | 'transitiveUserIds'>;
  directory: Pick<DirectoryService, 'createGroup' | 'addMember' | 'removeMember'>;
}

function GroupsList({ c, groups, errors, problem, values }: { c: AppContext; groups: Array<Group & { directMembers: number }>; errors?: FieldErrors; problem?: string; values?: { name?: string; description?: string } }) {
  const t = c.get('t');
  const e = errors ?? {};
  return (
    <AdminPage c={c} title={t('groups.title')} section="/admin/groups">
      <h1>{t('groups.title')}</h1>
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={{ name: 'field.groupName', description: 'field.description' }} />
      {groups.length === 0 ? (
        <p>{t('groups.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('groups.col.name')}</th>
              <th scope="col">{t('groups.col.description')}</th>
              <th scope="col">{t('groups.col.members')}</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr>
                <td>
                  <a href={`/admin/groups/${g.id}`}>{g.name}</a>
                </td>
                <td>{g.description}</td>
                <td>{g.directMembers}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('groups.new')}</h2>
      <form method="post" action="/admin/groups" class="card" novalidate>
        <Csrf c={c} />
        <Field t={t} name="name" label="field.groupName" value={values?.name} required maxlength={256} error={e['name']} />
        <Field t={t} name="description" label="field.description" value={values?.description} maxlength={1024} error={e['description']} />
        <Submit>{t('groups.new')}</Submit>
      </form>
    </AdminPage>
  );
}

/** A group's direct members, and how many users it holds through nesting. */
interface GroupDetailView {
  group: Group;
  members: Member[];
  effective: number;
  errors?: FieldErrors;
  problem?: string;
}

function GroupDetail({ c, view }: { c: AppContext; view: GroupDetailView }) {
  const t = c.get('t');
  const { group, members, effective, errors, problem } = view;
  const e = errors ?? {};
  return (
    <AdminPage c={c} title={group.name} section="/admin/groups">
      <h1>{group.name}</h1>
      {group.description ? <p class="muted">{group.description}</p> : null}
      {problem ? <Notice kind="error">{problem}</Notice> : null}
      <ErrorSummary t={t} errors={e} labels={{ name: 'groups.memberName', type: 'groups.memberType' }} />
      <h2>{t('groups.members')}</h2>
      <p>{t('groups.effective', { n: effective })}</p>
      {members.length === 0 ? (
        <p>{t('groups.noMembers')}</p>
      ) : (
        <table>
          <tbody>
            {members.map((m) => (
              <tr>
                <td>
                  <a href={m.type === 'user' ? `/admin/users/${encodeURIComponent(m.name)}` : `/admin/groups/${m.id}`}>{m.name}</a>
                  {m.type === 'user' && m.displayName !== m.name ? <span class="muted"> — {m.displayName}</span> : null}
                </td>
                <td>
                  <span class="badge">{t(`groups.kind.${m.type}`)}</span>
                </td>
                <td>
                  <form method="post" action={`/admin/groups/${group.id}/members/remove`} class="inline">
                    <Csrf c={c} />
                    <input type="hidden" name="type" value={m.type} />
                    <input type="hidden" name="id" value={m.id} />
                    <button type="submit" class="link" aria-label={t('groups.removeMember', { name: m.name })}>
                      {t('groups.remove')}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('groups.addMember')}</h2>
      <form method="post" action={`/admin/groups/${group.id}/members`} class="card" novalidate>
        <Csrf c={c} />
        <fieldset>
          <legend>{t('groups.memberType')}</legend>
          <label>
            <input type="radio" name="type" value="user" checked />
            {t('groups.memberType.user')}
          </label>
          <label>
            <input type="radio" name="type" value="group" />
            {t('groups.memberType.group')}
          </label>
        </fieldset>
        <Field t={t} name="name" label="groups.memberName" required maxlength={256} error={e['name']} />
        <Submit>{t('groups.addMember')}</Submit>
      </form>
    </AdminPage>
  );
}

/** /admin/groups: the groups, one group's members, and adding or removing members. Behind the /admin/* role check. */
export function groupPages(deps: GroupPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { groups, directory } = deps;
  const list = async (c: AppContext, more: { errors?: FieldErrors; problem?: string; values?: { name?: string; description?: string } } = {}) => <GroupsList c={c} groups={await groups.list()} {...more} />;
  const detail = async (c: AppContext, group: Group, more: Pick<GroupDetailView, 'errors' | 'problem'> = {}) => {
    const [members, effective] = await Promise.all([groups.directMembers(group.id), groups.transitiveUserIds(group.id)]);
    return <GroupDetail c={c} view={{ group, members, effective: effective.size, ...more }} />;
  };
  app.get('/admin/groups', async (c) => c.html(await list(c)));

  app.post('/admin/groups', async (c) => {
    const form = await readForm(c);
    const values = { name: str(form, 'name'), description: str(form, 'description') ?? '' };
    const r = await directory.createGroup(actorOf(c), values);
    if (r.ok) return c.redirect(`/admin/groups/${r.value.id}?done=groups.done.created`, 303);
    if (r.reason === 'invalid') return c.html(await list(c, { errors: r.errors, values }), 400);
    return c.html(await list(c, { problem: c.get('t')(r.message as MessageKey), values }), statusFor[r.reason]);
  });

  const withGroup = async (c: AppContext, run: (g: Group) => Promise<Outcome<Group>>, done: MessageKey) => {
    const group = await groups.byId(c.req.param('id') ?? '');
    if (!group) return c.html(<NotFoundPage c={c} />, 404);
    const r = await run(group);
    if (r.ok) return c.redirect(`/admin/groups/${group.id}?done=${done}`, 303);
    if (r.reason === 'invalid') return c.html(await detail(c, group, { errors: r.errors }), 400);
    return c.html(await detail(c, group, { problem: c.get('t')(r.message as MessageKey) }), statusFor[r.reason]);
  };

  app.get('/admin/groups/:id', async (c) => {
    const group = await groups.byId(c.req.param('id'));
    if (!group) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(await detail(c, group));
  });

  app.post('/admin/groups/:id/members', async (c) => {
    const form = await readForm(c);
    return withGroup(c, (g) => directory.addMember(actorOf(c), g.id, { type: str(form, 'type'), name: str(form, 'name') }), 'groups.done.added');
  });

  app.post('/admin/groups/:id/members/remove', async (c) => {
    const form = await readForm(c);
    return withGroup(c, (g) => directory.removeMember(actorOf(c), g.id, { type: str(form, 'type'), id: str(form, 'id') }), 'groups.done.removed');
  });
  return app;
}
