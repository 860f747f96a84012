/**
 * What the benchmarks share: option parsing, the watchdog and clean-ups, statistics, CPU meters,
 * Markdown tables, the run header, a throwaway portal in a temp folder, and a browser stand-in
 * for the forgot-password flow. Figures are for comparison on one machine: never assert on them
 * in tests.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { solveChallenge } from 'altcha-lib/v1';
import { pino } from 'pino';
import { buildPortal, type Portal } from '../src/app/portal.js';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { loadMasterKey } from '../src/config/secret-key.js';
import { createLogger, type Logger } from '../src/logging/logger.js';
import { systemClock } from '../src/shared/clock.js';
import { deriveKey } from '../src/shared/crypto.js';
import { createFieldCipher, type FieldCipher } from '../src/shared/sealed.js';
import { migrateToLatest, openStore, type Store } from '../src/store/database.js';
import { codeIn } from '../test/helpers/codes.js';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOST = '127.0.0.1';
/** The public URL in the config: the origin every POST names, as a browser on the portal would. */
export const PUBLIC_URL = 'http://127.0.0.1:8080';

// ---------------------------------------------------------------- options

/** An integer option from min to max; anything else ends the run with exit code 2. */
export function intFlag(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max} (got ${raw})`);
    process.exit(2);
  }
  return n;
}

/**
 * The command line of a benchmark whose options are all whole numbers: `spec` gives each option's
 * default, minimum and maximum (a camelCase key is the option --kebab-case). --help prints the
 * usage line with the defaults and exits 0; anything else exits 2.
 */
export function intOptions<K extends string>(script: string, spec: Record<K, [fallback: number, min: number, max: number]>): Record<K, number> {
  const keys = Object.keys(spec) as K[];
  const flag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const { values } = parseArgs({
    options: { ...Object.fromEntries(keys.map((k) => [flag(k), { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(`Usage: npx tsx ${script} ${keys.map((k) => `[--${flag(k)} ${spec[k][0]}]`).join(' ')}`);
    process.exit(0);
  }
  const raw = values as Record<string, string | boolean | undefined>;
  return Object.fromEntries(
    keys.map((k) => {
      const [fallback, min, max] = spec[k];
      return [k, intFlag(raw[flag(k)] as string | undefined, flag(k), fallback, min, max)];
    }),
  ) as Record<K, number>;
}

// ---------------------------------------------------------------- clean-ups, watchdog, run

const cleanups: Array<() => Promise<void> | void> = [];
let watchdog: NodeJS.Timeout | undefined;

/** Registers a clean-up step; cleanUp() runs them once, newest first. */
export function onCleanUp(step: () => Promise<void> | void): void {
  cleanups.push(step);
}

/** Runs the registered clean-ups once, newest first; a failing step is reported and the rest still run. */
export async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.error(`clean-up step failed: ${(err as Error).message}`);
    }
  }
}

/** A temp folder, removed by cleanUp(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanUp(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The last resort if something hangs: after budgetMs, clean up and exit 1. */
export function startWatchdog(budgetMs: number): void {
  watchdog = setTimeout(() => {
    console.error(`bench: gave up after ${budgetMs / 1000} s`);
    void cleanUp().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();
}

/** Runs the benchmark; a failure is printed and sets exit code 1. Clean-ups always run, and the watchdog is stopped. */
export async function runBench(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    await cleanUp();
    clearTimeout(watchdog);
  }
}

// ---------------------------------------------------------------- statistics

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The middle value, or the mean of the two middle values. */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank percentile: always one of the values (NaN for none). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank]!;
}

/** The nearest-rank median (one of the values, unlike median()). */
export const p50 = (values: number[]) => percentile(values, 50);

/** Milliseconds with 2, 1 or 0 decimals by size; '-' for NaN. */
export const ms = (n: number) => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export interface Rate {
  /** Calls per second, one entry per measure() call. */
  perSecond: number[];
  /** Time of every call, ms. */
  times: number[];
}

/** Calls fn again and again for budgetMs, recording each call's time and the rate into `into`. */
export function measure(fn: () => unknown, budgetMs: number, into: Rate): void {
  const start = performance.now();
  let calls = 0;
  let now = start;
  while (now - start < budgetMs) {
    const t0 = performance.now();
    fn();
    now = performance.now();
    into.times.push(now - t0);
    calls++;
  }
  into.perSecond.push(calls / ((now - start) / 1000));
}

/** Every item once, `concurrency` workers at a time, each taking the next item from a shared queue. */
export async function inParallel<T>(items: T[], concurrency: number, op: (item: T, worker: number) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async (_, worker) => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await op(item, worker);
    }),
  );
}

// ---------------------------------------------------------------- CPU

/** The machine's busy and idle time so far, in USER_HZ ticks, from /proc/stat. */
export function machineTicks(): { idle: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: ticks[3]! + ticks[4]!, total: sum(ticks) };
}

/**
 * CPU used by other processes since the call, in CPUs: busy time of the whole machine (/proc/stat,
 * steal included) minus this process's own (all its threads) and that of `child`, if given.
 * Other load skews every figure, so each measurement reports it.
 */
export function otherCpu(child?: number): () => number {
  // /proc/stat and /proc/<pid>/stat both count in USER_HZ ticks.
  const childTicks = () => {
    if (child === undefined) return 0;
    const fields = readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime
  };
  const a = machineTicks();
  const c = childTicks();
  const own = process.cpuUsage();
  const started = performance.now();
  return () => {
    const b = machineTicks();
    const used = process.cpuUsage(own);
    const ticksPerCpu = Math.max(b.total - a.total, 1) / cpus().length;
    const busyCpus = (1 - (b.idle - a.idle) / Math.max(b.total - a.total, 1)) * cpus().length;
    const ownCpus = (used.user + used.system) / 1000 / (performance.now() - started);
    return Math.max(0, busyCpus - ownCpus - (childTicks() - c) / ticksPerCpu);
  };
}

// On a quiet 2-CPU machine this reads 0.00-0.03 under load; above 0.2 something else is running.
export const QUIET = 0.2;
export const cpuNote = (others: number) => `${others.toFixed(2)} of ${cpus().length} CPUs${others > QUIET ? ' (the machine is not quiet: figures will be noisy)' : ''}`;

/** CPU used by other processes over the next second, as cpuNote() words it. */
export async function busyNote(): Promise<string> {
  const others = otherCpu();
  await sleep(1000);
  return cpuNote(others());
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** CPU time (ms) of a process and all its descendants (those that ended included, once waited for), from /proc. */
export function treeCpuMs(pid: number): number {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start at the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(f[1]));
      // utime + stime, and cutime + cstime: the CPU of children that ended and were waited for
      // (a PostgreSQL backend that closed), so the tree's total never goes down.
      cpu.set(Number(name), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS);
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  for (const [p, t] of cpu) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parents.get(q)) {
      if (q === pid) {
        total += t;
        break;
      }
    }
  }
  return total;
}

export interface CpuShare {
  /** CPUs (average over the interval) used by this process, by Samba, and by everything else. */
  own: number;
  samba: number;
  others: number;
}

/** CPU used since the call, split into this process, the Samba DC's process tree (when its pid is given) and everything else. */
export function cpuMeter(sambaPid: number | null): () => CpuShare {
  const a = machineTicks();
  const own = process.cpuUsage();
  const samba0 = sambaPid ? treeCpuMs(sambaPid) : 0;
  const started = performance.now();
  return () => {
    const b = machineTicks();
    const used = process.cpuUsage(own);
    const wall = performance.now() - started;
    const busyCpus = (1 - (b.idle - a.idle) / Math.max(b.total - a.total, 1)) * cpus().length;
    const ownCpus = (used.user + used.system) / 1000 / wall;
    const sambaCpus = sambaPid ? (treeCpuMs(sambaPid) - samba0) / wall : 0;
    return { own: ownCpus, samba: sambaCpus, others: Math.max(0, busyCpus - ownCpus - sambaCpus) };
  };
}
export const cpuShareNote = (c: CpuShare) => `this process ${c.own.toFixed(2)}, Samba ${c.samba.toFixed(2)}, others ${c.others.toFixed(2)} of ${cpus().length} CPUs${c.others > QUIET ? ' (the machine is not quiet: figures will be noisy)' : ''}`;

// ---------------------------------------------------------------- output

/** A Markdown table; columns from `rightFrom` on are right-aligned. */
export function table(header: string[], rows: string[][], rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i >= rightFrom ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|') + '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function dependencyVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** "name version, name version, …" for installed packages. */
export const versions = (names: string[]) => names.map((name) => `${name} ${dependencyVersion(name)}`).join(', ');

/**
 * The first lines of every report: what ran when, on which machine, and which code (`watched`:
 * the paths whose uncommitted changes are worth a mention, folders without a trailing slash).
 */
export function printHeader(title: string, watched: string[]): void {
  const cpu = cpus();
  console.log(`OpenSSPR ${title}, ${new Date().toISOString()}`);
  console.log(`Node ${process.version} on ${process.platform}/${process.arch}, ${cpu.length} CPU(s) (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  const named = watched.map((p) => (p.includes('.') ? p : `${p}/`));
  const listed = named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : (named[0] ?? '');
  const dirty = commit && git('status', '--porcelain', '--', ...watched) ? ` plus uncommitted changes in ${listed}` : '';
  console.log(`Code: ${commit ? `commit ${commit}${dirty}` : `${root} (not a git checkout)`}`);
}

