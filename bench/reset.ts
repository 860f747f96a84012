/**
 * Reset-flow benchmark: `npx tsx bench/reset.ts`.
 *
 *   --flows <n>        measured flows one after another (default 24)
 *   --concurrent <n>   measured flows in the concurrent phase (default 48)
 *   --users <n>        simulated users working at once in the concurrent phase (default 8)
 *   --difficulty <n>   CAPTCHA difficulty, `reset.captchaMaxNumber` (default 1000; the product's default is 50,000)
 *   --hashes <n>       argon2 operations per baseline measurement (default 20)
 *
 * Complete forgot-password flows through HTTP against the real portal, wired as `sspr start`
 * wires it (src/ run by tsx, SQLite in a temp directory, production argon2 parameters, outbox
 * delivery, log lines to /dev/null), served by @hono/node-server on 127.0.0.1 in this process.
 * Each flow is what a browser does: GET /reset, GET /reset/captcha and solve it with altcha-lib's
 * solveChallenge (Node's WebCrypto), POST /reset, GET the method list, POST "email me a code"
 * with the registered address, read the code from the outbox (the store, decrypted with the
 * portal's key, polled every 2 ms), POST it, GET the new-password page, POST the new password,
 * GET the done page. Every response is checked (status, redirect, page text). Each flow has its
 * own user, so no per-user or per-address send limit is reached; the per-address start limit is
 * raised to its maximum because every flow comes from 127.0.0.1.
 *
 * Baselines in the same process: argon2id hash and verify at the configured parameters (each
 * reset does at least one hash), and the password-rule check (`checkPasswordRules`) on the same
 * kind of new password. CAPTCHA solving in Node is measured at the bench difficulty and at the
 * product default.
 *
 * The client runs on this process's main thread next to the server (argon2 runs on libuv's
 * thread pool), so flows/s is what one process does serving *and* driving the flows. Loopback
 * only, bounded in count and time (a watchdog ends the run); everything it creates it removes.
 * Figures are for comparison on one machine: never assert on them in tests.
 */
import { randomBytes } from 'node:crypto';
import { createChallenge, solveChallenge } from 'altcha-lib/v1';
import type { Portal } from '../src/app/portal.js';
import { PasswordHistory } from '../src/passwords/history.js';
import { createPasswordHasher } from '../src/passwords/password-hash.js';
import { checkPasswordRules, userInputsOf, type PasswordContext } from '../src/passwords/check.js';
import { startServer } from '../src/server.js';
import { resetFlow, type BenchUser, type FlowTiming } from './reset-flow.js';
import { busyNote, cpuNote, inParallel, intOptions, measure, ms, openBenchPortal, otherCpu, p50, percentile, printHeader, QUIET, resetFlowYaml, runBench, solve, startWatchdog, sum, table, tempDir, versions, writePortalConfig, type Challenge, type Rate } from './lib.js';

const DEFAULT_DIFFICULTY = 50_000;

// ---------------------------------------------------------------- options

const opts = intOptions('bench/reset.ts', {
  flows: [24, 1, 500],
  concurrent: [48, 0, 1000],
  users: [8, 1, 64],
  difficulty: [1000, 10, 1_000_000],
  hashes: [20, 3, 200],
});

const WARMUP_FLOWS = 2;
// Generous: a flow takes well under a second on a quiet machine; seeding costs one argon2 hash per user.
startWatchdog((120 + 3 * (WARMUP_FLOWS + opts.flows + opts.concurrent) + 2 * opts.hashes) * 1000);

// ---------------------------------------------------------------- the portal

const writeConfig = (dir: string) => writePortalConfig(dir, 'Written by bench/reset.ts: a throwaway portal on loopback.', resetFlowYaml(opts.difficulty));

/** Users with a confirmed email address (not measured). */
async function seedUsers(portal: Portal, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const history = new PasswordHistory(portal.store.db, portal.clock, portal.config.passwords.historyCount);
  for (let i = 0; i < count; i++) {
    const username = `bench.user${String(i).padStart(3, '0')}`;
    // Straight into the store: the directory service would run the password rules, and with them
    // load the strength estimator before the first measured flow.
    const passwordHash = await portal.hasher.hash(`Mossy quartz lantern ${1000 + i}`);
    const user = await portal.users.create({ username, displayName: `Bench User ${i}`, email: '', roles: ['user'], passwordHash });
    await history.remember(user.id, passwordHash);
    const email = `${username}@example.com`;
    const method = await portal.methods.addContact(user.id, 'email', email);
    await portal.methods.confirm(user.id, method.id);
    users.push({ id: user.id, username, email, newPassword: `Copper willow nebula ${2000 + i}` });
  }
  return users;
}

