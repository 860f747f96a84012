import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';
import { requireRole } from '../http/guards.js';
import { Notice } from '../http/ui/layout.js';
import { AdminPage } from './admin-page.js';
import { userPages } from './users-pages.js';
import { groupPages } from './groups-pages.js';
import { auditPages } from '../audit/audit-pages.js';
import { deliveryAdminPages } from '../delivery/admin-pages.js';
import { policyPages } from '../policy/admin-pages.js';
import { reportPages } from '../reports/pages.js';
import { apiTokenPages } from '../api/token-pages.js';
import { syncPages } from '../sync/admin-pages.js';

export function adminRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/admin', requireRole('administrator'));
  app.use('/admin/*', requireRole('administrator'));

  app.get('/admin', async (c) => {
    const t = c.get('t');
    const portal = c.get('portal');
    const all = await portal.users.list({ pageSize: 1 });
    const admins = await portal.users.countEnabledWithRole('administrator');
    const groups = (await portal.groups.list()).length;
    const stats: Array<[string, number]> = [
      [t('admin.overview.users'), all.total],
      [t('admin.overview.admins'), admins],
      [t('admin.overview.groups'), groups],
    ];
    return c.html(
      <AdminPage c={c} title={t('admin.title')} section="/admin">
        <h1>{t('admin.title')}</h1>
        {portal.config.delivery.mode === 'outbox' ? <Notice kind="warn">{t('admin.overview.deliveryOutbox')}</Notice> : null}
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

  app.route('/', userPages());
  app.route('/', groupPages());
  app.route('/', auditPages());
  app.route('/', deliveryAdminPages());
  app.route('/', policyPages());
  app.route('/', reportPages());
  app.route('/', apiTokenPages());
  app.route('/', syncPages());
  return app;
}
