import { afterAll, beforeAll, vi } from 'vitest';
import { AdSyncReader, type DeltaOutcome, type SyncScope } from '../../src/agent/ad-sync-reader.js';
import type { AdConnectionOptions } from '../../src/ad/ad-connection.js';
import type { SyncCursor, SyncGroup, SyncPage, SyncUser } from '../../src/agent-protocol/index.js';
import { AdBulk, type BulkObject, type BulkUserSpec } from './ad-bulk.js';
import { startSambaDc, type SambaDc } from './samba-dc.js';

/**
 * The directory the agent's AD reader is tested against (src/agent/ad-sync-reader*.test.ts), on
 * a real Samba AD DC of its own per test file: 1,000 users in 10 OUs under two base DNs (Staff
 * and Contractors), 20 users and a group outside them, a computer, and nested groups.
 */

export const DAY = 86_400_000;
export const MAX_AGE_MS = 42 * DAY; // Samba's default maxPwdAge
export const PER_OU = 100;

export let dc: SambaDc;
export let bulk: AdBulk;
export let options: AdConnectionOptions;
export const readers: AdSyncReader[] = [];

export let staffOu: string;
export let contractorsOu: string;
export let outsideOu: string;
export const deptOus: string[] = [];
/** Every in-scope user by name, as created. */
export const specs = new Map<string, BulkUserSpec>();
export const users = new Map<string, BulkObject>();
export const groups = new Map<string, BulkObject>();
/** Expected member DNs of each in-scope group, by group name. */
export const members = new Map<string, string[]>();
export let outsideUsers: BulkObject[] = [];
export let outsideGroup: BulkObject;
export let computer: BulkObject;
export let ssprDn: string;

export function pad(n: number): string {
  return String(n).padStart(4, '0');
}

export function readerFor(scope: SyncScope, deps: ConstructorParameters<typeof AdSyncReader>[2] = {}): AdSyncReader {
  const r = new AdSyncReader(options, scope, deps);
  readers.push(r);
  return r;
}

export function mainScope(): SyncScope {
  return { baseDns: [staffOu, contractorsOu] };
}

export interface Collected {
  pages: SyncPage[];
  users: SyncUser[];
  groups: SyncGroup[];
  gone: string[];
}

export function collect(pages: SyncPage[]): Collected {
  return { pages, users: pages.flatMap((p) => p.users), groups: pages.flatMap((p) => p.groups), gone: pages.flatMap((p) => p.gone) };
}

export async function fullOf(reader: AdSyncReader, pageSize?: number): Promise<Collected & { cursor: SyncCursor }> {
  const pages: SyncPage[] = [];
  const r = await reader.full(async (p) => {
    pages.push(p);
  }, pageSize);
  if (!r.ok) throw new Error(`full import failed: ${r.reason} ${r.detail ?? ''}`);
  return { ...collect(pages), cursor: r.value };
}

export async function deltaOf(reader: AdSyncReader, since: SyncCursor, pageSize?: number): Promise<Collected & { outcome: DeltaOutcome }> {
  const pages: SyncPage[] = [];
  const r = await reader.delta(
    since,
    async (p) => {
      pages.push(p);
    },
    pageSize,
  );
  if (!r.ok) throw new Error(`delta failed: ${r.reason} ${r.detail ?? ''}`);
  return { ...collect(pages), outcome: r.value };
}

export let mainReader: AdSyncReader;

export const sortedLower = (dns: string[]) => dns.map((d) => d.toLowerCase()).sort();
export const anchors = (xs: { anchor: string }[]) => xs.map((x) => x.anchor).sort();

