import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import { adConnector, adOptions, bindsAs } from '../../test/helpers/ad-connector.js';
import { until } from '../../test/helpers/wait.js';
import { logCapture } from '../../test/helpers/test-portal.js';
import { buildPortal, type Portal } from '../app/portal.js';
import { configSchema } from '../config/schema.js';
import type { User } from '../directory/users.js';
import { createLogger } from '../logging/logger.js';
import { startServer, type RunningServer } from '../server.js';
import { systemClock } from '../shared/clock.js';
import { migrateToLatest, openStore } from '../store/database.js';
import { AgentClient, type AgentState } from '../agent/agent-client.js';
import { AdExecutor } from '../agent/ad-executor.js';
import { Journal } from '../agent/journal.js';
import { registerAgent } from '../agent/state.js';
import { AdSyncReader } from '../agent/ad-sync-reader.js';
import { adSyncSource } from '../agent/ad-sync-source.js';
import { AdBulk } from '../../test/helpers/ad-bulk.js';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.js';

/**
 * Two portal instances on one PostgreSQL database with the same key, as behind a load balancer,
 * one agent connected to the first, a real Samba AD DC: a job created on either instance reaches
 * the agent (handed over by LISTEN/NOTIFY), and AD's verdict comes back to the instance the user
 * is on. The job's row stays the truth: nothing is applied twice or late.
 */

interface Instance {
  portal: Portal;
  server: RunningServer;
}

let dc: SambaDc;
let dir: string;
let database: { url: string; drop(): Promise<void> };
let one: Instance;
let two: Instance;
let agentState: AgentState;
let agent: AgentClient | null = null;
let proxy: TcpProxy | null = null;
const moving: AgentClient[] = [];
const masterKey = randomBytes(32);

async function instance(): Promise<Instance> {
  const store = openStore(database.url, { poolSize: 5 });
  const config = configSchema.parse({
    publicUrl: 'http://portal.test',
    listen: { host: '127.0.0.1', port: 0 },
    passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
    writeback: { jobSeconds: 3, answerSeconds: 3 },
    methods: { registrationRequired: false },
  });
  const portal = buildPortal({ config, store, logger: createLogger('debug', logCapture().stream), clock: systemClock, masterKey });
  await portal.policy.refresh();
  return { portal, server: await startServer(portal) };
}

async function startAgent(): Promise<AgentClient> {
  const c = new AgentClient({
    state: agentState,
    executor: new AdExecutor(adConnector(dc), null, 500, adOptions(dc)),
    journal: new Journal(join(dir, 'journal.json')),
    logger: createLogger('error', logCapture().stream),
    version: '0.1.0',
    connectUrl: one.server.url,
    backoffMs: { first: 50, max: 200 },
  });
  c.start();
  await c.waitConnected();
  return c;
}

async function hybrid(on: Instance, sam: SambaUser): Promise<User> {
  return on.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
}

const binds = (sam: SambaUser, password: string) => bindsAs(dc, sam.guid, password);


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-instances-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  database = await createTestDatabase();
  const store = openStore(database.url, { poolSize: 1 });
  await migrateToLatest(store);
  await store.close();
  one = await instance();
  two = await instance();
  const { token } = await one.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: one.server.url, token, name: 'agent-one', version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  agentState = { ...r.value, portalUrl: 'http://portal.test' };
  agent = await startAgent();
}, 240_000);