// ---------------------------------------------------------------- run

interface Phase {
  label: string;
  timings: FlowTiming[];
  wallMs: number;
  others: number;
}

async function runPhase(label: string, users: BenchUser[], concurrency: number, run: (u: BenchUser) => Promise<FlowTiming>): Promise<Phase> {
  const timings: FlowTiming[] = [];
  const others = otherCpu();
  const t0 = performance.now();
  await inParallel(users, concurrency, async (u) => {
    timings.push(await run(u));
  });
  return { label, timings, wallMs: performance.now() - t0, others: others() };
}

async function timeArgon(label: string, n: number, concurrency: number, op: () => Promise<unknown>): Promise<{ label: string; times: number[]; perSecond: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  await inParallel(Array.from({ length: n }, (_, i) => i), concurrency, async () => {
    const a = performance.now();
    await op();
    times.push(performance.now() - a);
  });
  return { label, times, perSecond: n / ((performance.now() - t0) / 1000) };
}

async function solveCost(maxNumber: number, n: number): Promise<{ times: number[]; numbers: number[] }> {
  const hmacKey = randomBytes(32).toString('base64');
  const times: number[] = [];
  const numbers: number[] = [];
  for (let i = 0; i < n; i++) {
    const ch = await createChallenge({ hmacKey, maxNumber, algorithm: 'SHA-256', expires: new Date(Date.now() + 600_000) });
    const t0 = performance.now();
    const s = await solveChallenge(ch.challenge, ch.salt, ch.algorithm, ch.maxnumber).promise;
    times.push(performance.now() - t0);
    if (!s) throw new Error('unsolved');
    numbers.push(s.number);
  }
  return { times, numbers };
}

