/**
 * Writeback benchmark: `npx tsx bench/writeback.ts`.
 *
 *   --users <n>        test users created in AD; every phase resets each of them once (default 200)
 *   --concurrent <n>   resets in flight in the concurrent phases (default 8)
 *   --flows <n>        complete HTTP reset flows for hybrid users at the end (default 20; 0 skips them)
 *
 * Password resets written back to a real Active Directory DC (Samba, started by this script with
 * test/helpers/samba-dc.ts on its own loopback address and stopped at the end; minimum password
 * age 0, so every user can be reset again and again). The users are created in bulk over LDAPS
 * (ldapts `add` as the domain administrator, unicodePwd set in the add), not measured.
 *
 * The same N resets (a new, complex password for every user) are then timed, in this process:
 *
 * - direct: one `unicodePwd` replace per user by the administrator with ldapts — one bound
 *   connection, one at a time; the same connection with 8 requests in flight; and 8 bound
 *   connections (8 clients) working through the users side by side;
 * - the AD connector (`AdConnector.reset`, what the agent calls per job): the user looked up by
 *   objectGUID with the protected-account check, then one modify (unicodePwd + lockoutTime 0)
 *   on its pooled service connection; one at a time and 8 at once;
 * - the portal: `portal.writeback.reset(user, password)` on the portal wired as `sspr start`
 *   wires it (src/ run by tsx, SQLite in a temp dir, log lines to /dev/null) with the in-process
 *   agent (`agent.inProcess`: src/agent/in-process.ts, the real AgentClient + AdExecutor,
 *   connected over a loopback WebSocket) — job stored, password sealed for the agent, sent,
 *   claimed (compare-and-swap), journaled, applied with the AD connector, answered, recorded
 *   and audited; one at a time and 8 at once.
 *
 * Then a hybrid user's change (bound as the user: raw ldapts bind + delete/add on one open
 * connection, `AdConnector.change`, `portal.writeback.change` one at a time and 8 at once) and
 * the pass-through bind (raw bind, `portal.writeback.bind`), each against raw in the same run.
 *
 * Then, optionally, complete forgot-password flows of hybrid users through HTTP (what a browser
 * does, CAPTCHA solved in Node at difficulty 1000, the email code read from the outbox), to see
 * what the writeback adds to a whole flow. Afterwards a sample of users binds to AD with the last
 * password set, and every portal job is checked to be `applied`.
 *
 * Everything runs in one Node process except Samba, which runs in its own process (`samba -M
 * single`: one process serves LDAP). Per phase the script reports the CPU this process used, the
 * CPU Samba used, and the CPU any other process used (runs with more than 0.2 CPU used by others
 * should be discarded). Loopback only, bounded in count and time (a watchdog ends the run);
 * everything it starts it stops, everything it creates it removes. Figures are for comparison on
 * one machine: never assert on them in tests.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, Client } from 'ldapts';
import { AdConnector } from '../src/ad/ad-connector.js';
import { connectorOptions } from '../src/agent/ad-executor.js';
import { startAgentInPortal } from '../src/app/in-process-agent.js';
import { startServer, type RunningServer } from '../src/server.js';
import type { FieldCipher } from '../src/shared/sealed.js';
import type { Store } from '../src/store/database.js';
import { startSambaDc, type SambaDc } from '../test/helpers/samba-dc.js';
import { adminClient, createAdUsers, unicodePwd, type AdBenchUser } from './ad-users.js';
import { codeFromOutbox, cpuMeter, cpuShareNote, expectText, FormClient, inParallel, intOptions, ms, onCleanUp, openBenchPortal, p50, percentile, printHeader, PUBLIC_URL, QUIET, resetFlowYaml, runBench, solve, startWatchdog, table, tempDir, versions, writePortalConfig, type Challenge, type CpuShare } from './lib.js';

const CAPTCHA_DIFFICULTY = 1000;
const OU = 'OU=Writeback Bench';

// ---------------------------------------------------------------- options

const opts = intOptions('bench/writeback.ts', {
  users: [200, 10, 1000],
  concurrent: [8, 2, 32],
  flows: [20, 0, 200],
});

const WARMUP = 10;
// Generous: on a quiet 2-CPU VM a reset takes a few tens of ms, on a busy one (others using both CPUs) several times that; DC start, provisioning and bulk creation take seconds.
startWatchdog((120 + 2 * opts.users + 3 * opts.flows) * 1000);

// ---------------------------------------------------------------- AD

/** A fresh password for phase `phase` and user `i`: four character groups, never the user's name, never used before. */
function passwordFor(phase: number, i: number): string {
  return `Wb${phase}-Reset!${i}x`;
}

