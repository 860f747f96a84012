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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { solveChallenge } from 'altcha-lib/v1';
import { Attribute, Change, Client, EqualityFilter } from 'ldapts';
import { pino } from 'pino';
import { AdConnector } from '../src/ad/ad-connector.js';
import { guidFromBytes } from '../src/ad/guid.js';
import { connectorOptions } from '../src/agent/ad-executor.js';
import { startInProcessAgent } from '../src/agent/in-process.js';
import { buildPortal, type Portal } from '../src/app/portal.js';
import { loadConfig } from '../src/config/load.js';
import { loadMasterKey } from '../src/config/secret-key.js';
import type { User } from '../src/directory/users.js';
import { createLogger } from '../src/logging/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { systemClock } from '../src/shared/clock.js';
import { deriveKey } from '../src/shared/crypto.js';
import { createFieldCipher, type FieldCipher } from '../src/shared/sealed.js';
import { migrateToLatest, openStore, type Store } from '../src/store/database.js';
import { startSambaDc, type SambaDc } from '../test/helpers/samba-dc.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
/** The public URL in the config: the origin every POST names, as a browser on the portal would. */
const PUBLIC_URL = 'http://127.0.0.1:8080';
const CAPTCHA_DIFFICULTY = 1000;
const OU = 'OU=Writeback Bench';

// ---------------------------------------------------------------- options