/** Registers the file's hooks: one Samba DC with the directory above, stopped after the file. */
export function useSyncDirectory(): void {
  beforeAll(async () => {
    dc = await startSambaDc();
    options = { urls: [dc.url], caCertPem: dc.caCertPem, tlsServerName: dc.tlsServerName, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: dc.baseDn };
    bulk = await AdBulk.open(dc);
    staffOu = await bulk.addOu(dc.baseDn, 'Staff');
    contractorsOu = await bulk.addOu(dc.baseDn, 'Contractors');
    outsideOu = await bulk.addOu(dc.baseDn, 'Outside');
    for (let o = 0; o < 10; o++) deptOus.push(await bulk.addOu(o < 8 ? staffOu : contractorsOu, `Dept${String(o).padStart(2, '0')}`));

    const all: BulkUserSpec[] = [];
    for (let o = 0; o < 10; o++) {
      for (let i = 0; i < PER_OU; i++) {
        const n = o * PER_OU + i;
        const name = `u${pad(n)}`;
        const spec: BulkUserSpec = { parentDn: deptOus[o]!, name, displayName: `User ${pad(n)}`, givenName: 'User', sn: pad(n) };
        if (n % 10 !== 0) spec.mail = `${name}@corp.example.test`;
        if (n % 3 === 0) spec.mobile = `+44 7700 9${pad(n)}`;
        if (n % 4 === 0) spec.telephoneNumber = `+44 20 7946 ${pad(n)}`;
        if (n % 50 === 7) spec.userAccountControl = 514; // disabled
        if (n % 50 === 11) spec.userAccountControl = 0x10200; // password never expires
        const extra: Record<string, string> = {};
        if (n % 100 === 13) extra['adminCount'] = '1';
        if (n === 900 || n === 901) extra['department'] = 'Pilot';
        if (Object.keys(extra).length > 0) spec.extra = extra;
        if (n === 42) spec.userPrincipalName = null;
        all.push(spec);
        specs.set(name, spec);
      }
    }
    const t0 = performance.now();
    const created = await bulk.addUsers(all);
    console.info(`created 1,000 users over LDAPS in ${Math.round(performance.now() - t0)} ms`);
    for (const u of created) users.set(u.name, u);
    outsideUsers = await bulk.addUsers(Array.from({ length: 20 }, (_, i) => ({ parentDn: outsideOu, name: `o${pad(i)}` })));
    computer = await bulk.addComputer(deptOus[0]!, 'WS0001');

    // Groups: one per OU with its users; "All Staff" holds the 8 staff groups; "Everyone" holds
    // "All Staff", the contractor groups and two users (three levels); "SSPR (Pilot)" (a name
    // that needs escaping in a filter) holds 50 users and the Dept09 group.
    const dn = (name: string) => users.get(name)!.dn;
    const groupSpecs = deptOus.map((ou, o) => {
      const name = `G-Dept${String(o).padStart(2, '0')}`;
      const m = Array.from({ length: PER_OU }, (_, i) => dn(`u${pad(o * PER_OU + i)}`));
      return { parentDn: ou, name, memberDns: m };
    });
    const groupDn = (parent: string, name: string) => `CN=${name},${parent}`;
    groupSpecs.push({ parentDn: staffOu, name: 'G-All Staff', memberDns: groupSpecs.slice(0, 8).map((g) => groupDn(g.parentDn, g.name)) });
    groupSpecs.push({ parentDn: contractorsOu, name: 'G-Everyone', memberDns: [groupDn(staffOu, 'G-All Staff'), groupDn(deptOus[8]!, 'G-Dept08'), groupDn(deptOus[9]!, 'G-Dept09'), dn('u0001'), dn('u0999')] });
    groupSpecs.push({ parentDn: staffOu, name: 'SSPR (Pilot)', memberDns: [...Array.from({ length: 50 }, (_, i) => dn(`u${pad(i)}`)), groupDn(deptOus[9]!, 'G-Dept09')] });
    for (const g of await bulk.addGroups(groupSpecs)) groups.set(g.name, g);
    for (const g of groupSpecs) members.set(g.name, g.memberDns);
    ssprDn = groups.get('SSPR (Pilot)')!.dn;
    outsideGroup = (await bulk.addGroups([{ parentDn: outsideOu, name: 'G-Outside', memberDns: [dn('u0002'), groups.get('G-Dept01')!.dn, outsideUsers[0]!.dn] }]))[0]!;

    mainReader = readerFor(mainScope());
  }, 600_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    for (const r of readers) await r.close();
    await bulk?.close();
    await dc?.stop();
  });
}
