import type { WebSocket } from 'ws';
import type { AuditLog } from '../audit/audit-log.js';
import type { User } from '../directory/users.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { newId, randomToken } from '../shared/crypto.js';
import type { WritebackJobKind, WritebackJobStatus } from '../store/schema.js';
import { agentMessage, HEARTBEAT_MS, parseMessage, PROTOCOL_VERSION, type Job, type JobVerdict, type PortalMessage, type ReportedPolicy } from '../agent-protocol/index.js';
import { challengeText, seal, verifyChallenge } from '../agent-protocol/index.js';
import type { Agent, AgentRegistry } from './agent-registry.js';
import type { SyncCursor, SyncPage } from '../agent-protocol/index.js';

export interface SyncHandlers {
  page(page: SyncPage): Promise<void>;
  end(mode: 'full' | 'delta', cursor: SyncCursor): Promise<void>;
  failed(problem: string): Promise<void>;
}

function toOutcome(verdict: JobVerdict): JobOutcome {
  if (verdict.ok) return { ok: true, ...(verdict.historyEnforced !== undefined ? { historyEnforced: verdict.historyEnforced } : {}), ...(verdict.policy ? { policy: verdict.policy } : {}) };
  return verdict.detail ? { ok: false, reason: verdict.reason, detail: verdict.detail } : { ok: false, reason: verdict.reason };
}

/** How a job ended, as the flows see it. */
export type JobOutcome =
  | { ok: true; historyEnforced?: boolean; policy?: ReportedPolicy }
  /** `unavailable`: no agent took it before its expiry — nothing was changed and nothing will be. */
  /** `unconfirmed`: an agent took it but its answer has not arrived; the journal will reconcile it. */
  | { ok: false; reason: string; detail?: string };

interface Session {
  agent: Agent;
  ws: WebSocket;
  connectedAt: number;
  lastUsed: number;
  lastSeen: number;
  /** Jobs sent on this connection and waiting for its answer. */
  waiting: Map<string, (event: { type: 'result'; verdict: JobVerdict } | { type: 'gone' }) => void>;
}

interface Deps {
  store: Store;
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  publicUrl: string;
  /** How long a job may wait to be taken (the user waits this long at most for "unavailable"). */
  jobTtlMs: number;
  /** After a job was taken, how long the portal waits for AD's answer before saying "not confirmed yet". */
  takenGraceMs: number;
}

const HELLO_TIMEOUT_MS = 10_000;
const DAY_MS = 86_400_000;
/** Jobs that only read AD. */
const READ_KINDS: readonly WritebackJobKind[] = ['bind', 'policy'];

/**
 * The portal's end of the agents' connections, and the synchronous writeback: a job is stored
 * (without any password), sealed for one connected agent at a time and sent; the agent claims it
 * (granted only while pending and unexpired), applies it to AD and answers with AD's verdict.
 * Several agents may be connected; any can take a job. Live connections are the only state held
 * in memory; jobs and their outcomes are in the store.
 */
export class AgentHub {
  private readonly live = new Map<string, Session>();
  /** Sync runs in progress on this instance's connections, by run id. */
  private readonly syncs = new Map<string, { session: Session; tail: Promise<void> } & SyncHandlers>();
  private readonly heartbeatCheck: NodeJS.Timeout;

  constructor(private readonly d: Deps) {
    // A connection silent for three heartbeats is dead: close it so jobs go elsewhere.
    this.heartbeatCheck = setInterval(() => {
      const now = Date.now();
      for (const s of this.live.values()) if (now - s.lastSeen > 3 * HEARTBEAT_MS) s.ws.terminate();
    }, HEARTBEAT_MS);
    this.heartbeatCheck.unref();
  }

  /** Agents connected to this portal instance right now. */
  connected(): Array<{ agent: Agent; connectedAt: number }> {
    return [...this.live.values()].map((s) => ({ agent: s.agent, connectedAt: s.connectedAt }));
  }

  close(): void {
    clearInterval(this.heartbeatCheck);
    for (const s of this.live.values()) s.ws.close(1001, 'portal stopping');
  }

  /** Drops a revoked agent's connection at once. */
  disconnect(agentId: string): void {
    this.live.get(agentId)?.ws.close(4003, 'revoked');
  }