/** A new password typed in a browser: it must also pass the portal's own rules (strength, banned words). */
function flowPassword(i: number): string {
  return `Copper-Willow-Nebula-${i}!`;
}

// ---------------------------------------------------------------- phases

interface Phase {
  label: string;
  /** What is being compared: 'direct' modifies, the connector, or the portal. */
  kind: 'direct' | 'connector' | 'portal' | 'flow' | 'rawchange' | 'connector-change' | 'portal-change' | 'rawbind' | 'portal-bind';
  concurrency: number;
  times: number[];
  wallMs: number;
  cpu: CpuShare;
}

/**
 * Every item once, `concurrency` at a time (workers take the next item from a shared queue);
 * each operation's latency from its start to its answer. `op` throws on anything but success.
 */
async function runPhase<T>(label: string, kind: Phase['kind'], items: T[], concurrency: number, sambaPid: number, op: (item: T, worker: number) => Promise<void>): Promise<Phase> {
  const times: number[] = [];
  const meter = cpuMeter(sambaPid);
  const t0 = performance.now();
  await inParallel(items, concurrency, async (item, worker) => {
    const a = performance.now();
    await op(item, worker);
    times.push(performance.now() - a);
  });
  const phase = { label, kind, concurrency, times, wallMs: performance.now() - t0, cpu: meter() };
  console.log(`  ${label}: ${times.length} in ${(phase.wallMs / 1000).toFixed(1)} s (${(times.length / (phase.wallMs / 1000)).toFixed(1)}/s, p50 ${ms(p50(times))} ms); CPU: ${cpuShareNote(phase.cpu)}`);
  return phase;
}

// ---------------------------------------------------------------- the portal

function writeConfig(dir: string, dc: SambaDc): string {
  writeFileSync(join(dir, 'dc-ca.pem'), dc.caCertPem);
  const q = (s: string) => JSON.stringify(s);
  return writePortalConfig(dir, 'Written by bench/writeback.ts: a throwaway portal on loopback with an in-process agent.', [
    ...resetFlowYaml(CAPTCHA_DIFFICULTY),
    'agent:',
    '  inProcess: true',
    '  stateFile: ./agent-state.json',
    '  journalFile: ./agent-journal.json',
    '  ad:',
    `    urls: [${q(dc.url)}]`,
    '    caCertFile: ./dc-ca.pem',
    `    tlsServerName: ${q(dc.tlsServerName)}`,
    `    bindDn: ${q(dc.adminDn)}`,
    `    bindPassword: ${q(dc.adminPassword)}`,
    `    baseDn: ${q(dc.baseDn)}`,
  ]);
}

/** One forgot-password flow of a hybrid user through HTTP, every answer checked; returns the time of POST /reset/password. */
async function hybridFlow(base: string, store: Store, cipher: FieldCipher, user: AdBenchUser, password: string): Promise<number> {
  const c = new FormClient(base);
  expectText((await c.get('/reset')).body, 'Reset your password', 'GET /reset');
  const ch = JSON.parse((await c.get('/reset/captcha')).body) as Challenge;
  const { payload: captcha } = await solve(ch);
  const started = await c.post('/reset', { username: user.name, captcha });
  const verifyPath = started.location ?? '';
  const flow = new URL(verifyPath, PUBLIC_URL).searchParams.get('flow');
  if (!verifyPath.startsWith('/reset/verify?flow=') || !flow) throw new Error(`POST /reset redirected to ${verifyPath}`);
  expectText((await c.get(verifyPath)).body, 'Email me a code', 'the method list');
  const last = (await store.db.selectFrom('outbox_messages').select('id').orderBy('id', 'desc').executeTakeFirst())?.id ?? 0;
  await c.post('/reset/verify/choose', { flow, choice: 'email', contact: user.email });
  const code = await codeFromOutbox(store, cipher, user.portalUser!.id, Number(last));
  await c.post('/reset/verify/code', { flow, code });
  const newPage = (await c.get(verifyPath)).body;
  expectText(newPage, 'Choose a new password', 'the new-password page');
  expectText(newPage, 'meet your organisation network', 'the new-password page of a hybrid user');
  const t0 = performance.now();
  await c.post('/reset/password', { flow, password, confirm: password });
  const passwordMs = performance.now() - t0;
  expectText((await c.get(verifyPath)).body, 'Your password was reset', 'the done page');
  return passwordMs;
}

