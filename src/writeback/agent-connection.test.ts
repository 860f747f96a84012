import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { AgentClient, type AgentState, type JobExecutor } from '../agent/agent-client.js';
import { Journal } from '../agent/journal.js';
import { newAgentKeys } from '../agent/sealing.js';
import { registerAgent } from '../agent/state.js';
import { startServer, type RunningServer } from '../server.js';
import { createLogger } from '../logging/logger.js';

/**
 * The portal's agent endpoint over a real HTTP server and real WebSockets: registration with a
 * one-time token, the signed challenge, revocation. Nothing here reaches Active Directory (the
 * writeback jobs themselves are tested against the Samba DC in src/agent/writeback.test.ts), so
 * the executor refuses to be called.
 */

const notCalled: JobExecutor = {
  reset: () => Promise.reject(new Error('not expected in this test')),
  change: () => Promise.reject(new Error('not expected in this test')),
  unlock: () => Promise.reject(new Error('not expected in this test')),
  mustChange: () => Promise.reject(new Error('not expected in this test')),
  reconcile: () => Promise.reject(new Error('not expected in this test')),
  bind: () => Promise.reject(new Error('not expected in this test')),
  policyFor: () => Promise.reject(new Error('not expected in this test')),
  domain: () => Promise.resolve('corp.example.test'),
  policy: () => Promise.resolve({ minLength: 10, complexity: true, historyLength: 24, minAgeMs: 0, maxAgeMs: null, lockoutThreshold: 0, lockoutDurationMs: null }),
};

let tp: TestPortal;
let server: RunningServer;
const clients: AgentClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
});

async function portal(): Promise<{ url: string }> {
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 } } });
  server = await startServer(tp.portal);
  return { url: server.url };
}

async function registered(url: string, name = 'dc-agent-1'): Promise<AgentState> {
  const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: url, token, name, version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  // The agent signs the portal's public URL; this one listens elsewhere.
  return { ...r.state, portalUrl: tp.config.publicUrl };
}

function client(state: AgentState, url: string): AgentClient {
  const c = new AgentClient({ state, executor: notCalled, journal: new Journal(null), logger: createLogger('silent'), version: '0.1.0', connectUrl: url, backoffMs: { first: 50, max: 200 } });
  clients.push(c);
  c.start();
  return c;
}

describe('agent connection (real server, real WebSocket)', () => {
  it('registers with a one-time token and connects by signing the challenge', async () => {
    const { url } = await portal();
    const state = await registered(url);
    const c = client(state, url);
    await c.waitConnected();
    expect(tp.portal.agentHub.connected().map((a) => a.agent.name)).toEqual(['dc-agent-1']);
    const row = await tp.portal.agents.byId(state.agentId);
    expect(row?.domain).toBe('corp.example.test');
    // The domain policy the agent read is kept for the reset and change pages.
    expect(await tp.portal.agents.domainPolicy()).toMatchObject({ minLength: 10, complexity: true, historyLength: 24 });
    expect(row?.lastSeenAt).not.toBeNull();
    // The private keys never reached the portal.
    const stored = JSON.stringify(await tp.store.db.selectFrom('agents').selectAll().execute());
    expect(stored).not.toContain(state.keys.signingPrivate);
    expect(stored).not.toContain(state.keys.sealingPrivate);
  });

  it('a registration token works once', async () => {
    const { url } = await portal();
    const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
    expect((await registerAgent({ portalUrl: url, token, name: 'a', version: '1' })).ok).toBe(true);
    const again = await registerAgent({ portalUrl: url, token, name: 'b', version: '1' });
    expect(again).toEqual({ ok: false, message: expect.stringContaining('not valid') });
  });

  it('an agent with the wrong keys is refused and never connected', async () => {
    const { url } = await portal();
    const state = await registered(url);
    const impostor = client({ ...state, keys: newAgentKeys() }, url);
    await expect(impostor.waitConnected(1500)).rejects.toThrow();
    expect(tp.portal.agentHub.connected()).toEqual([]);
    const failures = await tp.store.db.selectFrom('audit_events').select('details').where('event', '=', 'agent_connected').where('outcome', '=', 'failure').execute();
    expect(failures.length).toBeGreaterThan(0);
  });

  it('a revoked agent is disconnected and cannot connect again', async () => {
    const { url } = await portal();
    const state = await registered(url);
    const c = client(state, url);
    await c.waitConnected();
    await tp.portal.agents.revoke({ id: null, name: 'test' }, state.agentId);
    tp.portal.agentHub.disconnect(state.agentId);
    await new Promise((r) => setTimeout(r, 500));
    expect(tp.portal.agentHub.connected()).toEqual([]);
    expect(c.status).toBe('connecting');
  });

  it('with no agent connected a job is refused at once as unavailable, and marked expired so it can never apply', async () => {
    await portal();
    const user = await tp.portal.users.create({ username: 'hy', displayName: 'Hy', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: '8a4f2c1e-0000-4000-8000-000000000001' });
    const started = Date.now();
    const r = await tp.portal.writeback.reset(user, 'Some-New-Password-1');
    expect(r).toEqual({ ok: false, reason: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(2000);
    const jobs = await tp.store.db.selectFrom('writeback_jobs').selectAll().execute();
    expect(jobs.map((j) => [j.kind, j.status, j.verdict])).toEqual([['reset', 'expired', 'no_agent']]);
    expect(JSON.stringify(jobs)).not.toContain('Some-New-Password-1');
  });
});
