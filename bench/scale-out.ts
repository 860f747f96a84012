/**
 * Scale-out load benchmark: `npx tsx bench/scale-out.ts` (after `npm run build`: the portals and
 * agents run from dist/ as `sspr start` and `sspr agent run`, each its own process).
 *
 *   --users <n>        hybrid users (in AD and in the portal, each with a confirmed email); each phase resets every one once (default 200)
 *   --concurrent <n>   flows and sign-ins in flight at once (default 200)
 *
 * One Samba AD DC and one PostgreSQL database (a fresh one on the machine's server), portals
 * with the same key and public URL behind a "load balancer" (a TCP proxy on loopback that the
 * agents connect through, one new connection to each portal in turn). Two phases, each N
 * complete forgot-password flows over HTTP (10 requests each: CAPTCHA at difficulty 200 solved
 * here, the email code read from the outbox, the new password written back to AD through an
 * agent) then N sign-ins (a pass-through bind through an agent), `--concurrent` at a time:
 *
 *   1. one portal, one agent;
 *   2. two portals, two agents (flows alternate between the portals; a job created on a portal
 *      goes to either agent — the one connected there, or the other through PostgreSQL).
 *
 * Printed per phase: throughput, latency p50/p95/p99, errors (must be 0), the CPU used by each
 * process (portals, agents, Samba, this driver), and afterwards the check in AD and in the
 * store: every user binds with the password of the phase, and exactly one reset job per user
 * was applied. Loopback only, bounded (a watchdog ends the run); it stops and removes what it
 * starts. Figures compare on one machine; never assert on them in tests.
 */
import { cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { AdConnector } from '../src/ad/ad-connector.js';
import { startSambaDc, type SambaDc } from '../test/helpers/samba-dc.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { startPortalProcess, type PortalProcess } from '../test/helpers/portal-process.js';
import { startTcpProxy } from '../test/helpers/tcp-proxy.js';
import { registerAgentProcess, runAgentProcess } from '../test/helpers/agent-process.js';
import { createAdUsers, type AdBenchUser } from './ad-users.js';
import { codeFromOutbox, expectText, FormClient, inParallel, intOptions, ms, onCleanUp, openBenchPortal, percentile, printHeader, PUBLIC_URL, runBench, solve, startWatchdog, table, tempDir, treeCpuMs, versions, writePortalConfig, type BenchPortal, type Challenge } from './lib.js';

const opts = intOptions('bench/scale-out.ts', { users: [200, 10, 1000], concurrent: [200, 1, 400] });
startWatchdog((300 + 3 * opts.users) * 1000);

const password = (phase: number, i: number) => `Lantern-Orbit-${phase}-Cascade-${i}!`;

interface Proc {
  label: string;
  pid: number;
}

interface PhaseResult {
  label: string;
  flows: number[];
  signIns: number[];
  flowWallMs: number;
  signInWallMs: number;
  errors: string[];
  /** CPU time per process (ms) over the reset flows, and over the sign-ins. */
  cpuMs: Map<string, number>;
  flowCpuMs: Map<string, number>;
  signInCpuMs: Map<string, number>;
}

const DRIVER = 'this driver (HTTP clients, CAPTCHA)';

/** The PostgreSQL server's postmaster (its backends are its children): from the data directory's postmaster.pid. */
async function postgresPid(url: string): Promise<number | null> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const dir = (await c.query<{ setting: string }>("select setting from pg_settings where name = 'data_directory'")).rows[0]?.setting;
    return dir ? Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null : null;
  } catch {
    // Not readable from here (another machine, or not allowed): the split goes without it.
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** CPU time (ms) of each process and of this driver, read now. */
function cpuNow(procs: Proc[]): Map<string, number> {
  const own = process.cpuUsage();
  return new Map([...procs.map((p): [string, number] => [p.label, treeCpuMs(p.pid)]), [DRIVER, (own.user + own.system) / 1000]]);
}

const minus = (a: Map<string, number>, b: Map<string, number>) => new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));