// ---------------------------------------------------------------- run

async function main(): Promise<void> {
  printHeader('writeback benchmark', ['src', 'package.json']);
  const sambaVersion = spawnSync('samba', ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  console.log(`Samba ${sambaVersion.replace(/^Version /, '')}; ${versions(['ldapts', 'ws', 'hono', 'better-sqlite3'])}`);
  const quiet = cpuMeter(null);
  await sleep(1000);
  console.log(`CPU used by other processes before the run: ${quiet().others.toFixed(2)} of ${cpus().length} CPUs`);

  // ---- the DC and its users (not measured)
  let t = performance.now();
  const dc = await startSambaDc();
  onCleanUp(() => dc.stop());
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  console.log(`Samba AD DC at ${dc.url} (pid ${dc.pid}), minimum password age 0, started in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const users = await createAdUsers(dc, opts.users + WARMUP, { ou: OU, ouName: 'Writeback Bench', prefix: 'wbbench', password: (i) => passwordFor(0, i) });
  console.log(`Created ${users.length} users over LDAPS (8 adds in flight, password in the add) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const warm = users.slice(opts.users);
  const measured = users.slice(0, opts.users);

  // ---- the portal with its in-process agent
  const dir = tempDir('sspr-bench-writeback-');
  const { config, baseDir, store, logger, portal, cipher } = await openBenchPortal(dir, writeConfig(dir, dc));
  for (const u of users) {
    u.portalUser = await portal.users.create({ username: u.name, displayName: `Writeback Bench ${u.name.slice(7)}`, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: u.guid });
  }
  const server: RunningServer = await startServer(portal);
  onCleanUp(() => server.stop(2000));
  // As `sspr start` does with agent.inProcess: true.
  const agent = await startAgentInPortal(portal, baseDir, server.url, logger);
  onCleanUp(() => agent.stop());
  const deadline = Date.now() + 15_000;
  while (portal.agentHub.connected().length !== 1) {
    if (Date.now() > deadline) throw new Error('the in-process agent did not connect within 15 s');
    await sleep(20);
  }
  console.log(`Portal on ${server.url} (SQLite in a temp dir, log lines to /dev/null) with ${users.length} hybrid users; in-process agent connected over a loopback WebSocket.`);

  // ---- clients
  const one = await adminClient(dc);
  onCleanUp(() => one.unbind().catch(() => undefined));
  const eight: Client[] = [];
  for (let i = 0; i < opts.concurrent; i++) {
    const c = await adminClient(dc);
    eight.push(c);
    onCleanUp(() => c.unbind().catch(() => undefined));
  }
  const connector = new AdConnector(connectorOptions(config.agent.ad!, baseDir, false));
  onCleanUp(() => connector.close());

  const modify = async (client: Client, u: AdBenchUser, password: string) => {
    await client.modify(u.dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) })]);
    u.password = password;
  };
  const viaConnector = async (u: AdBenchUser, password: string) => {
    const r = await connector.reset(u.guid, password);
    if (!r.ok) throw new Error(`AdConnector.reset(${u.name}): ${r.reason} ${r.detail ?? ''}`);
    u.password = password;
  };
  // A hybrid user's change: raw, AS THE USER on one open connection (bind, then delete + add of unicodePwd, so AD checks the current password and the history).
  const userConnection = new Client({ url: dc.url, timeout: 30_000, connectTimeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  onCleanUp(() => userConnection.unbind().catch(() => undefined));
  const rawChange = async (u: AdBenchUser, password: string) => {
    await userConnection.bind(u.dn, u.password);
    await userConnection.modify(u.dn, [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(u.password)] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) }),
    ]);
    u.password = password;
  };
  const rawBind = async (u: AdBenchUser) => {
    await userConnection.bind(u.dn, u.password);
  };
  const changeViaConnector = async (u: AdBenchUser, password: string) => {
    const r = await connector.change(u.guid, u.password, password);
    if (!r.ok) throw new Error(`AdConnector.change(${u.name}): ${r.reason} ${r.detail ?? ''}`);
    u.password = password;
  };
  const changeViaPortal = async (u: AdBenchUser, password: string) => {
    const r = await portal.writeback.change(u.portalUser!, u.password, password);
    if (!r.ok) throw new Error(`portal.writeback.change(${u.name}): ${r.reason} ${r.detail ?? ''}`);
    u.password = password;
  };
  const bindViaPortal = async (u: AdBenchUser) => {
    const r = await portal.writeback.bind(u.portalUser!, u.password);
    if (!r.ok) throw new Error(`portal.writeback.bind(${u.name}): ${r.reason} ${r.detail ?? ''}`);
  };
  const viaPortal = async (u: AdBenchUser, password: string) => {
    const r = await portal.writeback.reset(u.portalUser!, password);
    if (!r.ok) throw new Error(`portal.writeback.reset(${u.name}): ${r.reason} ${r.detail ?? ''}`);
    u.password = password;
  };

  // ---- warm-up (not measured): every path on its own users
  for (const [i, u] of warm.entries()) {
    await modify(one, u, passwordFor(90, i));
    await viaConnector(u, passwordFor(91, i));
    await viaPortal(u, passwordFor(92, i));
    await rawChange(u, passwordFor(93, i));
    await changeViaConnector(u, passwordFor(94, i));
    await changeViaPortal(u, passwordFor(95, i));
    await rawBind(u);
    await bindViaPortal(u);
  }

  // ---- measured phases: the same users, a new password each time
  const n = opts.concurrent;
  const phases: Phase[] = [];
  const pw = (phase: number) => (u: AdBenchUser) => passwordFor(phase, measured.indexOf(u));
  console.log(`\nPhases (${measured.length} resets each, every user once):`);
  phases.push(await runPhase('direct modify, 1 connection, sequential', 'direct', measured, 1, dc.pid, (u) => modify(one, u, pw(1)(u))));
  phases.push(await runPhase('portal → agent → AD, sequential', 'portal', measured, 1, dc.pid, (u) => viaPortal(u, pw(2)(u))));
  phases.push(await runPhase(`direct modify, 1 connection, ${n} in flight`, 'direct', measured, n, dc.pid, (u) => modify(one, u, pw(3)(u))));
  phases.push(await runPhase(`direct modify, ${n} connections (${n} clients)`, 'direct', measured, n, dc.pid, (u, w) => modify(eight[w]!, u, pw(4)(u))));
  phases.push(await runPhase(`portal → agent → AD, ${n} at once`, 'portal', measured, n, dc.pid, (u) => viaPortal(u, pw(5)(u))));
  phases.push(await runPhase('AdConnector.reset, sequential', 'connector', measured, 1, dc.pid, (u) => viaConnector(u, pw(6)(u))));
  phases.push(await runPhase(`AdConnector.reset, ${n} at once`, 'connector', measured, n, dc.pid, (u) => viaConnector(u, pw(7)(u))));
  // A hybrid user's change (bound as the user) and the pass-through sign-in bind.
  phases.push(await runPhase('raw change as the user, 1 connection, sequential', 'rawchange', measured, 1, dc.pid, (u) => rawChange(u, pw(9)(u))));
  phases.push(await runPhase('AdConnector.change, sequential', 'connector-change', measured, 1, dc.pid, (u) => changeViaConnector(u, pw(10)(u))));
  phases.push(await runPhase('portal → agent → AD change, sequential', 'portal-change', measured, 1, dc.pid, (u) => changeViaPortal(u, pw(11)(u))));
  phases.push(await runPhase(`portal → agent → AD change, ${n} at once`, 'portal-change', measured, n, dc.pid, (u) => changeViaPortal(u, pw(12)(u))));
  phases.push(await runPhase('raw bind as the user, 1 connection, sequential', 'rawbind', measured, 1, dc.pid, (u) => rawBind(u)));
  phases.push(await runPhase('portal → agent → AD pass-through bind, sequential', 'portal-bind', measured, 1, dc.pid, (u) => bindViaPortal(u)));
  // Last, so the binds below check passwords the portal set.
  phases.push(await runPhase('portal → agent → AD, sequential (again)', 'portal', measured, 1, dc.pid, (u) => viaPortal(u, pw(8)(u))));

  // ---- complete HTTP flows of hybrid users
  const flowUsers = measured.slice(0, opts.flows);
  const flowPasswordMs: number[] = [];
  if (flowUsers.length > 0) {
    for (const u of flowUsers) {
      const m = await portal.methods.addContact(u.portalUser!.id, 'email', u.email);
      await portal.methods.confirm(u.portalUser!.id, m.id);
    }
    // One unmeasured flow first (page templates, zxcvbn dictionaries), on a warm-up user.
    const w = warm[0]!;
    const wm = await portal.methods.addContact(w.portalUser!.id, 'email', w.email);
    await portal.methods.confirm(w.portalUser!.id, wm.id);
    await hybridFlow(server.url, store, cipher, w, flowPassword(0));
    w.password = flowPassword(0);
    phases.push(
      await runPhase('complete HTTP reset flow of a hybrid user, sequential', 'flow', flowUsers, 1, dc.pid, async (u) => {
        const p = flowPassword(1 + measured.indexOf(u));
        flowPasswordMs.push(await hybridFlow(server.url, store, cipher, u, p));
        u.password = p;
      }),
    );
  }

  // ---- checks: AD took the passwords, every portal job applied
  const sample = [...measured.filter((_, i) => i % Math.max(1, Math.floor(measured.length / 20)) === 0), warm[0]!];
  let binds = 0;
  for (const u of sample) if ((await connector.bindAsUser(u.guid, u.password)).ok) binds += 1;
  if (binds !== sample.length) throw new Error(`only ${binds} of ${sample.length} users could bind with the password set last`);
  const jobs = await store.db.selectFrom('writeback_jobs').select(['status']).where('kind', 'not in', ['policy', 'bind']).execute();
  const applied = jobs.filter((j) => j.status === 'applied').length;
  // Per warm-up user: a reset and a change; per measured user: three resets and two changes (bind jobs are reads and not counted).
  const expectedJobs = 2 * warm.length + 5 * measured.length + (flowUsers.length > 0 ? flowUsers.length + 1 : 0);
  if (applied !== jobs.length || jobs.length !== expectedJobs) throw new Error(`writeback jobs: ${applied} applied of ${jobs.length} (expected ${expectedJobs}, all applied)`);
  console.log(`\nChecked: ${binds} of ${sample.length} sampled users bind to AD with the password set last; all ${jobs.length} portal writeback jobs are "applied".`);

  // ---- report
  const rate = (p: Phase) => p.times.length / (p.wallMs / 1000);
  const find = (kind: Phase['kind'], concurrency: number, label?: string) => phases.find((p) => p.kind === kind && p.concurrency === concurrency && (label === undefined || p.label.includes(label)));
  const directSeq = find('direct', 1)!;
  const directOne = find('direct', n, 'in flight')!;
  const baselineOf = (p: Phase) => (p.concurrency === 1 ? directSeq : directOne);
  console.log(`\nResets of ${measured.length} users per phase (${WARMUP} unmeasured warm-up resets per path first). Latency is per reset, from the call to its answer; "vs direct" compares with the direct modify on one connection at the same concurrency (throughput: portal ÷ direct; latency: portal ÷ direct). CPU columns: CPUs used on average during the phase (Node = this whole process: portal, agent and client), and this process's CPU time per reset.\n`);
  console.log(
    table(
      ['phase', 'resets', 'resets/s', 'p50 ms', 'p95 ms', 'max ms', 'resets/s vs direct', 'p50 vs direct', 'Node CPU ms/reset', 'Node CPU', 'Samba CPU', 'others CPU'],
      phases
        .filter((p) => p.kind === 'direct' || p.kind === 'connector' || p.kind === 'portal')
        .map((p) => {
          const base = baselineOf(p);
          const same = p === base;
          return [
            p.label,
            String(p.times.length),
            rate(p).toFixed(1),
            ms(p50(p.times)),
            ms(percentile(p.times, 95)),
            ms(Math.max(...p.times)),
            same ? '1.00x' : `${(rate(p) / rate(base)).toFixed(2)}x`,
            same ? '1.00x' : `${(p50(p.times) / p50(base.times)).toFixed(2)}x`,
            ms((p.cpu.own * p.wallMs) / p.times.length),
            p.cpu.own.toFixed(2),
            p.cpu.samba.toFixed(2),
            p.cpu.others.toFixed(2),
          ];
        }),
    ),
  );
  const portalSeq = phases.filter((p) => p.kind === 'portal' && p.concurrency === 1);
  const portalCon = find('portal', n)!;
  const connSeq = find('connector', 1)!;
  const connCon = find('connector', n)!;
  const seqP50 = p50(portalSeq.flatMap((p) => p.times));
  console.log(`\nWhere a sequential portal reset's time goes (p50s): direct modify ${ms(p50(directSeq.times))} ms; AdConnector.reset ${ms(p50(connSeq.times))} ms (+${ms(p50(connSeq.times) - p50(directSeq.times))} ms for the lookup by objectGUID with the protected-account check, and lockoutTime in the modify); portal → agent → AD ${ms(seqP50)} ms (+${ms(seqP50 - p50(connSeq.times))} ms for the job, sealing, WebSocket round trips, claim, journal, recording and audit).`);
  console.log(`With ${n} at once: direct ${rate(directOne).toFixed(1)}/s on one connection, ${rate(find('direct', n, 'clients')!).toFixed(1)}/s on ${n}; AdConnector ${rate(connCon).toFixed(1)}/s; portal ${rate(portalCon).toFixed(1)}/s (${(rate(portalCon) / rate(directOne)).toFixed(2)}x direct, ${(rate(portalCon) / rate(connCon)).toFixed(2)}x the connector).`);
  const rawCh = find('rawchange', 1)!;
  const rawB = find('rawbind', 1)!;
  const userRows = phases.filter((p) => p.kind === 'rawchange' || p.kind === 'connector-change' || p.kind === 'portal-change' || p.kind === 'rawbind' || p.kind === 'portal-bind');
  console.log(`\nA hybrid user's change (bound as the user, delete + add) and the pass-through bind; "vs raw" compares with ldapts bound as the user on one open connection (change: bind + modify; bind: bind), latency at p50, throughput by wall time:\n`);
  console.log(
    table(
      ['phase', 'n', 'per s', 'p50 ms', 'p95 ms', 'max ms', 'p50 vs raw', 'per s vs raw', 'Node CPU ms/op', 'Node CPU', 'Samba CPU', 'others CPU'],
      userRows.map((p) => {
        const base = p.kind === 'rawbind' || p.kind === 'portal-bind' ? rawB : rawCh;
        return [
          p.label,
          String(p.times.length),
          rate(p).toFixed(1),
          ms(p50(p.times)),
          ms(percentile(p.times, 95)),
          ms(Math.max(...p.times)),
          `${(p50(p.times) / p50(base.times)).toFixed(2)}x`,
          `${(rate(p) / rate(base)).toFixed(2)}x`,
          ms((p.cpu.own * p.wallMs) / p.times.length),
          p.cpu.own.toFixed(2),
          p.cpu.samba.toFixed(2),
          p.cpu.others.toFixed(2),
        ];
      }),
    ),
  );
  const flow = find('flow', 1);
  if (flow) {
    console.log(`\nComplete HTTP reset flows of hybrid users (${flow.times.length}, one after another; 10 requests each, CAPTCHA difficulty ${CAPTCHA_DIFFICULTY} solved in Node, code read from the outbox):\n`);
    console.log(
      table(
        ['part', 'n', 'p50 ms', 'p95 ms', 'max ms'],
        [
          ['whole flow', String(flow.times.length), ms(p50(flow.times)), ms(percentile(flow.times, 95)), ms(Math.max(...flow.times))],
          ['  POST /reset/password (rules + writeback)', String(flowPasswordMs.length), ms(p50(flowPasswordMs)), ms(percentile(flowPasswordMs, 95)), ms(Math.max(...flowPasswordMs))],
          ['  of which writeback (portal → agent → AD, sequential p50)', '-', ms(seqP50), '-', '-'],
        ],
      ),
    );
    console.log(`  ${(flow.times.length / (flow.wallMs / 1000)).toFixed(2)} flows/s; the writeback is ${((100 * seqP50) / p50(flow.times)).toFixed(0)} % of a flow's p50. CPU: ${cpuShareNote(flow.cpu)}`);
  }
  const noisy = phases.filter((p) => p.cpu.others > QUIET);
  if (noisy.length) console.log(`\nWARNING: other processes used CPU during ${noisy.map((p) => p.label).join('; ')}: rerun on a quiet machine before comparing.`);
}

const startedAt = performance.now();
await runBench(main);
const after = cpuMeter(null);
await sleep(1000);
console.log(`\nCPU used by other processes after the run: ${after().others.toFixed(2)} of ${cpus().length} CPUs. Total time ${((performance.now() - startedAt) / 1000).toFixed(0)} s. Done.`);
