import { hostname } from 'node:os';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { User } from '../directory/users.js';
import { AdPolicyCache } from '../flows/ad-policy-cache.js';
import type { Logger } from '../logging/logger.js';
import type { MethodStore } from '../methods/method-store.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { Clock } from '../shared/clock.js';
import { randomToken } from '../shared/crypto.js';
import type { Store } from '../store/database.js';
import { SyncCoordinator } from '../sync/coordinator.js';
import { SyncService } from '../sync/sync-service.js';
import { AgentHub } from '../writeback/agent-hub.js';
import { AgentRegistry } from '../writeback/agent-registry.js';
import { AgentWriteback } from '../writeback/agent-writeback.js';
import type { Writeback } from '../writeback/writeback.js';

const MINUTE = 60_000;

/**
 * The portal's side of the on-premises agents: their registry, the hub of connections and jobs,
 * the writeback through them, the sync they feed, and the AD password policy they report. The
 * waits, the registration token's life and the sync's choices are stored settings, read at each use.
 */
export function agentParts(d: { config: Config; store: Store; clock: Clock; audit: AuditLog; logger: Logger; settings: SettingsService; methods: MethodStore; writeback?: Writeback }) {
  const { store, clock, audit } = d;
  const wb = () => d.settings.snapshot().writeback.values;
  const syncSettings = () => d.settings.snapshot().sync.values;
  // This process among the portal instances sharing the store (agent presence, sync leases):
  // the host's name, so the console tells the machines apart, and a random part for each process.
  const instanceId = `${hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 23) || 'portal'}-${randomToken(12)}`;
  const agents = new AgentRegistry({
    store,
    clock,
    audit,
    get tokenTtlMs() {
      return wb().registrationTokenMinutes * MINUTE;
    },
  });
  const agentHub = new AgentHub({
    store,
    registry: agents,
    clock,
    logger: d.logger,
    audit,
    instanceId,
    publicUrl: d.config.publicUrl,
    get jobTtlMs() {
      return wb().jobSeconds * 1000;
    },
    get takenGraceMs() {
      return wb().answerSeconds * 1000;
    },
    get userWaitMs() {
      return wb().userWaitSeconds * 1000;
    },
  });
  const sync = new SyncService({
    store,
    clock,
    audit,
    get contactInfo() {
      return { enabled: syncSettings().useContactInfo, methods: d.methods, phoneRegion: d.settings.snapshot().methods.values.phoneRegion };
    },
    get usernameFrom() {
      return syncSettings().usernameFrom;
    },
  });
  // The user's own policy (a fine-grained one when AD applies one), else the domain policy an agent
  // reported; read from the agent once per flow (the page and its submit), kept a minute per user.
  // A sign-in's bind brings it along, so the change page after a sign-in asks the agent nothing.
  const adPolicies = new AdPolicyCache((user) => writeback.policyFor(user), clock);
  const writeback = d.writeback ?? new AgentWriteback(agentHub, () => ({ allowProtected: wb().allowProtectedAccounts }), { now: () => clock.now(), policyLearned: (user, policy) => adPolicies.remember(user, policy) });
  const adPolicyFor = async (user: User) => (await adPolicies.policyFor(user)) ?? agents.domainPolicy();
  const syncCoordinator = new SyncCoordinator({
    sync,
    hub: agentHub,
    logger: d.logger,
    instanceId,
    scope: () => ({ baseDns: [...syncSettings().baseDns], userFilter: syncSettings().userFilter }),
  });
  return { agents, agentHub, sync, writeback, adPolicyFor, syncCoordinator };
}