function intFlag(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max} (got ${raw})`);
    process.exit(2);
  }
  return n;
}

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string' },
    concurrent: { type: 'string' },
    flows: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (flags.help) {
  console.log('Usage: npx tsx bench/writeback.ts [--users 200] [--concurrent 8] [--flows 20]');
  process.exit(0);
}
const opts = {
  users: intFlag(flags.users, 'users', 200, 10, 1000),
  concurrent: intFlag(flags.concurrent, 'concurrent', 8, 2, 32),
  flows: intFlag(flags.flows, 'flows', 20, 0, 200),
};

const WARMUP = 10;
const cleanups: Array<() => Promise<void> | void> = [];
// Generous: on a quiet 2-CPU VM a reset takes a few tens of ms; DC start, provisioning and bulk creation take seconds.
const budgetMs = (90 + 0.4 * opts.users + 1.5 * opts.flows) * 1000;
const watchdog = setTimeout(() => {
  console.error(`bench: gave up after ${budgetMs / 1000} s`);
  void cleanUp().finally(() => process.exit(1));
}, budgetMs);
watchdog.unref();

/** Runs the registered clean-ups once, newest first (agent, server and store, AD clients, the DC, temp dirs). */
async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.error(`clean-up step failed: ${(err as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------- statistics and output

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const rank = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[rank]!;
}

const median = (values: number[]) => percentile(values, 50);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const ms = (n: number) => (Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function table(header: string[], rows: string[][], rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i >= rightFrom ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|') + '|';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** CPU time (ms) of a process and all its descendants, from /proc. */
function treeCpuMs(pid: number): number {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start at the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(f[1]));
      cpu.set(Number(name), (Number(f[11]) + Number(f[12])) * TICK_MS);
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

interface CpuShare {
  /** CPUs (average over the interval) used by this process, by Samba, and by everything else. */
  own: number;
  samba: number;
  others: number;
}

/** CPU used since the call, split into this process, the Samba DC's process tree and everything else. */
function cpuMeter(sambaPid: number | null): () => CpuShare {
  const stat = () => {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { idle: ticks[3]! + ticks[4]!, total: sum(ticks) };
  };
  const a = stat();
  const own = process.cpuUsage();
  const samba0 = sambaPid ? treeCpuMs(sambaPid) : 0;
  const started = performance.now();
  return () => {
    const b = stat();
    const used = process.cpuUsage(own);
    const wall = performance.now() - started;
    const busyCpus = (1 - (b.idle - a.idle) / Math.max(b.total - a.total, 1)) * cpus().length;
    const ownCpus = (used.user + used.system) / 1000 / wall;
    const sambaCpus = sambaPid ? (treeCpuMs(sambaPid) - samba0) / wall : 0;
    return { own: ownCpus, samba: sambaCpus, others: Math.max(0, busyCpus - ownCpus - sambaCpus) };
  };
}
const QUIET = 0.2;
const cpuNote = (c: CpuShare) => `this process ${c.own.toFixed(2)}, Samba ${c.samba.toFixed(2)}, others ${c.others.toFixed(2)} of ${cpus().length} CPUs${c.others > QUIET ? ' (the machine is not quiet: figures will be noisy)' : ''}`;

function dependencyVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- AD

interface AdBenchUser {
  name: string;
  dn: string;
  guid: string;
  /** The password set last (checked by a bind at the end). */
  password: string;
  /** The portal's hybrid user (source onprem, anchor = objectGUID). */
  portalUser?: User;
  email: string;
}

/** The unicodePwd value AD wants: the password in double quotes, UTF-16LE. */
function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** A fresh password for phase `phase` and user `i`: four character groups, never the user's name, never used before. */
function passwordFor(phase: number, i: number): string {
  return `Wb${phase}-Reset!${i}x`;
}

/** A new password typed in a browser: it must also pass the portal's own rules (strength, banned words). */
function flowPassword(i: number): string {
  return `Copper-Willow-Nebula-${i}!`;
}

async function adminClient(dc: SambaDc): Promise<Client> {
  const client = new Client({ url: dc.url, timeout: 30_000, connectTimeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  await client.bind(dc.adminDn, dc.adminPassword);
  return client;
}

/**
 * N users in their own OU, added over LDAPS as the administrator (8 adds in flight on one
 * connection): enabled (userAccountControl 512), with a password set in the add itself.
 */
async function createAdUsers(dc: SambaDc, count: number): Promise<AdBenchUser[]> {
  const client = await adminClient(dc);
  try {
    const ouDn = `${OU},${dc.baseDn}`;
    await client.add(ouDn, { objectClass: ['top', 'organizationalUnit'], ou: 'Writeback Bench' });
    const users: AdBenchUser[] = Array.from({ length: count }, (_, i) => {
      const name = `wbbench${String(i).padStart(4, '0')}`;
      return { name, dn: `CN=${name},${ouDn}`, guid: '', password: passwordFor(0, i), email: `${name}@example.com` };
    });
    const queue = [...users];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let u = queue.shift(); u; u = queue.shift()) {
          const values: Record<string, string[] | Buffer[]> = {
            objectClass: ['top', 'person', 'organizationalPerson', 'user'],
            cn: [u.name],
            sAMAccountName: [u.name],
            userPrincipalName: [`${u.name}@${dc.realm.toLowerCase()}`],
            displayName: [`Writeback Bench ${u.name.slice(7)}`],
            userAccountControl: ['512'],
            unicodePwd: [unicodePwd(u.password)],
          };
          await client.add(
            u.dn,
            Object.entries(values).map(([type, v]) => new Attribute({ type, values: v })),
          );
        }
      }),
    );
    const { searchEntries } = await client.search(ouDn, { scope: 'one', filter: new EqualityFilter({ attribute: 'objectClass', value: 'user' }), attributes: ['sAMAccountName', 'objectGUID'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize: 500 } });
    const guids = new Map(searchEntries.map((e) => [String(e['sAMAccountName']), guidFromBytes(e['objectGUID'] as Buffer)]));
    for (const u of users) {
      const guid = guids.get(u.name);
      if (!guid) throw new Error(`${u.name} was added but not found again`);
      u.guid = guid;
    }
    return users;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- phases

interface Phase {
  label: string;
  /** What is being compared: 'direct' modifies, the connector, or the portal. */
  kind: 'direct' | 'connector' | 'portal' | 'flow';
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
  const queue = [...items];
  const times: number[] = [];
  const meter = cpuMeter(sambaPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async (_, worker) => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const a = performance.now();
        await op(item, worker);
        times.push(performance.now() - a);
      }
    }),
  );
  const phase = { label, kind, concurrency, times, wallMs: performance.now() - t0, cpu: meter() };
  console.log(`  ${label}: ${times.length} in ${(phase.wallMs / 1000).toFixed(1)} s (${(times.length / (phase.wallMs / 1000)).toFixed(1)}/s, p50 ${ms(median(times))} ms); CPU: ${cpuNote(phase.cpu)}`);
  return phase;
}

