import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';
import { requireRole } from '../http/guards.js';
import { Notice } from '../http/ui/layout.js';
import type { GroupStore } from '../directory/groups.js';
import type { UserStore } from '../directory/users.js';
import { AdminPage } from '../http/ui/console-page.js';

export interface AdminRouteDeps {
  users: Pick<UserStore, 'list' | 'countEnabledWithRole'>;
  groups: Pick<GroupStore, 'list'>;
  /** Messages are kept in the outbox instead of sent: the overview warns. */
  outboxDelivery: boolean;
  /** The console's sections (users, groups, policy, …), each built with its own dependencies; all behind the role check. */
  sections: ReadonlyArray<Hono<AppEnv>>;
}

/** /admin and everything under it: administrators only. */
export function adminRoutes(deps: AdminRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/admin', requireRole('administrator'));
  app.use('/admin/*', requireRole('administrator'));

  app.get('/admin', async (c) => {
    const t = c.get('t');
    const [all, admins, groups] = await Promise.all([deps.users.list({ pageSize: 1 }), deps.users.countEnabledWithRole('administrator'), deps.groups.list()]);
    const stats: Array<[string, number]> = [
      [t('admin.overview.users'), all.total],
      [t('admin.overview.admins'), admins],
      [t('admin.overview.groups'), groups.length],
    ];
    return c.html(
      <AdminPage c={c} title={t('admin.title')} section="/admin">
        <h1>{t('admin.title')}</h1>
        {deps.outboxDelivery ? <Notice kind="warn">{t('admin.overview.deliveryOutbox')}</Notice> : null}
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
