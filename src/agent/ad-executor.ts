import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { AdConnector, type AccountPolicy, type GoAhead } from '../ad/ad-connector.js';
import type { AdConnectionOptions } from '../ad/ad-connection.js';
import { checkRights } from '../ad/rights/index.js';
import type { AdVerdict } from '../ad/verdicts.js';
import type { Logger } from '../logging/logger.js';
import type { JobKind, JobVerdict, ReportedPolicy, SyncScopeRequest } from '../agent-protocol/index.js';
import type { JobExecutor, SyncSource } from './agent-client.js';
import { AdSyncReader, syncScopeProblems, type SyncScope } from './ad-sync-reader.js';
import { adSyncSource } from './ad-sync-source.js';

type AdSettings = NonNullable<Config['agent']['ad']>;

/** AD's refusal as a job's verdict, its detail cut to what the protocol carries. */
function refusedVerdict(r: { reason: Extract<JobVerdict, { ok: false }>['reason']; detail?: string | undefined }): JobVerdict {
  return r.detail === undefined ? { ok: false, reason: r.reason } : { ok: false, reason: r.reason, detail: r.detail.slice(0, 500) };
}

/** The claim's go-ahead passed on to the connector, when the job has one. */
function goAhead(options: { ready?: GoAhead }): { ready?: GoAhead } {
  return options.ready ? { ready: options.ready } : {};
}

function toVerdict(v: AdVerdict): JobVerdict {
  if (v.ok) return v.historyEnforced === undefined ? { ok: true } : { ok: true, historyEnforced: v.historyEnforced };
  return refusedVerdict(v);
}

/** `DC=corp,DC=example,DC=test` → `corp.example.test`. */
export function domainOf(namingContext: string): string {
  return namingContext
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^dc=/i.test(p))
    .map((p) => p.slice(3))
    .join('.');
}

export function connectorOptions(ad: AdSettings, baseDir: string, allowProtected: boolean) {
  return {
    urls: ad.urls,
    startTls: ad.startTls,
    ...(ad.caCertFile ? { caCertPem: readFileSync(resolve(baseDir, ad.caCertFile), 'utf8') } : {}),
    ...(ad.tlsServerName ? { tlsServerName: ad.tlsServerName } : {}),
    bindDn: ad.bindDn,
    bindPassword: ad.bindPassword,
    baseDn: ad.baseDn,
    timeoutMs: ad.timeoutMs,
    allowProtected,
  };
}

/** A user's policy as the wire carries it. */
function reportedPolicyOf(a: AccountPolicy): ReportedPolicy {
  const { source: _source, ...policy } = a.policy;
  return { ...policy, resetHistory: a.resetHistory, ...(a.protectedAccount ? { protectedAccount: true as const } : {}) };
}

/**
 * Jobs applied with the AD connector (src/ad/). Whether protected accounts may be written is
 * the agent's own setting (writeback.allowProtectedAccounts in its configuration): a portal
 * cannot switch it on for an agent that does not allow it.
 */
export class AdExecutor implements JobExecutor {
  readonly sync?: SyncSource;
  /** The reader of the last scope the portal asked for (one at a time: a new scope closes the old one). */
  private scoped: { key: string; reader: AdSyncReader; source: SyncSource } | null = null;

  constructor(
    readonly connector: AdConnector,
    private readonly reader: AdSyncReader | null = null,
    private readonly pageSize = 500,
    private readonly options: AdConnectionOptions | null = null,
    /** The agent's own scope (its ceiling) and how to make a reader for another scope within it. */
    private readonly scopes: { own: SyncScope; reader(scope: SyncScope): AdSyncReader } | null = null,
  ) {
    if (reader) this.sync = adSyncSource(reader, pageSize);
  }

