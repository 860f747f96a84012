/**
 * HTTP benchmark: `npm run bench` (builds first), or `npx tsx bench/http.ts` after `npm run build`.
 *
 *   --duration <s>     measured seconds per target and round (default 5)
 *   --rounds <n>       rounds; each round measures every target once, baseline first (default 3)
 *   --connections <n>  concurrent connections (default 10)
 *   --warmup <s>       unmeasured seconds per target before the first round (default 1)
 *   --rss-load <s>     seconds of load on each child process before its second RSS reading (default 2)
 *
 * Part 1 measures, in this process, a bare Hono app on @hono/node-server (the baseline) and the
 * real portal (src/, temp SQLite store, portal.listen.port 0) on GET /healthz, /readyz and
 * /sign-in. The autocannon client runs on this process's main thread, so every figure is the work
 * of one thread doing both sides; the ratio to the baseline is what to compare. Targets alternate
 * within each round so that drift in machine speed hits all of them alike; req/s and the ratio
 * are medians over rounds, and latencies are percentiles over every response of every round.
 * Part 2 measures resident memory (VmRSS) of `node bin/sspr.js start` (dist/) as a child process,
 * next to an idle `node -e` and a bare Hono server started and loaded the same way.
 *
 * Loopback only, bounded in time (a watchdog ends the run), and everything it starts it stops.
 * Figures are for comparison on one machine: never assert on them in tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { startServer } from '../src/server.js';
import { busyNote, cpuNote, HOST, intOptions, median, onCleanUp, openBenchPortal, otherCpu, printHeader, QUIET, root, runBench, startWatchdog, sum, table, tempDir, versions, writePortalConfig } from './lib.js';

// ---------------------------------------------------------------- options

const opts = intOptions('bench/http.ts', {
  duration: [5, 1, 60],
  rounds: [3, 1, 10],
  connections: [10, 1, 256],
  warmup: [1, 0, 10],
  rssLoad: [2, 0, 30],
});

// Everything below is bounded; the watchdog is the last resort if something hangs.
const children = new Set<ChildProcess>();
startWatchdog((90 + 4 * (opts.warmup + opts.rounds * (opts.duration + 1)) + 2 * opts.rssLoad) * 1000);

// ---------------------------------------------------------------- load generation

/** One measurement of one target. */
interface Sample {
  rps: number;
  ok: number;
  other: number;
  errors: number;
  bytes: number;
}

/**
 * Runs autocannon for `seconds` against `url`. Latencies go into `latencies` in microseconds,
 * from autocannon's own per-response timings (its summary histogram has 1 ms resolution).
 */
function cannon(url: string, seconds: number, latencies?: RecordableHistogram): Promise<Sample> {
  return new Promise((resolve_, reject) => {
    const instance = autocannon({ url, connections: opts.connections, duration: seconds }, (err: unknown, r: autocannon.Result) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      const completed = r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
      resolve_({ rps: completed / r.duration, ok: r['2xx'], other: completed - r['2xx'], errors: r.errors, bytes: r.throughput.total / Math.max(completed, 1) });
    });
    if (latencies) instance.on('response', (_client, _status, _bytes, ms) => latencies.record(Math.max(1, Math.round(ms * 1000))));
  });
}

interface Target {
  label: string;
  url: string;
  samples: Sample[];
  latencies: RecordableHistogram;
}

const target = (label: string, url: string): Target => ({ label, url, samples: [], latencies: createHistogram() });

/** One request up front, so a wrong status or body is noticed before it is measured at speed. */
async function probe(url: string, expect: { status: number; type: string; cookie?: boolean }): Promise<string> {
  const res = await fetch(url);
  const body = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const cookie = res.headers.getSetCookie().length > 0;
  if (res.status !== expect.status || !type.startsWith(expect.type) || (expect.cookie !== undefined && cookie !== expect.cookie)) {
    throw new Error(`${url}: expected ${expect.status} ${expect.type}${expect.cookie ? ' with Set-Cookie' : ''}, got ${res.status} ${type}${cookie ? ' with Set-Cookie' : ''}`);
  }
  return `${res.status} ${type.split(';')[0]}, ${Buffer.byteLength(body)} B body${cookie ? ', Set-Cookie' : ''}`;
}

// ---------------------------------------------------------------- servers

function bareHono(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.text('Hello from the baseline.'));
  return app;
}