  /** A new WebSocket on the agent endpoint: challenge, signed hello, then jobs. */
  accept(ws: WebSocket, ip: string): void {
    const { d } = this;
    const nonce = randomToken(24);
    let session: Session | null = null;
    const helloTimer = setTimeout(() => ws.close(4001, 'no hello'), HELLO_TIMEOUT_MS);
    helloTimer.unref();
    const send = (m: PortalMessage) => ws.send(JSON.stringify(m));
    send({ t: 'challenge', nonce, protocol: PROTOCOL_VERSION });

    ws.on('message', (raw, isBinary) => {
      if (session) session.lastSeen = Date.now();
      const msg = isBinary ? null : parseMessage(agentMessage, raw.toString());
      if (!msg) {
        ws.close(4002, 'malformed message');
        return;
      }
      void (async () => {
        if (!session) {
          if (msg.t !== 'hello') return ws.close(4001, 'hello first');
          const agent = await d.registry.byId(msg.agentId);
          if (!agent || agent.revokedAt !== null || !verifyChallenge(agent.signingKey, challengeText(nonce, agent.id, d.publicUrl), msg.signature)) {
            await d.audit.record({ event: 'agent_connected', outcome: 'failure', target: { id: agent?.id ?? null, name: agent?.name ?? null }, ip, details: { reason: agent?.revokedAt ? 'revoked' : 'signature' } });
            return ws.close(4003, 'not accepted');
          }
          clearTimeout(helloTimer);
          this.live.get(agent.id)?.ws.close(4004, 'replaced by a newer connection');
          session = { agent, ws, connectedAt: d.clock.now(), lastUsed: 0, lastSeen: Date.now(), waiting: new Map() };
          this.live.set(agent.id, session);
          await d.registry.seen(agent.id, { version: msg.version, ...(msg.domain ? { domain: msg.domain } : {}), ...(msg.policy ? { policy: msg.policy } : {}) });
          await d.audit.record({ event: 'agent_connected', outcome: 'success', target: { id: agent.id, name: agent.name }, ip, details: { version: msg.version } });
          return send({ t: 'welcome', agentId: agent.id });
        }
        const s = session;
        switch (msg.t) {
          case 'hello':
            return ws.close(4002, 'hello twice');
          case 'heartbeat': {
            // Revoked on another portal instance: this connection ends at the next heartbeat.
            const now = await d.registry.byId(s.agent.id);
            if (!now || now.revokedAt !== null) return ws.close(4003, 'revoked');
            return d.registry.seen(s.agent.id, { ...(msg.domain ? { domain: msg.domain } : {}), ...(msg.policy ? { policy: msg.policy } : {}) });
          }
          case 'claim':
            return send(await this.claim(s.agent, msg.id));
          case 'result':
            await this.record(s.agent, msg.id, msg.verdict);
            s.waiting.get(msg.id)?.({ type: 'result', verdict: msg.verdict });
            return send({ t: 'ack', id: msg.id });
          case 'rights':
            return d.registry.rightsChecked(s.agent.id, msg.report);
          case 'sync_page': {
            const h = this.syncs.get(msg.runId);
            if (!h || h.session !== s) return;
            // The agent sends the next page before this one is acknowledged: a run's pages are applied one at a time, in order.
            h.tail = h.tail.then(async () => {
              await h.page(msg.page);
              send({ t: 'sync_ack', runId: msg.runId, seq: msg.seq });
            });
            return h.tail;
          }
          case 'sync_end': {
            const h = this.syncs.get(msg.runId);
            if (!h || h.session !== s) return;
            this.syncs.delete(msg.runId);
            return h.tail.then(
              () => h.end(msg.mode, msg.cursor),
              (err: unknown) => h.failed(`a page could not be applied: ${String((err as Error).message ?? err).slice(0, 300)}`),
            );
          }
          case 'sync_failed': {
            const h = this.syncs.get(msg.runId);
            if (!h || h.session !== s) return;
            this.syncs.delete(msg.runId);
            return h.tail.catch(() => undefined).then(() => h.failed(msg.problem));
          }
        }
      })().catch((err: unknown) => {
        d.logger.warn({ err }, 'agent message failed');
        ws.close(1011, 'internal error');
      });
    });

    ws.on('close', () => {
      clearTimeout(helloTimer);
      const s = session;
      if (!s) return;
      if (this.live.get(s.agent.id) === s) this.live.delete(s.agent.id);
      for (const w of s.waiting.values()) w({ type: 'gone' });
      // Runs on this connection only: a newer connection of the same agent keeps its own.
      for (const [runId, h] of this.syncs) {
        if (h.session !== s) continue;
        this.syncs.delete(runId);
        void h.tail
          .catch(() => undefined)
          .then(() => h.failed('the agent disconnected during the sync'))
          .catch((err: unknown) => d.logger.warn({ err, run: runId }, 'sync: failing the run failed'));
      }
    });
    ws.on('error', () => ws.terminate());
  }

