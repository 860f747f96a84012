import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc } from '../../test/helpers/samba-dc.js';
import { AdBulk, type BulkObject } from '../../test/helpers/ad-bulk.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { AgentClient, type AgentState } from '../agent/agent-client.js';
import { AdExecutor } from '../agent/ad-executor.js';
import { adSyncSource } from '../agent/ad-sync-source.js';
import { Journal } from '../agent/journal.js';
import { registerAgent } from '../agent/state.js';
import { createLogger } from '../logging/logger.js';
import { startServer, type RunningServer } from '../server.js';
import { AdSyncReader } from '../agent/ad-sync-reader.js';
import { adConnector, adOptions } from '../../test/helpers/ad-connector.js';

/**
 * The whole sync chain: a real Samba AD DC with 1,000 users in nested groups, an agent
 * reading it with paged searches over a real WebSocket, and the portal applying the pages.
 */

let dc: SambaDc;
let bulk: AdBulk;
let tp: TestPortal;
let server: RunningServer;
let state: AgentState;
const running: AgentClient[] = [];
let staffOu: string;
let salesOu: string;
let outsideOu: string;
let users: BulkObject[];

async function agent(options: { pageSize?: number; crashAfterPages?: number; messageBytes?: number } = {}): Promise<AgentClient> {
  const reader = new AdSyncReader(adOptions(dc), { baseDns: [staffOu, salesOu] });
  const executor = new AdExecutor(adConnector(dc), reader, options.pageSize ?? 200);
  if (options.crashAfterPages !== undefined) {
    // The agent process dies after sending N pages (its connection drops mid-import).
    const real = adSyncSource(reader, options.pageSize ?? 200);
    let pages = 0;
    const withCrash = (onPage: Parameters<typeof real.full>[0]) => async (page: Parameters<typeof onPage>[0]) => {
      if (pages++ >= options.crashAfterPages!) {
        await client.stop();
        throw new Error('agent killed');
      }
      await onPage(page);
    };
    Object.assign(executor, { sync: { full: (onPage: Parameters<typeof real.full>[0]) => real.full(withCrash(onPage)), delta: real.delta } });
  }
  const client: AgentClient = new AgentClient({ state, executor, journal: new Journal(null), logger: createLogger('silent'), version: '0.1.0', connectUrl: server.url, backoffMs: { first: 50, max: 200 }, ...(options.messageBytes ? { syncMessageBytes: options.messageBytes } : {}) });
  running.push(client);
  client.start();
  await client.waitConnected();
  return client;
}

async function stopAgents() {
  for (const c of running.splice(0)) await c.stop();
  await expect.poll(() => tp.portal.agentHub.connected().length).toBe(0);
}

async function count(source: 'onprem', enabled?: boolean): Promise<number> {
  let q = tp.store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', source);
  if (enabled !== undefined) q = q.where('enabled', '=', enabled ? 1 : 0);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

beforeAll(async () => {
  dc = await startSambaDc();
  bulk = await AdBulk.open(dc);
  staffOu = await bulk.addOu(dc.baseDn, 'Staff');
  salesOu = await bulk.addOu(dc.baseDn, 'Sales');
  outsideOu = await bulk.addOu(dc.baseDn, 'Outside');
  users = await bulk.addUsers(Array.from({ length: 1000 }, (_, i) => ({ parentDn: i % 2 ? staffOu : salesOu, name: `sync${String(i).padStart(4, '0')}`, displayName: `Sync User ${i}`, mail: `sync${i}@corp.example.test` })));
  await bulk.addUsers([{ parentDn: outsideOu, name: 'outsider1' }]);
  // Teams of 100 users, two departments containing five teams each, and a company group containing both.
  const teams = Array.from({ length: 10 }, (_, t) => ({ parentDn: staffOu, name: `Team ${t}`, memberDns: users.slice(t * 100, t * 100 + 100).map((u) => u.dn) }));
  const groups = await bulk.addGroups([
    ...teams,
    { parentDn: staffOu, name: 'Dept A', memberDns: [`CN=Team 0,${staffOu}`, `CN=Team 1,${staffOu}`, `CN=Team 2,${staffOu}`, `CN=Team 3,${staffOu}`, `CN=Team 4,${staffOu}`] },
    { parentDn: staffOu, name: 'Dept B', memberDns: [`CN=Team 5,${staffOu}`, `CN=Team 6,${staffOu}`, `CN=Team 7,${staffOu}`, `CN=Team 8,${staffOu}`, `CN=Team 9,${staffOu}`] },
    { parentDn: staffOu, name: 'Company', memberDns: [`CN=Dept A,${staffOu}`, `CN=Dept B,${staffOu}`] },
  ]);
  expect(groups).toHaveLength(13);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, sync: { intervalMinutes: 0 } } });
  server = await startServer(tp.portal);
  const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: server.url, token, name: 'sync-agent', version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  state = { ...r.value, portalUrl: tp.config.publicUrl };
}, 240_000);

