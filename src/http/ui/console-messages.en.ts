/** The console frame's words: its title and the section navigation (src/http/ui/console-page.tsx). */
export const consoleMessages = {
  'admin.title': 'Admin console',
  'admin.helpdeskTitle': 'Support desk',
  'admin.nav.overview': 'Overview',
  'admin.nav.users': 'Users',
  'admin.nav.groups': 'Groups',
  'admin.nav.policy': 'Password reset policy',
  'admin.nav.agents': 'On-premises agents',
  'admin.nav.sync': 'AD sync',
  'admin.nav.reports': 'Reports',
  'admin.nav.outbox': 'Outbox',
  'admin.nav.delivery': 'Delivery',
  'admin.nav.audit': 'Audit log',
  'admin.nav.apiTokens': 'API tokens',
} as const;
