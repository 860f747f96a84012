import type { WebSocket } from 'ws';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import type { SyncCursor, SyncScopeRequest } from '../agent-protocol/index.js';
import type { Agent, AgentRegistry } from './agent-registry.js';
import { AgentConnections } from './agent-connections.js';
import { JobDispatch, type JobInput } from './job-dispatch.js';
import { SyncStream, type SyncHandlers } from './sync-stream.js';
import { WritebackJobStore, type JobOutcome } from './writeback-job-store.js';
import { AgentPresence, type Presence } from './agent-presence.js';
import { InstanceBus } from './instance-bus.js';

export type { SyncHandlers } from './sync-stream.js';
export type { JobOutcome } from './writeback-job-store.js';

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
  /** The longest a user waits for one job (writeback.userWaitSeconds); the job expires no later. */
  userWaitMs: number;
  /** This portal process among the instances sharing the store. */
  instanceId: string;
}

/**
 * The portal's end of the agents: their connections (agent-connections.ts), the synchronous
 * password jobs sent over them (job-dispatch.ts, stored by writeback-job-store.ts) and the sync
 * runs they read AD for (sync-stream.ts). Several agents may be connected; any can take a job.
 */
export class AgentHub {
  /** The jobs in the store, for the console and housekeeping. */
  readonly jobs: WritebackJobStore;
  private readonly connections: AgentConnections;
  private readonly dispatch: JobDispatch;
  private readonly syncs: SyncStream;
  /** Which instance holds which agent's connection (all of them share the store). */
  readonly presence: AgentPresence;
  private readonly bus: InstanceBus | null;
  private stopping = false;

  constructor(d: Deps) {
    this.jobs = new WritebackJobStore(d.store, d.clock);
    this.syncs = new SyncStream(d.logger);
    this.presence = new AgentPresence(d.store, d.clock, d.instanceId);
    const note = (work: Promise<void>) => work.catch((err: unknown) => d.logger.warn({ err }, 'agent presence not recorded'));
    this.connections = new AgentConnections(d, {
      claim: (s, id) => this.dispatch.claim(s.agent, id),
      result: (s, id, verdict) => this.dispatch.record(s.agent, id, verdict),
      sync: async (s, msg) => this.syncs.handle(s, msg),
      opened: (s) => note(this.presence.connected(s.agent.id)),
      alive: (s) => note(this.presence.seen(s.agent.id)),
      closed: (s) => {
        this.syncs.closed(s);
        // Only when no newer connection of the same agent took its place here.
        if (!this.stopping && !this.connections.session(s.agent.id)) void note(this.presence.disconnected(s.agent.id));
      },
    });
    // Several instances exist only on PostgreSQL; on SQLite every agent is connected here.
    this.bus = d.store.dialect === 'postgres' ? new InstanceBus(d.store.events, d.instanceId, (agentId, job, sent) => this.dispatch.deliver(agentId, job, sent)) : null;
    const elsewhere = this.bus ? { presence: this.presence, agent: (id: string) => d.registry.byId(id), bus: this.bus } : undefined;
    // The waits are read at each job: they are stored settings an administrator may change.
    const dispatchDeps = {
      jobs: this.jobs,
      clock: d.clock,
      audit: d.audit,
      get jobTtlMs() {
        return d.jobTtlMs;
      },
      get takenGraceMs() {
        return d.takenGraceMs;
      },
      get userWaitMs() {
        return d.userWaitMs;
      },
      ...(elsewhere ? { elsewhere } : {}),
    };
    this.dispatch = new JobDispatch(dispatchDeps, this.connections);
  }

  /** Listens for jobs other instances hand to the agents connected here (PostgreSQL; nothing to do on SQLite). */
  async start(): Promise<void> {
    await this.bus?.start();
  }

  /** Live agent connections on every instance, with the instance holding each. */
  online(): Promise<Presence[]> {
    return this.presence.online();
  }

  /** Whether a job could reach an agent now: one connected here, or (PostgreSQL) to another instance. */
  async reachable(): Promise<boolean> {
    if (this.connections.sessions().length > 0) return true;
    return this.bus !== null && (await this.presence.online()).some((p) => p.instanceId !== this.presence.instanceId);
  }

  /** The ids of the agents connected now, here or to another instance. */
  async connectedAgentIds(): Promise<Set<string>> {
    return new Set([...this.connected().map((s) => s.agent.id), ...(await this.online()).map((p) => p.agentId)]);
  }

  /** Agents connected to this portal instance right now. */
  connected(): Array<{ agent: Agent; connectedAt: number }> {
    return this.connections.sessions().map((s) => ({ agent: s.agent, connectedAt: s.connectedAt }));
  }

  /** Closes every agent connection and stops taking offers; `leave()` then removes this instance's presence. */
  close(): void {
    this.stopping = true;
    this.connections.close();
    this.bus?.close();
  }

  /** This instance's connections are gone for the other instances at once, not after three heartbeats. */
  leave(): Promise<void> {
    return this.presence.leave();
  }

  /** Drops a revoked agent's connection at once. */
  disconnect(agentId: string): void {
    this.connections.disconnect(agentId);
  }

  /** A new WebSocket on the agent endpoint: challenge, signed hello, then jobs. */
  accept(ws: WebSocket, ip: string): void {
    this.connections.accept(ws, ip);
  }

  /** A connected agent to read AD for a sync run, or null. */
  pickAgent(): Agent | null {
    return this.connections.leastUsed()?.agent ?? null;
  }

  /** Asks an agent to read AD; its pages, end or failure go to the handlers. False when that agent is not connected here. */
  startSync(agentId: string, runId: string, mode: 'full' | 'delta', since: SyncCursor | null, handlers: SyncHandlers, scope: SyncScopeRequest | null = null): boolean {
    const session = this.connections.session(agentId);
    if (!session) return false;
    this.syncs.start(session, runId, mode, since, handlers, scope);
    return true;
  }

  /** Housekeeping of finished jobs (WritebackJobStore.prune). */
  prune(now: number, retentionDays: number): Promise<number> {
    return this.jobs.prune(now, retentionDays);
  }

  /** Runs one job synchronously (JobDispatch.run). */
  run(input: JobInput): Promise<JobOutcome> {
    return this.dispatch.run(input);
  }

  /** Tests one agent's connection to AD (JobDispatch.check). */
  check(agentId: string): Promise<JobOutcome> {
    return this.dispatch.check(agentId);
  }
}
