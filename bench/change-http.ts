/**
 * A hybrid user's password change over HTTP against the raw change in AD: `npm run bench:change-http`
 * (builds dist/ first; `npx tsx bench/change-http.ts` when dist/ is current).
 *
 *   --users <n>   AD users, each a hybrid user of the portal; every phase changes each one's password once (default 40)
 *
 * One Samba AD DC (test/helpers/samba-dc.ts, its own loopback address, minimum password age 0),
 * the portal as `sspr start` (from dist/, its own process, SQLite) and the agent as `sspr agent
 * register` + `sspr agent run` (its own process), so the CPU each one uses is its own. Phases,
 * each user once, one at a time:
 *
 *   1. raw change: ldapts in this process, on one open LDAPS connection, binds as the user and
 *      sends the change (delete the current unicodePwd + add the new one, so AD checks the current
 *      password and its history) — what AD itself costs;
 *   2. the change over HTTP, what a browser does: GET /sign-in, POST /sign-in as the hybrid user
 *      (a pass-through bind through the agent), GET /account/change-password (the page with the
 *      domain's rules: the user's effective AD policy, read through the agent), POST
 *      /account/change-password (the portal's rules, then the change through the agent: bind as
 *      the user, delete + add), every answer checked;
 *   3. raw change again (drift).
 *
 * Printed: per request and for the whole journey p50/p95 and the ratio to the raw change (p50 of
 * both raw phases), and per phase the CPU each process used (portal, agent, Samba, this driver,
 * everything else) in CPUs and in ms per change. Afterwards every user must bind with the password
 * set last. A few unmeasured changes of their own users warm up each path first. Loopback only,
 * bounded (a watchdog ends the run); it stops and removes what it starts. Figures compare on one
 * machine; never assert on them in tests; runs where others used more than 0.2 CPU are noisy.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, Client } from 'ldapts';
import { startSambaDc } from '../test/helpers/samba-dc.js';
import { startPortalProcess } from '../test/helpers/portal-process.js';
import { registerAgentProcess, runAgentProcess } from '../test/helpers/agent-process.js';
import { createAdUsers, unicodePwd, type AdBenchUser } from './ad-users.js';
import { expectText, FormClient, intOptions, machineTicks, ms, onCleanUp, openBenchPortal, p50, percentile, printHeader, QUIET, runBench, startWatchdog, sum, table, tempDir, treeCpuMs, versions, writePortalConfig } from './lib.js';

const opts = intOptions('bench/change-http.ts', { users: [40, 5, 500] });
const WARMUP = 3;
startWatchdog((120 + 3 * (opts.users + WARMUP)) * 1000);

/** A new password for round `round` and user `i`: passes the portal's rules and AD's complexity, never the user's name. */
const passwordFor = (round: number, i: number) => `Copper-Willow-${round}-Nebula-${i}!`;

interface Proc {
  label: string;
  pid: number;
}

/** CPU time per process over an interval (ms), with the driver's own and what the rest of the machine used. */
function processMeter(procs: Proc[]): () => { wallMs: number; cpuMs: Array<[string, number]>; othersMs: number } {
  const a = machineTicks();
  const own = process.cpuUsage();
  const start = procs.map((p) => treeCpuMs(p.pid));
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const b = machineTicks();
    const busyMs = (1 - (b.idle - a.idle) / Math.max(b.total - a.total, 1)) * cpus().length * wallMs;
    const used = process.cpuUsage(own);
    const cpuMs: Array<[string, number]> = [...procs.map((p, i): [string, number] => [p.label, treeCpuMs(p.pid) - start[i]!]), ['this driver (HTTP client, raw LDAP)', (used.user + used.system) / 1000]];
    return { wallMs, cpuMs, othersMs: Math.max(0, busyMs - sum(cpuMs.map(([, v]) => v))) };
  };
}

interface Phase {
  label: string;
  times: number[];
  parts: Map<string, number[]>;
  wallMs: number;
  cpuMs: Array<[string, number]>;
  othersMs: number;
}

