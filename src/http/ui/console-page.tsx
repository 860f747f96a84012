import type { Child } from 'hono/jsx';
import type { AppContext } from '../context.js';
import { Notice, Page } from './layout.js';
import { isMessageKey, type MessageKey } from '../../i18n/index.js';
import { consoleAllows, consoleRoleOf } from '../console-access.js';

const sections: Array<{ href: string; label: MessageKey }> = [
  { href: '/admin', label: 'admin.nav.overview' },
  { href: '/admin/users', label: 'admin.nav.users' },
  { href: '/admin/groups', label: 'admin.nav.groups' },
  { href: '/admin/policy', label: 'admin.nav.policy' },
  { href: '/admin/branding', label: 'brand.nav' },
  { href: '/admin/languages', label: 'wording.nav' },
  { href: '/admin/settings', label: 'settings.nav' },
  { href: '/admin/agents', label: 'admin.nav.agents' },
  { href: '/admin/sync', label: 'admin.nav.sync' },
  { href: '/admin/reports', label: 'admin.nav.reports' },
  { href: '/admin/outbox', label: 'admin.nav.outbox' },
  { href: '/admin/delivery', label: 'admin.nav.delivery' },
  { href: '/admin/audit', label: 'admin.nav.audit' },
  { href: '/admin/api-tokens', label: 'admin.nav.apiTokens' },
];

/** HTTP status for each way a directory operation can be refused (see Outcome in directory-service.ts). */
export const statusFor = { not_found: 404, conflict: 409, refused: 422, invalid: 400 } as const;

/** The admin console frame: section navigation beside the content (only the sections the viewer may open), and the outcome of the last action. */
export function AdminPage(props: { c: AppContext; title: string; section: string; children?: Child }) {
  const { c } = props;
  const t = c.get('t');
  const done = c.req.query('done');
  const refused = c.req.query('refused');
  const role = consoleRoleOf(c.get('user'));
  const visible = role ? sections.filter((s) => consoleAllows(role, 'GET', s.href)) : [];
  return (
    <Page c={c} title={props.title}>
      <div class="admin-layout">
        <nav class="admin-nav" aria-label={t(role === 'helpdesk' ? 'admin.helpdeskTitle' : 'admin.title')}>
          <ul>
            {visible.map((s) => (
              <li>
                <a href={s.href} aria-current={s.href === props.section ? 'page' : undefined}>
                  {t(s.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div>
          {done && isMessageKey(done) && done.includes('.done.') ? <Notice kind="ok">{t(done)}</Notice> : null}
          {refused && isMessageKey(refused) && refused.includes('.refuse.') ? <Notice kind="error">{t(refused)}</Notice> : null}
          {props.children}
        </div>
      </div>
    </Page>
  );
}
