import WebSocket from 'ws';
import type { Logger } from '../logging/logger.js';
import type { Journal } from './journal.js';
import { AGENT_PATH, HEARTBEAT_MS, MAX_FRAME, parseMessage, portalMessage, SYNC_MESSAGE_BYTES, type AgentMessage, type Job, type JobKind, type JobVerdict, type ReportedPolicy } from '../agent-protocol/index.js';
import { challengeText, open, signChallenge, type AgentKeys } from '../agent-protocol/index.js';
import { splitPage } from '../agent-protocol/index.js';
import type { SyncCursor, SyncPage, SyncScopeRequest } from '../agent-protocol/index.js';
import type { Ok, Refused } from '../shared/result.js';

/** Sync pages sent and not yet acknowledged, at most: the portal applies one while the agent reads the next. */
export const SYNC_WINDOW = 2;

/** What the agent does to Active Directory (src/agent/ad-executor.ts implements it with the AD connector). */
/**
 * The writes take `ready`, the claim's go-ahead (granted and on disk): they may look the user up
 * at once, but write AD only once it resolves true — false or a rejection writes nothing.
 */
export interface JobExecutor {
  reset(anchor: string, password: string, options: { mustChange?: boolean; allowProtected?: boolean; ready?: Promise<boolean> }): Promise<JobVerdict>;
  change(anchor: string, current: string, password: string, options: { allowProtected?: boolean; ready?: Promise<boolean> }): Promise<JobVerdict>;
  unlock(anchor: string, options: { allowProtected?: boolean; ready?: Promise<boolean> }): Promise<JobVerdict>;
  mustChange(anchor: string, on: boolean, options: { allowProtected?: boolean; ready?: Promise<boolean> }): Promise<JobVerdict>;
  /** After a crash between claiming a job and recording AD's answer: what does AD say happened? */
  reconcile(entry: { kind: JobKind; anchor: string; claimedAt: number; mustChange?: boolean }): Promise<JobVerdict | null>;
  /** The password policy that applies to this user (a fine-grained one when set); changes nothing. */
  policyFor(anchor: string): Promise<JobVerdict>;
  /** A hybrid user's account state (enabled, lockout, password dates, protected) for the support page; changes nothing. */
  readAccount(anchor: string): Promise<JobVerdict>;
  /** Pass-through sign-in: a bind as the user (after `ready`, as a write: a wrong password counts against the lockout); changes nothing. */
  bind(anchor: string, password: string, options?: { ready?: Promise<boolean> }): Promise<JobVerdict>;
  /** The DNS name of the domain served, for the console. */
  domain(): Promise<string | null>;
  /** The console's "Test connection": reach a DC, read the domain and its password policy; changes nothing. */
  check?(): Promise<JobVerdict>;
  /** The domain password policy, shown on the portal's reset and change pages. */
  policy(): Promise<ReportedPolicy | null>;
  /** Present when this agent is configured to read users and groups for the portal. */
  sync?: SyncSource;
  /** The same reads under the scope set in the portal, when it lies within this agent's own; else why not, in words. */
  scopedSync?(scope: SyncScopeRequest): { ok: true; source: SyncSource } | { ok: false; problem: string };
  /** The service account's rights check (sspr agent doctor), reported to the console. */
  rightsReport?(): Promise<{ verdict: 'ok' | 'missing_rights' | 'over_privileged' | 'unreachable'; problems: string[] } & Record<string, unknown>>;
}

/** A read of AD for a sync run, or AD's failure in words for the console (`problem`). */
export type SyncRead<T> = Ok<T> | (Refused<'ad_failed'> & { problem: string });

/** Reading AD for the portal's directory (src/agent/ad-sync-source.ts implements it with the sync reader). */
export interface SyncSource {
  full(onPage: (page: SyncPage) => Promise<void>): Promise<SyncRead<{ cursor: SyncCursor }>>;
  delta(since: SyncCursor, onPage: (page: SyncPage) => Promise<void>): Promise<SyncRead<{ cursor: SyncCursor } | { fullNeeded: true }>>;
}

/** What `sspr agent register` keeps (file mode 0600): the agent's id, keys and portal. */
export interface AgentState {
  agentId: string;
  name: string;
  /** The portal's public URL, as the agent signs it in its answer to the challenge. */
  portalUrl: string;
  keys: AgentKeys;
}

