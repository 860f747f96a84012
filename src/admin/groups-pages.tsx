import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { ErrorSummary, Field, Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import type { MessageKey } from '../i18n/index.js';
import type { Group } from '../directory/groups.js';
import type { FieldErrors } from '../shared/validation.js';
import { AdminPage, statusFor } from './admin-page.js';
import { actorOf } from './actor.js';


async function GroupsList({ c, errors, problem, values }: { c: AppContext; errors?: FieldErrors; problem?: string; values?: { name?: string; description?: string } }) {
  const t = c.get('t');
  const groups = await c.get('portal').groups.list();
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

async function GroupDetail({ c, group, errors, problem }: { c: AppContext; group: Group; errors?: FieldErrors; problem?: string }) {
  const t = c.get('t');
  const portal = c.get('portal');
  const members = await portal.groups.directMembers(group.id);
  const effective = (await portal.groups.transitiveUserIds(group.id)).size;
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
                  <a href={m.type === 'user' ? `/admin/users/${m.id}` : `/admin/groups/${m.id}`}>{m.name}</a>
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

export function groupPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/groups', async (c) => c.html(await GroupsList({ c })));

  app.post('/admin/groups', async (c) => {
    const form = await readForm(c);
    const values = { name: str(form, 'name'), description: str(form, 'description') ?? '' };
    const r = await c.get('portal').directory.createGroup(actorOf(c), values);
    if (r.ok) return c.redirect(`/admin/groups/${r.value.id}?done=groups.done.created`, 303);
    if (r.reason === 'invalid') return c.html(await GroupsList({ c, errors: r.errors, values }), 400);
    return c.html(await GroupsList({ c, problem: c.get('t')(r.message as MessageKey), values }), statusFor[r.reason]);
  });

  const withGroup = async (c: AppContext, run: (g: Group) => ReturnType<AppContext['var']['portal']['directory']['addMember']>, done: MessageKey) => {
    const group = await c.get('portal').groups.byId(c.req.param('id') ?? '');
    if (!group) return c.html(<NotFoundPage c={c} />, 404);
    const r = await run(group);
    if (r.ok) return c.redirect(`/admin/groups/${group.id}?done=${done}`, 303);
    if (r.reason === 'invalid') return c.html(await GroupDetail({ c, group, errors: r.errors }), 400);
    return c.html(await GroupDetail({ c, group, problem: c.get('t')(r.message as MessageKey) }), statusFor[r.reason]);
  };

  app.get('/admin/groups/:id', async (c) => {
    const group = await c.get('portal').groups.byId(c.req.param('id'));
    if (!group) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(await GroupDetail({ c, group }));
  });

  app.post('/admin/groups/:id/members', async (c) => {
    const form = await readForm(c);
    return withGroup(c, (g) => c.get('portal').directory.addMember(actorOf(c), g.id, { type: str(form, 'type'), name: str(form, 'name') }), 'groups.done.added');
  });

  app.post('/admin/groups/:id/members/remove', async (c) => {
    const form = await readForm(c);
    return withGroup(c, (g) => c.get('portal').directory.removeMember(actorOf(c), g.id, { type: str(form, 'type'), id: str(form, 'id') }), 'groups.done.removed');
  });
  return app;
}
