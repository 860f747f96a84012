import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../helpers/samba-dc.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { bindsAs } from '../helpers/ad-connector.js';
import { until } from '../helpers/wait.js';
import { logCapture } from '../helpers/test-portal.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { registerAgentProcess, runAgentProcess, type AgentProcess } from '../helpers/agent-process.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { TestClient, makeUser, overHttp } from '../helpers/http-client.js';
import { chooseEmail, flowOf, startReset } from '../helpers/reset-flow.js';
import { lastMessageTo } from '../helpers/outbox.js';
import { codeIn } from '../helpers/codes.js';
import { buildPortal, type Portal } from '../../src/app/portal.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { systemClock } from '../../src/shared/clock.js';
import { openStore } from '../../src/store/database.js';

/**
 * Two portal instances on one PostgreSQL database behind a "load balancer" (a TCP proxy), two
 * agents as real `sspr agent run` processes — agent A held by instance 1 (a real `sspr start`
 * process), agent B by instance 2 — and a Samba DC. Agent A reaches AD through a proxy of its
 * own, so the test can stall its AD work in the middle of a job and kill the process there.
 */

const key = randomBytes(32).toString('base64');
const OLD = 'Start!Pass#2024';
const ADMIN_PW = 'Harbour-Lantern-Pass-3';

let dc: SambaDc;
let dir: string;
let database: { url: string; drop(): Promise<void> };
let balancer: TcpProxy;
let toDc: TcpProxy;
let first: PortalProcess;
let second: { portal: Portal; server: RunningServer };
const agents: AgentProcess[] = [];
let agentA: AgentProcess;
let ids: { a: string; b: string };
let publicUrl: string;
/** Made well before its job: the journal's reconciliation counts a password set up to 2 s before the claim as the job's. */
let caught: Person;

interface Person {
  sam: SambaUser;
  userId: string;
  email: string;
}

async function person(name: string): Promise<Person> {
  const sam = await dc.addUser(name, OLD);
  const user = await second.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
  const email = `${name}@mail.test`;
  const m = await second.portal.methods.addContact(user.id, 'email', email);
  await second.portal.methods.confirm(user.id, m.id);
  return { sam, userId: user.id, email };
}

const firstUrl = () => first.url;
const secondUrl = () => second.server.url;

/** A forgot-password flow over HTTP through one instance, up to the new-password page (the AD policy look-up included). */
async function upToNewPassword(base: string, p: Person): Promise<{ client: TestClient; flow: string }> {
  const client = new TestClient(overHttp(base), publicUrl);
  const flow = flowOf(await startReset(client, p.sam.name));
  await chooseEmail(client, flow, p.email);
  // The code goes out in the background of whichever instance the flow is on: read it from the shared outbox.
  let body = '';
  await until(async () => {
    body = (await lastMessageTo(second.portal, p.email))?.body ?? '';
    return body !== '';
  });
  const verified = await client.post('/reset/verify/code', { flow, code: codeIn(body) });
  expect(verified.status).toBe(303);
  const page = await client.get(`/reset/verify?flow=${flow}`);
  expect(page.body).toContain('Choose a new password');
  return { client, flow };
}

async function resetThrough(base: string, p: Person, password: string): Promise<void> {
  const { client, flow } = await upToNewPassword(base, p);
  const r = await client.post('/reset/password', { flow, password, confirm: password });
  expect(r.status).toBe(303);
  expect((await client.get(`/reset/verify?flow=${flow}`)).body).toContain('Your password was reset');
}

/** A sign-in over HTTP: AD checks the password through an agent; the user has an email, so the next step is the second factor. */
async function signInThrough(base: string, p: Person, password: string): Promise<string | null> {
  const client = new TestClient(overHttp(base), publicUrl);
  return (await client.signIn(p.sam.name, password)).res.headers.get('location');
}

/** Which agent took the user's jobs of this kind, oldest first. */
async function takenBy(p: Person, kind: 'reset' | 'bind'): Promise<Array<{ agent: string | null; status: string }>> {
  const rows = await second.portal.store.db.selectFrom('writeback_jobs').select(['agent_id', 'status']).where('user_id', '=', p.userId).where('kind', '=', kind).orderBy('created_at').execute();
  return rows.map((r) => ({ agent: r.agent_id === ids.a ? 'A' : r.agent_id === ids.b ? 'B' : r.agent_id, status: r.status }));
}