  /** A connected agent to read AD for a sync run, or null. */
  pickAgent(): Agent | null {
    return [...this.live.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]?.agent ?? null;
  }

  /** Asks an agent to read AD; its pages, end or failure go to the handlers. False when that agent is not connected here. */
  startSync(agentId: string, runId: string, mode: 'full' | 'delta', since: SyncCursor | null, handlers: SyncHandlers): boolean {
    const session = this.live.get(agentId);
    if (!session) return false;
    this.syncs.set(runId, { session, tail: Promise.resolve(), ...handlers });
    session.lastUsed = Date.now();
    session.ws.send(JSON.stringify({ t: 'sync', runId, mode, ...(since ? { since } : {}) } satisfies PortalMessage));
    return true;
  }

  /** The agent may apply the job only if it is still pending and not expired: one compare-and-swap. */
  private async claim(agent: Agent, id: string): Promise<PortalMessage> {
    const now = this.d.clock.now();
    const r = await this.d.store.db
      .updateTable('writeback_jobs')
      .set({ status: 'taken', agent_id: agent.id, taken_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return { t: 'claimed', id };
    const job = await this.d.store.db.selectFrom('writeback_jobs').select(['status', 'expires_at']).where('id', '=', id).executeTakeFirst();
    return { t: 'refused', id, reason: !job ? 'unknown' : job.status === 'pending' || job.status === 'expired' ? 'expired' : 'taken' };
  }

  /** AD's verdict, recorded once: a result for a job this agent took and has not yet answered. */
  private async record(agent: Agent, id: string, verdict: JobVerdict): Promise<void> {
    const r = await this.d.store.db
      .updateTable('writeback_jobs')
      .set({ status: verdict.ok ? 'applied' : 'failed', finished_at: this.d.clock.now(), verdict: verdict.ok ? 'applied' : verdict.reason, detail: verdict.ok ? (verdict.historyEnforced === false ? 'history not enforced' : null) : (verdict.detail ?? null) })
      .where('id', '=', id)
      .where('status', '=', 'taken')
      .where('agent_id', '=', agent.id)
      .returning('kind')
      .executeTakeFirst();
    // Reads (a sign-in's bind, a policy look-up) changed nothing in AD: the sign-in has its own audit event, a look-up needs none.
    if (r && !READ_KINDS.includes(r.kind)) await this.d.audit.record({ event: 'writeback_job', outcome: verdict.ok ? 'success' : 'failure', actor: { id: agent.id, name: `agent:${agent.name}` }, details: { job: id, verdict: verdict.ok ? 'applied' : verdict.reason } });
  }

  /**
   * Housekeeping: finished jobs are deleted once past the audit retention (their verdicts are in
   * the audit log), finished reads (bind, policy: nothing changed in AD) after a day. Pending and
   * taken jobs are never deleted: a taken job may still be reconciled from an agent's journal.
   */
  async prune(now: number, retentionDays: number): Promise<number> {
    const finished: WritebackJobStatus[] = ['applied', 'failed', 'expired'];
    const db = this.d.store.db;
    const old = await db.deleteFrom('writeback_jobs').where('status', 'in', finished).where('finished_at', '<', now - retentionDays * DAY_MS).executeTakeFirst();
    const reads = await db.deleteFrom('writeback_jobs').where('status', 'in', finished).where('kind', 'in', [...READ_KINDS]).where('finished_at', '<', now - DAY_MS).executeTakeFirst();
    return Number(old.numDeletedRows) + Number(reads.numDeletedRows);
  }

  /**
   * Runs one job synchronously. Resolves with AD's verdict, `unavailable` (no agent took it
   * before its expiry: it is marked expired and can never apply), or `unconfirmed` (an agent
   * took it but did not answer in time: its journal will tell the portal later).
   */
  async run(input: { kind: WritebackJobKind; user: User; password?: string; current?: string; mustChange?: boolean; allowProtected?: boolean }): Promise<JobOutcome> {
    const { d } = this;
    if (!input.user.anchor) return { ok: false, reason: 'not_found' };
    const id = newId();
    const now = d.clock.now();
    const expiresAt = now + d.jobTtlMs;
    await d.store.db.insertInto('writeback_jobs').values({ id, kind: input.kind, user_id: input.user.id, status: 'pending', agent_id: null, created_at: now, expires_at: expiresAt, taken_at: null, finished_at: null, verdict: null, detail: null }).execute();
    const tried = new Set<string>();
    for (;;) {
      const session = [...this.live.values()].filter((s) => !tried.has(s.agent.id)).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!session || d.clock.now() >= expiresAt) break;
      tried.add(session.agent.id);
      session.lastUsed = Date.now();
      const job: Job = {
        id,
        kind: input.kind,
        anchor: input.user.anchor,
        expiresAt,
        ...(input.password !== undefined ? { password: seal(session.agent.sealingKey, input.password, id) } : {}),
        ...(input.current !== undefined ? { current: seal(session.agent.sealingKey, input.current, id) } : {}),
        ...(input.mustChange !== undefined ? { mustChange: input.mustChange } : {}),
        ...(input.allowProtected ? { allowProtected: true } : {}),
      };
      const event = await this.dispatch(session, job);
      if (event.type === 'result') return toOutcome(event.verdict);
      // The connection went, or time ran out: was the job taken meanwhile?
      const status = await this.status(id);
      if (status === 'taken') return this.awaitReconciliation(id);
      if (status === 'applied' || status === 'failed') return this.outcomeOf(id);
      if (event.type === 'timeout') break;
    }
    const expired = await d.store.db.updateTable('writeback_jobs').set({ status: 'expired', finished_at: d.clock.now(), verdict: 'no_agent' }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    if (Number(expired.numUpdatedRows) === 1) return { ok: false, reason: 'unavailable' };
    // Taken at the last moment: wait for its answer like any taken job.
    return (await this.status(id)) === 'taken' ? this.awaitReconciliation(id) : this.outcomeOf(id);
  }

  /** Sends the job and waits for its result, the connection closing, or the expiry (plus the grace once taken). */
  private dispatch(session: Session, job: Job): Promise<{ type: 'result'; verdict: JobVerdict } | { type: 'gone' } | { type: 'timeout' }> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (e: { type: 'result'; verdict: JobVerdict } | { type: 'gone' } | { type: 'timeout' }) => {
        clearTimeout(timer);
        session.waiting.delete(job.id);
        resolve(e);
      };
      session.waiting.set(job.id, done);
      try {
        session.ws.send(JSON.stringify({ t: 'job', job } satisfies PortalMessage));
      } catch {
        return done({ type: 'gone' });
      }
      // Until the expiry the job may be claimed; once taken, AD gets the grace period to answer.
      timer = setTimeout(() => {
        void this.status(job.id).then((status) => {
          if (status !== 'taken') return done({ type: 'timeout' });
          timer = setTimeout(() => done({ type: 'timeout' }), this.d.takenGraceMs);
        });
      }, Math.max(0, job.expiresAt - this.d.clock.now()));
    });
  }

  /** A taken job whose connection went: the agent may reconnect and send its journaled result. */
  private async awaitReconciliation(id: string): Promise<JobOutcome> {
    const deadline = Date.now() + this.d.takenGraceMs;
    while (Date.now() < deadline) {
      const status = await this.status(id);
      if (status !== 'taken') return this.outcomeOf(id);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { ok: false, reason: 'unconfirmed' };
  }

  private async status(id: string) {
    return (await this.d.store.db.selectFrom('writeback_jobs').select('status').where('id', '=', id).executeTakeFirst())?.status ?? null;
  }

  private async outcomeOf(id: string): Promise<JobOutcome> {
    const row = await this.d.store.db.selectFrom('writeback_jobs').select(['status', 'verdict', 'detail']).where('id', '=', id).executeTakeFirst();
    if (!row || row.status === 'expired') return { ok: false, reason: 'unavailable' };
    if (row.status === 'applied') return { ok: true, ...(row.detail === 'history not enforced' ? { historyEnforced: false } : {}) };
    if (row.status === 'taken') return { ok: false, reason: 'unconfirmed' };
    return { ok: false, reason: row.verdict ?? 'failed', ...(row.detail ? { detail: row.detail } : {}) };
  }
}
