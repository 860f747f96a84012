import type { WebSocket } from 'ws';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../shared/clock.js';
import { randomToken } from '../shared/crypto.js';
import { agentMessage, challengeText, HEARTBEAT_MS, parseMessage, PROTOCOL_VERSION, verifyChallenge, type AgentMessage, type JobVerdict, type PortalMessage } from '../agent-protocol/index.js';
import type { Agent, AgentRegistry } from './agent-registry.js';

/** What happened to a job sent on a connection: its result came, or the connection went. */
export type JobEvent = { type: 'result'; verdict: JobVerdict } | { type: 'gone' };

/** One agent's live connection to this portal instance. */
export interface AgentSession {
  agent: Agent;
  ws: WebSocket;
  connectedAt: number;
  /** When a job or a sync was last given to it (the least recently used agent gets the next). */
  lastUsed: number;
  lastSeen: number;
  /** Jobs sent on this connection and waiting for its answer. */
  waiting: Map<string, (event: JobEvent) => void>;
}

/** Sync messages, for the sync stream (sync-stream.ts). */
export type SyncMessage = Extract<AgentMessage, { t: 'sync_page' | 'sync_end' | 'sync_failed' }>;

/** What the hub does with an accepted connection's messages. */
export interface SessionHandlers {
  claim(session: AgentSession, jobId: string): Promise<PortalMessage>;
  result(session: AgentSession, jobId: string, verdict: JobVerdict): Promise<void>;
  sync(session: AgentSession, message: SyncMessage): Promise<void>;
  /** The connection is accepted, and heard from at each heartbeat (this instance holds it). */
  opened(session: AgentSession): Promise<void>;
  alive(session: AgentSession): Promise<void>;
  closed(session: AgentSession): void;
}

export interface AgentConnectionDeps {
  registry: AgentRegistry;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  publicUrl: string;
}

const HELLO_TIMEOUT_MS = 10_000;

/**
 * The portal's end of the agents' WebSockets: a challenge, the agent's signed hello (checked
 * against its registered key, refused once revoked), heartbeats, and one live session per agent
 * (a newer connection replaces an older one). Live connections are the only state held in memory.
 */
export class AgentConnections {
  private readonly live = new Map<string, AgentSession>();
  private readonly heartbeatCheck: NodeJS.Timeout;

  constructor(
    private readonly d: AgentConnectionDeps,
    private readonly handlers: SessionHandlers,
  ) {
    // A connection silent for three heartbeats is dead: close it so jobs go elsewhere.
    this.heartbeatCheck = setInterval(() => {
      const now = Date.now();
      for (const s of this.live.values()) if (now - s.lastSeen > 3 * HEARTBEAT_MS) s.ws.terminate();
    }, HEARTBEAT_MS);
    this.heartbeatCheck.unref();
  }

  sessions(): AgentSession[] {
    return [...this.live.values()];
  }

  session(agentId: string): AgentSession | undefined {
    return this.live.get(agentId);
  }

  /** The least recently used session, leaving out the agents in `except`. */
  leastUsed(except: ReadonlySet<string> = new Set()): AgentSession | undefined {
    return this.sessions()
      .filter((s) => !except.has(s.agent.id))
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
  }

  close(): void {
    clearInterval(this.heartbeatCheck);
    for (const s of this.live.values()) s.ws.close(1001, 'portal stopping');
  }

  disconnect(agentId: string): void {
    this.live.get(agentId)?.ws.close(4003, 'revoked');
  }

  /** A new WebSocket on the agent endpoint: challenge, signed hello, then jobs. */
  accept(ws: WebSocket, ip: string): void {
    const { d } = this;
    const nonce = randomToken(24);
    let session: AgentSession | null = null;
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
          await this.handlers.opened(session);
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
            await this.handlers.alive(s);
            return d.registry.seen(s.agent.id, { ...(msg.domain ? { domain: msg.domain } : {}), ...(msg.policy ? { policy: msg.policy } : {}) });
          }
          case 'claim':
            return send(await this.handlers.claim(s, msg.id));
          case 'result':
            await this.handlers.result(s, msg.id, msg.verdict);
            s.waiting.get(msg.id)?.({ type: 'result', verdict: msg.verdict });
            return send({ t: 'ack', id: msg.id });
          case 'rights':
            return d.registry.rightsChecked(s.agent.id, msg.report);
          case 'sync_page':
          case 'sync_end':
          case 'sync_failed':
            return this.handlers.sync(s, msg);
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
      this.handlers.closed(s);
    });
    ws.on('error', () => ws.terminate());
  }
}
