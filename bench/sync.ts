/**
 * AD sync benchmark: `npx tsx bench/sync.ts [N]` (default N = 10000 users).
 *
 *   --page-size <n>           LDAP page size of every read (agent.sync.pageSize; default 500)
 *   --rounds <n>              rounds of the raw read and of the reader alone (default 3; the median counts)
 *   --changes <n>             users whose displayName changes before the measured delta (default 100)
 *   --group-size <n>          users per team group (default 1000); teams are nested in departments of 5,
 *                             the departments in one company group
 *   --max-create-minutes <n>  stop if creating the users would take longer than this (default 20)
 *   --keep-dc <dir>           at the end, keep the DC's files (and the layout) in <dir>, to be reused
 *   --dc-from <dir>           start the DC from files kept by --keep-dc instead of creating the users
 *                             (N and --group-size come from the kept layout); <dir> is copied, not changed
 *   --store sqlite|postgres   the portal's store (default sqlite, in a temp dir); postgres: a fresh database
 *                             on the test server (SSPR_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432),
 *                             dropped at the end
 *
 * The portal's import of Active Directory users and groups (src/sync) against a real DC: Samba,
 * started by this script with test/helpers/samba-dc.ts on its own loopback address (with
 * `ldb:nosync = true`, as Samba's own test suite runs it: its database writes are not flushed to
 * disk, which makes creating the users ~3× faster and does not change reads) and stopped at the end.
 *
 * Not measured: N users are created over LDAPS with ldapts, as the administrator, 8 adds in flight
 * on each of 2 connections, WITHOUT a password (userAccountControl 544 = NORMAL_ACCOUNT |
 * PASSWD_NOTREQD, or 514 = disabled if the DC refuses that): setting a password costs Samba
 * ~26 ms of CPU per user. They go into OUs of --group-size users (`OU=T000,OU=People,OU=Sync
 * Bench`), each OU's users into a team group, 5 teams into a department group, the departments
 * into one company group (`OU=Groups,OU=Sync Bench`). Samba's adds get slower as the directory
 * grows (here from ~3 ms to ~30 ms per add between 0 and 50,000 users), so the time creation would
 * take is projected from the adds so far, and the run stops with a clear message if it exceeds the
 * limit (100,000 users would take well over 30 minutes on a 2-CPU VM).
 *
 * Measured, in this process, on the same entries (the sync scope is `OU=Sync Bench`):
 *
 * - raw read: one ldapts paged search on one bound LDAPS connection (the reader's filter — persons
 *   and groups created at or before the DC's highestCommittedUSN — its attributes and page size),
 *   entries only counted;
 * - the reader alone: `AdSyncReader.full` (its own connection, already bound) with a no-op onPage;
 * - the whole chain: `portal.syncCoordinator.run('manual', { full: true })` on the portal wired as
 *   `sspr start` wires it (src/ run by tsx, SQLite in a temp dir or PostgreSQL with --store, log lines to /dev/null) with the
 *   in-process agent (`agent.inProcess`: the real AgentClient + AdExecutor with its AdSyncReader,
 *   over a loopback WebSocket): into the empty portal (everyone added), then again (nothing changed);
 * - deltas through the whole chain: with nothing changed, then after --changes users' displayName
 *   was modified in AD, with two baselines for the same delta: one raw search of the changed entries
 *   (the reader's first delta search, `uSNChanged` above the portal's cursor) and
 *   `AdSyncReader.delta` alone (every search a delta makes: the cursor's age, changed entries,
 *   changed containers, changed objects domain-wide, tombstones);
 * - the process's memory during each chain run: process.memoryUsage() (rss, heapUsed) every 100 ms.
 *
 * Per phase the script reports the CPU this process used (portal, agent and clients together), the
 * CPU Samba used and the CPU other processes used (runs with more than 0.2 CPU used by others
 * should be discarded). Loopback only, bounded in count and time (a watchdog ends the run);
 * everything it starts it stops, everything it creates it removes. Figures are for comparison on
 * one machine: never assert on them in tests.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AndFilter, Attribute, Change, Client, EqualityFilter, GreaterThanEqualsFilter, LessThanEqualsFilter, OrFilter, ResultCodeError, type Filter } from 'ldapts';
import { startAgentInPortal } from '../src/app/in-process-agent.js';
import { startServer, type RunningServer } from '../src/server.js';
import { AdSyncReader, OBJECT_ATTRIBUTES } from '../src/agent/ad-sync-reader.js';
import type { SyncRun } from '../src/sync/sync-service.js';
import { startSambaDc, type SambaDc } from '../test/helpers/samba-dc.js';
import { createTestDatabase } from '../test/helpers/postgres.js';
import { sql } from 'kysely';
import { cpuMeter, cpuShareNote, intFlag, onCleanUp, openBenchPortal, p50, printHeader, QUIET, runBench, startWatchdog, sum, table, tempDir, versions, writePortalConfig, type CpuShare } from './lib.js';

const TEAMS_PER_DEPARTMENT = 5;
/** In the changed display names, so that a kept DC changes again when reused. */
const runStamp = new Date().toISOString();
/** Adds in flight per connection, and connections, while creating users. */
const IN_FLIGHT = 8;
const CONNECTIONS = 2;
/** What AdSyncReader asks for, plus `member` (which it reads in ranges). */
const READER_ATTRIBUTES = [...OBJECT_ATTRIBUTES, 'member'];
/** The search time limit of every read, raw or not: agent.sync.timeoutMs's default (ldapts would ask for 10 s, too little for Samba at 100,000 users). */
const SEARCH_TIMEOUT_S = 300;

