import type { Hono } from 'hono';
import { wordingPages } from '../wording/admin-pages.js';
import type { AppEnv } from '../http/context.js';
import type { Portal } from './portal.js';
import { adminRoutes } from '../admin/routes.js';
import { userPages } from '../admin/users-pages.js';
import { groupPages } from '../admin/groups-pages.js';
import { auditPages } from '../admin/audit-pages.js';
import { auditQueries } from '../audit/audit-query.js';
import { directoryNames } from '../http/ui/code-labels.js';
import { setupChecklist } from '../admin/setup-checklist.js';
import { deliveryAdminPages } from '../admin/delivery-pages.js';
import { deliveryRecords } from '../delivery/outbox.js';
import { policyPages } from '../policy/admin-pages.js';
import { reportPages } from '../reports/pages.js';
import { reportQueries } from '../reports/report-queries.js';
import { apiTokenPages } from '../api/token-pages.js';
import { agentPages } from '../writeback/admin-pages.js';
import { syncPages } from '../sync/admin-pages.js';
import { syncStatusQueries } from '../sync/sync-status.js';
import { lengthRulesOf } from './password-rules-wiring.js';
import { scopePages } from '../support/scope-pages.js';
import { verificationPages } from '../support/verification-pages.js';
import { supportActionPages } from '../support/action-pages.js';
import { brandPages } from '../branding/admin-pages.js';
import { settingsPages } from '../settings/admin-pages.js';
import { TestMessages } from '../settings/test-messages.js';
import { renderEmail } from '../delivery/templates.js';

/** The administrator console: every section built from the portal's parts, behind the role check of adminRoutes. */
export function adminConsole(portal: Portal): Hono<AppEnv> {
  const { config, store, clock } = portal;
  const now = () => clock.now();
  const names = directoryNames(portal.users, portal.groups);
  // The stored settings as this request loaded them (app/http-app.tsx refreshes them first).
  const live = () => portal.settings.snapshot();
  return adminRoutes({
    users: portal.users,
    groups: portal.groups,
    get outboxDelivery() {
      return live().delivery.values.mode === 'outbox';
    },
    helpdeskScoped: async (userId) => (await portal.helpdeskScopes.of(userId)).entries.length > 0,
    checklist: (userId) =>
      setupChecklist(
        {
          store,
          methodCount: async (id) => (await portal.methods.list(id, { confirmedOnly: true })).length + ((await portal.questions.registeredQuestionIds(id)).length > 0 ? 1 : 0),
          deliveryMode: () => live().delivery.values.mode,
          deliveryChangedAt: () => live().delivery.changedAt,
          policyScope: async () => {
            const p = (await portal.policy.current()).policy;
            return { enabledFor: p.enabledFor, groups: p.groups.length };
          },
          agentsConnected: async () => (await portal.agentHub.connectedAgentIds()).size,
        },
        userId,
      ),
    sections: [
      userPages({
        users: portal.users,
        groups: portal.groups,
        directory: portal.directory,
        hybridAccounts: portal.hybridAccounts,
        passwords: lengthRulesOf(portal.policy),
        notMe: portal.notMe,
        access: portal.supportAccess,
        support: portal.support,
        helpdeskScopes: portal.helpdeskScopes,
      }),
      scopePages({ access: portal.supportAccess, scopes: portal.helpdeskScopes, groups: portal.groups }),
      verificationPages({ verifications: portal.callerVerifications }),
      supportActionPages({ access: portal.supportAccess, actions: portal.supportActions }),
      groupPages({ groups: portal.groups, directory: portal.directory }),
      auditPages({ audit: auditQueries(store), retentionDays: config.audit.retentionDays, now, names }),
      deliveryAdminPages({
        records: deliveryRecords(store, portal.cipher),
        get settings() {
          return live().delivery.values;
        },
        now,
        names,
      }),
      policyPages({ policy: portal.policy, groups: portal.groups }),
      brandPages({ brand: portal.brand }),
      settingsPages({
        settings: portal.settings,
        tests: new TestMessages({
          delivery: portal.delivery,
          settings: () => live().delivery.values,
          render: (content, t) => renderEmail(portal.brand.forMail(config.branding, config.publicUrl), content, t),
          audit: portal.audit,
          productName: config.branding.productName,
        }),
      }),
      wordingPages({ wording: portal.wording }),
      reportPages({ reports: reportQueries(store, portal.groups), policy: portal.policy, now }),
      apiTokenPages({ apiTokens: portal.apiTokens, now }),
      agentPages({ agents: portal.agents, hub: portal.agentHub, audit: portal.audit, jobs: portal.agentHub.jobs, policy: portal.policy, clock, publicUrl: config.publicUrl, get registrationTokenMinutes() { return live().writeback.values.registrationTokenMinutes; }, hybridUsers: () => portal.users.countBySource('onprem') }),
      syncPages({
        sync: portal.sync,
        status: syncStatusQueries(store),
        coordinator: portal.syncCoordinator,
        agents: portal.agents,
        reminders: portal.reminders,
        audit: portal.audit,
        get intervalMinutes() {
          return live().sync.values.intervalMinutes;
        },
        get reminderSettings() {
          return live().reminders.values;
        },
        now,
      }),
    ],
  });
}
