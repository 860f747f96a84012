import type { AuditLog } from '../audit/audit-log.js';
import type { User } from '../directory/users.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import { fail } from '../shared/result.js';
import type { WritebackJobKind } from '../store/schema.js';
import { seal, type Job, type JobVerdict, type PortalMessage } from '../agent-protocol/index.js';
import type { Agent } from './agent-registry.js';
import type { AgentConnections, AgentSession, JobEvent } from './agent-connections.js';
import type { AgentPresence } from './agent-presence.js';
import type { InstanceBus, RemoteEvent } from './instance-bus.js';
import { outcomeOfVerdict, READ_KINDS, type JobOutcome, type WritebackJobStore } from './writeback-job-store.js';

export interface JobDispatchDeps {
  jobs: WritebackJobStore;
  clock: Clock;
  audit: AuditLog;
  /** How long a job may wait to be taken (the user waits this long at most for "unavailable"). */
  jobTtlMs: number;
  /** After a job was taken, how long the portal waits for AD's answer before saying "not confirmed yet". */
  takenGraceMs: number;
  /**
   * The longest a user waits for any one job, whatever happens to the agent (`writeback.userWaitSeconds`):
   * the job expires no later, so an agent frozen before its claim can never apply it afterwards.
   */
  userWaitMs: number;
  /**
   * Several instances on one PostgreSQL database: agents connected to the others (their
   * presence), their sealing keys, and the notices that hand a job over. Absent on SQLite.
   */
  elsewhere?: { presence: AgentPresence; agent(id: string): Promise<Agent | null>; bus: InstanceBus };
}

/** Where a job goes next: this instance's connection of an agent, or an agent another instance holds. */
type Target = { agent: Agent; session: AgentSession } | { agent: Agent; instanceId: string };

/** How often a job handed to another instance is looked up in the store, in case its answer notice was lost. */
const SAFETY_POLL_MS = 1_000;

export type JobInput = { kind: WritebackJobKind; user: User; password?: string; current?: string; mustChange?: boolean; allowProtected?: boolean };

/**
 * The synchronous writeback: a job is stored (without any password), sealed for one connected
 * agent at a time and sent; the agent claims it (granted only while pending and unexpired),
 * applies it to AD and answers with AD's verdict. Any connected agent can take a job: one
 * connected here first, else one connected to another portal instance, which gets the job by a
 * notice (instance-bus.ts) and sends it on.
 */
export class JobDispatch {
  constructor(
    private readonly d: JobDispatchDeps,
    private readonly connections: AgentConnections,
  ) {}

  /** An agent's claim, answered from the one compare-and-swap. */
  async claim(agent: Agent, id: string): Promise<PortalMessage> {
    const r = await this.d.jobs.claim(id, agent.id);
    return r === 'claimed' ? { t: 'claimed', id } : { t: 'refused', id, reason: r };
  }

  /** AD's verdict, recorded once: a result for a job this agent took and has not yet answered. */
  async record(agent: Agent, id: string, verdict: JobVerdict): Promise<void> {
    const kind = await this.d.jobs.finish(id, agent.id, verdict);
    // Reads (a sign-in's bind, a policy look-up) changed nothing in AD: the sign-in has its own audit event, a look-up needs none.
    if (kind && !READ_KINDS.includes(kind)) await this.d.audit.record({ event: 'writeback_job', outcome: verdict.ok ? 'success' : 'failure', actor: { id: agent.id, name: `agent:${agent.name}` }, details: { job: id, verdict: verdict.ok ? 'applied' : verdict.reason } });
  }

  /**
   * Runs one job synchronously. Resolves with AD's verdict, `unavailable` (no agent took it
   * before its expiry: it is marked expired and can never apply), or `unconfirmed` (an agent
   * took it but did not answer in time: its journal will tell the portal later).
   */
  async run(input: JobInput): Promise<JobOutcome> {
    if (!input.user.anchor) return fail('not_found');
    return this.runJob({ ...input, anchor: input.user.anchor, rowUserId: input.user.id }, (tried) => this.next(tried));
  }

  /**
   * The console's "Test connection" of one agent: a `check` job (read the domain and its
   * password policy; nothing is changed or journaled) offered to that agent only, here or on
   * the instance that holds it. Its row names the agent where a job names its user.
   */
  check(agentId: string): Promise<JobOutcome> {
    return this.runJob({ kind: 'check', anchor: '', rowUserId: agentId }, async (tried) => (tried.has(agentId) ? null : this.only(agentId)));
  }