export interface AgentClientOptions {
  state: AgentState;
  executor: JobExecutor;
  journal: Journal;
  logger: Logger;
  version: string;
  /** Where to connect when it differs from the public URL (an in-process agent uses loopback). */
  connectUrl?: string;
  /** PEM of the CA that signs the portal's certificate, when not a public one. */
  caPem?: string;
  clock?: () => number;
  /** Reconnect backoff: first wait and ceiling. */
  backoffMs?: { first: number; max: number };
  /** Largest sync page sent, in bytes of JSON (default SYNC_MESSAGE_BYTES; tests make it small). */
  syncMessageBytes?: number;
}

export type AgentStatus = 'connecting' | 'connected' | 'stopped';

/**
 * The on-premises agent: connects OUT to the portal (nothing listens inside the AD network),
 * proves who it is by signing the portal's challenge, heartbeats, and reconnects with growing
 * waits. For each job: check the expiry, claim it and write the claim to the journal (meanwhile
 * the executor looks the user up in AD), apply it to AD, write the verdict to the journal, send
 * it, forget it once acknowledged. A job sent twice is answered from the journal, never applied
 * twice.
 */
export class AgentClient {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Job>();
  private claimWaiters = new Map<string, (granted: boolean) => void>();
  private syncAcks = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  status: AgentStatus = 'connecting';
  private statusListeners: Array<(s: AgentStatus) => void> = [];

  constructor(private readonly o: AgentClientOptions) {}