/** `sspr agent register` then `sspr agent run` as their own processes (test/helpers/agent-process.ts), against the balancer. */
async function startAgentProcess(dir: string, name: string, dc: SambaDc, balancer: string, token: string): Promise<{ proc: Proc; stop(): Promise<void> }> {
  const agent = runAgentProcess(name, await registerAgentProcess({ dir, name, dc, portalUrl: balancer, token }));
  return {
    proc: { label: `agent ${name}`, pid: agent.pid },
    async stop() {
      await agent.stop();
      if (agent.stderr().trim()) console.log(`(${name} wrote to stderr: ${agent.stderr().trim().slice(0, 300)})`);
    },
  };
}

/** One forgot-password flow of a hybrid user over HTTP, every answer checked. */
async function flow(base: string, origin: string, bench: BenchPortal, user: AdBenchUser, newPassword: string): Promise<void> {
  const c = new FormClient(base, origin);
  expectText((await c.get('/reset')).body, 'Reset your password', 'GET /reset');
  const ch = JSON.parse((await c.get('/reset/captcha')).body) as Challenge;
  const { payload: captcha } = await solve(ch);
  const started = await c.post('/reset', { username: user.name, captcha });
  const verifyPath = started.location ?? '';
  const flowId = new URL(verifyPath, PUBLIC_URL).searchParams.get('flow');
  if (!verifyPath.startsWith('/reset/verify?flow=') || !flowId) throw new Error(`POST /reset redirected to ${verifyPath}`);
  expectText((await c.get(verifyPath)).body, 'Email me a code', 'the method list');
  const last = (await bench.store.db.selectFrom('outbox_messages').select('id').where('user_id', '=', user.portalUser!.id).orderBy('id', 'desc').executeTakeFirst())?.id ?? 0;
  await c.post('/reset/verify/choose', { flow: flowId, choice: 'email', contact: user.email });
  const code = await codeFromOutbox(bench.store, bench.cipher, user.portalUser!.id, Number(last), 60_000);
  await c.post('/reset/verify/code', { flow: flowId, code });
  expectText((await c.get(verifyPath)).body, 'Choose a new password', 'the new-password page');
  await c.post('/reset/password', { flow: flowId, password: newPassword, confirm: newPassword });
  expectText((await c.get(verifyPath)).body, 'Your password was reset', 'the done page');
}

/** A sign-in over HTTP: AD checks the password through an agent; with a registered email the next step is the second factor. */
async function signIn(base: string, origin: string, user: AdBenchUser): Promise<void> {
  const c = new FormClient(base, origin);
  await c.get('/sign-in');
  const r = await c.post('/sign-in', { username: user.name, password: user.password, next: '/account' });
  if (!r.location?.startsWith('/sign-in/verify')) throw new Error(`sign-in of ${user.name} went to ${r.location}`);
}

async function phase(label: string, n: number, portals: PortalProcess[], origin: string, bench: BenchPortal, users: AdBenchUser[], procs: Proc[]): Promise<PhaseResult> {
  const result: PhaseResult = { label, flows: [], signIns: [], flowWallMs: 0, signInWallMs: 0, errors: [], cpuMs: new Map(), flowCpuMs: new Map(), signInCpuMs: new Map() };
  const cpuBefore = cpuNow(procs);
  let t = performance.now();
  await inParallel(
    users.map((u, i) => ({ u, i })),
    opts.concurrent,
    async ({ u, i }) => {
      const p = password(n, i);
      const t0 = performance.now();
      try {
        await flow(portals[i % portals.length]!.url, origin, bench, u, p);
        u.password = p;
        result.flows.push(performance.now() - t0);
      } catch (err) {
        result.errors.push(`flow ${u.name}: ${(err as Error).message.slice(0, 200)}`);
      }
    },
  );
  result.flowWallMs = performance.now() - t;
  const cpuBetween = cpuNow(procs);
  t = performance.now();
  await inParallel(
    users.map((u, i) => ({ u, i })),
    opts.concurrent,
    async ({ u, i }) => {
      const t0 = performance.now();
      try {
        await signIn(portals[i % portals.length]!.url, origin, u);
        result.signIns.push(performance.now() - t0);
      } catch (err) {
        result.errors.push(`sign-in ${u.name}: ${(err as Error).message.slice(0, 200)}`);
      }
    },
  );
  result.signInWallMs = performance.now() - t;
  const cpuAfter = cpuNow(procs);
  result.flowCpuMs = minus(cpuBetween, cpuBefore);
  result.signInCpuMs = minus(cpuAfter, cpuBetween);
  result.cpuMs = minus(cpuAfter, cpuBefore);
  return result;
}