  /**
   * The scope set in the portal, read only within this agent's own: each OU must be one of the
   * agent's base DNs or below one, and the portal's user filter applies on top of the agent's.
   */
  scopedSync(want: SyncScopeRequest): { ok: true; source: SyncSource } | { ok: false; problem: string } {
    if (!this.scopes) return { ok: false, problem: 'this agent is not configured to read users and groups (agent.sync)' };
    const own = this.scopes.own;
    const bases = want.baseDns.length ? want.baseDns : own.baseDns;
    const outside = bases.filter((dn) => !own.baseDns.some((base) => withinDn(dn, base)));
    if (outside.length) {
      return { ok: false, problem: `the sync scope set in the portal names ${outside.join('; ')}, outside what this agent may read (${own.baseDns.join('; ')}): change it in the portal (Settings, Directory sync) or agent.sync.baseDns in the agent's configuration` };
    }
    const filters = [own.userFilter, want.userFilter].map((f) => f?.trim() ?? '').filter((f) => f !== '').map((f) => (f.startsWith('(') ? f : `(${f})`));
    const scope: SyncScope = { baseDns: bases, ...(filters.length ? { userFilter: filters.length === 2 ? `(&${filters[0]}${filters[1]})` : filters[0]! } : {}), ...(own.attributes ? { attributes: own.attributes } : {}) };
    const problems = syncScopeProblems(scope);
    if (problems.length) return { ok: false, problem: `the sync scope set in the portal cannot be read: ${problems.join('; ')}` };
    const key = JSON.stringify(scope);
    if (this.scoped?.key !== key) {
      void this.scoped?.reader.close();
      const reader = this.scopes.reader(scope);
      this.scoped = { key, reader, source: adSyncSource(reader, this.pageSize) };
    }
    return { ok: true, source: this.scoped.source };
  }

  async rightsReport() {
    if (!this.options) return { verdict: 'unreachable' as const, problems: ['no connection options to check'] };
    const { verdict, problems, checkedAt, delegation, excessive, needed, account, base } = await checkRights(this.options);
    return { verdict, problems, checkedAt, delegation, excessive, needed, account: { dn: account.dn, sid: account.sid }, base };
  }

  async reset(anchor: string, password: string, options: { mustChange?: boolean; ready?: GoAhead }): Promise<JobVerdict> {
    return toVerdict(await this.connector.reset(anchor, password, { unlock: true, ...(options.mustChange !== undefined ? { mustChange: options.mustChange } : {}), ...goAhead(options) }));
  }

  async change(anchor: string, current: string, password: string, options: { ready?: GoAhead } = {}): Promise<JobVerdict> {
    return toVerdict(await this.connector.change(anchor, current, password, goAhead(options)));
  }

  async unlock(anchor: string, options: { ready?: GoAhead } = {}): Promise<JobVerdict> {
    return toVerdict(await this.connector.unlock(anchor, goAhead(options)));
  }

  async mustChange(anchor: string, on: boolean, options: { ready?: GoAhead } = {}): Promise<JobVerdict> {
    return toVerdict(await this.connector.setMustChange(anchor, on, goAhead(options)));
  }

  /**
   * The agent claimed a job and then stopped before it recorded AD's answer. AD knows: a
   * password set at or after the claim means the reset or change was applied; an unlocked
   * account means the unlock was. null = AD cannot be asked now (try again later).
   */
  async reconcile(entry: { kind: JobKind; anchor: string; claimedAt: number; mustChange?: boolean }): Promise<JobVerdict | null> {
    const found = await this.connector.findUserByGuid(entry.anchor);
    if (!found.ok) return found.reason === 'dc_unreachable' ? null : { ok: false, reason: found.reason, detail: 'reconciled after a restart' };
    const user = found.value;
    // pwdLastSet has 100-ns precision; AD's clock may differ slightly from ours.
    const setSinceClaim = user.pwdLastSet !== null && user.pwdLastSet.getTime() >= entry.claimedAt - 2000;
    switch (entry.kind) {
      case 'reset':
      case 'change':
        return setSinceClaim ? { ok: true } : { ok: false, reason: 'failed', detail: 'not applied: AD shows no new password since the job was claimed (reconciled after a restart)' };
      case 'unlock':
        return user.lockedOut ? { ok: false, reason: 'failed', detail: 'not applied: the account is still locked (reconciled after a restart)' } : { ok: true };
      case 'must_change':
        return user.mustChange === (entry.mustChange ?? true) ? { ok: true } : { ok: false, reason: 'failed', detail: 'not applied (reconciled after a restart)' };
      case 'bind':
      case 'policy':
      case 'read_account':
      case 'check':
        // Never journaled (reads change nothing); nothing to reconcile.
        return { ok: false, reason: 'failed', detail: 'a sign-in check is not repeated after a restart' };
    }
  }