// ---------------------------------------------------------------- options

const { values: flags, positionals } = parseArgs({
  options: {
    'page-size': { type: 'string' },
    rounds: { type: 'string' },
    changes: { type: 'string' },
    'group-size': { type: 'string' },
    'max-create-minutes': { type: 'string' },
    'keep-dc': { type: 'string' },
    'dc-from': { type: 'string' },
    store: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
  strict: true,
});
if (flags.help || positionals.length > 1) {
  console.log('Usage: npx tsx bench/sync.ts [N=10000] [--page-size 500] [--rounds 3] [--changes 100] [--group-size 1000] [--max-create-minutes 20] [--keep-dc DIR] [--dc-from DIR] [--store sqlite|postgres]');
  process.exit(flags.help ? 0 : 2);
}
/** What --keep-dc writes beside the DC's files, and --dc-from reads. */
interface KeptLayout {
  users: number;
  groupSize: number;
  uac: number;
}
const LAYOUT_FILE = 'bench-layout.json';
const kept: KeptLayout | null = (() => {
  if (!flags['dc-from']) return null;
  try {
    const k = JSON.parse(readFileSync(join(flags['dc-from'], LAYOUT_FILE), 'utf8')) as KeptLayout;
    if (![k.users, k.groupSize, k.uac].every(Number.isInteger)) throw new Error(`${LAYOUT_FILE} is not a layout`);
    if (positionals[0] !== undefined && Number(positionals[0]) !== k.users) throw new Error(`N = ${positionals[0]}, but the kept DC holds ${k.users} users`);
    return k;
  } catch (err) {
    console.error(`--dc-from ${flags['dc-from']}: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const opts = {
  users: kept?.users ?? intFlag(positionals[0], 'N', 10_000, 100, 1_000_000),
  // agent.sync.pageSize allows 10 to 1000.
  pageSize: intFlag(flags['page-size'], 'page-size', 500, 10, 1000),
  rounds: intFlag(flags.rounds, 'rounds', 3, 1, 10),
  changes: intFlag(flags.changes, 'changes', 100, 1, 10_000),
  groupSize: kept?.groupSize ?? intFlag(flags['group-size'], 'group-size', 1000, 10, 1400),
  maxCreateMinutes: intFlag(flags['max-create-minutes'], 'max-create-minutes', 20, 1, 240),
};
const storeKind = flags.store ?? 'sqlite';
if (storeKind !== 'sqlite' && storeKind !== 'postgres') {
  console.error('--store must be sqlite or postgres');
  process.exit(2);
}
if (opts.changes > opts.users) {
  console.error('--changes must not exceed N');
  process.exit(2);
}

// Creation is bounded by its own limit; every read and import phase gets 5 ms per user (about 5× what they take).
startWatchdog((180 + opts.maxCreateMinutes * 60 + 0.005 * opts.users * (2 * opts.rounds + 6)) * 1000);

/** A run that stopped on purpose (creation would take too long): reported without a stack. */
class Bounded extends Error {}

// ---------------------------------------------------------------- output and memory

const fmt = (n: number) => (Number.isNaN(n) ? '-' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const secs = (ms: number) => (ms / 1000).toFixed(ms >= 100_000 ? 0 : ms >= 10_000 ? 1 : 2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** A full collection before a memory measurement (the flag is set at run time, so `npx tsx` needs no node option). */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

interface MemorySample {
  rss: number;
  heapUsed: number;
}

/** process.memoryUsage() now and every `everyMs` until stopped: start, peak and end of rss and heapUsed. */
function memorySampler(everyMs = 100): () => { start: MemorySample; peak: MemorySample; end: MemorySample; samples: number } {
  const take = (): MemorySample => {
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  };
  const start = take();
  const peak = { ...start };
  let samples = 1;
  const note = () => {
    const s = take();
    samples += 1;
    peak.rss = Math.max(peak.rss, s.rss);
    peak.heapUsed = Math.max(peak.heapUsed, s.heapUsed);
    return s;
  };
  const timer = setInterval(note, everyMs);
  return () => {
    clearInterval(timer);
    const end = note();
    return { start, peak, end, samples };
  };
}

// ---------------------------------------------------------------- AD

async function adminClient(dc: SambaDc): Promise<Client> {
  const client = new Client({ url: dc.url, timeout: 600_000, connectTimeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  await client.bind(dc.adminDn, dc.adminPassword);
  return client;
}

interface Layout {
  benchOu: string;
  users: { name: string; dn: string; index: number }[];
  /** Team, department and company group DNs. */
  groups: string[];
  teams: number;
  departments: number;
  uac: number;
  userMs: number;
  groupMs: number;
}

/** Where the N users and the groups are (the same for a created and a kept DC). */
function planLayout(dc: SambaDc) {
  const benchOu = `OU=Sync Bench,${dc.baseDn}`;
  const peopleOu = `OU=People,${benchOu}`;
  const groupsOu = `OU=Groups,${benchOu}`;
  const teams = Math.ceil(opts.users / opts.groupSize);
  const departments = Math.ceil(teams / TEAMS_PER_DEPARTMENT);
  const teamOu = (t: number) => `OU=T${String(t).padStart(3, '0')},${peopleOu}`;
  const users = Array.from({ length: opts.users }, (_, index) => {
    const name = `sb${String(index).padStart(6, '0')}`;
    return { name, index, dn: `CN=${name},${teamOu(Math.floor(index / opts.groupSize))}` };
  });
  const groupDn = (name: string) => `CN=${name},${groupsOu}`;
  const teamNames = Array.from({ length: teams }, (_, t) => `Team ${String(t).padStart(3, '0')}`);
  const deptNames = Array.from({ length: departments }, (_, d) => `Department ${String(d).padStart(2, '0')}`);
  const groups = [...teamNames, ...deptNames, 'Sync Bench Company'].map(groupDn);
  return { benchOu, peopleOu, groupsOu, teams, departments, teamOu, users, groupDn, teamNames, deptNames, groups };
}

/**
 * The N users (no password) and the nested groups, over LDAPS. Samba's adds get slower as the
 * directory grows, roughly linearly in the users already there; after every 1000 adds the time
 * per add is fitted as a + b × (users so far) and the whole creation projected from it.
 */
async function createDirectory(dc: SambaDc, log: (line: string) => void): Promise<Layout> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < CONNECTIONS; i++) clients.push(await adminClient(dc));
    const c0 = clients[0]!;
    const { benchOu, peopleOu, groupsOu, teams, departments, teamOu, users, groupDn, teamNames, deptNames, groups } = planLayout(dc);
    for (const dn of [benchOu, peopleOu, groupsOu]) await c0.add(dn, { objectClass: ['top', 'organizationalUnit'] });
    for (let t = 0; t < teams; t++) await c0.add(teamOu(t), { objectClass: ['top', 'organizationalUnit'] });
    const domain = dc.realm.toLowerCase();
    const add = (client: Client, u: (typeof users)[number], uac: number) =>
      client.add(u.dn, {
        objectClass: ['top', 'person', 'organizationalPerson', 'user'],
        sAMAccountName: u.name,
        userPrincipalName: `${u.name}@${domain}`,
        displayName: `Sync Bench ${u.index}`,
        mail: `${u.name}@${domain}`,
        userAccountControl: String(uac),
      });

    // The first user tells whether the DC takes an enabled account without a password.
    let uac = 544;
    const t0 = performance.now();
    try {
      await add(c0, users[0]!, uac);
    } catch (err) {
      if (!(err instanceof ResultCodeError)) throw err;
      log(`  userAccountControl 544 refused (${err.message.split('\n')[0]}): creating disabled users (514) instead`);
      uac = 514;
      await add(c0, users[0]!, uac);
    }

    const limitMs = opts.maxCreateMinutes * 60_000;
    const chunk = 1000;
    const points: { k: number; perAdd: number }[] = [];
    let next = 1;
    let done = 1;
    let chunkStart = performance.now();
    let chunkDone = 0;
    const halt: { reason: Bounded | null } = { reason: null };
    let lastReport = performance.now();
    const check = () => {
      const now = performance.now();
      points.push({ k: done - chunk / 2, perAdd: (now - chunkStart) / chunkDone });
      chunkStart = now;
      chunkDone = 0;
      const elapsed = now - t0;
      // Least squares over the chunks so far: ms per add = a + b × users already there.
      const n = points.length;
      const mk = sum(points.map((p) => p.k)) / n;
      const mt = sum(points.map((p) => p.perAdd)) / n;
      const sxx = sum(points.map((p) => (p.k - mk) ** 2));
      const b = n >= 3 && sxx > 0 ? Math.max(0, sum(points.map((p) => (p.k - mk) * (p.perAdd - mt))) / sxx) : 0;
      const a = mt - b * mk;
      const last = points[n - 1]!.perAdd;
      const remainingMs = Math.max(last * (opts.users - done), a * (opts.users - done) + (b * (opts.users ** 2 - done ** 2)) / 2);
      const projectedMs = elapsed + remainingMs;
      if (now - lastReport > 15_000 || done === opts.users) {
        lastReport = now;
        log(`  ${done.toLocaleString('en-US')} of ${opts.users.toLocaleString('en-US')} users in ${secs(elapsed)} s (now ${(1000 / last).toFixed(0)} adds/s); projected total ${(projectedMs / 60_000).toFixed(1)} min`);
      }
      if ((n >= 3 && projectedMs > limitMs) || elapsed > limitMs) {
        // The largest N that would fit: a × N + b × N² / 2 ≤ limit.
        const fits = b > 0 ? Math.floor((-a + Math.sqrt(a * a + 2 * b * limitMs)) / b) : Math.floor(limitMs / Math.max(a, 0.001));
        halt.reason = new Bounded(
          `creating ${opts.users.toLocaleString('en-US')} users would take about ${(projectedMs / 60_000).toFixed(0)} min, more than the ${opts.maxCreateMinutes}-min limit ` +
            `(after ${done.toLocaleString('en-US')} users in ${secs(elapsed)} s: ${last.toFixed(1)} ms per add now, growing by ~${(b * 1000).toFixed(2)} ms per 1,000 users already in the DC). ` +
            `At most about ${(Math.floor(fits / 1000) * 1000).toLocaleString('en-US')} users might fit in ${opts.maxCreateMinutes} min (an early estimate: the adds keep slowing down, and the run stops whenever the projection exceeds the limit): run with a smaller N, or raise --max-create-minutes.`,
        );
      }
    };
    await Promise.all(
      Array.from({ length: CONNECTIONS * IN_FLIGHT }, async (_, w) => {
        const client = clients[w % CONNECTIONS]!;
        for (;;) {
          if (halt.reason) return;
          const i = next++;
          if (i >= users.length) return;
          await add(client, users[i]!, uac);
          done += 1;
          chunkDone += 1;
          if (chunkDone === chunk || done === users.length) check();
        }
      }),
    );
    if (halt.reason) throw halt.reason;
    const userMs = performance.now() - t0;

    // Teams (the users of one OU), departments of 5 teams, one company group: each added with its members.
    const g0 = performance.now();
    const addGroup = (name: string, members: string[]) => c0.add(groupDn(name), { objectClass: ['top', 'group'], sAMAccountName: name, description: `Sync bench group ${name}`, member: members });
    for (const [t, name] of teamNames.entries()) await addGroup(name, users.slice(t * opts.groupSize, (t + 1) * opts.groupSize).map((u) => u.dn));
    for (const [d, name] of deptNames.entries()) await addGroup(name, teamNames.slice(d * TEAMS_PER_DEPARTMENT, (d + 1) * TEAMS_PER_DEPARTMENT).map(groupDn));
    await addGroup('Sync Bench Company', deptNames.map(groupDn));
    return { benchOu, users, groups, teams, departments, uac, userMs, groupMs: performance.now() - g0 };
  } finally {
    await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
  }
}

/** The reader's full-import filter: persons and groups created at or before `usn`. */
function readerFilter(usn: string): Filter {
  const person = new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })] });
  return new AndFilter({ filters: [new OrFilter({ filters: [person, new EqualityFilter({ attribute: 'objectClass', value: 'group' })] }), new LessThanEqualsFilter({ attribute: 'uSNCreated', value: usn })] });
}

async function highestCommittedUsn(client: Client): Promise<string> {
  const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['highestCommittedUSN'] });
  return String(searchEntries[0]?.['highestCommittedUSN'] ?? '0');
}

// ---------------------------------------------------------------- the portal

function writeConfig(dir: string, dc: SambaDc, benchOu: string, databaseUrl: string | undefined): string {
  writeFileSync(join(dir, 'dc-ca.pem'), dc.caCertPem);
  const q = (s: string) => JSON.stringify(s);
  return writePortalConfig(dir, 'Written by bench/sync.ts: a throwaway portal on loopback with an in-process agent.', [
    'sync:',
    '  # Only the runs the benchmark starts.',
    '  intervalMinutes: 0',
    'reminders:',
    '  enabled: false',
    'agent:',
    '  inProcess: true',
    '  stateFile: ./agent-state.json',
    '  journalFile: ./agent-journal.json',
    '  sync:',
    `    baseDns: [${q(benchOu)}]`,
    `    pageSize: ${opts.pageSize}`,
    '  ad:',
    `    urls: [${q(dc.url)}]`,
    '    caCertFile: ./dc-ca.pem',
    `    tlsServerName: ${q(dc.tlsServerName)}`,
    `    bindDn: ${q(dc.adminDn)}`,
    `    bindPassword: ${q(dc.adminPassword)}`,
    `    baseDn: ${q(dc.baseDn)}`,
  ], undefined, databaseUrl);
}

// ---------------------------------------------------------------- phases

interface Phase {
  label: string;
  /** Users and groups (entries) delivered or read. */
  users: number;
  groups: number;
  pages: number;
  wallMs: number;
  cpu: CpuShare;
  /** Chain runs: time in SyncService.applyPage and finishRun, the run's numbers, memory. */
  applyMs?: number;
  finishMs?: number;
  run?: SyncRun;
  memory?: ReturnType<ReturnType<typeof memorySampler>>;
}

function report(p: Phase): Phase {
  const rate = p.users / (p.wallMs / 1000);
  console.log(`  ${p.label}: ${p.users.toLocaleString('en-US')} users + ${p.groups} groups, ${p.pages} pages in ${secs(p.wallMs)} s (${fmt(rate)} users/s); CPU: ${cpuShareNote(p.cpu)}`);
  return p;
}

// ---------------------------------------------------------------- run

async function main(): Promise<void> {
  printHeader('AD sync benchmark', ['src', 'package.json']);
  const sambaVersion = spawnSync('samba', ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?';
  console.log(`Samba ${sambaVersion.replace(/^Version /, '')}; ${versions(['ldapts', 'ws', 'better-sqlite3', 'kysely'])}`);
  console.log(`N = ${opts.users.toLocaleString('en-US')} users, page size ${opts.pageSize}, ${opts.rounds} round(s) of the raw read and the reader, ${opts.changes} changes for the delta; loopback only.`);
  const quiet = cpuMeter(null);
  await sleep(1000);
  console.log(`CPU used by other processes before the run: ${quiet().others.toFixed(2)} of ${cpus().length} CPUs`);

  // ---- the DC and its users (not measured)
  let t = performance.now();
  const dc = await startSambaDc({ smbConf: { 'ldb:nosync': 'true' }, ...(flags['dc-from'] ? { from: flags['dc-from'] } : {}) });
  let keep: KeptLayout | null = null;
  onCleanUp(async () => {
    const keepIn = flags['keep-dc'];
    if (!keepIn || !keep) return dc.stop();
    await dc.stop({ keepIn });
    writeFileSync(join(keepIn, LAYOUT_FILE), JSON.stringify(keep));
    console.log(`The DC's files are kept in ${keepIn} (--dc-from ${keepIn} starts from them).`);
  });
  console.log(`Samba AD DC at ${dc.url} (pid ${dc.pid}, ldb:nosync), started in ${secs(performance.now() - t)} s${kept ? ` from the files in ${flags['dc-from']}` : ''}`);
  let layout: Layout;
  if (kept) {
    layout = { ...planLayout(dc), uac: kept.uac, userMs: NaN, groupMs: NaN };
    console.log(`Not creating users: the kept DC holds ${opts.users.toLocaleString('en-US')} users (userAccountControl ${kept.uac}) and ${layout.groups.length} groups (checked by every read below).`);
  } else {
    console.log(`Creating ${opts.users.toLocaleString('en-US')} users (no password) and their groups over LDAPS (${CONNECTIONS} connections × ${IN_FLIGHT} adds in flight; limit ${opts.maxCreateMinutes} min):`);
    const creationCpu = cpuMeter(dc.pid);
    layout = await createDirectory(dc, (line) => console.log(line));
    console.log(
      `Created ${layout.users.length.toLocaleString('en-US')} users (userAccountControl ${layout.uac}) in ${secs(layout.userMs)} s (${fmt(layout.users.length / (layout.userMs / 1000))}/s on average), ` +
        `then ${layout.groups.length} groups (${layout.teams} teams of up to ${opts.groupSize} users, ${layout.departments} department(s) of up to ${TEAMS_PER_DEPARTMENT} teams, 1 company group) in ${secs(layout.groupMs)} s; CPU: ${cpuShareNote(creationCpu())}`,
    );
  }
  keep = { users: opts.users, groupSize: opts.groupSize, uac: layout.uac };
  const groupCount = layout.groups.length;

  // ---- raw read and the reader alone
  const raw = await adminClient(dc);
  onCleanUp(() => raw.unbind().catch(() => undefined));
  const adOptions = { urls: [dc.url], caCertPem: dc.caCertPem, tlsServerName: dc.tlsServerName, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: dc.baseDn, timeoutMs: SEARCH_TIMEOUT_S * 1000 };
  const reader = new AdSyncReader(adOptions, { baseDns: [layout.benchOu] });
  onCleanUp(() => reader.close());
  const warm = await reader.cursor();
  if (!warm.ok) throw new Error(`the reader cannot read the DC's cursor: ${warm.reason} ${warm.detail ?? ''}`);

  const rawRead = async (label: string): Promise<Phase> => {
    collect();
    const meter = cpuMeter(dc.pid);
    const t0 = performance.now();
    const usn = await highestCommittedUsn(raw);
    let users = 0;
    let groups = 0;
    let pages = 0;
    for await (const page of raw.searchPaginated(layout.benchOu, { scope: 'sub', filter: readerFilter(usn), attributes: READER_ATTRIBUTES, explicitBufferAttributes: ['objectGUID'], paged: { pageSize: opts.pageSize }, timeLimit: SEARCH_TIMEOUT_S })) {
      pages += 1;
      for (const e of page.searchEntries) {
        const classes = e['objectClass'];
        if ((Array.isArray(classes) ? classes : [classes]).includes('group')) groups += 1;
        else users += 1;
      }
    }
    return report({ label, users, groups, pages, wallMs: performance.now() - t0, cpu: meter() });
  };
  const readerRead = async (label: string): Promise<Phase> => {
    collect();
    const meter = cpuMeter(dc.pid);
    const t0 = performance.now();
    let users = 0;
    let groups = 0;
    let pages = 0;
    const r = await reader.full(async (page) => {
      pages += 1;
      users += page.users.length;
      groups += page.groups.length;
    }, opts.pageSize);
    if (!r.ok) throw new Error(`AdSyncReader.full failed: ${r.reason} ${r.detail ?? ''}`);
    return report({ label, users, groups, pages, wallMs: performance.now() - t0, cpu: meter() });
  };
  const expectAll = (p: Phase) => {
    if (p.users !== opts.users || p.groups !== groupCount) throw new Error(`${p.label}: ${p.users} users and ${p.groups} groups, expected ${opts.users} and ${groupCount}`);
  };

  console.log(`\nReads of the same ${(opts.users + groupCount).toLocaleString('en-US')} entries (alternating, ${opts.rounds} round(s)):`);
  const raws: Phase[] = [];
  const readers: Phase[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    const a = await rawRead(`raw paged read, round ${r}`);
    expectAll(a);
    raws.push(a);
    const b = await readerRead(`AdSyncReader.full, round ${r}`);
    expectAll(b);
    readers.push(b);
  }

  // ---- the portal with its in-process agent
  const dir = tempDir('sspr-bench-sync-');
  let databaseUrl: string | undefined;
  if (storeKind === 'postgres') {
    const database = await createTestDatabase();
    onCleanUp(() => database.drop());
    databaseUrl = database.url;
  }
  const { baseDir, store, logger, portal } = await openBenchPortal(dir, writeConfig(dir, dc, layout.benchOu, databaseUrl));
  onCleanUp(() => store.close());
  const server: RunningServer = await startServer(portal);
  onCleanUp(() => server.stop(2000));
  const agent = await startAgentInPortal(portal, baseDir, server.url, logger);
  onCleanUp(() => agent.stop());
  const deadline = Date.now() + 15_000;
  while (portal.agentHub.connected().length !== 1) {
    if (Date.now() > deadline) throw new Error('the in-process agent did not connect within 15 s');
    await sleep(20);
  }
  console.log(`\nPortal on ${server.url} (${storeKind === 'postgres' ? 'PostgreSQL, a fresh database' : 'SQLite in a temp dir'}, log lines to /dev/null); in-process agent connected over a loopback WebSocket (agent.sync: base ${layout.benchOu}, page size ${opts.pageSize}).`);

  // Time spent applying pages and completing the run, measured around the portal's SyncService.
  const timing = { applyMs: 0, finishMs: 0, pages: 0, users: 0, groups: 0 };
  const sync = portal.sync;
  const applyPage = sync.applyPage.bind(sync);
  const finishRun = sync.finishRun.bind(sync);
  sync.applyPage = async (runId, page) => {
    const a = performance.now();
    try {
      return await applyPage(runId, page);
    } finally {
      timing.applyMs += performance.now() - a;
      timing.pages += 1;
      timing.users += page.users.length;
      timing.groups += page.groups.length;
    }
  };
  sync.finishRun = async (runId, outcome) => {
    const a = performance.now();
    try {
      return await finishRun(runId, outcome);
    } finally {
      timing.finishMs += performance.now() - a;
    }
  };

  const chain = async (label: string, full: boolean, expected: { kind: 'full' | 'delta'; added: number; updated: number }): Promise<Phase> => {
    Object.assign(timing, { applyMs: 0, finishMs: 0, pages: 0, users: 0, groups: 0 });
    collect();
    const memory = memorySampler(100);
    const meter = cpuMeter(dc.pid);
    const t0 = performance.now();
    const r = await portal.syncCoordinator.run('manual', { full });
    const wallMs = performance.now() - t0;
    const cpuShare = meter();
    const mem = memory();
    if (!r.ok) throw new Error(`${label}: the sync did not start (${r.reason})`);
    const run = r.value;
    if (run.status !== 'done' || run.kind !== expected.kind || run.errors !== 0 || run.added !== expected.added || run.updated !== expected.updated || run.disabled !== 0) {
      throw new Error(`${label}: run ${run.status} (${run.kind}), added ${run.added}, updated ${run.updated}, disabled ${run.disabled}, errors ${run.errors}; expected ${expected.kind}, added ${expected.added}, updated ${expected.updated}. ${run.problems.join('; ')}`);
    }
    const p = report({ label, users: timing.users, groups: timing.groups, pages: timing.pages, wallMs, cpu: cpuShare, applyMs: timing.applyMs, finishMs: timing.finishMs, run, memory: mem });
    console.log(`    run: added ${run.added}, updated ${run.updated}, disabled ${run.disabled}; applyPage ${secs(timing.applyMs)} s, finishRun ${secs(timing.finishMs)} s; rss ${mib(mem.start.rss)} → peak ${mib(mem.peak.rss)} → ${mib(mem.end.rss)} MiB, heapUsed ${mib(mem.start.heapUsed)} → peak ${mib(mem.peak.heapUsed)} → ${mib(mem.end.heapUsed)} MiB (${mem.samples} samples)`);
    return p;
  };

  console.log('\nThe whole chain (portal ← agent ← AD):');
  const fullEmpty = await chain('full import into the empty portal', true, { kind: 'full', added: opts.users + groupCount, updated: 0 });
  // Checks: everyone is there once, and the company group holds every user through its nesting.
  const onprem = Number((await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'onprem').where('enabled', '=', 1).executeTakeFirstOrThrow()).n);
  const company = await portal.groups.byName('Sync Bench Company');
  const transitive = company ? (await portal.groups.transitiveUserIds(company.id)).size : 0;
  if (onprem !== opts.users || transitive !== opts.users) throw new Error(`after the full import: ${onprem} enabled on-premises users, ${transitive} in the company group (expected ${opts.users})`);
  console.log(`    checked: ${onprem.toLocaleString('en-US')} enabled on-premises users; the company group holds all ${transitive.toLocaleString('en-US')} through departments and teams.`);
  const fullAgain = await chain('full import again (nothing changed)', true, { kind: 'full', added: 0, updated: 0 });
  const deltaEmpty = await chain('delta, nothing changed', false, { kind: 'delta', added: 0, updated: 0 });

  // `--changes` distinct users, spread over the directory (a fixed stride from a random start).
  const stride = Math.floor(opts.users / opts.changes);
  const offset = Math.floor(Math.random() * stride);
  const changed = Array.from({ length: opts.changes }, (_, i) => layout.users[(offset + i * stride) % opts.users]!);
  t = performance.now();
  for (const u of changed) await raw.modify(u.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'displayName', values: [`Sync Bench ${u.index} (changed ${runStamp})`] }) }));
  console.log(`  (${changed.length} displayName modifies in AD, one at a time: ${secs(performance.now() - t)} s, not measured)`);
  // The same delta's baselines: one raw search (the reader's first delta search: users and groups in
  // scope changed since the cursor), and AdSyncReader.delta alone (every search a delta makes).
  const cursor = await portal.sync.cursor();
  if (!cursor) throw new Error('no sync cursor after the full imports');
  const rawDelta = await (async (): Promise<Phase> => {
    const meter = cpuMeter(dc.pid);
    const t0 = performance.now();
    const usn = await highestCommittedUsn(raw);
    const filter = new AndFilter({ filters: [readerFilter(usn), new GreaterThanEqualsFilter({ attribute: 'uSNChanged', value: String(BigInt(cursor.usn) + 1n) })] });
    let users = 0;
    let pages = 0;
    for await (const page of raw.searchPaginated(layout.benchOu, { scope: 'sub', filter, attributes: READER_ATTRIBUTES, explicitBufferAttributes: ['objectGUID'], paged: { pageSize: opts.pageSize }, timeLimit: SEARCH_TIMEOUT_S })) {
      pages += 1;
      users += page.searchEntries.length;
    }
    return report({ label: 'raw search of the changed entries (uSNChanged > cursor)', users, groups: 0, pages, wallMs: performance.now() - t0, cpu: meter() });
  })();
  const readerDelta = await (async (): Promise<Phase> => {
    const meter = cpuMeter(dc.pid);
    const t0 = performance.now();
    let users = 0;
    let pages = 0;
    const r = await reader.delta(cursor, async (page) => {
      pages += 1;
      users += page.users.length;
    }, opts.pageSize);
    if (!r.ok || !('cursor' in r.value)) throw new Error(`AdSyncReader.delta failed: ${r.ok ? 'full import needed' : `${r.reason} ${r.detail ?? ''}`}`);
    return report({ label: 'AdSyncReader.delta, no-op onPage', users, groups: 0, pages, wallMs: performance.now() - t0, cpu: meter() });
  })();
  if (rawDelta.users !== changed.length || readerDelta.users !== changed.length) throw new Error(`the delta baselines found ${rawDelta.users} and ${readerDelta.users} changed users, expected ${changed.length}`);
  const delta = await chain(`delta, ${changed.length} displayName changes`, false, { kind: 'delta', added: 0, updated: changed.length });
  if (delta.users !== changed.length) throw new Error(`the delta delivered ${delta.users} users, expected ${changed.length}`);
  const sample = await portal.users.byUsername(`${changed[0]!.name}@${dc.realm.toLowerCase()}`);
  if (sample?.displayName !== `Sync Bench ${changed[0]!.index} (changed ${runStamp})`) throw new Error(`${changed[0]!.name}'s display name in the portal is ${sample?.displayName ?? '(no user)'}`);

  console.log('');
  const rawAfter = await rawRead('raw paged read, after the imports');
  expectAll(rawAfter);

  // ---- report
  const rawRate = p50(raws.map((p) => (p.users + p.groups) / (p.wallMs / 1000)));
  const rawMs = p50(raws.map((p) => p.wallMs));
  const usersPerS = (p: Phase) => p.users / (p.wallMs / 1000);
  const entriesPerS = (p: Phase) => (p.users + p.groups) / (p.wallMs / 1000);
  const readerMs = p50(readers.map((p) => p.wallMs));
  const noisy = [...raws, ...readers, fullEmpty, fullAgain, deltaEmpty, rawDelta, readerDelta, delta, rawAfter].filter((p) => p.cpu.others > QUIET);
  const row = (p: Phase, label = p.label): string[] => [
    label,
    p.users.toLocaleString('en-US'),
    String(p.groups),
    secs(p.wallMs),
    p.users + p.groups === 0 ? '-' : fmt(usersPerS(p)),
    p.users + p.groups === 0 ? '-' : fmt(entriesPerS(p)),
    p.users + p.groups !== opts.users + groupCount ? '-' : `${(entriesPerS(p) / rawRate).toFixed(2)}x`,
    p.cpu.own.toFixed(2),
    p.cpu.samba.toFixed(2),
    p.cpu.others.toFixed(2),
  ];
  const medianPhase = (phases: Phase[], label: string): Phase => {
    const m = p50(phases.map((p) => p.wallMs));
    const p = phases.find((x) => x.wallMs === m)!;
    return { ...p, label };
  };
  console.log(`\n${opts.users.toLocaleString('en-US')} users and ${groupCount} groups in OU=Sync Bench, page size ${opts.pageSize}. Reads: median round of ${opts.rounds}; "vs raw" (whole reads only) = entries/s ÷ the raw read's median entries/s. CPU columns: CPUs used on average during the phase (this process = portal, agent and clients).\n`);
  console.log(
    table(
      ['phase', 'users', 'groups', 'seconds', 'users/s', 'entries/s', 'vs raw', 'this process CPU', 'Samba CPU', 'others CPU'],
      [
        row(medianPhase(raws, `raw paged read, 1 connection (median of ${opts.rounds})`)),
        row(medianPhase(readers, `AdSyncReader.full, no-op onPage (median of ${opts.rounds})`)),
        row(fullEmpty, 'chain: full import into the empty portal'),
        row(fullAgain, 'chain: full import again (nothing changed)'),
        row(deltaEmpty, 'chain: delta, nothing changed'),
        row(rawDelta, `raw search of the ${changed.length} changed users (uSNChanged > cursor)`),
        row(readerDelta, `AdSyncReader.delta, ${changed.length} changed, no-op onPage`),
        row(delta, `chain: delta, ${changed.length} displayName changes`),
        row(rawAfter, 'raw paged read, after the imports'),
      ],
    ),
  );
  const readerVsRaw = readerMs / rawMs;
  console.log(`\nRaw read rounds: ${raws.map((p) => secs(p.wallMs)).join(', ')} s; reader rounds: ${readers.map((p) => secs(p.wallMs)).join(', ')} s (reader ÷ raw time ${readerVsRaw.toFixed(2)}x).`);

  console.log(`\nWhere the chain's time goes (SyncService.applyPage and finishRun timed in the portal; "rest" is the wall time outside them: the AD read, the agent and the WebSocket, as far as they do not overlap the applying — the agent reads the next page while the portal applies one):\n`);
  const chains = [fullEmpty, fullAgain, deltaEmpty, delta];
  console.log(
    table(
      ['run', 'wall s', 'pages', 'applyPage s', 'ms per page', 'ms per user', 'finishRun s', 'rest s (AD read not overlapped)', 'raw read s (median)'],
      chains.map((p) => {
        const rest = p.wallMs - p.applyMs! - p.finishMs!;
        return [p.label, secs(p.wallMs), String(p.pages), secs(p.applyMs!), p.pages ? fmt(p.applyMs! / p.pages) : '-', p.users ? fmt(p.applyMs! / (p.users + p.groups)) : '-', secs(p.finishMs!), secs(rest), p.run!.kind === 'full' ? secs(rawMs) : '-'];
      }),
    ),
  );

  console.log(`\nMemory of this process (portal + in-process agent + benchmark clients) during each chain run: process.memoryUsage() every 100 ms, after a full GC at the start. MiB.\n`);
  console.log(
    table(
      ['run', 'rss start', 'rss peak', 'rss end', 'heapUsed start', 'heapUsed peak', 'heapUsed end', 'samples'],
      chains.map((p) => {
        const m = p.memory!;
        return [p.label, mib(m.start.rss), mib(m.peak.rss), mib(m.end.rss), mib(m.start.heapUsed), mib(m.peak.heapUsed), mib(m.end.heapUsed), String(m.samples)];
      }),
    ),
  );
  const dbFile = join(dir, 'sspr.db');
  const dbBytes =
    storeKind === 'postgres'
      ? Number((await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(store.db)).rows[0]?.n ?? 0)
      : ['', '-wal'].reduce((s, ext) => {
          try {
            return s + statSync(dbFile + ext).size;
          } catch {
            return s;
          }
        }, 0);
  console.log(`\nFull import through the chain: ${fmt(usersPerS(fullEmpty))} users/s into the empty portal (${(entriesPerS(fullEmpty) / rawRate).toFixed(2)}x the raw read), ${fmt(usersPerS(fullAgain))} users/s when nothing changed (${(entriesPerS(fullAgain) / rawRate).toFixed(2)}x). Delta with ${changed.length} changes among ${opts.users.toLocaleString('en-US')}: ${secs(delta.wallMs)} s through the chain, ${secs(readerDelta.wallMs)} s for the reader alone, ${secs(rawDelta.wallMs)} s for the raw search of the changed users (nothing changed: ${secs(deltaEmpty.wallMs)} s). ${storeKind === 'postgres' ? 'PostgreSQL database' : 'SQLite file and WAL'} afterwards: ${mib(dbBytes)} MiB.`);
  if (!kept) console.log(`Creation (not measured above): users ${secs(layout.userMs)} s, groups ${secs(layout.groupMs)} s.`);
  if (noisy.length) console.log(`\nWARNING: other processes used more than ${QUIET} CPU during ${noisy.map((p) => p.label).join('; ')}: rerun on a quiet machine before comparing.`);
}

const startedAt = performance.now();
await runBench(async () => {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof Bounded)) throw err;
    console.error(`\nbench stopped: ${err.message}`);
    process.exitCode = 3;
  }
});
const after = cpuMeter(null);
await sleep(1000);
console.log(`\nCPU used by other processes after the run: ${after().others.toFixed(2)} of ${cpus().length} CPUs. Total time ${((performance.now() - startedAt) / 1000).toFixed(0)} s. Done.`);
