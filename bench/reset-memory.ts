/**
 * Resident memory of the portal under light use: `npx tsx bench/reset-memory.ts` after `npm run build`.
 *
 *   --seconds <n>   seconds of light use after start (default 60)
 *   --pause <ms>    pause between two flows (default 1000)
 *   --arena <n>     MALLOC_ARENA_MAX for the portal process (default 0: not set, glibc's own)
 *   --mmap <KiB>    MALLOC_MMAP_THRESHOLD_ for the portal process, in KiB (default 0: not set;
 *                   glibc then raises its threshold after the first argon2 buffer is freed, and
 *                   later ones come from the heap and stay resident)
 *
 * Starts `node bin/sspr.js start` (dist/, SQLite in a temp dir, production argon2 parameters,
 * outbox delivery) as a child process, reads its VmRSS 1 s after it says it is running, then runs
 * complete forgot-password flows one at a time (bench/reset-flow.ts: CAPTCHA at difficulty 1000,
 * email code read from the outbox, new password) with a pause between them for `--seconds`, and
 * reads VmRSS every second: after start, at the end, and the peak (VmHWM). The first flow's
 * POST /reset/password is printed on its own (the first check after start). Users are seeded
 * into the store before the portal starts. Loopback only, bounded in time (a watchdog ends the
 * run), and everything it starts it stops. Figures are for comparison on one machine: never
 * assert on them in tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PasswordHistory } from '../src/passwords/history.js';
import { resetFlow, type BenchUser, type FlowTiming } from './reset-flow.js';
import { busyNote, cpuNote, intOptions, ms, onCleanUp, openBenchPortal, otherCpu, p50, percentile, printHeader, resetFlowYaml, root, runBench, startWatchdog, tempDir, versions, writePortalConfig } from './lib.js';

const opts = intOptions('bench/reset-memory.ts', { seconds: [60, 5, 600], pause: [1000, 0, 10_000], arena: [0, 0, 64], mmap: [0, 0, 1_048_576] });
startWatchdog((90 + 2 * opts.seconds) * 1000);

const rss = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
};

async function startPortal(configFile: string, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SSPR_') && !k.startsWith('MALLOC_')));
  if (opts.arena > 0) env['MALLOC_ARENA_MAX'] = String(opts.arena);
  if (opts.mmap > 0) env['MALLOC_MMAP_THRESHOLD_'] = String(opts.mmap * 1024);
  const logFile = join(dir, 'stdout.log');
  const out = openSync(logFile, 'w', 0o600);
  const child = spawn(process.execPath, [join(root, 'bin', 'sspr.js'), 'start', '--config', configFile], { cwd: root, env, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  onCleanUp(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  const deadline = performance.now() + 30_000;
  for (;;) {
    const m = /is running at \S+ \(listening on (http:\/\/[^\s)]+)\)/.exec(readFileSync(logFile, 'utf8'));
    if (m) return { child, url: m[1]! };
    if (child.exitCode !== null) throw new Error(`the portal exited with ${child.exitCode} before it was running`);
    if (performance.now() > deadline) throw new Error('the portal was not running within 30 s');
    await sleep(50);
  }
}

async function main(): Promise<void> {
  printHeader('portal memory under light use', ['src', 'bin', 'package.json']);
  console.log(versions(['argon2', '@zxcvbn-ts/core', 'better-sqlite3']));
  console.log(`CPU used by other processes before the run: ${await busyNote()}`);
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');

  const dir = tempDir('sspr-bench-memory-');
  const configFile = writePortalConfig(dir, 'Written by bench/reset-memory.ts: a throwaway portal on loopback.', resetFlowYaml(1000));
  // Enough users for one flow per user at the fastest pace; seeded before the portal starts.
  const count = Math.ceil((opts.seconds * 1000) / Math.max(opts.pause + 150, 300)) + 2;
  const seeded = await openBenchPortal(dir, configFile);
  const history = new PasswordHistory(seeded.store.db, seeded.portal.clock, seeded.config.passwords.historyCount);
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i++) {
    const username = `bench.user${String(i).padStart(3, '0')}`;
    const passwordHash = await seeded.portal.hasher.hash(`Mossy quartz lantern ${1000 + i}`);
    const user = await seeded.portal.users.create({ username, displayName: `Bench User ${i}`, email: '', roles: ['user'], passwordHash });
    await history.remember(user.id, passwordHash);
    const method = await seeded.portal.methods.addContact(user.id, 'email', `${username}@example.com`);
    await seeded.portal.methods.confirm(user.id, method.id);
    users.push({ id: user.id, username, email: `${username}@example.com`, newPassword: `Copper willow nebula ${2000 + i}` });
  }
  console.log(`Seeded ${count} users; portal process: node bin/sspr.js start, ${opts.arena ? `MALLOC_ARENA_MAX=${opts.arena}` : 'MALLOC_ARENA_MAX not set'}, ${opts.mmap ? `MALLOC_MMAP_THRESHOLD_=${opts.mmap * 1024}` : 'MALLOC_MMAP_THRESHOLD_ not set'}; one flow at a time, ${opts.pause} ms between flows, for ${opts.seconds} s.`);

  const startAt = performance.now();
  const { child, url } = await startPortal(configFile, dir);
  const readyMs = performance.now() - startAt;
  await sleep(1000);
  const afterStart = rss(child.pid!);
  const others = otherCpu(child.pid);
  const timings: FlowTiming[] = [];
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rss(child.pid!).rss), 1000);
  const until = performance.now() + opts.seconds * 1000;
  let next = 0;
  while (performance.now() < until && next < users.length) {
    timings.push(await resetFlow(url, seeded.store, seeded.cipher, users[next++]!));
    await sleep(opts.pause);
  }
  clearInterval(sampler);
  const end = rss(child.pid!);
  const busy = others();
  process.kill(child.pid!, 'SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await seeded.store.close();

  const pw = timings.map((t) => t.passwordMs);
  console.log(`\nPortal running ${ms(readyMs)} ms after spawn. ${timings.length} flows in ${opts.seconds} s; other processes: ${cpuNote(busy)}.`);
  console.log(`POST /reset/password: first after start ${ms(pw[0] ?? NaN)} ms, second ${ms(pw[1] ?? NaN)} ms; the rest p50 ${ms(p50(pw.slice(2)))} ms, p95 ${ms(percentile(pw.slice(2), 95))} ms.`);
  console.log(`RSS (MiB): after start ${afterStart.rss.toFixed(1)}, after ${opts.seconds} s of light use ${end.rss.toFixed(1)}, highest sample ${Math.max(...samples).toFixed(1)}, peak (VmHWM) ${end.hwm.toFixed(1)}.`);
}

await runBench(async () => {
  await main();
  console.log(`\nCPU used by other processes after the run: ${await busyNote()}. Done.`);
});