  /** A pass-through sign-in; a successful one also carries the user's policy (what policyFor answers), so the change page after it asks nothing more. */
  async bind(anchor: string, password: string, options: { ready?: GoAhead } = {}): Promise<JobVerdict> {
    const r = await this.connector.bindAsUser(anchor, password, { withPolicy: true, ...goAhead(options) });
    if (!r.ok) return refusedVerdict(r);
    return r.policy ? { ok: true, policy: reportedPolicyOf(r.policy) } : { ok: true };
  }

  /** The user's policy, with whether AD checks the history on a reset and whether the account is protected (for the reset page, before any password is typed). */
  async policyFor(anchor: string): Promise<JobVerdict> {
    const r = await this.connector.accountPolicy(anchor);
    return r.ok ? { ok: true, policy: reportedPolicyOf(r.value) } : refusedVerdict(r);
  }

  /** A hybrid user's account state for the support page: the one user search by objectGUID; nothing is written. */
  async readAccount(anchor: string): Promise<JobVerdict> {
    const r = await this.connector.findUserByGuid(anchor);
    if (!r.ok) return refusedVerdict(r);
    const u = r.value;
    const time = (d: Date | null) => (d === null ? null : d.getTime());
    return {
      ok: true,
      account: {
        enabled: u.enabled,
        lockedOut: u.lockedOut,
        lockedAt: u.lockedOut ? time(u.lockoutTime) : null,
        passwordLastSet: time(u.pwdLastSet),
        passwordExpiresAt: u.passwordNeverExpires ? null : time(u.passwordExpiresAt),
        mustChangeAtNextLogon: u.mustChange,
        protectedAccount: u.protected,
      },
    };
  }

  async policy(): Promise<ReportedPolicy | null> {
    const r = await this.connector.domainPolicy();
    if (!r.ok) return null;
    const { source: _source, ...policy } = r.value;
    const hints = await this.connector.resetHistoryEnforced();
    return hints.ok ? { ...policy, resetHistory: hints.value } : policy;
  }

  /** Reaches a DC as the service account, reads the domain and its password policy: what the console's "Test connection" shows. */
  async check(): Promise<JobVerdict> {
    const started = Date.now();
    const dse = await this.connector.rootDse();
    if (!dse.ok) return refusedVerdict(dse);
    const policy = await this.connector.domainPolicy();
    if (!policy.ok) return refusedVerdict(policy);
    const latencyMs = Date.now() - started;
    return { ok: true, check: { domain: domainOf(dse.value.defaultNamingContext).slice(0, 300), server: dse.value.dnsHostName.slice(0, 300), latencyMs, minLength: policy.value.minLength } };
  }

  async domain(): Promise<string | null> {
    const r = await this.connector.rootDse();
    return r.ok ? domainOf(r.value.defaultNamingContext) : null;
  }

  async close(): Promise<void> {
    await this.connector.close();
    await this.reader?.close();
    await this.scoped?.reader.close();
  }
}

/** `OU=Sales,DC=corp,DC=example` is within `DC=corp,DC=example` (or the same DN); case and spaces around separators do not count. */
export function withinDn(dn: string, base: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s*([,=])\s*/g, '$1');
  const a = norm(dn);
  const b = norm(base);
  return a === b || a.endsWith(`,${b}`);
}

export function createAdExecutor(ad: AdSettings, baseDir: string, options: { allowProtected: boolean; logger?: Logger; sync?: { baseDns: string[]; userFilter?: string | undefined; pageSize: number; timeoutMs?: number; attributes?: SyncScope['attributes'] } }): AdExecutor {
  const connection = connectorOptions(ad, baseDir, options.allowProtected);
  const deps = options.logger ? { logger: options.logger } : {};
  const scope: SyncScope | null = options.sync
    ? { baseDns: options.sync.baseDns.length ? options.sync.baseDns : [ad.baseDn], ...(options.sync.userFilter ? { userFilter: options.sync.userFilter } : {}), ...(options.sync.attributes ? { attributes: options.sync.attributes } : {}) }
    : null;
  // The reader has a connection of its own, with the longer timeout a paged read of a whole domain needs.
  const readerFor = (s: SyncScope) => new AdSyncReader({ ...connection, ...(options.sync?.timeoutMs ? { timeoutMs: options.sync.timeoutMs } : {}) }, s, deps);
  const reader = scope ? readerFor(scope) : null;
  return new AdExecutor(new AdConnector(connection, deps), reader, options.sync?.pageSize ?? 500, connection, scope ? { own: scope, reader: readerFor } : null);
}
