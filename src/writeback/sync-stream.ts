import type { Logger } from '../logging/logger.js';
import type { PortalMessage, SyncCursor, SyncPage, SyncScopeRequest } from '../agent-protocol/index.js';
import type { AgentSession, SyncMessage } from './agent-connections.js';

export interface SyncHandlers {
  page(page: SyncPage): Promise<void>;
  end(mode: 'full' | 'delta', cursor: SyncCursor): Promise<void>;
  failed(problem: string): Promise<void>;
}

/**
 * Sync runs in progress on this instance's connections, by run id: the agent's pages are
 * applied one at a time, in order, each acknowledged once applied; the run ends with the agent's
 * end or failure, or fails when its connection goes.
 */
export class SyncStream {
  private readonly runs = new Map<string, { session: AgentSession; tail: Promise<void> } & SyncHandlers>();

  constructor(private readonly logger: Logger) {}

  /** Asks the session's agent to read AD; its pages, end or failure go to the handlers. */
  start(session: AgentSession, runId: string, mode: 'full' | 'delta', since: SyncCursor | null, handlers: SyncHandlers, scope: SyncScopeRequest | null = null): void {
    this.runs.set(runId, { session, tail: Promise.resolve(), ...handlers });
    session.lastUsed = Date.now();
    session.ws.send(JSON.stringify({ t: 'sync', runId, mode, ...(since ? { since } : {}), ...(scope ? { scope } : {}) } satisfies PortalMessage));
  }

  /** A sync message from a session: only for a run on that same connection. */
  handle(s: AgentSession, msg: SyncMessage): Promise<void> | undefined {
    const h = this.runs.get(msg.runId);
    if (!h || h.session !== s) return;
    switch (msg.t) {
      case 'sync_page':
        // The agent sends the next page before this one is acknowledged: a run's pages are applied one at a time, in order.
        h.tail = h.tail.then(async () => {
          await h.page(msg.page);
          s.ws.send(JSON.stringify({ t: 'sync_ack', runId: msg.runId, seq: msg.seq } satisfies PortalMessage));
        });
        return h.tail;
      case 'sync_end':
        this.runs.delete(msg.runId);
        return h.tail.then(
          () => h.end(msg.mode, msg.cursor),
          (err: unknown) => h.failed(`a page could not be applied: ${String((err as Error).message ?? err).slice(0, 300)}`),
        );
      case 'sync_failed':
        this.runs.delete(msg.runId);
        return h.tail.catch(() => undefined).then(() => h.failed(msg.problem));
    }
  }

  /** Runs on this connection only: a newer connection of the same agent keeps its own. */
  closed(s: AgentSession): void {
    for (const [runId, h] of this.runs) {
      if (h.session !== s) continue;
      this.runs.delete(runId);
      void h.tail
        .catch(() => undefined)
        .then(() => h.failed('the agent disconnected during the sync'))
        .catch((err: unknown) => this.logger.warn({ err, run: runId }, 'sync: failing the run failed'));
    }
  }
}
