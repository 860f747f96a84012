import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, list, str } from '../http/form.js';
import { NotFoundPage } from '../http/errors.js';
import { ErrorSummary } from '../http/ui/forms.js';
import { Notice } from '../http/ui/layout.js';
import { AdminPage, statusFor } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { MessageKey } from '../i18n/index.js';
import type { User } from '../directory/users.js';
import type { GroupStore } from '../directory/groups.js';
import type { FieldErrors } from '../shared/validation.js';
import { viewerOf, type SupportAccess } from './access.js';
import type { HelpdeskScopeService } from './scope.js';
import { HelpdeskScopeForm, type ScopeFormValues } from './scope-ui.js';

export interface ScopePageDeps {
  access: Pick<SupportAccess, 'find'>;
  scopes: Pick<HelpdeskScopeService, 'of' | 'set'>;
  groups: Pick<GroupStore, 'list'>;
}

const labels: Record<string, MessageKey> = { groups: 'scope.field.groups', ous: 'scope.field.ous' };

/**
 * /admin/users/:key/helpdesk-scope: an administrator sets which users a helpdesk user may see.
 * Administrators only — the console's allow-list (src/http/console-access.ts) does not name it,
 * so the helpdesk gets 403. The form itself is on the user's page; this page shows it again with
 * the errors when the input was wrong (nothing changes then).
 */
export function scopePages(deps: ScopePageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const page = async (c: AppContext, user: User, more: { values?: ScopeFormValues; errors?: FieldErrors; problem?: string } = {}) => {
    const t = c.get('t');
    const [scope, groups] = await Promise.all([deps.scopes.of(user.id), deps.groups.list()]);
    return (
      <AdminPage c={c} title={`${t('scope.title')}: ${user.username}`} section="/admin/users">
        <h1>
          {user.displayName} <span class="muted">({user.username})</span>
        </h1>
        {more.problem ? <Notice kind="error">{more.problem}</Notice> : null}
        <ErrorSummary t={t} errors={more.errors ?? {}} labels={labels} />
        <HelpdeskScopeForm c={c} user={user} scope={scope} groups={groups} {...(more.values ? { values: more.values } : {})} {...(more.errors ? { errors: more.errors } : {})} />
        <p>
          <a href={`/admin/users/${encodeURIComponent(user.username)}`}>{user.displayName}</a>
        </p>
      </AdminPage>
    );
  };

  app.get('/admin/users/:key/helpdesk-scope', async (c) => {
    const user = await deps.access.find(viewerOf(c), c.req.param('key'));
    if (!user) return c.html(<NotFoundPage c={c} />, 404);
    return c.html(await page(c, user));
  });

  app.post('/admin/users/:key/helpdesk-scope', async (c) => {
    const user = await deps.access.find(viewerOf(c), c.req.param('key'));
    if (!user) return c.html(<NotFoundPage c={c} />, 404);
    const form = await readForm(c);
    const values = { groupIds: list(form, 'groups'), ous: (str(form, 'ous') ?? '').slice(0, 60_000) };
    const r = await deps.scopes.set(actorOf(c), user, { groupIds: values.groupIds, ous: values.ous });
    if (r.ok) return c.redirect(`/admin/users/${encodeURIComponent(user.username)}?done=scope.done.saved`, 303);
    if (r.reason === 'invalid') return c.html(await page(c, user, { values, errors: r.errors }), 400);
    return c.html(await page(c, user, { problem: c.get('t')(r.message as MessageKey) }), statusFor[r.reason]);
  });

  return app;
}
