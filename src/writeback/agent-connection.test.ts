import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { AgentClient, SYNC_WINDOW, type AgentState, type JobExecutor, type SyncSource } from '../agent/agent-client.js';
import { Journal } from '../agent/journal.js';
import { newAgentKeys } from '../agent-protocol/index.js';
import { registerAgent } from '../agent/state.js';
import { startServer, type RunningServer } from '../server.js';
import { createLogger } from '../logging/logger.js';
import { WritebackJobStore } from './writeback-job-store.js';
import { JobDispatch } from './job-dispatch.js';

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
  readAccount: () => Promise.reject(new Error('not expected in this test')),
  domain: () => Promise.resolve('corp.example.test'),
  policy: () => Promise.resolve({ minLength: 10, complexity: true, historyLength: 24, minAgeMs: 0, maxAgeMs: null, lockoutThreshold: 0, lockoutDurationMs: null }),
};

let tp: TestPortal;
let server: RunningServer;
const clients: AgentClient[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of clients.splice(0)) await c.stop();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
});

async function portal(config: { writeback?: { jobSeconds: number; answerSeconds: number; userWaitSeconds: number } } = {}): Promise<{ url: string }> {
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, ...config } });
  server = await startServer(tp.portal);
  return { url: server.url };
}

async function registered(url: string, name = 'dc-agent-1'): Promise<AgentState> {
  const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: url, token, name, version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  // The agent signs the portal's public URL; this one listens elsewhere.
  return { ...r.value, portalUrl: tp.config.publicUrl };
}

