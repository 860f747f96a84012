import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../helpers/samba-dc.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { adConnector, adOptions, bindsAs } from '../helpers/ad-connector.js';
import { until } from '../helpers/wait.js';
import { logCapture } from '../helpers/test-portal.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { buildPortal, type Portal } from '../../src/app/portal.js';
import { configSchema } from '../../src/config/schema.js';
import type { User } from '../../src/directory/users.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { systemClock } from '../../src/shared/clock.js';
import { openStore } from '../../src/store/database.js';
import { AgentClient, type AgentState, type JobExecutor } from '../../src/agent/agent-client.js';
import { AdExecutor } from '../../src/agent/ad-executor.js';
import { Journal } from '../../src/agent/journal.js';
import { registerAgent } from '../../src/agent/state.js';

/**
 * The instance holding the agent dies (SIGKILL, a real portal process) while a job created on
 * another instance is being applied. Two instances share one PostgreSQL database and one key
 * behind a "load balancer" (a TCP proxy the agent connects through); the agent's AD work is held
 * at a gate so the crash lands between the claim and AD's answer. The user is told the truth, the
 * job is applied at most once, and the verdict reaches the store through the surviving instance.
 */

const PUBLIC_URL = 'http://portal.test';
const key = randomBytes(32).toString('base64');

let dc: SambaDc;
let dir: string;
let database: { url: string; drop(): Promise<void> };
let first: PortalProcess;
let second: { portal: Portal; server: RunningServer };
let proxy: TcpProxy;
let agent: AgentClient | null = null;

/** The agent's AD work, held until the test opens the gate. */
function gated(real: JobExecutor) {
  let reached!: () => void;
  let open!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  const gate = new Promise<void>((r) => (open = r));
  const executor: JobExecutor = {
    ...real,
    reconcile: (e) => real.reconcile(e),
    policyFor: (a) => real.policyFor(a),
    readAccount: (a) => real.readAccount(a),
    bind: (a, p, o) => real.bind(a, p, o),
    domain: () => real.domain(),
    policy: () => real.policy(),
    change: (a, c, p, o) => real.change(a, c, p, o),
    unlock: (a, o) => real.unlock(a, o),
    mustChange: (a, on, o) => real.mustChange(a, on, o),
    async reset(anchor, password, options) {
      // Held once the claim is granted and on disk (the go-ahead the connector waits for before it writes): between the claim and AD's answer.
      await options.ready;
      reached();
      await gate;
      return real.reset(anchor, password, options);
    },
  };
  return { executor, atGate, open: () => open() };
}

const binds = (sam: SambaUser, password: string) => bindsAs(dc, sam.guid, password);


beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-killed-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  database = await createTestDatabase();
  const shared = { publicUrl: PUBLIC_URL, database: { url: database.url }, secrets: { key }, writeback: { jobSeconds: 5, answerSeconds: 15 } };
  first = await startPortalProcess({ config: shared });
  const store = openStore(database.url, { poolSize: 5 });
  const config = configSchema.parse({ ...shared, listen: { host: '127.0.0.1', port: 0 }, passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 }, methods: { registrationRequired: false } });
  const portal = buildPortal({ config, store, logger: createLogger('debug', logCapture().stream), clock: systemClock, masterKey: Buffer.from(key, 'base64') });
  await portal.policy.refresh();
  second = { portal, server: await startServer(portal) };
  proxy = await startTcpProxy(Number(new URL(first.url).port));
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await proxy?.close();
  await second?.server.stop(1000);
  await first?.stop();
  await database?.drop();
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scale-out: the instance holding the agent is killed in the middle of a job (real process, PostgreSQL, Samba)', { timeout: 120_000 }, () => {
  it('the user is told the truth, AD gets the password once, and the verdict reaches the store through the other instance', async () => {
    const { token } = await second.portal.agents.createRegistrationToken({ id: null, name: 'test' });
    const registered = await registerAgent({ portalUrl: second.server.url, token, name: 'agent-lb', version: '0.1.0' });
    if (!registered.ok) throw new Error(registered.message);
    const state: AgentState = { ...registered.value, portalUrl: PUBLIC_URL };
    const ad = gated(new AdExecutor(adConnector(dc), null, 500, adOptions(dc)));
    agent = new AgentClient({ state, executor: ad.executor, journal: new Journal(join(dir, 'journal.json')), logger: createLogger('error', logCapture().stream), version: '0.1.0', connectUrl: proxy.url, backoffMs: { first: 50, max: 200 } });
    agent.start();
    await agent.waitConnected();
    // The agent is held by the first instance (the process), and the second one sees it there.
    await until(async () => (await second.portal.agentHub.online()).some((p) => p.agentId === state.agentId && p.instanceId !== second.portal.agentHub.presence.instanceId), 20_000);
    expect(second.portal.agentHub.connected()).toEqual([]);

    const sam = await dc.addUser('killed.midjob', 'Start!Pass#2024');
    const user: User = await second.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
    const answer = second.portal.writeback.reset(user, 'After-The-Crash!Pass#1');

    // Claimed through the first instance; AD not touched yet. Now the first instance dies.
    await ad.atGate;
    const job = await second.portal.store.db.selectFrom('writeback_jobs').select(['id', 'status']).where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect(job.status).toBe('taken');
    await first.kill();
    proxy.target(second.server.port);
    ad.open();

    // The truth: applied (the agent reached the second instance in time), or "not confirmed yet" — never "nothing changed".
    const r = await answer;
    expect(r.ok || r.reason === 'unconfirmed').toBe(true);
    // The agent reconnects through the balancer to the surviving instance and delivers AD's verdict there.
    await until(async () => (await second.portal.store.db.selectFrom('writeback_jobs').select('status').where('id', '=', job.id).executeTakeFirstOrThrow()).status === 'applied', 20_000);
    expect(await binds(sam, 'After-The-Crash!Pass#1')).toBe(true);
    const rows = await second.portal.store.db.selectFrom('writeback_jobs').select(['id', 'status', 'verdict']).where('user_id', '=', user.id).execute();
    expect(rows).toEqual([{ id: job.id, status: 'applied', verdict: 'applied' }]);
    const audited = await second.portal.store.db.selectFrom('audit_events').select('details').where('event', '=', 'writeback_job').execute();
    expect(audited.filter((a) => (a.details ?? '').includes(job.id))).toHaveLength(1);
  });
});