async function listenBare(): Promise<{ url: string; close(): Promise<void> }> {
  const server: ServerType = await new Promise((resolve_, reject) => {
    const s = serve({ fetch: bareHono().fetch, hostname: HOST, port: 0 }, () => resolve_(s));
    s.once('error', reject);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${HOST}:${port}`,
    close: () =>
      new Promise<void>((resolve_) => {
        server.close(() => resolve_());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      }),
  };
}

const writeConfig = (dir: string) => writePortalConfig(dir, 'Written by bench/http.ts: a throwaway portal on loopback.');

// ---------------------------------------------------------------- child processes and memory

function rssKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/**
 * Spawns node with the given arguments and resolves once a line of its stdout matches `ready`
 * (with the match), or once it has spawned when `ready` is null; rejects after `timeoutMs`.
 * Stdout goes to a file in `logDir`, not a pipe: the portal writes one log line per /sign-in
 * request, and a pipe would make its speed depend on this process reading them (its first-run
 * setup link stays in that file too, which is removed at the end).
 */
async function spawnNode(args: string[], ready: RegExp | null, logDir: string, timeoutMs = 20_000): Promise<{ child: ChildProcess; match: RegExpExecArray | null }> {
  // No SSPR_* variables from the caller's shell: the config file alone decides.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SSPR_')));
  const logFile = join(logDir, `stdout-${children.size}-${Date.now()}.log`);
  const out = openSync(logFile, 'w', 0o600);
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  children.add(child);
  child.once('exit', () => children.delete(child));
  onCleanUp(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-2000);
  });
  const failure = (message: string) => {
    if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    return new Error(`${args.join(' ').slice(0, 80)}: ${message}${stderr ? `\n${stderr}` : ''}`);
  };
  await new Promise<void>((resolve_, reject) => {
    child.once('spawn', resolve_);
    child.once('error', (err) => reject(failure(err.message)));
  });
  if (!ready) return { child, match: null };
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const match = readFileSync(logFile, 'utf8')
      .split('\n')
      .map((line) => ready.exec(line))
      .find((m) => m !== null);
    if (match) return { child, match };
    if (child.exitCode !== null || child.signalCode !== null) throw failure(`exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    if (performance.now() > deadline) throw failure(`not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function stopChild(child: ChildProcess): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return `already exited (${child.exitCode ?? child.signalCode})`;
  const exited = new Promise<string>((resolve_) => child.once('exit', (code, signal) => resolve_(code !== null ? `exit code ${code}` : `signal ${signal}`)));
  const started = performance.now();
  process.kill(child.pid!, 'SIGTERM');
  const outcome = await Promise.race([exited, sleep(10_000).then(() => null)]);
  if (outcome !== null) return `${outcome} ${Math.round(performance.now() - started)} ms after SIGTERM`;
  process.kill(child.pid!, 'SIGKILL');
  return `${await exited} (SIGKILL: no exit within 10 s of SIGTERM)`;
}

interface MemoryRow {
  label: string;
  idle: number;
  loaded?: number;
  hwm?: number;
  loadRps?: number;
  others?: number;
  stopped?: string;
}

let logDir: string | undefined;

async function memoryOf(label: string, args: string[], ready: RegExp | null, urlFrom: ((m: RegExpExecArray) => string) | null, path: string): Promise<MemoryRow> {
  logDir ??= tempDir('sspr-bench-logs-');
  const { child, match } = await spawnNode(args, ready, logDir);
  await sleep(1000);
  const row: MemoryRow = { label, idle: rssKiB(child.pid!).rss };
  if (urlFrom && match && opts.rssLoad > 0) {
    const others = otherCpu(child.pid);
    const r = await cannon(`${urlFrom(match)}${path}`, opts.rssLoad);
    row.others = others();
    if (r.other > 0 || r.errors > 0) throw new Error(`${label}: ${r.other} non-2xx responses, ${r.errors} errors under load`);
    row.loadRps = r.rps;
    const after = rssKiB(child.pid!);
    row.loaded = after.rss;
    row.hwm = after.hwm;
  }
  row.stopped = await stopChild(child);
  return row;
}

// ---------------------------------------------------------------- output

const mib = (kib: number | undefined) => (kib === undefined ? '-' : (kib / 1024).toFixed(1));

// ---------------------------------------------------------------- run

async function main(): Promise<void> {
  printHeader('HTTP benchmark', ['src', 'bin', 'package.json']);
  console.log(versions(['hono', '@hono/node-server', 'autocannon']));
  console.log(
    `Load: autocannon, ${opts.connections} connections, client on the main thread; ${opts.warmup} s warm-up per target, then ${opts.rounds} round(s) of ${opts.duration} s per target; loopback only.`,
  );
  console.log(`CPU used by other processes before the run: ${await busyNote()}`);

  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    console.log('\ndist/ is missing: running `npm run build` for the child-process part.');
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }

  // Part 1: throughput and latency in this process.
  console.log('\nPart 1: in-process throughput and latency');
  const bare = await listenBare();
  const dir = tempDir('sspr-bench-');
  // Log lines are produced and serialised as in production, then written to /dev/null.
  const { portal } = await openBenchPortal(dir, writeConfig(dir));
  const server = await startServer(portal);

  const baseline = target('baseline: bare Hono GET /', `${bare.url}/`);
  const routes: Array<{ path: string; type: string; cookie?: boolean }> = [
    { path: '/healthz', type: 'application/json' },
    { path: '/readyz', type: 'application/json' },
    { path: '/sign-in', type: 'text/html', cookie: true },
  ];
  let noisiest = 0;
  const targets = [baseline, ...routes.map((r) => target(`portal GET ${r.path}`, `${server.url}${r.path}`))];
  try {
    console.log(`  ${baseline.url.padEnd(38)} ${await probe(baseline.url, { status: 200, type: 'text/plain' })}`);
    for (const [i, r] of routes.entries()) {
      console.log(`  ${targets[i + 1]!.url.padEnd(38)} ${await probe(targets[i + 1]!.url, { status: 200, type: r.type, cookie: r.cookie })}`);
    }
    if (opts.warmup > 0) for (const t of targets) await cannon(t.url, opts.warmup);
    for (let round = 1; round <= opts.rounds; round++) {
      const others = otherCpu();
      for (const t of targets) t.samples.push(await cannon(t.url, opts.duration, t.latencies));
      const o = others();
      noisiest = Math.max(noisiest, o);
      console.log(`  round ${round}/${opts.rounds}: ${targets.map((t) => `${t.label.replace(/^.*GET /, '')} ${t.samples.at(-1)!.rps.toFixed(0)}`).join(', ')} req/s; other processes: ${cpuNote(o)}`);
    }
  } finally {
    await server.stop();
    await bare.close();
  }

  console.log(`\nIn-process results (req/s and ratio: median of ${opts.rounds} round(s); ratio = req/s ÷ baseline req/s of the same round; latency over all rounds):\n`);
  const ms = (h: RecordableHistogram, p: number) => (h.percentile(p) / 1000).toFixed(2);
  console.log(
    table(
      ['target', 'req/s', 'min-max req/s', 'p50 ms', 'p99 ms', 'vs baseline', 'bytes/resp', 'non-2xx', 'errors'],
      targets.map((t) => {
        const rps = t.samples.map((x) => x.rps);
        const ratio = median(t.samples.map((x, i) => x.rps / baseline.samples[i]!.rps));
        return [
          t.label,
          median(rps).toFixed(0),
          `${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)}`,
          ms(t.latencies, 50),
          ms(t.latencies, 99),
          `${ratio.toFixed(2)}x`,
          (sum(t.samples.map((x) => x.bytes * (x.ok + x.other))) / Math.max(sum(t.samples.map((x) => x.ok + x.other)), 1)).toFixed(0),
          String(sum(t.samples.map((x) => x.other))),
          String(sum(t.samples.map((x) => x.errors))),
        ];
      }),
    ),
  );
  const bad = targets.filter((t) => t.samples.some((x) => x.other > 0 || x.errors > 0));
  if (bad.length > 0) console.log(`\nWARNING: ${bad.map((t) => t.label).join(', ')} had non-2xx responses or errors: those figures are not comparable.`);
  if (noisiest > QUIET) console.log(`\nWARNING: other processes used up to ${noisiest.toFixed(2)} CPUs during a round: rerun on a quiet machine before comparing.`);

  // Part 2: resident memory of separate processes.
  console.log(`\nPart 2: resident memory (VmRSS 1 s after start, then after ${opts.rssLoad} s of load with the same client)`);
  const memory: MemoryRow[] = [];
  memory.push(await memoryOf('bare `node -e` (idle timer)', ['-e', 'setInterval(() => {}, 1000)'], null, null, ''));
  const bareServer = [
    "import { serve } from '@hono/node-server'; import { Hono } from 'hono';",
    "const app = new Hono(); app.get('/', (c) => c.text('Hello from the baseline.'));",
    `const s = serve({ fetch: app.fetch, hostname: '${HOST}', port: 0 }, (i) => console.log('listening on http://${HOST}:' + i.port));`,
    "process.once('SIGTERM', () => s.close());",
  ].join('\n');
  memory.push(await memoryOf('bare Hono server GET /', ['--input-type=module', '-e', bareServer], /listening on (http:\/\/[^\s]+)/, (m) => m[1]!, '/'));
  const childDir = tempDir('sspr-bench-child-');
  const childConfig = writeConfig(childDir);
  memory.push(
    await memoryOf(
      'portal `sspr start` GET /sign-in',
      [join(root, 'bin', 'sspr.js'), 'start', '--config', childConfig],
      /is running at \S+ \(listening on (http:\/\/[^\s)]+)\)/,
      (m) => m[1]!,
      '/sign-in',
    ),
  );
  console.log('');
  console.log(
    table(
      ['process', 'RSS idle MiB', 'RSS after load MiB', 'peak (VmHWM) MiB', 'req/s during load', 'others CPUs', 'stopped'],
      memory.map((m) => [
        m.label,
        mib(m.idle),
        mib(m.loaded),
        mib(m.hwm),
        m.loadRps === undefined ? '-' : m.loadRps.toFixed(0),
        m.others === undefined ? '-' : m.others.toFixed(2),
        m.stopped ?? '-',
      ]),
      1,
    ),
  );
  const noisy = memory.filter((m) => (m.others ?? 0) > QUIET);
  if (noisy.length > 0) console.log(`\nWARNING: other processes used CPU during the load on ${noisy.map((m) => m.label).join(', ')}: its req/s is not comparable.`);
}

await runBench(async () => {
  await main();
  console.log(`\nCPU used by other processes after the run: ${await busyNote()}. Done.`);
});