  private async runJob(input: Omit<JobInput, 'user'> & { anchor: string; rowUserId: string }, pick: (tried: ReadonlySet<string>) => Promise<Target | null>): Promise<JobOutcome> {
    const { d } = this;
    const id = newId();
    const now = d.clock.now();
    // The user's wait bounds everything: the expiry (no claim is granted after it) and the wait for AD's answer.
    const expiresAt = now + Math.min(d.jobTtlMs, d.userWaitMs);
    const deadline = Math.min(now + d.userWaitMs, expiresAt + d.takenGraceMs);
    await d.jobs.create({ id, kind: input.kind, userId: input.rowUserId, expiresAt });
    const tried = new Set<string>();
    for (;;) {
      if (d.clock.now() >= expiresAt) break;
      const target = await pick(tried);
      if (!target) break;
      tried.add(target.agent.id);
      const sealingKey = target.agent.sealingKey;
      const job: Job = {
        id,
        kind: input.kind,
        anchor: input.anchor,
        expiresAt,
        ...(input.password !== undefined ? { password: seal(sealingKey, input.password, id) } : {}),
        ...(input.current !== undefined ? { current: seal(sealingKey, input.current, id) } : {}),
        ...(input.mustChange !== undefined ? { mustChange: input.mustChange } : {}),
        ...(input.allowProtected ? { allowProtected: true } : {}),
      };
      const event = 'session' in target ? await this.send(target.session, job, deadline) : await this.handOver(target.instanceId, target.agent.id, job, deadline);
      if (event.type === 'result') return outcomeOfVerdict(event.verdict);
      if (event.type === 'stored') return d.jobs.outcome(id);
      // The connection went, or time ran out: was the job taken meanwhile?
      const status = await d.jobs.status(id);
      if (status === 'taken') return this.awaitReconciliation(id, deadline);
      if (status === 'applied' || status === 'failed') return d.jobs.outcome(id);
      if (event.type === 'timeout') break;
    }
    if (await d.jobs.expire(id)) return fail('unavailable');
    // Taken at the last moment: wait for its answer like any taken job.
    return (await d.jobs.status(id)) === 'taken' ? this.awaitReconciliation(id, deadline) : d.jobs.outcome(id);
  }

  /** One agent, connected here or to another instance; null when it is connected nowhere (or revoked). */
  private async only(agentId: string): Promise<Target | null> {
    const session = this.connections.session(agentId);
    if (session) return { agent: session.agent, session };
    const elsewhere = this.d.elsewhere;
    if (!elsewhere) return null;
    const p = (await elsewhere.presence.online()).find((x) => x.agentId === agentId && x.instanceId !== elsewhere.bus.instanceId);
    if (!p) return null;
    const agent = await elsewhere.agent(agentId);
    return agent && agent.revokedAt === null ? { agent, instanceId: p.instanceId } : null;
  }

  /** The next agent to try: the least used one connected here, else one another instance holds. */
  private async next(tried: ReadonlySet<string>): Promise<Target | null> {
    const session = this.connections.leastUsed(tried);
    if (session) return { agent: session.agent, session };
    const elsewhere = this.d.elsewhere;
    if (!elsewhere) return null;
    for (const p of await elsewhere.presence.online()) {
      if (p.instanceId === elsewhere.bus.instanceId || tried.has(p.agentId)) continue;
      const agent = await elsewhere.agent(p.agentId);
      if (agent && agent.revokedAt === null) return { agent, instanceId: p.instanceId };
    }
    return null;
  }

  /** An offer from another instance: sent on this instance's connection of the agent, or `gone` when it is not here. */
  async deliver(agentId: string, job: Job, sent: () => void): Promise<RemoteEvent> {
    const session = this.connections.session(agentId);
    if (!session) return { type: 'gone' };
    sent();
    // The instance that made the job keeps the user's deadline; here, the expiry plus the grace.
    return this.send(session, job, job.expiresAt + this.d.takenGraceMs);
  }

  private send(session: AgentSession, job: Job, deadline: number): Promise<JobEvent | { type: 'timeout' }> {
    session.lastUsed = Date.now();
    return this.dispatch(session, job, deadline);
  }

  /**
   * Hands the job to the instance holding the agent and waits for its answer until the expiry
   * plus the grace; meanwhile the job's row is looked at every second, so a lost answer notice
   * costs at most that second (`stored`: the verdict is in the row).
   */
  private async handOver(instanceId: string, agentId: string, job: Job, deadline: number): Promise<RemoteEvent | { type: 'stored' }> {
    const { d } = this;
    const bus = d.elsewhere!.bus;
    const answer = bus.offer(instanceId, agentId, job, Math.max(0, deadline - d.clock.now()));
    for (;;) {
      const tick = new Promise<'tick'>((r) => setTimeout(() => r('tick'), SAFETY_POLL_MS).unref());
      const first = await Promise.race([answer, tick]);
      if (first !== 'tick') return first;
      const status = await d.jobs.status(job.id);
      if (status === 'applied' || status === 'failed') return { type: 'stored' };
    }
  }

  /** Sends the job and waits for its result, the connection closing, or the expiry (once taken, until the deadline). */
  private dispatch(session: AgentSession, job: Job, deadline: number): Promise<JobEvent | { type: 'timeout' }> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (e: JobEvent | { type: 'timeout' }) => {
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
        void this.d.jobs.status(job.id).then((status) => {
          if (status !== 'taken') return done({ type: 'timeout' });
          timer = setTimeout(() => done({ type: 'timeout' }), Math.max(0, deadline - this.d.clock.now()));
        });
      }, Math.max(0, job.expiresAt - this.d.clock.now()));
    });
  }

  /** A taken job whose connection went: the agent may reconnect and send its journaled result. */
  private async awaitReconciliation(id: string, deadline: number): Promise<JobOutcome> {
    const until = Date.now() + Math.min(this.d.takenGraceMs, Math.max(0, deadline - this.d.clock.now()));
    while (Date.now() < until) {
      const status = await this.d.jobs.status(id);
      if (status !== 'taken') return this.d.jobs.outcome(id);
      await new Promise((r) => setTimeout(r, 100));
    }
    return fail('unconfirmed');
  }
}
