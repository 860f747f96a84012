import { X509Certificate } from 'node:crypto';
import { ResultCodeError, type Client } from 'ldapts';
import type { Logger } from '../logging/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { DcClients, ReconnectRefusedError, discard } from './dc-clients.js';
import { first } from './domain-policy.js';
import { UserConnections } from './user-connections.js';
import { DcUnreachableError, describeConnectionError, isConnectionError } from './verdicts.js';

/**
 * Connections to the domain controllers: TLS only (LDAPS, or LDAP upgraded with StartTLS
 * before anything else is sent), an optional pinned CA, one reused service-account connection
 * per DC, a few reused connections per DC for binding as users (a pool of their own), and
 * failover across several DCs.
 */
export interface AdConnectionOptions {
  /** DCs in order of preference: `ldaps://dc1.corp.example.com` (port 636 by default), or `ldap://…` with `startTls: true`. */
  urls: string[];
  /** Upgrade `ldap://` URLs with StartTLS before binding (required for them; meaningless for `ldaps://`). */
  startTls?: boolean;
  /** PEM of the CA that signed the DCs' certificates. When given, ONLY this CA is trusted (pinning); otherwise Node's public CAs. */
  caCertPem?: string;
  /** The name the DCs' certificates carry, when the URLs use addresses (or a different name). Defaults to the URL's host. */
  tlsServerName?: string;
  /** The service account (a DN or user@domain) and its password. */
  bindDn: string;
  bindPassword: string;
  /** Where users are searched (the domain root or an OU): users outside it are "not found". */
  baseDn: string;
  /** Per request, connection set-up included (default 10000). */
  timeoutMs?: number;
  /** Reset, unlock and "must change" on protected accounts (adminCount=1, members of admin groups). Off by default. */
  allowProtected?: boolean;
  /** How long a DC that failed is skipped before it is tried first again (default 30000). */
  failoverCooldownMs?: number;
}

/** Invalid options: every problem at once, as the configuration loader does. */
export class AdConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Active Directory connection settings are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AdConfigurationError';
  }
}

/** Every problem with `options`; empty when they can be used. */
export function adConnectionProblems(options: AdConnectionOptions): string[] {
  const problems: string[] = [];
  if (!Array.isArray(options.urls) || options.urls.length === 0) problems.push('urls: at least one DC URL is needed');
  for (const url of options.urls ?? []) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`urls: ${JSON.stringify(url)} is not a URL`);
      continue;
    }
    if (parsed.protocol === 'ldap:') {
      if (options.startTls !== true) {
        problems.push(`urls: ${url} is plain LDAP: passwords and binds would cross the network unencrypted — use ldaps:// or set startTls: true`);
      }
    } else if (parsed.protocol !== 'ldaps:') {
      problems.push(`urls: ${url} must start with ldaps:// (or ldap:// with startTls: true)`);
    }
    if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.username !== '' || parsed.password !== '') {
      problems.push(`urls: ${url} must be scheme://host[:port] only`);
    }
  }
  if (options.startTls === true && (options.urls ?? []).every((u) => u.startsWith('ldaps:'))) {
    problems.push('startTls: applies to ldap:// URLs only; ldaps:// is already encrypted');
  }
  if (options.caCertPem !== undefined) {
    try {
      new X509Certificate(options.caCertPem);
    } catch {
      problems.push('caCertPem: not a PEM certificate');
    }
  }
  if (typeof options.bindDn !== 'string' || options.bindDn.trim() === '') problems.push('bindDn: the service account is needed');
  if (typeof options.bindPassword !== 'string' || options.bindPassword === '') {
    // An empty password makes a simple bind anonymous, which AD accepts: never allowed.
    problems.push('bindPassword: the service account password is needed');
  }
  if (typeof options.baseDn !== 'string' || options.baseDn.trim() === '') problems.push('baseDn: the search base is needed');
  const t = options.timeoutMs;
  if (t !== undefined && (!Number.isInteger(t) || t < 100 || t > 300_000)) problems.push('timeoutMs: 100 to 300000');
  const c = options.failoverCooldownMs;
  if (c !== undefined && (!Number.isInteger(c) || c < 0)) problems.push('failoverCooldownMs: 0 or more');
  return problems;
}

export interface RootDse {
  supportedControl: string[];
  highestCommittedUSN: string;
  dnsHostName: string;
  defaultNamingContext: string;
}

/** A connection ready for requests: bound as the service account (with the DC's rootDSE) or as a user. */
export interface DcSession {
  readonly url: string;
  readonly client: Client;
}

export interface ServiceSession extends DcSession {
  /** Read once when the connection was opened: what this DC supports. */
  readonly rootDse: RootDse;
}

