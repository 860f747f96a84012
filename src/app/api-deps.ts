import { reportQueries } from '../reports/report-queries.js';
import { deliveryRecords } from '../delivery/outbox.js';
import type { ApiRouteDeps } from '../api/routes.js';
import { auditQueries } from '../audit/audit-query.js';
import type { Portal } from './portal.js';
import { lengthRulesOf } from './password-rules-wiring.js';

/** What the JSON API works with, from the portal's parts. */
export function apiRouteDeps(portal: Portal): ApiRouteDeps {
  const { config } = portal;
  return {
    policy: portal.policy,
    users: portal.users,
    support: portal.support,
    groups: portal.groups,
    directory: portal.directory,
    apiTokens: portal.apiTokens,
    audit: auditQueries(portal.store),
    notMe: portal.notMe,
    verifications: portal.callerVerifications,
    // The rules in force (the policy's), read when a message names them.
    passwords: lengthRulesOf(portal.policy),
    publicUrl: config.publicUrl,
    timeZone: config.branding.timeZone,
    trustedProxies: config.trustedProxies,
    logger: portal.logger,
    supportActions: { access: portal.supportAccess, actions: portal.supportActions },
    settings: portal.settings,
    brand: portal.brand,
    ops: {
      agents: portal.agents,
      hub: portal.agentHub,
      audit: portal.audit,
      sync: portal.sync,
      reports: reportQueries(portal.store, portal.groups),
      policy: portal.policy,
      delivery: deliveryRecords(portal.store, portal.cipher),
      publicUrl: portal.config.publicUrl,
      now: () => portal.clock.now(),
    },
    hybridAccounts: portal.hybridAccounts,
  };
}