/** Where each agent's connection is, as the store says (every instance reads the same). */
async function holders(): Promise<Record<string, string>> {
  return Object.fromEntries((await second.portal.agentHub.online()).map((p) => [p.agentId === ids.a ? 'A' : p.agentId === ids.b ? 'B' : p.agentId, p.instanceId]));
}

async function startAgent(name: string, adUrl?: string): Promise<{ agent: AgentProcess; id: string }> {
  const { token } = await second.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const configFile = await registerAgentProcess({ dir, name, dc, portalUrl: publicUrl, token, ...(adUrl ? { adUrl } : {}) });
  const id = (JSON.parse(readFileSync(join(dir, `${name}-state.json`), 'utf8')) as { agentId: string }).agentId;
  const agent = runAgentProcess(name, configFile);
  agents.push(agent);
  return { agent, id };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-two-agents-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  database = await createTestDatabase();
  balancer = await startTcpProxy(1);
  publicUrl = balancer.url;
  const dcAddress = new URL(dc.url);
  toDc = await startTcpProxy(Number(dcAddress.port || 636), dcAddress.hostname);
  // The balancer is a reverse proxy in front of both instances: listed as one, as in a real deployment.
  const shared = { publicUrl, trustedProxies: ['127.0.0.1'], database: { url: database.url }, secrets: { key }, writeback: { jobSeconds: 5, answerSeconds: 4 }, reset: { captchaMaxNumber: 200 } };
  first = await startPortalProcess({ config: shared });
  const store = openStore(database.url, { poolSize: 5 });
  const config = configSchema.parse({ ...shared, listen: { host: '127.0.0.1', port: 0 }, passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 }, methods: { registrationRequired: false } });
  const portal = buildPortal({ config, store, logger: createLogger('debug', logCapture().stream), clock: systemClock, masterKey: Buffer.from(key, 'base64') });
  await portal.policy.refresh();
  second = { portal, server: await startServer(portal) };

  // Agent A through the balancer to instance 1 (its AD traffic through its own proxy), then agent B to instance 2.
  balancer.target(Number(new URL(first.url).port));
  const a = await startAgent('agent-a', `ldaps://127.0.0.1:${toDc.port}`);
  agentA = a.agent;
  await until(async () => (await second.portal.agentHub.online()).some((p) => p.agentId === a.id), 20_000);
  balancer.target(second.server.port);
  const b = await startAgent('agent-b');
  ids = { a: a.id, b: b.id };
  await until(async () => second.portal.agentHub.connected().some((c) => c.agent.id === b.id), 20_000);
  caught = await person('two.in-flight');
}, 240_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await balancer?.close();
  await toDc?.close();
  await second?.server.stop(1000);
  await first?.stop();
  await database?.drop();
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scale-out: two portal instances and two agents (real processes, PostgreSQL, Samba)', { timeout: 90_000 }, () => {
  it('the console shows which portal instance holds which agent', async () => {
    const where = await holders();
    const here = second.portal.agentHub.presence.instanceId;
    expect(where['B']).toBe(here);
    expect(where['A']).toBeDefined();
    expect(where['A']).not.toBe(here);

    await makeUser(second.portal, { username: 'console.admin', password: ADMIN_PW, roles: ['administrator'] });
    const admin = new TestClient(overHttp(secondUrl()), publicUrl);
    expect((await admin.signIn('console.admin', ADMIN_PW)).status).toBe(303);
    const page = (await admin.get('/admin/agents')).body;
    const row = (name: string) => page.slice(page.indexOf(`<th scope="row">${name}</th>`)).split('</tr>')[0]!;
    expect(row('agent-a')).toContain(where['A']);
    expect(row('agent-a')).toContain('Connected (to another portal instance)');
    expect(row('agent-b')).toContain(`to this portal instance, <code>${here}</code>`);
    expect(row('agent-a')).toContain(`to portal instance <code>${where['A']}</code>`);
    expect(page).toContain(`<code>${here}</code>`);
  });

  it('resets and sign-ins succeed through either instance, each taken by the agent on that instance', async () => {
    const one = await person('two.via-one');
    const two = await person('two.via-two');
    await resetThrough(firstUrl(), one, 'Lantern-Orbit-1-Cascade!');
    await resetThrough(secondUrl(), two, 'Lantern-Orbit-2-Cascade!');
    expect(await bindsAs(dc, one.sam.guid, 'Lantern-Orbit-1-Cascade!')).toBe(true);
    expect(await bindsAs(dc, two.sam.guid, 'Lantern-Orbit-2-Cascade!')).toBe(true);
    // Each sign-in through the other instance than the user's reset.
    expect(await signInThrough(secondUrl(), one, 'Lantern-Orbit-1-Cascade!')).toMatch(/^\/sign-in\/verify/);
    expect(await signInThrough(firstUrl(), two, 'Lantern-Orbit-2-Cascade!')).toMatch(/^\/sign-in\/verify/);
    expect(await takenBy(one, 'reset')).toEqual([{ agent: 'A', status: 'applied' }]);
    expect(await takenBy(two, 'reset')).toEqual([{ agent: 'B', status: 'applied' }]);
    expect(await takenBy(one, 'bind')).toEqual([{ agent: 'B', status: 'applied' }]);
    expect(await takenBy(two, 'bind')).toEqual([{ agent: 'A', status: 'applied' }]);
  });

  it('agent A killed with a job in flight: the user is told it is not confirmed, later jobs go to agent B, and the job is applied at most once and reconciled', async () => {
    const later1 = await person('two.after-one');
    const later2 = await person('two.after-two');
    const { client, flow } = await upToNewPassword(firstUrl(), caught);

    // A takes the job (instance 1 holds it), journals its claim, and its AD work stalls on the way to the DC.
    toDc.hold();
    const answer = client.post('/reset/password', { flow, password: 'Amber-Harbour-Pass#35', confirm: 'Amber-Harbour-Pass#35' });
    await until(async () => (await takenBy(caught, 'reset')).some((j) => j.agent === 'A' && j.status === 'taken'));
    const [job] = await second.portal.store.db.selectFrom('writeback_jobs').select('id').where('user_id', '=', caught.userId).where('kind', '=', 'reset').execute();
    await until(async () => {
      try {
        return readFileSync(join(dir, 'agent-a-journal.json'), 'utf8').includes(job!.id);
      } catch {
        return false;
      }
    });
    await agentA.kill();
    toDc.release();

    // The truth: not confirmed yet (neither "changed" nor "nothing was changed").
    const r = await answer;
    expect(r.status).toBe(202);
    expect(r.body).toContain('has not confirmed the change yet');
    // The taken job was not handed to agent B: AD still has the old password.
    expect(await takenBy(caught, 'reset')).toEqual([{ agent: 'A', status: 'taken' }]);
    expect(await bindsAs(dc, caught.sam.guid, OLD)).toBe(true);

    // Later jobs go to agent B, through either instance (instance 1 hands its jobs over through PostgreSQL).
    await until(async () => Object.keys(await holders()).join() === 'B');
    await resetThrough(firstUrl(), later1, 'Lantern-Orbit-3-Cascade!');
    await resetThrough(secondUrl(), later2, 'Lantern-Orbit-4-Cascade!');
    expect(await signInThrough(firstUrl(), later1, 'Lantern-Orbit-3-Cascade!')).toMatch(/^\/sign-in\/verify/);
    expect(await takenBy(later1, 'reset')).toEqual([{ agent: 'B', status: 'applied' }]);
    expect(await takenBy(later2, 'reset')).toEqual([{ agent: 'B', status: 'applied' }]);
    expect(await takenBy(later1, 'bind')).toEqual([{ agent: 'B', status: 'applied' }]);

    // Agent A comes back (the balancer now sends it to instance 2): its journal reconciles the job with what AD shows.
    agentA = runAgentProcess('agent-a', agentA.configFile);
    agents.push(agentA);
    await until(async () => (await takenBy(caught, 'reset'))[0]?.status !== 'taken', 20_000);
    const row = await second.portal.store.db.selectFrom('writeback_jobs').select(['status', 'agent_id', 'detail']).where('id', '=', job!.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'failed', agent_id: ids.a, detail: expect.stringContaining('not applied') });
    expect(await bindsAs(dc, caught.sam.guid, 'Amber-Harbour-Pass#35')).toBe(false);
    expect(await bindsAs(dc, caught.sam.guid, OLD)).toBe(true);
    expect((await holders())['A']).toBe(second.portal.agentHub.presence.instanceId);
    const audited = await second.portal.store.db.selectFrom('audit_events').select('details').where('event', '=', 'writeback_job').execute();
    expect(audited.filter((e) => (e.details ?? '').includes(job!.id))).toHaveLength(1);
  });
});