function client(state: AgentState, url: string, executor: JobExecutor = notCalled, journal = new Journal(null)): AgentClient {
  const c = new AgentClient({ state, executor, journal, logger: createLogger('silent'), version: '0.1.0', connectUrl: url, backoffMs: { first: 50, max: 200 } });
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
    expect(again).toEqual({ ok: false, reason: 'refused', message: expect.stringContaining('not valid') });
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

  it('a job another agent claimed first: this agent may look the user up, but its go-ahead is false, so nothing is written, journaled or answered', async () => {
    await portal({ writeback: { jobSeconds: 1, answerSeconds: 1, userWaitSeconds: 2 } });
    const state = await registered(server.url);
    const other = await registered(server.url, 'dc-agent-2');
    // The other agent (registered, not connected here) wins the compare-and-swap just before this one's claim.
    const realClaim = WritebackJobStore.prototype.claim;
    vi.spyOn(WritebackJobStore.prototype, 'claim').mockImplementation(async function (this: WritebackJobStore, id: string, agentId: string) {
      await realClaim.call(this, id, other.agentId);
      return realClaim.call(this, id, agentId);
    });
    const records = vi.spyOn(JobDispatch.prototype, 'record');
    const seen: Array<string | boolean> = [];
    const gated: JobExecutor = {
      ...notCalled,
      reset: async (_anchor, _password, options) => {
        seen.push('looked up');
        const granted = await options.ready!;
        seen.push(granted);
        if (granted) seen.push('written');
        return { ok: true, historyEnforced: false };
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'sspr-gate-'));
    const journalFile = join(dir, 'journal.json');
    const c = client(state, server.url, gated, new Journal(journalFile));
    await c.waitConnected();
    const user = await tp.portal.users.create({ username: 'gated', displayName: 'Gated', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: '8a4f2c1e-0000-4000-8000-000000000002' });
    const r = await tp.portal.writeback.reset(user, 'Some-New-Password-2');
    // Taken by an agent that never answers: the user is told it is not confirmed, never that it worked.
    expect(r).toEqual({ ok: false, reason: 'unconfirmed' });
    expect(seen).toEqual(['looked up', false]);
    expect(records).not.toHaveBeenCalled();
    expect(existsSync(journalFile) ? new Journal(journalFile).all() : []).toEqual([]);
    const row = await tp.store.db.selectFrom('writeback_jobs').select(['status', 'agent_id', 'verdict']).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'taken', agent_id: other.agentId, verdict: null });
    rmSync(dir, { recursive: true, force: true });
  });

  it('sync: the agent reads the next page while the portal applies one, never more than two ahead, and the portal applies a run\'s pages in order, one at a time', async () => {
    const { url } = await portal();
    const state = await registered(url);
    const PAGES = 6;
    const log: string[] = [];
    const user = (k: number) => ({ anchor: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`, dn: `CN=u${k},OU=Staff,DC=corp,DC=example,DC=test`, sAMAccountName: `u${k}`, userPrincipalName: `u${k}@corp.example.test`, displayName: `U ${k}`, mail: null, mobile: null, telephoneNumber: null, enabled: true, protected: false, passwordNeverExpires: true, passwordExpiresAt: null, pwdLastSet: null });
    // The AD side is not what is tested here (src/agent/ad-sync-reader.test.ts reads a real DC): a source of PAGES one-user pages.
    const source: SyncSource = {
      async full(onPage) {
        for (let k = 0; k < PAGES; k++) {
          log.push(`read ${k}`);
          await onPage({ users: [user(k)], groups: [], gone: [] });
        }
        return { ok: true, value: { cursor: { invocationId: '5f1c2a3b-0000-4000-8000-000000000001', usn: '100', dc: 'dc1.corp.example.test' } } };
      },
      delta: () => Promise.reject(new Error('not expected in this test')),
    };
    // A slow portal: each page takes 100 ms more to apply, so the reading can get ahead if it may.
    const sync = tp.portal.sync;
    const apply = sync.applyPage.bind(sync);
    let applying = 0;
    let most = 0;
    sync.applyPage = async (runId, page) => {
      const k = page.users[0]!.sAMAccountName.slice(1);
      most = Math.max(most, ++applying);
      log.push(`apply ${k}`);
      await new Promise((r) => setTimeout(r, 100));
      try {
        return await apply(runId, page);
      } finally {
        applying -= 1;
        log.push(`applied ${k}`);
      }
    };
    await client(state, url, { ...notCalled, sync: source }).waitConnected();
    const r = await tp.portal.syncCoordinator.run('manual', { full: true });
    expect(r.ok && [r.value.status, r.value.added, r.value.errors]).toEqual(['done', PAGES, 0]);
    expect(SYNC_WINDOW).toBe(2);
    expect(most).toBe(1);
    expect(log.filter((l) => l.startsWith('applied')).map((l) => l.split(' ')[1])).toEqual(Array.from({ length: PAGES }, (_, k) => String(k)));
    const at = (line: string) => log.indexOf(line);
    for (let k = 0; k + 1 < PAGES; k++) {
      // Read ahead: page k+1 is read before page k is applied ...
      expect(at(`read ${k + 1}`)).toBeLessThan(at(`applied ${k}`));
      // ... but page k+2 only once page k is applied and acknowledged.
      if (k + 2 < PAGES) expect(at(`read ${k + 2}`)).toBeGreaterThan(at(`applied ${k}`));
    }
  });

  it('sync: when the portal cannot complete a run, the run is marked failed with the reason and the next run starts (nothing hangs)', async () => {
    const { url } = await portal();
    const state = await registered(url);
    const source: SyncSource = {
      async full(onPage) {
        await onPage({ users: [], groups: [], gone: [] });
        return { ok: true, value: { cursor: { invocationId: '5f1c2a3b-0000-4000-8000-000000000001', usn: '100', dc: 'dc1.corp.example.test' } } };
      },
      delta: () => Promise.reject(new Error('not expected in this test')),
    };
    await client(state, url, { ...notCalled, sync: source }).waitConnected();
    const sync = tp.portal.sync;
    const finish = sync.finishRun.bind(sync);
    sync.finishRun = () => Promise.reject(new Error('disk I/O error (injected)'));
    const r = await tp.portal.syncCoordinator.run('manual', { full: true });
    expect(r.ok && r.value.status).toBe('failed');
    expect(r.ok && r.value.problems.join(' ')).toMatch(/could not complete the run: disk I\/O error/);
    sync.finishRun = finish;
    const next = await tp.portal.syncCoordinator.run('manual', { full: true });
    expect(next.ok && next.value.status).toBe('done');
  });
});