  private now(): number {
    return this.o.clock ? this.o.clock() : Date.now();
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Resolves once the portal has accepted the agent (or rejects after `timeoutMs`). */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('agent did not connect in time')), timeoutMs);
      this.statusListeners.push((s) => {
        if (s === 'connected') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setStatus('stopped');
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'agent stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
    // Acknowledged entries still waiting to be removed on disk (harmless if lost, tidier if not).
    await this.o.journal.flush().catch(() => undefined);
  }

  private setStatus(s: AgentStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private endpoint(): string {
    const base = (this.o.connectUrl ?? this.o.state.portalUrl).replace(/\/+$/, '');
    return `${base.replace(/^http/, 'ws')}${AGENT_PATH}`;
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    const ws = new WebSocket(this.endpoint(), { handshakeTimeout: 10_000, maxPayload: MAX_FRAME, ...(this.o.caPem ? { ca: this.o.caPem } : {}) });
    this.ws = ws;
    ws.on('message', (raw, isBinary) => {
      const msg = isBinary ? null : parseMessage(portalMessage, raw.toString());
      if (!msg) {
        this.o.logger.warn('agent: malformed message from the portal; reconnecting');
        ws.terminate();
        return;
      }
      void this.handle(msg).catch((err: unknown) => this.o.logger.error({ err }, 'agent: handling a message failed'));
    });
    ws.on('close', (code, reason) => {
      if (this.heartbeat) clearInterval(this.heartbeat);
      for (const w of this.claimWaiters.values()) w(false);
      this.claimWaiters.clear();
      // A sync on this connection stops at once: the portal fails the run, a later one starts over.
      for (const ack of this.syncAcks.values()) ack.reject(new Error('the connection to the portal closed during the sync'));
      if (this.stopped) return;
      this.setStatus('connecting');
      if (code === 4003) this.o.logger.error({ reason: reason.toString() }, 'agent: the portal refused this agent (revoked, or keys do not match); still retrying');
      const wait = Math.min(this.o.backoffMs?.max ?? 60_000, (this.o.backoffMs?.first ?? 1000) * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
      this.attempt += 1;
      this.retry = setTimeout(() => this.connect(), wait);
      this.retry.unref?.();
    });
    ws.on('error', (err) => this.o.logger.warn({ err: err.message }, 'agent: connection problem'));
  }

  private send(m: AgentMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private async handle(msg: ReturnType<typeof parseMessage<typeof portalMessage>> & object): Promise<void> {
    const { state } = this.o;
    switch (msg.t) {
      case 'challenge': {
        const signature = signChallenge(state.keys, challengeText(msg.nonce, state.agentId, state.portalUrl.replace(/\/+$/, '')));
        const domain = await this.o.executor.domain().catch(() => null);
        const policy = await this.o.executor.policy().catch(() => null);
        this.send({ t: 'hello', agentId: state.agentId, signature, version: this.o.version, ...(domain ? { domain } : {}), ...(policy ? { policy } : {}) });
        return;
      }
      case 'welcome': {
        this.attempt = 0;
        this.setStatus('connected');
        let beats = 0;
        // Every 20th heartbeat (about 5 minutes) carries the domain policy again, in case it changed.
        this.heartbeat = setInterval(() => {
          beats += 1;
          if (beats % 20 !== 0) return this.send({ t: 'heartbeat' });
          void this.o.executor.policy().then(
            (policy) => this.send({ t: 'heartbeat', ...(policy ? { policy } : {}) }),
            () => this.send({ t: 'heartbeat' }),
          );
        }, HEARTBEAT_MS);
        this.heartbeat.unref?.();
        await this.replayJournal();
        void this.reportRights();
        return;
      }
      case 'job':
        return this.runJob(msg.job);
      case 'claimed':
      case 'refused':
        this.claimWaiters.get(msg.id)?.(msg.t === 'claimed');
        this.claimWaiters.delete(msg.id);
        return;
      case 'ack':
        this.o.journal.remove(msg.id);
        return;
      case 'sync':
        return this.runSync(msg.runId, msg.mode, msg.since ?? null, msg.scope ?? null);
      case 'sync_ack':
        this.syncAcks.get(`${msg.runId}:${msg.seq}`)?.resolve();
        return;
    }
  }

  /** The rights check, after connecting and every six hours, for the console's agents page. */
  private async reportRights(): Promise<void> {
    const check = this.o.executor.rightsReport;
    if (!check) return;
    const now = this.now();
    if (this.lastRightsAt && now - this.lastRightsAt < 6 * 3_600_000) return;
    this.lastRightsAt = now;
    try {
      const report = await check.call(this.o.executor);
      this.send({ t: 'rights', report: { ...report, problems: report.problems.slice(0, 100).map((p) => p.slice(0, 2000)) } });
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'agent: the rights check failed');
    }
  }

  private lastRightsAt = 0;

  /** After a reconnect: report what was finished, and reconcile what was claimed but not finished. */
  private async replayJournal(): Promise<void> {
    for (const entry of this.o.journal.all()) {
      if (this.inFlight.has(entry.id)) continue;
      const verdict = entry.verdict ?? (await this.o.executor.reconcile(entry));
      // AD cannot be asked now: the entry stays until the next reconnect.
      if (!verdict) continue;
      if (!entry.verdict) await this.o.journal.put({ ...entry, verdict });
      this.send({ t: 'result', id: entry.id, verdict });
    }
  }

  /**
   * Reads AD page by page. At most SYNC_WINDOW pages are unacknowledged: while the portal applies
   * one page, the next is read from AD (bounded memory on both sides; the portal applies a run's
   * pages one at a time, in order).
   */
  private async runSync(runId: string, mode: 'full' | 'delta', since: SyncCursor | null, scope: SyncScopeRequest | null): Promise<void> {
    if (!this.o.executor.sync) return this.send({ t: 'sync_failed', runId, problem: 'this agent is not configured to read users and groups (agent.sync)' });
    // The portal's scope, within the agent's own: refused in words when it reaches further.
    const scoped = scope ? (this.o.executor.scopedSync?.(scope) ?? { ok: false as const, problem: 'this agent cannot read a scope set in the portal; update it' }) : { ok: true as const, source: this.o.executor.sync };
    if (!scoped.ok) return this.send({ t: 'sync_failed', runId, problem: scoped.problem });
    const source = scoped.source;
    let seq = 0;
    const unacked: Promise<void>[] = [];
    const onPage = async (page: SyncPage) => {
      for (const part of splitPage(page, this.o.syncMessageBytes ?? SYNC_MESSAGE_BYTES)) await sendPage(part);
    };
    const sendPage = async (page: SyncPage) => {
      const mine = seq++;
      const acked = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the portal did not acknowledge a sync page')), 120_000);
        timer.unref?.();
        this.syncAcks.set(`${runId}:${mine}`, {
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
      }).finally(() => this.syncAcks.delete(`${runId}:${mine}`));
      // Handled when awaited below; never an unhandled rejection meanwhile.
      acked.catch(() => undefined);
      this.send({ t: 'sync_page', runId, seq: mine, page });
      unacked.push(acked);
      while (unacked.length >= SYNC_WINDOW) await unacked.shift();
    };
    const allAcked = async () => {
      while (unacked.length) await unacked.shift();
    };
    try {
      let reported: 'full' | 'delta' = mode;
      let r = mode === 'delta' && since ? await source.delta(since, onPage) : await source.full(onPage);
      if (r.ok && 'fullNeeded' in r.value) {
        reported = 'full';
        r = await source.full(onPage);
      }
      await allAcked();
      if (!r.ok) return this.send({ t: 'sync_failed', runId, problem: r.problem.slice(0, 500) });
      if (!('cursor' in r.value)) return this.send({ t: 'sync_failed', runId, problem: 'no cursor' });
      this.send({ t: 'sync_end', runId, mode: reported, cursor: r.value.cursor });
    } catch (err) {
      this.send({ t: 'sync_failed', runId, problem: String((err as Error).message ?? err).slice(0, 500) });
    }
  }

  private claim(id: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.claimWaiters.set(id, resolve);
      this.send({ t: 'claim', id });
    });
  }

  private async runJob(job: Job): Promise<void> {
    const known = this.o.journal.get(job.id);
    if (known?.verdict) {
      // Delivered again: answer from the journal, never apply twice.
      this.send({ t: 'result', id: job.id, verdict: known.verdict });
      return;
    }
    if (known || this.inFlight.has(job.id)) return;
    // Checked before anything else: a job past its expiry is never applied.
    if (this.now() >= job.expiresAt) return;
    this.inFlight.set(job.id, job);
    if (job.kind === 'bind' || job.kind === 'policy' || job.kind === 'read_account' || job.kind === 'check') {
      // Reads change nothing in AD: claimed like any job (answered only when claimed, so never after their expiry), not
      // journaled; they run while the claim is on its way — a bind's own bind waits for it (a wrong password counts).
      try {
        const password = job.kind === 'bind' && job.password ? open(this.o.state.keys, job.password, job.id) : null;
        const claimed = this.claim(job.id);
        const ex = this.o.executor;
        const read =
          job.kind === 'check'
            ? (ex.check?.() ?? Promise.resolve<JobVerdict>({ ok: false, reason: 'failed', detail: 'this agent cannot test its connection' }))
            : job.kind === 'policy'
              ? ex.policyFor(job.anchor)
              : job.kind === 'read_account'
                ? ex.readAccount(job.anchor)
                : password === null
                  ? Promise.resolve<JobVerdict>({ ok: false, reason: 'sealing' })
                  : ex.bind(job.anchor, password, { ready: claimed });
        const verdict: JobVerdict = await read.catch((err: unknown): JobVerdict => ({ ok: false, reason: 'dc_unreachable', detail: String((err as Error).message ?? err).slice(0, 200) }));
        if (!(await claimed)) return;
        this.send({ t: 'result', id: job.id, verdict });
      } finally {
        this.inFlight.delete(job.id);
      }
      return;
    }
    try {
      const password = job.password ? open(this.o.state.keys, job.password, job.id) : undefined;
      const current = job.current ? open(this.o.state.keys, job.current, job.id) : undefined;
      // The claim, then the claim on disk: the go-ahead for AD's write. The executor looks the user up meanwhile.
      const claimed = this.claim(job.id).then(async (granted) => {
        if (granted) await this.o.journal.put({ id: job.id, kind: job.kind, anchor: job.anchor, claimedAt: this.now(), ...(job.kind === 'must_change' ? { mustChange: job.mustChange ?? true } : {}) });
        return granted;
      });
      // A failed journal write is thrown where `claimed` is awaited below.
      claimed.catch(() => undefined);
      let verdict: JobVerdict;
      if (password === null || current === null || ((job.kind === 'reset' || job.kind === 'change') && !password) || (job.kind === 'change' && !current)) {
        verdict = { ok: false, reason: 'sealing', detail: 'the job was not sealed for this agent' };
      } else {
        const options = { ...(job.allowProtected ? { allowProtected: true } : {}), ready: claimed };
        const ex = this.o.executor;
        verdict = await (job.kind === 'reset'
          ? ex.reset(job.anchor, password!, { ...options, ...(job.mustChange !== undefined ? { mustChange: job.mustChange } : {}) })
          : job.kind === 'change'
            ? ex.change(job.anchor, current!, password!, options)
            : job.kind === 'unlock'
              ? ex.unlock(job.anchor, options)
              : ex.mustChange(job.anchor, job.mustChange ?? true, options)
        ).catch((err: unknown): JobVerdict => ({ ok: false, reason: 'dc_unreachable', detail: String((err as Error).message ?? err).slice(0, 200) }));
      }
      // Not claimed (taken elsewhere, or expired meanwhile): nothing was written and nothing is said.
      if (!(await claimed)) return;
      await this.o.journal.put({ ...this.o.journal.get(job.id)!, verdict });
      this.send({ t: 'result', id: job.id, verdict });
    } finally {
      this.inFlight.delete(job.id);
    }
  }
}