afterAll(async () => {
  for (const c of running) await c.stop();
  await bulk?.close();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
});

describe('AD sync through the agent (real Samba DC, 1,000 users in nested groups)', { timeout: 120_000 }, () => {
  it('a full import brings every user once, no one from outside the scope, and the nested groups', async () => {
    await agent();
    const r = await tp.portal.syncCoordinator.run('manual');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.value.kind, r.value.status, r.value.errors]).toEqual(['full', 'done', 0]);
    expect(r.value.added).toBe(1000 + 13);
    expect(await count('onprem')).toBe(1000);
    expect(await tp.portal.users.byUsername('outsider1@corp.example.test')).toBeNull();
    const company = (await tp.portal.groups.byName('Company'))!;
    expect((await tp.portal.groups.transitiveUserIds(company.id)).size).toBe(1000);
    const u = (await tp.portal.users.byUsername('sync0007@corp.example.test'))!;
    expect(u).toMatchObject({ source: 'onprem', anchor: users[7]!.guid, displayName: 'Sync User 7', email: 'sync7@corp.example.test', enabled: true });
  });

  it('a delta brings exactly the adds, changes, renames, moves and deletions since the last run', async () => {
    const [added] = await bulk.addUsers([{ parentDn: staffOu, name: 'newcomer', displayName: 'New Comer' }]);
    await bulk.modify(users[1]!.dn, { displayName: 'Changed Name' });
    const renamedDn = await bulk.rename(users[2]!.dn, 'renamed0002');
    await bulk.modify(renamedDn, { userPrincipalName: 'renamed0002@corp.example.test', sAMAccountName: 'renamed0002' });
    await bulk.move(users[3]!.dn, outsideOu);
    await bulk.remove(users[4]!.dn);
    await bulk.modify(users[5]!.dn, { userAccountControl: '514' });
    const r = await tp.portal.syncCoordinator.run('manual');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.value.kind, r.value.status, r.value.errors]).toEqual(['delta', 'done', 0]);
    expect(r.value.added).toBe(1);
    expect(r.value.disabled).toBe(2);
    expect(await tp.portal.users.byUsername('newcomer@corp.example.test')).toMatchObject({ anchor: added!.guid, displayName: 'New Comer' });
    expect((await tp.portal.users.byUsername('sync0001@corp.example.test'))?.displayName).toBe('Changed Name');
    const renamed = (await tp.portal.users.byUsername('renamed0002@corp.example.test'))!;
    expect(renamed.anchor).toBe(users[2]!.guid);
    // The renamed user is still in its team (AD changed the group's member list, not the group).
    expect(await tp.portal.groups.isMember(renamed.id, (await tp.portal.groups.byName('Team 0'))!.id)).toBe(true);
    for (const i of [3, 4, 5]) expect((await tp.portal.users.byUsername(`sync${String(i).padStart(4, '0')}@corp.example.test`))?.enabled, `user ${i}`).toBe(false);
    // Nothing else changed: a delta right after is empty.
    const again = await tp.portal.syncCoordinator.run('manual');
    expect(again.ok && [again.value.added, again.value.updated, again.value.disabled]).toEqual([0, 0, 0]);
  });

  it('an agent killed in the middle of a full import: the run fails, the cursor stays, and the next run completes it', async () => {
    await stopAgents();
    const before = await tp.portal.sync.cursor();
    await agent({ pageSize: 100, crashAfterPages: 3 });
    const r = await tp.portal.syncCoordinator.run('manual', { full: true });
    expect(r.ok && r.value.status).toBe('failed');
    expect(await tp.portal.sync.cursor()).toEqual(before);
    // Nobody was disabled by the half import.
    expect(await count('onprem', true)).toBe(998);
    await stopAgents();
    await agent();
    const done = await tp.portal.syncCoordinator.run('manual', { full: true });
    expect(done.ok && [done.value.kind, done.value.status, done.value.disabled]).toEqual(['full', 'done', 0]);
    expect(await count('onprem', true)).toBe(998);
  });

  it('a change of DC (another invocationId) turns the delta into a full import', async () => {
    await tp.store.db.updateTable('sync_state').set({ invocation_id: '11111111-2222-4333-8444-555555555555' }).where('id', '=', 'ad').execute();
    const r = await tp.portal.syncCoordinator.run('manual');
    expect(r.ok && [r.value.kind, r.value.status]).toEqual(['full', 'done']);
    expect((await tp.portal.sync.cursor())?.invocationId).not.toBe('11111111-2222-4333-8444-555555555555');
  });

  it('groups too big for one message come in parts and are put together: the same directory as from whole pages', async () => {
    const memberships = async () => (await tp.store.db.selectFrom('group_members').select(['group_id', 'member_type', 'member_id']).execute()).map((m) => `${m.group_id}:${m.member_type}:${m.member_id}`).sort();
    const before = await memberships();
    const company = (await tp.portal.groups.byName('Company'))!;
    const transitive = (await tp.portal.groups.transitiveUserIds(company.id)).size;
    expect(transitive).toBeGreaterThan(900);
    await stopAgents();
    // 4 KiB per message: every team (100 members) is split into its head and member parts.
    await agent({ messageBytes: 4096 });
    const sync = tp.portal.sync;
    const apply = sync.applyPage.bind(sync);
    let parts = 0;
    sync.applyPage = (runId, page) => {
      parts += page.members?.length ?? 0;
      return apply(runId, page);
    };
    try {
      const r = await tp.portal.syncCoordinator.run('manual', { full: true });
      expect(r.ok && [r.value.kind, r.value.status, r.value.errors, r.value.added, r.value.updated, r.value.disabled]).toEqual(['full', 'done', 0, 0, 0, 0]);
    } finally {
      sync.applyPage = apply;
    }
    expect(parts).toBeGreaterThanOrEqual(10);
    expect(await memberships()).toEqual(before);
    expect((await tp.portal.groups.transitiveUserIds(company.id)).size).toBe(transitive);
    await stopAgents();
    await agent();
  });

  it('a user whose name belongs to a cloud user is reported, not merged', async () => {
    const { makeUser } = await import('../../test/helpers/http-client.js');
    const cloud = await makeUser(tp.portal, { username: 'clash@corp.example.test', password: 'Cloud-Password-Long-1' });
    await bulk.addUsers([{ parentDn: staffOu, name: 'clash' }]);
    const r = await tp.portal.syncCoordinator.run('manual');
    expect(r.ok && r.value.conflicts).toEqual([expect.objectContaining({ name: 'clash@corp.example.test', reason: 'username_taken_by_cloud_user' })]);
    expect((await tp.portal.users.byId(cloud.id))?.source).toBe('cloud');
  });

  it('sync runs are refused when no agent is connected', async () => {
    await stopAgents();
    expect(await tp.portal.syncCoordinator.run('manual')).toEqual({ ok: false, reason: 'no_agent' });
  });
});
