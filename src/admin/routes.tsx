import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { requireConsoleAccess } from '../http/guards.js';
import { consoleRoleOf } from '../http/console-access.js';
import { Notice } from '../http/ui/layout.js';
import { Submit } from '../http/ui/forms.js';
import type { GroupStore } from '../directory/groups.js';
import type { UserStore } from '../directory/users.js';
import { AdminPage } from '../http/ui/console-page.js';
import type { SetupStep } from './setup-checklist.js';

export interface AdminRouteDeps {
  users: Pick<UserStore, 'list' | 'countEnabledWithRole'>;
  groups: Pick<GroupStore, 'list'>;
  /** Messages are kept in the outbox instead of sent: the overview warns. */
  outboxDelivery: boolean;
  /** The console's sections (users, groups, policy, …), each built with its own dependencies; all behind the role check. */
  sections: ReadonlyArray<Hono<AppEnv>>;
  /** Whether the helpdesk user has a scope (their start page says they see only its users). */
  helpdeskScoped?: (userId: string) => Promise<boolean>;
  /** The setup checklist of the overview, for the signed-in administrator. */
  checklist?: (userId: string) => Promise<SetupStep[]>;
}

/** Each step with its state in words (not colour alone) and a link to where it is done. */
function SetupChecklist({ c, steps }: { c: AppContext; steps: SetupStep[] }) {
  const t = c.get('t');
  const done = steps.filter((s) => s.state !== 'todo').length;
  return (
    <section aria-labelledby="setup-title" class="card">
      <h2 id="setup-title">{t('admin.setup.title')}</h2>
      <p class="muted">
        {t('admin.setup.intro')} {t('admin.setup.progress', { done, total: steps.length })}
      </p>
      <ol class="checklist">
        {steps.map((s) => (
          <li class={`step ${s.state}`}>
            <span class={`badge ${s.state === 'todo' ? 'off' : 'on'}`}>{t(`admin.setup.state.${s.state}`)}</span>{' '}
            <a href={s.href}>{t(s.label)}</a>
            <div class="hint">{t(s.detail, s.vars)}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The helpdesk's start page: find the user who called. */
function HelpdeskHome({ c, scoped }: { c: AppContext; scoped: boolean }) {
  const t = c.get('t');
  return (
    <AdminPage c={c} title={t('support.home.title')} section="/admin">
      <h1>{t('support.home.title')}</h1>
      <p>{t('support.home.intro')}</p>
      <form method="get" action="/admin/users" role="search" class="row card">
        <div>
          <label for="f-q">{t('field.search')}</label>
          <input id="f-q" type="search" name="q" maxlength={256} autofocus />
        </div>
        <Submit>{t('users.search')}</Submit>
      </form>
      {scoped ? <p class="hint">{t('support.home.scoped')}</p> : null}
      <p>
        <a href="/admin/users">{t('support.home.allUsers')}</a>
      </p>
    </AdminPage>
  );
}

/**
 * /admin and everything under it: administrators everywhere, the helpdesk (password_administrator)
 * only where the allow-list of src/http/console-access.ts lets them — 403 elsewhere.
 */
export function adminRoutes(deps: AdminRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/admin', requireConsoleAccess);
  app.use('/admin/*', requireConsoleAccess);

  app.get('/admin', async (c) => {
    const t = c.get('t');
    const user = c.get('user');
    if (consoleRoleOf(user) === 'helpdesk') return c.html(<HelpdeskHome c={c} scoped={user && deps.helpdeskScoped ? await deps.helpdeskScoped(user.id) : false} />);
    const [all, admins, groups, steps] = await Promise.all([
      deps.users.list({ pageSize: 1 }),
      deps.users.countEnabledWithRole('administrator'),
      deps.groups.list(),
      user && deps.checklist ? deps.checklist(user.id) : Promise.resolve(null),
    ]);
    const stats: Array<[string, number]> = [
      [t('admin.overview.users'), all.total],
      [t('admin.overview.admins'), admins],
      [t('admin.overview.groups'), groups.length],
    ];
    return c.html(
      <AdminPage c={c} title={t('admin.title')} section="/admin">
        <h1>{t('admin.title')}</h1>
        {deps.outboxDelivery ? <Notice kind="warn">{t('admin.overview.deliveryOutbox')}</Notice> : null}
        {steps ? <SetupChecklist c={c} steps={steps} /> : null}
        <div class="stats">
          {stats.map(([label, n]) => (
            <div class="stat">
              <span class="n">{n}</span>
              {label}
            </div>
          ))}
        </div>
      </AdminPage>,
    );
  });

  for (const section of deps.sections) app.route('/', section);
  return app;
}
