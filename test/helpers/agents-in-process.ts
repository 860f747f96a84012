import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AgentClient, type AgentState, type JobExecutor } from '../../src/agent/agent-client.js';
import { Journal } from '../../src/agent/journal.js';
import { registerAgent } from '../../src/agent/state.js';
import { createLogger } from '../../src/logging/logger.js';
import type { RunningServer } from '../../src/server.js';
import type { TestPortal } from './test-portal.js';

/** What the agents need, read when they are made (the test's portal, its server, a folder for journals). */
export interface AgentHost {
  tp: TestPortal;
  server: RunningServer;
  dir: string;
  /** Where the agents log (default: nowhere). */
  log?: Writable;
}

const nowhere = () => new Writable({ write: (_c, _e, cb) => cb() });

/**
 * Agents run in the test's process against a real portal server: registered with a one-time
 * token like `sspr agent register`, connected over a real WebSocket, each with its own journal.
 * `stop()` stops every agent started (afterAll, or a test that wants none running).
 */
export function inProcessAgents(host: () => AgentHost) {
  const running: AgentClient[] = [];
  return {
    async register(name: string): Promise<AgentState> {
      const { tp, server } = host();
      const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
      const r = await registerAgent({ portalUrl: server.url, token, name, version: '0.1.0' });
      if (!r.ok) throw new Error(r.message);
      return { ...r.value, portalUrl: tp.config.publicUrl };
    },
    async run(state: AgentState, executor: JobExecutor, journalFile?: string): Promise<AgentClient> {
      const { server, dir, log } = host();
      const c = new AgentClient({ state, executor, journal: new Journal(journalFile ?? join(dir, `${state.name}-journal.json`)), logger: createLogger('debug', log ?? nowhere()), version: '0.1.0', connectUrl: server.url, backoffMs: { first: 50, max: 200 } });
      running.push(c);
      c.start();
      await c.waitConnected();
      return c;
    },
    async stop(): Promise<void> {
      for (const c of running.splice(0)) await c.stop();
    },
  };
}