afterAll(async () => {
  for (const c of moving) await c.stop();
  await proxy?.close();
  await agent?.stop();
  await one?.server.stop(1000);
  await two?.server.stop(1000);
  await database?.drop();
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('writeback from any portal instance (PostgreSQL, two instances, one agent)', { timeout: 60_000 }, () => {
  it('the agent connected to instance 1 is seen by instance 2, with the instance that holds it', async () => {
    expect(two.portal.agentHub.connected()).toEqual([]);
    const online = await two.portal.agentHub.online();
    expect(online).toEqual([expect.objectContaining({ agentId: agentState.agentId, instanceId: one.portal.agentHub.presence.instanceId })]);
    expect(one.portal.agentHub.presence.instanceId).not.toBe(two.portal.agentHub.presence.instanceId);
  });

  it('a reset through instance 2 reaches AD through the agent on instance 1, once: the user binds with the new password', async () => {
    const sam = await dc.addUser('inst.reset', 'Start!Pass#2024');
    const user = await hybrid(two, sam);
    const r = await two.portal.writeback.reset(user, 'Other-Instance!Pass#1');
    expect(r).toMatchObject({ ok: true });
    expect(await binds(sam, 'Other-Instance!Pass#1')).toBe(true);
    const jobs = await two.portal.store.db.selectFrom('writeback_jobs').selectAll().where('user_id', '=', user.id).execute();
    expect(jobs.map((j) => [j.kind, j.status, j.verdict, j.agent_id])).toEqual([['reset', 'applied', 'applied', agentState.agentId]]);
    // Audited once, by the instance whose agent applied it.
    const audited = await two.portal.store.db.selectFrom('audit_events').select('details').where('event', '=', 'writeback_job').execute();
    expect(audited.filter((a) => (a.details ?? '').includes(jobs[0]!.id))).toHaveLength(1);
  });

  it("AD's refusal reaches instance 2 as the same typed verdict, and nothing changes", async () => {
    const sam = await dc.addUser('inst.refused', 'Start!Pass#2024');
    const user = await hybrid(two, sam);
    expect(await two.portal.writeback.reset(user, 'Ab1!')).toMatchObject({ ok: false, reason: 'too_short' });
    expect(await binds(sam, 'Start!Pass#2024')).toBe(true);
  });

  it("a hybrid user's sign-in through instance 2 is checked by AD through the agent on instance 1", async () => {
    const sam = await dc.addUser('inst.signin', 'Start!Pass#2024');
    await hybrid(two, sam);
    const attempt = (password: string) => two.portal.signIn.attempt({ username: sam.name, password, ip: '192.0.2.40', userAgent: 'test', browserId: 'b'.repeat(32), next: '/account' });
    const right = await attempt('Start!Pass#2024');
    expect(right.ok && right.value.kind).toBe('signed_in');
    expect(await attempt('Wrong!Pass#2024')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a change through instance 2 is bound as the user on instance 1, and the unlock and policy look-up work the same way', async () => {
    const sam = await dc.addUser('inst.change', 'Start!Pass#2024');
    const user = await hybrid(two, sam);
    expect(await two.portal.writeback.change(user, 'Wrong!Pass#1', 'Next!Pass#2025')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect(await two.portal.writeback.change(user, 'Start!Pass#2024', 'Next!Pass#2025')).toMatchObject({ ok: true });
    expect(await binds(sam, 'Next!Pass#2025')).toBe(true);
    expect(await two.portal.writeback.unlock(user)).toMatchObject({ ok: true });
    // The policy AD applies to the user, read by the agent on instance 1 (before, no look-up left instance 2 without an agent here).
    expect(await two.portal.writeback.policyFor(user)).toMatchObject({ minLength: expect.any(Number), complexity: expect.any(Boolean) });
    const jobs = await two.portal.store.db.selectFrom('writeback_jobs').select(['kind', 'status', 'verdict']).where('user_id', '=', user.id).orderBy('created_at').execute();
    expect(jobs.map((j) => [j.kind, j.status, j.verdict])).toEqual([
      ['change', 'failed', 'wrong_password'],
      ['change', 'applied', 'applied'],
      ['unlock', 'applied', 'applied'],
      ['policy', 'applied', 'applied'],
    ]);
  });

  it('an instance that stopped without removing its presence gets nothing to apply: the reset is refused as unavailable and never applied', async () => {
    await agent?.stop();
    agent = null;
    await until(async () => (await two.portal.agentHub.online()).length === 0);
    // A stale row, as a crashed instance leaves it until three heartbeats have passed.
    const now = Date.now();
    await two.portal.store.db.insertInto('agent_presence').values({ agent_id: agentState.agentId, instance_id: 'crashed-instance', connected_at: now, seen_at: now }).execute();
    const sam = await dc.addUser('inst.stale', 'Start!Pass#2024');
    const user = await hybrid(two, sam);
    expect(await two.portal.writeback.reset(user, 'Never-Applied!Pass#1')).toEqual({ ok: false, reason: 'unavailable' });
    const jobs = await two.portal.store.db.selectFrom('writeback_jobs').select(['status', 'verdict']).where('user_id', '=', user.id).execute();
    expect(jobs).toEqual([{ status: 'expired', verdict: 'no_agent' }]);
    await two.portal.store.db.deleteFrom('agent_presence').where('instance_id', '=', 'crashed-instance').execute();
    // The agent comes back (to instance 1): the user's password is still the old one until a new reset.
    agent = await startAgent();
    expect(await binds(sam, 'Start!Pass#2024')).toBe(true);
    expect(await binds(sam, 'Never-Applied!Pass#1')).toBe(false);
  });
});

describe('AD sync when the agent moves from one instance to another mid-run (PostgreSQL, Samba)', { timeout: 120_000 }, () => {
  it('the run on the instance it left fails with its cursor kept, and a run on the instance it reached imports everyone once', async () => {
    await agent?.stop();
    agent = null;
    const bulk = await AdBulk.open(dc);
    const ou = await bulk.addOu(dc.baseDn, 'Movers');
    const added = await bulk.addUsers(Array.from({ length: 300 }, (_, i) => ({ parentDn: ou, name: `mover${String(i).padStart(3, '0')}`, displayName: `Mover ${i}` })));
    await bulk.close();
    expect(added).toHaveLength(300);

    const { token } = await two.portal.agents.createRegistrationToken({ id: null, name: 'test' });
    const r = await registerAgent({ portalUrl: two.server.url, token, name: 'agent-moving', version: '0.1.0' });
    if (!r.ok) throw new Error(r.message);
    const state = { ...r.value, portalUrl: 'http://portal.test' };
    proxy = await startTcpProxy(one.server.port);
    const reader = new AdSyncReader(adOptions(dc), { baseDns: [ou] });
    const executor = new AdExecutor(adConnector(dc), reader, 50);
    // After two pages the reading waits until the test has moved the agent's connection.
    const real = adSyncSource(reader, 50);
    let pages = 0;
    let reached!: () => void;
    let go!: () => void;
    const atTwo = new Promise<void>((res) => (reached = res));
    const moved = new Promise<void>((res) => (go = res));
    const held = (onPage: Parameters<typeof real.full>[0]) => async (page: Parameters<typeof onPage>[0]) => {
      await onPage(page);
      if (++pages === 2) {
        reached();
        await moved;
      }
    };
    Object.assign(executor, { sync: { full: (onPage: Parameters<typeof real.full>[0]) => real.full(held(onPage)), delta: real.delta } });
    const mover = new AgentClient({ state, executor, journal: new Journal(null), logger: createLogger('silent'), version: '0.1.0', connectUrl: proxy.url, backoffMs: { first: 50, max: 200 } });
    moving.push(mover);
    mover.start();
    await mover.waitConnected();
    await until(async () => one.portal.agentHub.connected().length === 1);

    const before = await one.portal.sync.cursor();
    const first = one.portal.syncCoordinator.run('manual', { full: true });
    await atTwo;
    // The balancer fails over: the agent's connection to instance 1 is cut and it reconnects to instance 2.
    proxy.target(two.server.port);
    proxy.dropAll();
    const left = await first;
    expect(left.ok && left.value.status).toBe('failed');
    expect(await two.portal.sync.cursor()).toEqual(before);
    go();
    await until(async () => two.portal.agentHub.connected().length === 1);
    expect(one.portal.agentHub.connected()).toEqual([]);

    const second = await two.portal.syncCoordinator.run('manual', { full: true });
    expect(second.ok && [second.value.kind, second.value.status, second.value.errors]).toEqual(['full', 'done', 0]);
    const movers = await two.portal.store.db.selectFrom('users').select('username').where('source', '=', 'onprem').where('username', 'like', 'mover%').execute();
    expect(new Set(movers.map((u) => u.username)).size).toBe(300);
    expect(movers).toHaveLength(300);
    const runs = await two.portal.store.db.selectFrom('sync_runs').select(['status', 'agent_id']).orderBy('started_at').execute();
    expect(runs.map((x) => x.status)).toEqual(['failed', 'done']);
  });
});