// ---------------------------------------------------------------- a throwaway portal

/** Config lines for the forgot-password flow driven from 127.0.0.1 at a given CAPTCHA difficulty. */
export function resetFlowYaml(captchaMaxNumber: number): string[] {
  return ['reset:', `  captchaMaxNumber: ${captchaMaxNumber}`, '  # Every flow comes from 127.0.0.1.', '  startsPerIpPerHour: 100000', 'delivery:', '  limits:', '    globalPerHour: 1000000'];
}

/** `<dir>/sspr.yaml` (mode 0600) for a portal on loopback with a SQLite store in `dir`, extraLines appended. */
export function writePortalConfig(dir: string, comment: string, extraLines: string[] = [], key = randomBytes(32).toString('base64'), databaseUrl = 'sqlite:./sspr.db'): string {
  const file = join(dir, 'sspr.yaml');
  writeFileSync(
    file,
    [`# ${comment}`, `publicUrl: ${PUBLIC_URL}`, 'listen:', `  host: ${HOST}`, '  port: 0', 'database:', `  url: ${JSON.stringify(databaseUrl)}`, 'secrets:', `  key: ${key}`, 'logging:', '  level: info', ...extraLines, ''].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

export interface BenchPortal {
  config: Config;
  baseDir: string;
  store: Store;
  logger: Logger;
  masterKey: Buffer;
  portal: Portal;
  /** The portal's field cipher, to read what it sealed (outbox messages). */
  cipher: FieldCipher;
}

/**
 * The portal wired as `sspr start` wires it, from the config file in `dir`: the store migrated,
 * log lines produced and serialised as in production, then written to /dev/null.
 */
export async function openBenchPortal(dir: string, configFile: string): Promise<BenchPortal> {
  const { config, baseDir } = loadConfig({ path: configFile, env: {}, cwd: dir });
  const store = openStore(config.database.url, { baseDir, poolSize: config.database.poolSize });
  await migrateToLatest(store);
  const logger = createLogger(config.logging.level, pino.destination({ dest: '/dev/null', sync: true }));
  const masterKey = loadMasterKey(config, baseDir, { create: false }).key;
  const portal = buildPortal({ config, store, logger, clock: systemClock, masterKey });
  await portal.policy.refresh();
  return { config, baseDir, store, logger, masterKey, portal, cipher: createFieldCipher(deriveKey(masterKey, 'data-encryption')) };
}

// ---------------------------------------------------------------- a browser stand-in

/** Cookies kept, the CSRF token picked up from each page, every status checked; counts requests and their time. */
export class FormClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';
  httpMs = 0;
  requests = 0;

  /** `origin`: the portal's public URL, which the CSRF check compares the Origin header with. */
  constructor(
    private readonly base: string,
    private readonly origin = PUBLIC_URL,
  ) {}

  private async send(path: string, init: RequestInit, expect: number): Promise<{ status: number; body: string; location: string | null }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const t0 = performance.now();
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    this.httpMs += performance.now() - t0;
    this.requests += 1;
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1]!;
    if (res.status !== expect) throw new Error(`${init.method ?? 'GET'} ${path}: expected ${expect}, got ${res.status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
    return { status: res.status, body, location: res.headers.get('location') };
  }

  get(path: string, expect = 200) {
    return this.send(path, {}, expect);
  }

  post(path: string, fields: Record<string, string>, expect = 303) {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields }).toString();
    return this.send(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin } }, expect);
  }
}

export function expectText(body: string, text: string, step: string): void {
  if (!body.includes(text)) throw new Error(`${step}: the page does not say "${text}"`);
}

/** The newest reset code (message id above `after`) sent to a user, read from the outbox (polled every 2 ms). */
export async function codeFromOutbox(store: Store, cipher: FieldCipher, userId: string, after = 0, timeoutMs = 10_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const row = await store.db.selectFrom('outbox_messages').select(['id', 'body']).where('user_id', '=', userId).where('kind', '=', 'code:reset').where('id', '>', after).orderBy('id', 'desc').executeTakeFirst();
    if (row) {
      return codeIn(cipher.open(row.body, 'outbox:body'));
    }
    if (performance.now() > deadline) throw new Error(`no reset code for user ${userId} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

export interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** What /assets/captcha.js does in the browser: altcha-lib's solveChallenge, then the base64 JSON payload. */
export async function solve(ch: Challenge): Promise<{ payload: string; number: number }> {
  const t0 = performance.now();
  const solution = await solveChallenge(ch.challenge, ch.salt, ch.algorithm, ch.maxnumber).promise;
  if (!solution) throw new Error('the CAPTCHA could not be solved');
  const payload = Buffer.from(JSON.stringify({ algorithm: ch.algorithm, challenge: ch.challenge, number: solution.number, salt: ch.salt, signature: ch.signature, took: Math.round(performance.now() - t0) })).toString('base64');
  return { payload, number: solution.number };
}