export async function readRootDse(client: Client): Promise<RootDse> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['supportedControl', 'highestCommittedUSN', 'dnsHostName', 'defaultNamingContext'],
  });
  const e = searchEntries[0];
  if (e === undefined) throw new DcUnreachableError('the DC returned no rootDSE');
  const controls = e['supportedControl'];
  return {
    supportedControl: [...new Set((Array.isArray(controls) ? controls : controls === undefined ? [] : [controls]).map(String))],
    highestCommittedUSN: first(e, 'highestCommittedUSN') ?? '0',
    dnsHostName: first(e, 'dnsHostName') ?? '',
    defaultNamingContext: first(e, 'defaultNamingContext') ?? '',
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, url: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new DcUnreachableError(`${url}: no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class AdConnection {
  // Private: it holds the service account's password.
  private readonly options: Readonly<AdConnectionOptions>;
  private readonly timeoutMs: number;

  /** How long one LDAP request may take (timeoutMs): also the server-side time limit a long read should ask for. */
  get requestTimeoutMs(): number {
    return this.timeoutMs;
  }
  private readonly cooldownMs: number;
  private readonly pool = new Map<string, Promise<ServiceSession>>();
  private readonly downUntil = new Map<string, number>();
  private readonly clients: DcClients;
  private readonly users: UserConnections;
  private closed = false;

  /** Throws AdConfigurationError (every problem listed) for unusable options — plain ldap:// without StartTLS above all. */
  constructor(
    options: AdConnectionOptions,
    private readonly deps: { clock?: Clock; logger?: Logger } = {},
  ) {
    const problems = adConnectionProblems(options);
    if (problems.length > 0) throw new AdConfigurationError(problems);
    this.options = Object.freeze({ ...options, urls: [...options.urls] });
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.cooldownMs = options.failoverCooldownMs ?? 30_000;
    this.clients = new DcClients({ ...options, timeoutMs: this.timeoutMs });
    this.users = new UserConnections(() => this.now());
  }

  /** Where users are searched. */
  get baseDn(): string {
    return this.options.baseDn;
  }

  /** Whether protected accounts may be written to. */
  get allowProtected(): boolean {
    return this.options.allowProtected === true;
  }

  private now(): number {
    return (this.deps.clock ?? systemClock).now();
  }

  /** Healthy DCs in configured order, then the ones that failed recently (still better than giving up). */
  private candidates(): string[] {
    const now = this.now();
    const up = this.options.urls.filter((u) => (this.downUntil.get(u) ?? 0) <= now);
    const down = this.options.urls.filter((u) => (this.downUntil.get(u) ?? 0) > now);
    return [...up, ...down];
  }

  private markDown(url: string, detail: string): void {
    this.downUntil.set(url, this.now() + this.cooldownMs);
    this.deps.logger?.warn({ dc: url, detail }, 'Active Directory: domain controller failed, trying the next');
  }

  private async openService(url: string): Promise<ServiceSession> {
    const { client, secure } = this.clients.open(url);
    try {
      const rootDse = await withTimeout(
        (async () => {
          await secure();
          await client.bind(this.options.bindDn, this.options.bindPassword);
          return readRootDse(client);
        })(),
        this.timeoutMs,
        url,
        () => discard(client),
      );
      return { url, client, rootDse };
    } catch (err) {
      discard(client);
      throw err;
    }
  }

  /** The pooled service-account session of one DC, opened (or re-opened after a drop) on demand. */
  private async serviceSession(url: string): Promise<ServiceSession> {
    const pooled = this.pool.get(url);
    if (pooled !== undefined) {
      try {
        const s = await pooled;
        if (s.client.isBound) return s;
        discard(s.client);
      } catch {
        // a failed opening is forgotten below
      }
      if (this.pool.get(url) === pooled) this.pool.delete(url);
    }
    const opening = this.openService(url);
    this.pool.set(url, opening);
    opening.catch(() => {
      if (this.pool.get(url) === opening) this.pool.delete(url);
    });
    return opening;
  }

  private drop(url: string, session: DcSession): void {
    discard(session.client);
    void this.pool.get(url)?.then(
      (s) => {
        if (s === session) this.pool.delete(url);
      },
      () => undefined,
    );
  }

  /**
   * Runs `op` as the service account on the first DC that answers. A DC that cannot be
   * reached is skipped for a while. When the connection breaks during `op`, a read
   * (`idempotent`) moves on to the next DC; a write does not, because it may have been applied:
   * it ends in DcUnreachableError saying the outcome is unknown. LDAP answers (result codes)
   * are never failed over: every DC would say the same.
   *
   * `op` as a whole must finish within the connection's timeoutMs, unless `opLimitMs` says
   * otherwise (`null`: no limit for the whole `op`, e.g. a paged read of a whole domain; every
   * single LDAP request still has timeoutMs).
   */
  async asService<T>(op: (session: ServiceSession) => Promise<T>, opts: { idempotent: boolean; opLimitMs?: number | null }): Promise<T> {
    if (this.closed) throw new DcUnreachableError('the AD connection is closed');
    const failures: string[] = [];
    for (const url of this.candidates()) {
      // Two tries per DC: the first may find a pooled connection the DC has closed meanwhile.
      for (let attempt = 1; attempt <= 2; attempt++) {
        let session: ServiceSession;
        try {
          session = await this.serviceSession(url);
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          const detail = describeConnectionError(url, err);
          failures.push(detail);
          this.markDown(url, detail);
          break;
        }
        this.downUntil.delete(url);
        try {
          const limit = opts.opLimitMs === undefined ? this.timeoutMs : opts.opLimitMs;
          return await (limit === null ? op(session) : withTimeout(op(session), limit, url, () => this.drop(url, session)));
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          this.drop(url, session);
          if (err instanceof ReconnectRefusedError && attempt === 1) continue; // nothing was sent
          const detail = describeConnectionError(url, err);
          this.markDown(url, detail);
          if (!opts.idempotent) throw new DcUnreachableError(`${detail}; the connection broke during the request, so whether it was applied is unknown`);
          failures.push(detail);
          break;
        }
      }
    }
    throw new DcUnreachableError(failures.length > 0 ? `no domain controller could be used: ${failures.join('; ')}` : 'no domain controller configured');
  }

  /**
   * Binds as a user on a connection of the user pool (never the service account's: its identity
   * is the user's; src/ad/user-connections.ts) and runs `op` on it. A failed bind throws the LDAP
   * error (49 with AD's sub-code) for the caller to read; only connection failures move on to the
   * next DC. A pooled connection the DC closed meanwhile is replaced by a fresh one on the same DC.
   */
  async asUser<T>(dn: string, password: string, op: (session: DcSession) => Promise<T>): Promise<T> {
    if (this.closed) throw new DcUnreachableError('the AD connection is closed');
    // An empty password turns a simple bind into an anonymous one, which succeeds.
    if (password === '') throw new ResultCodeErrorForEmptyPassword();
    const failures: string[] = [];
    for (const url of this.candidates()) {
      for (let attempt = 1; attempt <= 2; attempt++) {
        const pooled = attempt === 1 ? await this.users.take(url) : undefined;
        const { client, secure } = pooled !== undefined ? { client: pooled, secure: async () => undefined } : this.clients.open(url);
        let bound = false;
        let reusable = false;
        try {
          await withTimeout(
            (async () => {
              await secure();
              await client.bind(dn, password);
            })(),
            this.timeoutMs,
            url,
            () => discard(client),
          );
          bound = true;
          this.downUntil.delete(url);
          const result = await withTimeout(op({ url, client }), this.timeoutMs, url, () => discard(client));
          reusable = true;
          return result;
        } catch (err) {
          if (!isConnectionError(err)) {
            // A refused bind or an LDAP answer: the connection itself is sound.
            reusable = true;
            throw err;
          }
          // A warm connection the DC closed meanwhile: a fresh one on the same DC (not after a timeout: that DC is slow, not stale).
          if (pooled !== undefined && !bound && !(err instanceof DcUnreachableError)) continue;
          const detail = describeConnectionError(url, err);
          this.markDown(url, detail);
          if (bound) throw new DcUnreachableError(`${detail}; the connection broke during the request, so whether it was applied is unknown`);
          failures.push(detail);
          break;
        } finally {
          if (reusable) this.users.release(url, client);
          else discard(client);
        }
      }
    }
    throw new DcUnreachableError(failures.length > 0 ? `no domain controller could be used: ${failures.join('; ')}` : 'no domain controller configured');
  }

  /** Closes the pooled connections; later requests fail with dc_unreachable. */
  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.pool.values()];
    this.pool.clear();
    await this.users.close();
    await Promise.all(
      sessions.map((p) =>
        p.then(
          (s) => s.client.unbind().catch(() => undefined),
          () => undefined,
        ),
      ),
    );
  }
}

/** What AD answers for a wrong password, produced locally for an empty one (never sent: it would bind anonymously). */
class ResultCodeErrorForEmptyPassword extends ResultCodeError {
  constructor() {
    super(49, 'empty password refused before binding: data 52e');
    this.name = 'InvalidCredentialsError';
  }
}