async function runPhase(label: string, users: AdBenchUser[], procs: Proc[], op: (u: AdBenchUser, i: number, time: (part: string, t0: number) => void) => Promise<void>): Promise<Phase> {
  const parts = new Map<string, number[]>();
  const time = (part: string, t0: number) => {
    const list = parts.get(part) ?? [];
    list.push(performance.now() - t0);
    parts.set(part, list);
  };
  const times: number[] = [];
  const meter = processMeter(procs);
  for (const [i, u] of users.entries()) {
    const t0 = performance.now();
    await op(u, i, time);
    times.push(performance.now() - t0);
  }
  const m = meter();
  const phase = { label, times, parts, ...m };
  const cpu = (v: number) => (v / m.wallMs).toFixed(2);
  console.log(`  ${label}: ${times.length} in ${(m.wallMs / 1000).toFixed(1)} s (p50 ${ms(p50(times))} ms); CPU: ${m.cpuMs.map(([l, v]) => `${l} ${cpu(v)}`).join(', ')}, others ${cpu(m.othersMs)} of ${cpus().length} CPUs`);
  return phase;
}

async function main(): Promise<void> {
  printHeader('change-over-HTTP benchmark', ['src', 'package.json']);
  const sambaVersion = spawnSync('samba', ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  console.log(`Samba ${sambaVersion.replace(/^Version /, '')}; ${versions(['ldapts', 'ws', 'hono', 'better-sqlite3', '@zxcvbn-ts/core'])}`);

  const dc = await startSambaDc();
  onCleanUp(() => dc.stop());
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  const t = performance.now();
  const users = await createAdUsers(dc, opts.users + WARMUP, { ou: 'OU=Change Bench', ouName: 'Change Bench', prefix: 'chbench', password: (i) => passwordFor(0, i) });
  console.log(`Samba AD DC at ${dc.url}; ${users.length} users created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // The portal as its own process; this driver opens the same store (same key) to seed the hybrid users and make the agent's token.
  const key = randomBytes(32).toString('base64');
  const dir = tempDir('sspr-bench-change-');
  const portalProcess = await startPortalProcess({ config: { secrets: { key }, logging: { level: 'warn' }, signIn: { ipFailuresPerHour: 100_000 } } });
  onCleanUp(() => portalProcess.stop());
  const driver = await openBenchPortal(dir, writePortalConfig(dir, 'bench/change-http.ts: the driver’s view of the portal’s store', [], key, `sqlite:${join(portalProcess.dir, 'sspr.db')}`));
  onCleanUp(() => driver.store.close());
  for (const u of users) {
    u.portalUser = await driver.portal.users.create({ username: u.name, displayName: `Change Bench ${u.name.slice(7)}`, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: u.guid });
  }
  const { token } = await driver.portal.agents.createRegistrationToken({ id: null, name: 'bench' });
  const agent = runAgentProcess('agent', await registerAgentProcess({ dir, name: 'agent', dc, portalUrl: portalProcess.url, token }));
  onCleanUp(() => agent.stop());
  const deadline = Date.now() + 30_000;
  while ((await driver.portal.agentHub.online()).length === 0) {
    if (Date.now() > deadline) throw new Error(`the agent did not connect within 30 s: ${agent.stderr().slice(0, 500)}`);
    await sleep(50);
  }
  console.log(`Portal (pid ${portalProcess.pid}) on ${portalProcess.url}, SQLite; agent (pid ${agent.pid}) connected; Samba pid ${dc.pid}`);
  const procs: Proc[] = [
    { label: 'portal', pid: portalProcess.pid },
    { label: 'agent', pid: agent.pid },
    { label: 'Samba', pid: dc.pid },
  ];

  // Raw: bound as the user on one open connection, delete + add (AD checks the current password and the history).
  const conn = new Client({ url: dc.url, timeout: 30_000, connectTimeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  onCleanUp(() => conn.unbind().catch(() => undefined));
  const rawChange = async (u: AdBenchUser, password: string) => {
    await conn.bind(u.dn, u.password);
    await conn.modify(u.dn, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(u.password)] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) }),
    ]);
    u.password = password;
  };
  const overHttp = async (u: AdBenchUser, password: string, time: (part: string, t0: number) => void = () => undefined) => {
    const c = new FormClient(portalProcess.url, portalProcess.url);
    let t0 = performance.now();
    expectText((await c.get('/sign-in')).body, 'Sign in', 'GET /sign-in');
    time('GET /sign-in', t0);
    t0 = performance.now();
    const signedIn = await c.post('/sign-in', { username: u.name, password: u.password, next: '/account/change-password' });
    time('POST /sign-in (pass-through bind)', t0);
    if (signedIn.location !== '/account/change-password') throw new Error(`sign-in of ${u.name} went to ${signedIn.location}`);
    t0 = performance.now();
    expectText((await c.get('/account/change-password')).body, 'network also requires', 'the change page of a hybrid user (with the AD policy)');
    time('GET /account/change-password (AD policy)', t0);
    t0 = performance.now();
    const changed = await c.post('/account/change-password', { current: u.password, password, confirm: password });
    time('POST /account/change-password (rules + change)', t0);
    if (!changed.location?.startsWith('/account?done=')) throw new Error(`the change of ${u.name} went to ${changed.location}`);
    u.password = password;
  };

  const warm = users.slice(opts.users);
  const measured = users.slice(0, opts.users);
  for (const [i, u] of warm.entries()) {
    await rawChange(u, passwordFor(90, i));
    await overHttp(u, passwordFor(91, i));
  }

  console.log(`\nPhases (${measured.length} changes each, every user once, one at a time; ${WARMUP} unmeasured warm-up changes per path first):`);
  const raw1 = await runPhase('raw change as the user (bind + delete/add), 1 open connection', measured, procs, (u, i) => rawChange(u, passwordFor(1, i)));
  const http = await runPhase('change over HTTP (sign-in + change page)', measured, procs, (u, i, time) => overHttp(u, passwordFor(2, i), time));
  const raw2 = await runPhase('raw change as the user, again', measured, procs, (u, i) => rawChange(u, passwordFor(3, i)));

  let binds = 0;
  for (const u of [...measured, ...warm]) {
    try {
      await conn.bind(u.dn, u.password);
      binds += 1;
    } catch {
      // counted below
    }
  }
  if (binds !== users.length) throw new Error(`only ${binds} of ${users.length} users bind with the password set last`);
  console.log(`\nChecked: all ${binds} users bind to AD with the password set last.`);

  const rawP50 = p50([...raw1.times, ...raw2.times]);
  const row = (label: string, times: number[]) => [label, String(times.length), ms(p50(times)), ms(percentile(times, 95)), `${(p50(times) / rawP50).toFixed(2)}x`];
  console.log(`\nPer change, one at a time; "vs raw" = p50 ÷ the raw change's p50 over both raw phases (${ms(rawP50)} ms):\n`);
  console.log(
    table(
      ['operation', 'n', 'p50 ms', 'p95 ms', 'p50 vs raw'],
      [
        row('raw change (bind as the user + delete/add)', raw1.times),
        row('raw change, again', raw2.times),
        row('change over HTTP: the whole journey', http.times),
        ...[...http.parts].map(([part, times]) => row(`  ${part}`, times)),
      ],
    ),
  );
  const post = http.parts.get('POST /account/change-password (rules + change)')!;
  console.log(`\nTargets (issue 16): the whole journey ${(p50(http.times) / rawP50).toFixed(2)}x raw (≤ 1.5x), the change POST alone ${(p50(post) / rawP50).toFixed(2)}x (≤ 1.3x).`);

  console.log(`\nCPU per phase, each process's CPU time per change (ms) and in CPUs busy on average (of ${cpus().length}):\n`);
  const labels = [...raw1.cpuMs.map(([l]) => l), 'everything else'];
  const phases = [raw1, http, raw2];
  console.log(
    table(
      ['process', ...phases.flatMap((p) => [`${p.label.split(' (')[0]} ms/change`, 'CPUs'])],
      labels.map((l) => [
        l,
        ...phases.flatMap((p) => {
          const v = l === 'everything else' ? p.othersMs : (p.cpuMs.find(([x]) => x === l)?.[1] ?? 0);
          return [ms(v / p.times.length), (v / p.wallMs).toFixed(2)];
        }),
      ]),
    ),
  );
  const noisy = phases.filter((p) => p.othersMs / p.wallMs > QUIET);
  if (noisy.length) console.log(`\nWARNING: other processes used more than ${QUIET} CPU during ${noisy.map((p) => p.label).join('; ')}: rerun on a quiet machine before comparing.`);
}

await runBench(main);