async function main(): Promise<void> {
  printHeader('reset-flow benchmark', ['src', 'package.json']);
  console.log(versions(['hono', '@hono/node-server', 'altcha-lib', 'argon2', 'better-sqlite3']));
  console.log(`CPU used by other processes before the run: ${await busyNote()}`);

  const dir = tempDir('sspr-bench-reset-');
  const { config, store, portal, cipher } = await openBenchPortal(dir, writeConfig(dir));
  const ph = config.passwordHashing;
  console.log(`Portal: in-process, SQLite in a temp dir, argon2id m=${ph.memoryKiB} KiB t=${ph.iterations} p=${ph.parallelism} (the defaults), CAPTCHA difficulty (maxNumber) ${opts.difficulty}, codes by outbox.`);

  const total = WARMUP_FLOWS + opts.flows + 2 * opts.concurrent;
  const seedAt = performance.now();
  const users = await seedUsers(portal, total);
  console.log(`Seeded ${total} users with a confirmed email address in ${((performance.now() - seedAt) / 1000).toFixed(1)} s (one argon2 hash each; not measured).`);
  const server = await startServer(portal);
  const hasher = createPasswordHasher(config.passwordHashing);
  const phases: Phase[] = [];
  const firstFlows: FlowTiming[] = [];
  const baselines: Array<{ label: string; times: number[]; perSecond: number }> = [];
  try {
    const run = (u: BenchUser) => resetFlow(server.url, store, cipher, u);
    // The first flows after start, timed on their own: the first POST /reset/password pays for
    // whatever the portal did not load at start (the strength estimator's dictionaries).
    for (const u of users.slice(0, WARMUP_FLOWS)) firstFlows.push(await run(u));

    const sampleHash = await hasher.hash('Copper willow nebula 9999');
    baselines.push(await timeArgon('argon2 hash, one at a time (before the flows)', opts.hashes, 1, () => hasher.hash('Copper willow nebula 9999')));
    baselines.push(await timeArgon('argon2 verify, one at a time', opts.hashes, 1, () => hasher.verify(sampleHash, 'Copper willow nebula 9999')));

    phases.push(await runPhase('sequential', users.slice(WARMUP_FLOWS, WARMUP_FLOWS + opts.flows), 1, run));
    console.log(`  sequential: ${opts.flows} flows in ${(phases[0]!.wallMs / 1000).toFixed(1)} s; other processes: ${cpuNote(phases[0]!.others)}`);
    if (opts.concurrent > 0) {
      const from = WARMUP_FLOWS + opts.flows;
      const p = await runPhase(`${opts.users} users at once`, users.slice(from, from + opts.concurrent), opts.users, run);
      phases.push(p);
      console.log(`  ${p.label}: ${opts.concurrent} flows in ${(p.wallMs / 1000).toFixed(1)} s; other processes: ${cpuNote(p.others)}`);

      // The same again with each CAPTCHA solved beforehand (challenges fetched from the portal, not timed).
      const rest = users.slice(from + opts.concurrent);
      const payloads = new Map<string, string>();
      for (const u of rest) payloads.set(u.id, (await solve(JSON.parse(await (await fetch(`${server.url}/reset/captcha`)).text()) as Challenge)).payload);
      const q = await runPhase(`${opts.users} at once, CAPTCHA pre-solved`, rest, opts.users, (u) => resetFlow(server.url, store, cipher, u, payloads.get(u.id)));
      phases.push(q);
      console.log(`  ${q.label}: ${opts.concurrent} flows in ${(q.wallMs / 1000).toFixed(1)} s; other processes: ${cpuNote(q.others)}`);
    }

    baselines.push(await timeArgon(`argon2 hash, ${opts.users} at once`, opts.hashes, opts.users, () => hasher.hash('Copper willow nebula 9999')));
    baselines.push(await timeArgon('argon2 hash, one at a time (after the flows)', opts.hashes, 1, () => hasher.hash('Copper willow nebula 9999')));

    // Every flow really changed the password: the stored hash matches the new one.
    let changed = 0;
    for (const u of users) {
      const hash = await portal.users.passwordHash(u.id);
      if (hash && (await hasher.verify(hash, u.newPassword))) changed += 1;
    }
    if (changed !== users.length) throw new Error(`only ${changed} of ${users.length} passwords were changed`);
    console.log(`  checked afterwards: all ${changed} users' stored password hashes match their new password`);
  } finally {
    // Stops the server and closes the store.
    await server.stop();
  }

  // Password-rule checks on the same kind of new password, for the same kind of user.
  const ctx: PasswordContext = {
    minLength: config.passwords.minLength,
    maxLength: config.passwords.maxLength,
    minScore: config.passwords.minScore,
    checkCommon: config.passwords.checkCommon,
    customBanned: config.passwords.bannedCustom,
    organisationName: config.branding.organisationName,
    userInputs: userInputsOf({ username: 'bench.user001', displayName: 'Bench User 1', email: null }),
  };
  const rules: Rate = { perSecond: [], times: [] };
  let ruleCalls = 0;
  measure(
    () => {
      const v = checkPasswordRules(`Copper willow nebula ${3000 + (ruleCalls % 1000)}`, ctx);
      if (!v.ok) throw new Error('the benchmark password does not pass the rules');
      ruleCalls += 1;
    },
    2000,
    rules,
  );
  const ruleTimes = rules.times;
  const rulesPerSecond = rules.perSecond[0]!;

  const solveBench = await solveCost(opts.difficulty, 20);
  const solveDefault = await solveCost(DEFAULT_DIFFICULTY, 10);

  // ---------------------------------------------------------------- report
  const hashBefore = baselines[0]!;
  const hashAfter = baselines[3]!;
  const hashMedian = p50([...hashBefore.times, ...hashAfter.times]);
  console.log(`\nComplete reset flows (${opts.flows} sequential; ${opts.concurrent} with ${opts.users} users at once, then ${opts.concurrent} more with the CAPTCHA solved beforehand; ${WARMUP_FLOWS} unmeasured warm-up flows first). Times in ms per flow.\n`);
  console.log(
    table(
      ['phase', 'flows', 'flows/s', 'p50 ms', 'p95 ms', 'max ms', 'p50 ÷ argon2 hash'],
      phases.map((p) => {
        const totals = p.timings.map((x) => x.totalMs);
        return [p.label, String(p.timings.length), (p.timings.length / (p.wallMs / 1000)).toFixed(2), ms(p50(totals)), ms(percentile(totals, 95)), ms(Math.max(...totals)), `${(p50(totals) / hashMedian).toFixed(1)}x`];
      }),
    ),
  );

  console.log(`\nThe first ${WARMUP_FLOWS} flows after start (not in the phases above): POST /reset/password ${firstFlows.map((x) => `${ms(x.passwordMs)} ms`).join(', ')}; whole flow ${firstFlows.map((x) => `${ms(x.totalMs)} ms`).join(', ')}.`);

  console.log('\nWhere a flow spends its time (p50 and p95 over the phase\'s flows; the parts do not add up exactly, percentiles are per column):\n');
  const part = (label: string, pick: (x: FlowTiming) => number) => [label, ...phases.flatMap((p) => [ms(p50(p.timings.map(pick))), ms(percentile(p.timings.map(pick), 95))])];
  console.log(
    table(
      ['part of a flow', ...phases.flatMap((p) => [`${p.label} p50`, `${p.label} p95`])],
      [
        part('whole flow', (x) => x.totalMs),
        part('CAPTCHA solve (Node WebCrypto)', (x) => x.captchaMs),
        part('HTTP, 10 requests', (x) => x.httpMs),
        part('  POST /reset (CAPTCHA check, start)', (x) => x.identifyMs),
        part('  POST /reset/verify/code', (x) => x.codeMs),
        part('  POST /reset/password', (x) => x.passwordMs),
        part('code wait (background send → outbox)', (x) => x.codeWaitMs),
      ],
    ),
  );
  for (const p of phases) {
    const captcha = sum(p.timings.map((x) => x.captchaMs));
    const http = sum(p.timings.map((x) => x.httpMs));
    const wait = sum(p.timings.map((x) => x.codeWaitMs));
    const all = sum(p.timings.map((x) => x.totalMs));
    console.log(`  ${p.label}: of all flow time, CAPTCHA ${((100 * captcha) / all).toFixed(1)} %, HTTP ${((100 * http) / all).toFixed(1)} %, code wait ${((100 * wait) / all).toFixed(1)} %, other ${((100 * (all - captcha - http - wait)) / all).toFixed(1)} %`);
  }

  console.log('\nBaselines in the same process:\n');
  console.log(
    table(
      ['operation', 'n', 'per second', 'p50 ms', 'p95 ms'],
      [
        ...baselines.map((b) => [b.label, String(b.times.length), b.perSecond.toFixed(1), ms(p50(b.times)), ms(percentile(b.times, 95))]),
        ['checkPasswordRules, 23-character passphrase, 2 s', String(ruleCalls), rulesPerSecond.toFixed(1), ms(p50(ruleTimes)), ms(percentile(ruleTimes, 95))],
        [`CAPTCHA solve in Node, difficulty ${opts.difficulty}`, String(solveBench.times.length), (1000 / p50(solveBench.times)).toFixed(1), ms(p50(solveBench.times)), ms(percentile(solveBench.times, 95))],
        [`CAPTCHA solve in Node, difficulty ${DEFAULT_DIFFICULTY} (default)`, String(solveDefault.times.length), (1000 / p50(solveDefault.times)).toFixed(1), ms(p50(solveDefault.times)), ms(percentile(solveDefault.times, 95))],
      ],
    ),
  );
  const seq = phases[0]!;
  const seqP50 = p50(seq.timings.map((x) => x.totalMs));
  const pwP50 = p50(seq.timings.map((x) => x.passwordMs));
  console.log(`\nRatios: a sequential flow (p50 ${ms(seqP50)} ms) costs ${(seqP50 / hashMedian).toFixed(1)}× one argon2 hash (p50 ${ms(hashMedian)} ms); POST /reset/password alone (p50 ${ms(pwP50)} ms) ${(pwP50 / hashMedian).toFixed(1)}×.`);
  if (phases[1]) {
    const con = phases[1];
    const hashRate = baselines[2]!.perSecond;
    const rate = (p: Phase) => p.timings.length / (p.wallMs / 1000);
    console.log(`With ${opts.users} at once: ${rate(con).toFixed(2)} flows/s (${phases[2] ? `${rate(phases[2]).toFixed(2)} with the CAPTCHA pre-solved` : ''}) vs ${hashRate.toFixed(1)} argon2 hashes/s at the same concurrency, i.e. one flow takes the time of ${(hashRate / rate(con)).toFixed(1)} (${phases[2] ? (hashRate / rate(phases[2])).toFixed(1) : '-'}) hashes; sequential ${rate(seq).toFixed(2)} flows/s.`);
  }
  const numbers = phases.flatMap((p) => p.timings.map((x) => x.captchaNumber)).filter((n) => !Number.isNaN(n));
  console.log(`CAPTCHA: difficulty ${opts.difficulty}; the numbers found averaged ${(sum(numbers) / numbers.length).toFixed(0)} (expected about ${opts.difficulty / 2}).`);
  const noisy = phases.filter((p) => p.others > QUIET);
  if (noisy.length) console.log(`\nWARNING: other processes used CPU during ${noisy.map((p) => p.label).join(', ')}: rerun on a quiet machine before comparing.`);
}

await runBench(async () => {
  await main();
  console.log(`\nCPU used by other processes after the run: ${await busyNote()}. Done.`);
});