// ---------------------------------------------------------------- the portal

function writeConfig(dir: string, key: string, dc: SambaDc): string {
  writeFileSync(join(dir, 'dc-ca.pem'), dc.caCertPem);
  const file = join(dir, 'sspr.yaml');
  const q = (s: string) => JSON.stringify(s);
  writeFileSync(
    file,
    [
      '# Written by bench/writeback.ts: a throwaway portal on loopback with an in-process agent.',
      `publicUrl: ${PUBLIC_URL}`,
      'listen:',
      `  host: ${HOST}`,
      '  port: 0',
      'database:',
      '  url: sqlite:./sspr.db',
      'secrets:',
      `  key: ${key}`,
      'logging:',
      '  level: info',
      'reset:',
      `  captchaMaxNumber: ${CAPTCHA_DIFFICULTY}`,
      '  # Every flow comes from 127.0.0.1.',
      '  startsPerIpPerHour: 100000',
      'delivery:',
      '  limits:',
      '    globalPerHour: 1000000',
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
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

// ---------------------------------------------------------------- a browser stand-in (as in bench/reset.ts)

class HttpClient {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly base: string) {}

  private async send(path: string, init: RequestInit, expect: number): Promise<{ body: string; location: string | null }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    const body = await res.text();
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1]!;
    if (res.status !== expect) throw new Error(`${init.method ?? 'GET'} ${path}: expected ${expect}, got ${res.status}: ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
    return { body, location: res.headers.get('location') };
  }

  get(path: string, expect = 200) {
    return this.send(path, {}, expect);
  }

  post(path: string, fields: Record<string, string>, expect = 303) {
    const body = new URLSearchParams({ _csrf: this.csrf, ...fields }).toString();
    return this.send(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL } }, expect);
  }
}

function expectText(body: string, text: string, step: string): void {
  if (!body.includes(text)) throw new Error(`${step}: the page does not say "${text}"`);
}

async function codeFromOutbox(store: Store, cipher: FieldCipher, userId: string, after: number, timeoutMs = 10_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const row = await store.db.selectFrom('outbox_messages').select(['id', 'body']).where('user_id', '=', userId).where('kind', '=', 'code:reset').where('id', '>', after).orderBy('id', 'desc').executeTakeFirst();
    if (row) {
      const m = /\b(\d{6,8})\b/.exec(cipher.open(row.body, 'outbox:body'));
      if (!m) throw new Error(`no code in the outbox message to user ${userId}`);
      return m[1]!;
    }
    if (performance.now() > deadline) throw new Error(`no reset code for user ${userId} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** One forgot-password flow of a hybrid user through HTTP, every answer checked; returns the time of POST /reset/password. */
async function hybridFlow(base: string, store: Store, cipher: FieldCipher, user: AdBenchUser, password: string): Promise<number> {
  const c = new HttpClient(base);
  expectText((await c.get('/reset')).body, 'Reset your password', 'GET /reset');
  const ch = JSON.parse((await c.get('/reset/captcha')).body) as Challenge;
  const solution = await solveChallenge(ch.challenge, ch.salt, ch.algorithm, ch.maxnumber).promise;
  if (!solution) throw new Error('the CAPTCHA could not be solved');
  const captcha = Buffer.from(JSON.stringify({ algorithm: ch.algorithm, challenge: ch.challenge, number: solution.number, salt: ch.salt, signature: ch.signature, took: 1 })).toString('base64');
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
  const cpu = cpus();
  console.log(`OpenSSPR writeback benchmark, ${new Date().toISOString()}`);
  console.log(`Node ${process.version} on ${process.platform}/${process.arch}, ${cpu.length} CPU(s) (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = commit && git('status', '--porcelain', '--', 'src', 'package.json') ? ' plus uncommitted changes in src/ or package.json' : '';
  console.log(`Code: ${commit ? `commit ${commit}${dirty}` : `${root} (not a git checkout)`}`);
  const sambaVersion = spawnSync('samba', ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  console.log(`Samba ${sambaVersion.replace(/^Version /, '')}; ldapts ${dependencyVersion('ldapts')}, ws ${dependencyVersion('ws')}, hono ${dependencyVersion('hono')}, better-sqlite3 ${dependencyVersion('better-sqlite3')}`);
  const quiet = cpuMeter(null);
  await sleep(1000);
  console.log(`CPU used by other processes before the run: ${quiet().others.toFixed(2)} of ${cpu.length} CPUs`);

  // ---- the DC and its users (not measured)
  let t = performance.now();
  const dc = await startSambaDc();
  cleanups.push(() => dc.stop());
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  console.log(`Samba AD DC at ${dc.url} (pid ${dc.pid}), minimum password age 0, started in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const users = await createAdUsers(dc, opts.users + WARMUP);
  console.log(`Created ${users.length} users over LDAPS (8 adds in flight, password in the add) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const warm = users.slice(opts.users);
  const measured = users.slice(0, opts.users);

  // ---- the portal with its in-process agent
  const dir = mkdtempSync(join(tmpdir(), 'sspr-bench-writeback-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { config, baseDir } = loadConfig({ path: writeConfig(dir, randomBytes(32).toString('base64'), dc), env: {}, cwd: dir });
  const store = openStore(config.database.url, { baseDir, poolSize: config.database.poolSize });
  await migrateToLatest(store);
  const logger = createLogger(config.logging.level, pino.destination({ dest: '/dev/null', sync: true }));
  const masterKey = loadMasterKey(config, baseDir, { create: false }).key;
  const portal: Portal = buildPortal({ config, store, logger, clock: systemClock, masterKey });
  await portal.policy.refresh();
  const cipher = createFieldCipher(deriveKey(masterKey, 'data-encryption'));
  for (const u of users) {
    u.portalUser = await portal.users.create({ username: u.name, displayName: `Writeback Bench ${u.name.slice(7)}`, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: u.guid });
  }
  const server: RunningServer = await startServer(portal);
  cleanups.push(() => server.stop(2000));
  // As `sspr start` does with agent.inProcess: true.
  const agent = await startInProcessAgent(portal, baseDir, server.url, logger);
  cleanups.push(() => agent.stop());
  const deadline = Date.now() + 15_000;
  while (portal.agentHub.connected().length !== 1) {
    if (Date.now() > deadline) throw new Error('the in-process agent did not connect within 15 s');
    await sleep(20);
  }
  console.log(`Portal on ${server.url} (SQLite in a temp dir, log lines to /dev/null) with ${users.length} hybrid users; in-process agent connected over a loopback WebSocket.`);

  // ---- clients
  const one = await adminClient(dc);
  cleanups.push(() => one.unbind().catch(() => undefined));
  const eight: Client[] = [];
  for (let i = 0; i < opts.concurrent; i++) {
    const c = await adminClient(dc);
    eight.push(c);
    cleanups.push(() => c.unbind().catch(() => undefined));
  }
  const connector = new AdConnector(connectorOptions(config.agent.ad!, baseDir, false));
  cleanups.push(() => connector.close());

  const modify = async (client: Client, u: AdBenchUser, password: string) => {
    await client.modify(u.dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) })]);
    u.password = password;
  };
  const viaConnector = async (u: AdBenchUser, password: string) => {
    const r = await connector.reset(u.guid, password);
    if (!r.ok) throw new Error(`AdConnector.reset(${u.name}): ${r.reason} ${r.detail ?? ''}`);
    u.password = password;
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
  const jobs = await store.db.selectFrom('writeback_jobs').select(['status']).execute();
  const applied = jobs.filter((j) => j.status === 'applied').length;
  const expectedJobs = warm.length + 3 * measured.length + (flowUsers.length > 0 ? flowUsers.length + 1 : 0);
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
        .filter((p) => p.kind !== 'flow')
        .map((p) => {
          const base = baselineOf(p);
          const same = p === base;
          return [
            p.label,
            String(p.times.length),
            rate(p).toFixed(1),
            ms(median(p.times)),
            ms(percentile(p.times, 95)),
            ms(Math.max(...p.times)),
            same ? '1.00x' : `${(rate(p) / rate(base)).toFixed(2)}x`,
            same ? '1.00x' : `${(median(p.times) / median(base.times)).toFixed(2)}x`,
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
  const seqP50 = median(portalSeq.flatMap((p) => p.times));
  console.log(`\nWhere a sequential portal reset's time goes (p50s): direct modify ${ms(median(directSeq.times))} ms; AdConnector.reset ${ms(median(connSeq.times))} ms (+${ms(median(connSeq.times) - median(directSeq.times))} ms for the lookup by objectGUID with the protected-account check, and lockoutTime in the modify); portal → agent → AD ${ms(seqP50)} ms (+${ms(seqP50 - median(connSeq.times))} ms for the job, sealing, WebSocket round trips, claim, journal, recording and audit).`);
  console.log(`With ${n} at once: direct ${rate(directOne).toFixed(1)}/s on one connection, ${rate(find('direct', n, 'clients')!).toFixed(1)}/s on ${n}; AdConnector ${rate(connCon).toFixed(1)}/s; portal ${rate(portalCon).toFixed(1)}/s (${(rate(portalCon) / rate(directOne)).toFixed(2)}x direct, ${(rate(portalCon) / rate(connCon)).toFixed(2)}x the connector).`);
  const flow = find('flow', 1);
  if (flow) {
    console.log(`\nComplete HTTP reset flows of hybrid users (${flow.times.length}, one after another; 10 requests each, CAPTCHA difficulty ${CAPTCHA_DIFFICULTY} solved in Node, code read from the outbox):\n`);
    console.log(
      table(
        ['part', 'n', 'p50 ms', 'p95 ms', 'max ms'],
        [
          ['whole flow', String(flow.times.length), ms(median(flow.times)), ms(percentile(flow.times, 95)), ms(Math.max(...flow.times))],
          ['  POST /reset/password (rules + writeback)', String(flowPasswordMs.length), ms(median(flowPasswordMs)), ms(percentile(flowPasswordMs, 95)), ms(Math.max(...flowPasswordMs))],
          ['  of which writeback (portal → agent → AD, sequential p50)', '-', ms(seqP50), '-', '-'],
        ],
      ),
    );
    console.log(`  ${(flow.times.length / (flow.wallMs / 1000)).toFixed(2)} flows/s; the writeback is ${((100 * seqP50) / median(flow.times)).toFixed(0)} % of a flow's p50. CPU: ${cpuNote(flow.cpu)}`);
  }
  const noisy = phases.filter((p) => p.cpu.others > QUIET);
  if (noisy.length) console.log(`\nWARNING: other processes used CPU during ${noisy.map((p) => p.label).join('; ')}: rerun on a quiet machine before comparing.`);
}

const startedAt = performance.now();
try {
  await main();
} catch (err) {
  console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
const after = cpuMeter(null);
await sleep(1000);
console.log(`\nCPU used by other processes after the run: ${after().others.toFixed(2)} of ${cpus().length} CPUs. Total time ${((performance.now() - startedAt) / 1000).toFixed(0)} s. Done.`);