/** AD and the store after a phase: the user binds with the phase's password, and one reset job per user was applied since `since`. */
async function check(dc: SambaDc, bench: BenchPortal, users: AdBenchUser[], since: number, n: number): Promise<string> {
  const ad = new AdConnector({ urls: [dc.url], caCertPem: dc.caCertPem, tlsServerName: dc.tlsServerName, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: dc.baseDn });
  let binds = 0;
  try {
    await inParallel(
      users.map((u, i) => ({ u, i })),
      8,
      async ({ u, i }) => {
        if ((await ad.bindAsUser(u.guid, password(n, i))).ok) binds++;
      },
    );
  } finally {
    await ad.close();
  }
  const jobs = await bench.store.db.selectFrom('writeback_jobs').select(['user_id', 'status']).where('kind', '=', 'reset').where('created_at', '>=', since).execute();
  const applied = new Map<string, number>();
  for (const j of jobs) if (j.status === 'applied') applied.set(j.user_id, (applied.get(j.user_id) ?? 0) + 1);
  const once = users.filter((u) => applied.get(u.portalUser!.id) === 1).length;
  const notApplied = jobs.filter((j) => j.status !== 'applied').length;
  return `AD: ${binds}/${users.length} users bind with the new password; store: ${once}/${users.length} users have exactly one applied reset job (${jobs.length} reset jobs, ${notApplied} not applied)`;
}

function report(r: PhaseResult): void {
  const line = (what: string, times: number[], wallMs: number) => [what, String(times.length), `${(times.length / (wallMs / 1000)).toFixed(1)}/s`, ms(percentile(times, 50)), ms(percentile(times, 95)), ms(percentile(times, 99)), `${(wallMs / 1000).toFixed(1)} s`];
  console.log(`\n${r.label}`);
  console.log(table(['', 'done', 'throughput', 'p50 ms', 'p95 ms', 'p99 ms', 'wall'], [line('reset flows (10 requests each)', r.flows, r.flowWallMs), line('sign-ins (pass-through bind)', r.signIns, r.signInWallMs)]));
  console.log(`errors: ${r.errors.length}${r.errors.length ? `\n  ${r.errors.slice(0, 10).join('\n  ')}` : ''}`);
  const wall = r.flowWallMs + r.signInWallMs;
  console.log(`CPU per process over the phase (CPUs busy on average, of ${cpus().length}), and its CPU time per reset flow and per sign-in:`);
  console.log(
    table(
      ['process', 'CPUs', 'ms per reset flow', 'ms per sign-in'],
      [...r.cpuMs].map(([label, cpu]) => [label, (cpu / wall).toFixed(2), ms((r.flowCpuMs.get(label) ?? 0) / Math.max(1, r.flows.length)), ms((r.signInCpuMs.get(label) ?? 0) / Math.max(1, r.signIns.length))]),
    ),
  );
}

