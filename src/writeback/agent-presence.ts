import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { HEARTBEAT_MS } from '../agent-protocol/index.js';

/** A connection not heard of for three heartbeats is gone (the instance holding it closes it then too). */
const FRESH_MS = 3 * HEARTBEAT_MS;

export interface Presence {
  agentId: string;
  instanceId: string;
  connectedAt: number;
  seenAt: number;
}

/**
 * Which portal instance holds each agent's live connection (agent_presence), so that a job
 * created on any instance reaches an agent connected to another. Written by the instance that
 * holds the connection: on connect, on each heartbeat, and removed when it closes — only its
 * own row, so a newer connection on another instance is never removed by an old one closing.
 */
export class AgentPresence {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly instanceId: string,
  ) {}

  async connected(agentId: string): Promise<void> {
    const now = this.clock.now();
    await this.store.db
      .insertInto('agent_presence')
      .values({ agent_id: agentId, instance_id: this.instanceId, connected_at: now, seen_at: now })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet({ instance_id: this.instanceId, connected_at: now, seen_at: now }))
      .execute();
  }

  async seen(agentId: string): Promise<void> {
    await this.store.db.updateTable('agent_presence').set({ seen_at: this.clock.now() }).where('agent_id', '=', agentId).where('instance_id', '=', this.instanceId).execute();
  }

  async disconnected(agentId: string): Promise<void> {
    await this.store.db.deleteFrom('agent_presence').where('agent_id', '=', agentId).where('instance_id', '=', this.instanceId).execute();
  }

  /** This instance is stopping: none of its connections lives on. */
  async leave(): Promise<void> {
    await this.store.db.deleteFrom('agent_presence').where('instance_id', '=', this.instanceId).execute();
  }

  /** Live connections of agents not revoked, on any instance, least recently connected first. */
  async online(): Promise<Presence[]> {
    const rows = await this.store.db
      .selectFrom('agent_presence as p')
      .innerJoin('agents as a', 'a.id', 'p.agent_id')
      .select(['p.agent_id', 'p.instance_id', 'p.connected_at', 'p.seen_at'])
      .where('a.revoked_at', 'is', null)
      .where('p.seen_at', '>', this.clock.now() - FRESH_MS)
      .orderBy('p.connected_at')
      .execute();
    return rows.map((r) => ({ agentId: r.agent_id, instanceId: r.instance_id, connectedAt: Number(r.connected_at), seenAt: Number(r.seen_at) }));
  }
}