async function main(): Promise<void> {
  printHeader('scale-out benchmark', ['src', 'package.json']);
  console.log(versions(['pg', 'ws', 'hono', 'ldapts']));
  if (opts.concurrent > opts.users) console.log(`(--concurrent ${opts.concurrent} is more than --users ${opts.users}: every flow starts at once)`);

  const dc = await startSambaDc();
  onCleanUp(() => dc.stop());
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  let t = performance.now();
  const users = await createAdUsers(dc, opts.users, { ou: 'OU=Scale Bench', ouName: 'Scale Bench', prefix: 'scale', password: (i) => password(0, i) });
  console.log(`Samba AD DC at ${dc.url}; ${users.length} users created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const database = await createTestDatabase();
  onCleanUp(() => database.drop());
  const key = randomBytes(32).toString('base64');
  const proxy = await startTcpProxy(1);
  onCleanUp(() => proxy.close());
  const shared = {
    publicUrl: proxy.url,
    database: { url: database.url },
    secrets: { key },
    logging: { level: 'warn' },
    reset: { captchaMaxNumber: 200, startsPerIpPerHour: 100_000 },
    delivery: { limits: { globalPerHour: 1_000_000 } },
    signIn: { ipFailuresPerHour: 100_000 },
  };
  const dir = tempDir('sspr-bench-scale-');
  // The driver's own view of the store (same key): users and methods, registration tokens, the outbox.
  const bench = await openBenchPortal(dir, writePortalConfig(dir, 'scale-out bench driver', [], key, database.url));
  onCleanUp(() => bench.store.close());
  for (const u of users) {
    u.portalUser = await bench.portal.users.create({ username: u.name, displayName: `Scale user ${u.name}`, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: u.guid });
    const m = await bench.portal.methods.addContact(u.portalUser.id, 'email', u.email);
    await bench.portal.methods.confirm(u.portalUser.id, m.id);
  }

  const first = await startPortalProcess({ config: shared });
  onCleanUp(() => first.stop());
  proxy.target(Number(new URL(first.url).port));
  const agentA = await startAgentProcess(dir, 'agent-a', dc, proxy.url, (await bench.portal.agents.createRegistrationToken({ id: null, name: 'bench' })).token);
  onCleanUp(() => agentA.stop());
  const waitAgents = async (n: number) => {
    const deadline = Date.now() + 30_000;
    while ((await bench.portal.agentHub.online()).length < n) {
      if (Date.now() > deadline) throw new Error(`${n} agents did not connect within 30 s`);
      await sleep(100);
    }
  };
  await waitAgents(1);
  const samba = { label: 'Samba (LDAP)', pid: dc.pid };
  const postmaster = await postgresPid(database.url);
  // The whole server: on a shared machine other clients' work is in it too.
  const postgres: Proc[] = postmaster ? [{ label: 'PostgreSQL (the server)', pid: postmaster }] : [];
  if (!postmaster) console.log('(PostgreSQL\'s process is not readable from here: its CPU is left out of the split)');
  const one = await phase('Phase 1: one portal, one agent', 1, [first], proxy.url, bench, users, [{ label: 'portal 1', pid: first.pid }, agentA.proc, samba, ...postgres]);
  report(one);
  console.log(await check(dc, bench, users, 0, 1));

  const second = await startPortalProcess({ config: shared });
  onCleanUp(() => second.stop());
  proxy.target(Number(new URL(second.url).port));
  const agentB = await startAgentProcess(dir, 'agent-b', dc, proxy.url, (await bench.portal.agents.createRegistrationToken({ id: null, name: 'bench' })).token);
  onCleanUp(() => agentB.stop());
  await waitAgents(2);
  const where = await bench.portal.agentHub.online();
  console.log(`\nAgents: ${where.map((p) => p.instanceId).join(', ')} (one instance each: ${new Set(where.map((p) => p.instanceId)).size === 2})`);
  t = Date.now();
  const two = await phase('Phase 2: two portals, two agents', 2, [first, second], proxy.url, bench, users, [{ label: 'portal 1', pid: first.pid }, { label: 'portal 2', pid: second.pid }, agentA.proc, agentB.proc, samba, ...postgres]);
  report(two);
  console.log(await check(dc, bench, users, t, 2));

  const rate = (r: PhaseResult, k: 'flows' | 'signIns') => r[k].length / ((k === 'flows' ? r.flowWallMs : r.signInWallMs) / 1000);
  console.log(`\nTwo portals and two agents vs one of each: reset flows ${(rate(two, 'flows') / rate(one, 'flows')).toFixed(2)}×, sign-ins ${(rate(two, 'signIns') / rate(one, 'signIns')).toFixed(2)}× (errors: ${one.errors.length} and ${two.errors.length})`);
  if (one.errors.length || two.errors.length) process.exitCode = 1;
}

await runBench(main);
