import { randomUUID } from 'node:crypto';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdBulk, type BulkObject, type BulkUserSpec } from '../../test/helpers/ad-bulk.js';
import { startSambaDc, type SambaDc } from '../../test/helpers/samba-dc.js';
import { AdConfigurationError, type AdConnectionOptions } from '../ad/ad-connection.js';
import { escapeFilterValue } from '../ad/escape.js';
import { manualClock } from '../shared/clock.js';
import { AdSyncReader, type DeltaOutcome, type SyncScope } from './ad-reader.js';
import type { SyncCursor, SyncGroup, SyncPage, SyncUser } from '../agent-protocol/index.js';

/**
 * The agent's AD reader against a real Samba AD DC (one per file): a full import of 1,000 users
 * in 10 OUs under two base DNs with nested groups, then deltas for every kind of change —
 * adds, attribute changes, renames, moves in and out of scope, deletions (tombstones), group
 * membership — each showing exactly what changed. Plus cursors from another DC, cursors older
 * than the tombstone lifetime, password expiry, userFilter, overlapping base DNs and ranged
 * group members.
 */

const DAY = 86_400_000;
const MAX_AGE_MS = 42 * DAY; // Samba's default maxPwdAge
const PER_OU = 100;

let dc: SambaDc;
let bulk: AdBulk;
let options: AdConnectionOptions;
const readers: AdSyncReader[] = [];

let staffOu: string;
let contractorsOu: string;
let outsideOu: string;
const deptOus: string[] = [];
/** Every in-scope user by name, as created. */
const specs = new Map<string, BulkUserSpec>();
const users = new Map<string, BulkObject>();
const groups = new Map<string, BulkObject>();
/** Expected member DNs of each in-scope group, by group name. */
const members = new Map<string, string[]>();
let outsideUsers: BulkObject[] = [];
let outsideGroup: BulkObject;
let computer: BulkObject;
let ssprDn: string;

/** The full import all deltas start from. */
let base: { pages: SyncPage[]; cursor: SyncCursor; ms: number };
/** Where the next delta of the main sequence starts. */
let cursor: SyncCursor;

function pad(n: number): string {
  return String(n).padStart(4, '0');
}

function readerFor(scope: SyncScope, deps: ConstructorParameters<typeof AdSyncReader>[2] = {}): AdSyncReader {
  const r = new AdSyncReader(options, scope, deps);
  readers.push(r);
  return r;
}

function mainScope(): SyncScope {
  return { baseDns: [staffOu, contractorsOu] };
}

interface Collected {
  pages: SyncPage[];
  users: SyncUser[];
  groups: SyncGroup[];
  gone: string[];
}

function collect(pages: SyncPage[]): Collected {
  return { pages, users: pages.flatMap((p) => p.users), groups: pages.flatMap((p) => p.groups), gone: pages.flatMap((p) => p.gone) };
}

async function fullOf(reader: AdSyncReader, pageSize?: number): Promise<Collected & { cursor: SyncCursor }> {
  const pages: SyncPage[] = [];
  const r = await reader.full(async (p) => {
    pages.push(p);
  }, pageSize);
  if (!r.ok) throw new Error(`full import failed: ${r.reason} ${r.detail ?? ''}`);
  return { ...collect(pages), cursor: r.value };
}

async function deltaOf(reader: AdSyncReader, since: SyncCursor, pageSize?: number): Promise<Collected & { outcome: DeltaOutcome }> {
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

let mainReader: AdSyncReader;

/** The next delta of the main sequence; the cursor moves on. */
async function nextDelta(): Promise<Collected> {
  const d = await deltaOf(mainReader, cursor);
  if (!('cursor' in d.outcome)) throw new Error(`unexpected full import needed: ${d.outcome.reason}`);
  expect(BigInt(d.outcome.cursor.usn)).toBeGreaterThanOrEqual(BigInt(cursor.usn));
  cursor = d.outcome.cursor;
  return d;
}

const sortedLower = (dns: string[]) => dns.map((d) => d.toLowerCase()).sort();
const anchors = (xs: { anchor: string }[]) => xs.map((x) => x.anchor).sort();

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

describe('full import', () => {
  it('reads 1,000 users and 13 groups in pages, with the right attributes and members; computers and objects outside the base DNs are left out', async () => {
    const spy = vi.spyOn(Client.prototype, 'searchPaginated');
    const started = performance.now();
    const full = await fullOf(mainReader, 100);
    const ms = performance.now() - started;
    const pagedCalls = spy.mock.calls.map((c) => c[1]?.paged);
    spy.mockRestore();
    base = { pages: full.pages, cursor: full.cursor, ms };
    cursor = full.cursor;
    console.info(`full import of ${full.users.length} users and ${full.groups.length} groups: ${Math.round(ms)} ms in ${full.pages.length} pages of ≤ 100`);

    // Paged: the searches asked for pages of 100, and no page is bigger.
    expect(pagedCalls.length).toBeGreaterThan(0);
    for (const p of pagedCalls) expect(p).toEqual({ pageSize: 100 });
    expect(full.pages.length).toBeGreaterThanOrEqual(11);
    for (const p of full.pages) {
      expect(p.users.length + p.groups.length).toBeLessThanOrEqual(100);
      expect(p.gone).toEqual([]);
    }

    // Every user once, nothing else.
    expect(full.users).toHaveLength(1000);
    expect(new Set(full.users.map((u) => u.anchor)).size).toBe(1000);
    expect(anchors(full.users)).toEqual([...users.values()].map((u) => u.guid).sort());
    const byAnchor = new Map(full.users.map((u) => [u.anchor, u]));
    expect(byAnchor.has(computer.guid)).toBe(false);
    for (const o of outsideUsers) expect(byAnchor.has(o.guid)).toBe(false);

    for (const [name, spec] of specs) {
      const u = byAnchor.get(users.get(name)!.guid)!;
      const uac = spec.userAccountControl ?? 512;
      expect(u).toMatchObject({
        dn: users.get(name)!.dn,
        sAMAccountName: name,
        userPrincipalName: spec.userPrincipalName === null ? null : `${name}@corp.example.test`,
        displayName: spec.displayName,
        mail: spec.mail ?? null,
        mobile: spec.mobile ?? null,
        telephoneNumber: spec.telephoneNumber ?? null,
        enabled: (uac & 2) === 0,
        protected: spec.extra?.['adminCount'] === '1',
        passwordNeverExpires: (uac & 0x10000) !== 0,
      });
      expect(u.pwdLastSet).not.toBeNull();
      expect(Math.abs(u.pwdLastSet! - Date.now())).toBeLessThan(30 * 60_000);
      if (u.passwordNeverExpires) expect(u.passwordExpiresAt).toBeNull();
      else expect(Math.abs(u.passwordExpiresAt! - (u.pwdLastSet! + MAX_AGE_MS))).toBeLessThanOrEqual(1000);
    }
    expect(full.users.filter((u) => !u.enabled)).toHaveLength(20);
    expect(full.users.filter((u) => u.protected)).toHaveLength(10);

    // Groups: the 13 in scope (not G-Outside), member DNs exactly as AD lists them, nested groups included.
    expect(full.groups.map((g) => g.name).sort()).toEqual([...members.keys()].sort());
    expect(full.groups.some((g) => g.anchor === outsideGroup.guid)).toBe(false);
    for (const g of full.groups) {
      expect(g.anchor).toBe(groups.get(g.name)!.guid);
      expect(g.dn).toBe(groups.get(g.name)!.dn);
      expect(g.description).toBeNull();
      expect(sortedLower(g.memberDns)).toEqual(sortedLower(members.get(g.name)!));
    }

    expect(full.cursor.invocationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(full.cursor.usn).toMatch(/^\d+$/);
    expect(full.cursor.dc).toBe(dc.tlsServerName);
  }, 120_000);

  it('cursor() names the same DC and, with nothing changed, the same USN', async () => {
    const r = await mainReader.cursor();
    expect(r).toEqual({ ok: true, value: base.cursor });
  });

  it('a full import reads the same with the default page size, and with group members fetched in ranges', async () => {
    const byDefault = await fullOf(readerFor(mainScope()));
    expect(byDefault.pages.length).toBeLessThan(base.pages.length);
    expect(anchors(byDefault.users)).toEqual(anchors(base.pages.flatMap((p) => p.users)));
    const ranged = await fullOf(readerFor(mainScope(), { memberRangeSize: 7 }), 50);
    const expected = new Map(base.pages.flatMap((p) => p.groups).map((g) => [g.anchor, sortedLower(g.memberDns)]));
    expect(ranged.groups).toHaveLength(13);
    for (const g of ranged.groups) expect(sortedLower(g.memberDns)).toEqual(expected.get(g.anchor));
    expect(ranged.groups.find((g) => g.name === 'G-Dept00')!.memberDns).toHaveLength(100);
  }, 120_000);

  it('overlapping base DNs (an OU inside another, the same one in other case) read each object once', async () => {
    const r = readerFor({ baseDns: [deptOus[0]!, staffOu, staffOu.toLowerCase()] });
    const full = await fullOf(r, 200);
    expect(full.users).toHaveLength(800);
    expect(new Set(full.users.map((u) => u.anchor)).size).toBe(800);
    expect(full.groups.map((g) => g.name).sort()).toEqual([...Array.from({ length: 8 }, (_, o) => `G-Dept0${o}`), 'G-All Staff', 'SSPR (Pilot)'].sort());
  }, 60_000);
});

describe('userFilter', () => {
  it('a full import brings only the users matching it (direct memberOf, escaped DN, or an attribute); groups are not filtered', async () => {
    const filter = `(|(memberOf=${escapeFilterValue(ssprDn)})(department=Pilot))`;
    expect(filter).toContain('SSPR \\28Pilot\\29');
    const full = await fullOf(readerFor({ ...mainScope(), userFilter: filter }), 100);
    const expected = [...Array.from({ length: 50 }, (_, i) => `u${pad(i)}`), 'u0900', 'u0901'].map((n) => users.get(n)!.guid).sort();
    expect(anchors(full.users)).toEqual(expected);
    expect(full.groups).toHaveLength(13);
  }, 60_000);

  it('LDAP_MATCHING_RULE_IN_CHAIN in the filter takes nested members too', async () => {
    const filter = `(memberOf:1.2.840.113556.1.4.1941:=${escapeFilterValue(ssprDn)})`;
    const full = await fullOf(readerFor({ ...mainScope(), userFilter: filter }));
    expect(full.users).toHaveLength(150); // 50 direct, 100 through G-Dept09
  }, 60_000);

  it('a filter that is not LDAP, no base DNs or a base DN that does not exist are refused', async () => {
    expect(() => new AdSyncReader(options, { baseDns: [staffOu], userFilter: '(memberOf=CN=SSPR (Pilot),OU=Staff' })).toThrow(AdConfigurationError);
    expect(() => new AdSyncReader(options, { baseDns: [] })).toThrow(/baseDns/);
    const r = readerFor({ baseDns: [`OU=Nowhere,${dc.baseDn}`] });
    const full = await r.full(async () => undefined);
    expect(full).toMatchObject({ ok: false, reason: 'not_found' });
    await expect(r.full(async () => undefined, 0)).rejects.toThrow(RangeError);
    await expect(r.delta(base.cursor, async () => undefined, 5001)).rejects.toThrow(RangeError);
  });
});

describe('delta', () => {
  it('right after a full import, with nothing changed, is empty', async () => {
    const d = await nextDelta();
    expect(d.pages).toEqual([]);
    expect(cursor.usn).toBe(base.cursor.usn);
  });

  it('adds: new users in scope come, a new user outside the scope and a new computer do not', async () => {
    const added = await bulk.addUsers([
      { parentDn: deptOus[3]!, name: 'new0001', displayName: 'New One', mail: 'new0001@corp.example.test' },
      { parentDn: deptOus[3]!, name: 'new0002' },
      { parentDn: deptOus[9]!, name: 'new0003', userAccountControl: 514 },
      { parentDn: outsideOu, name: 'newout01' },
    ]);
    await bulk.addComputer(deptOus[4]!, 'WS0002');
    const d = await nextDelta();
    expect(anchors(d.users)).toEqual(added.slice(0, 3).map((u) => u.guid).sort());
    expect(d.users.find((u) => u.sAMAccountName === 'new0001')).toMatchObject({ displayName: 'New One', mail: 'new0001@corp.example.test', enabled: true, dn: added[0]!.dn });
    expect(d.users.find((u) => u.sAMAccountName === 'new0003')!.enabled).toBe(false);
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([]);
  });

  it('attribute changes: exactly the changed users, with the new values', async () => {
    await bulk.modify(users.get('u0101')!.dn, { mail: 'changed@corp.example.test', mobile: '+1 555 0100', displayName: 'Changed Name' });
    await bulk.modify(users.get('u0102')!.dn, { userAccountControl: '514' });
    await bulk.modify(users.get('u0104')!.dn, { telephoneNumber: null });
    const d = await nextDelta();
    expect(anchors(d.users)).toEqual(['u0101', 'u0102', 'u0104'].map((n) => users.get(n)!.guid).sort());
    const by = new Map(d.users.map((u) => [u.sAMAccountName, u]));
    expect(by.get('u0101')).toMatchObject({ mail: 'changed@corp.example.test', mobile: '+1 555 0100', displayName: 'Changed Name', enabled: true });
    expect(by.get('u0102')!.enabled).toBe(false);
    expect(by.get('u0104')!.telephoneNumber).toBeNull();
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([]);
  });

  it('a rename keeps the anchor: the user comes with its new DN (the groups holding it do not change in AD)', async () => {
    const u = users.get('u0201')!;
    const newDn = await bulk.rename(u.dn, 'u0201 (renamed), Smith');
    const d = await nextDelta();
    expect(d.users).toHaveLength(1);
    expect(d.users[0]).toMatchObject({ anchor: u.guid, dn: newDn, sAMAccountName: 'u0201' });
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([]);
    // AD rewrote the member value itself; a later full import shows it.
    const g = await bulk.read(groups.get('G-Dept02')!.dn, ['member']);
    expect((g['member'] as string[]).map((x) => x.toLowerCase())).toContain(newDn.toLowerCase());
    users.set('u0201', { ...u, dn: newDn });
  });

  it('a move within the scope (to the other base DN) keeps the anchor, with the new DN', async () => {
    const u = users.get('u0301')!;
    const newDn = await bulk.move(u.dn, deptOus[8]!);
    const d = await nextDelta();
    expect(d.users.map((x) => [x.anchor, x.dn])).toEqual([[u.guid, newDn]]);
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([]);
    users.set('u0301', { ...u, dn: newDn });
  });

  it('a move out of the base DNs is gone', async () => {
    const u = users.get('u0401')!;
    await bulk.move(u.dn, outsideOu);
    const d = await nextDelta();
    expect(d.users).toEqual([]);
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([u.guid]);
  });

  it('a deleted user is gone (its tombstone); the group it was in is not changed by AD (it just stops listing it)', async () => {
    const u = users.get('u0501')!;
    await bulk.remove(u.dn);
    const d = await nextDelta();
    expect(d.users).toEqual([]);
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([u.guid]);
    const g = await bulk.read(groups.get('G-Dept05')!.dn, ['member']);
    expect(g['member']).toHaveLength(99);
  });

  it('membership changes: exactly the changed groups, with their members now', async () => {
    const g7 = groups.get('G-Dept07')!;
    const all = groups.get('G-All Staff')!;
    await bulk.addMembers(g7.dn, [users.get('u0601')!.dn]);
    await bulk.removeMembers(g7.dn, [users.get('u0701')!.dn]);
    await bulk.addMembers(all.dn, [groups.get('G-Dept09')!.dn]);
    const d = await nextDelta();
    expect(d.users).toEqual([]);
    expect(d.gone).toEqual([]);
    expect(d.groups.map((g) => g.name).sort()).toEqual(['G-All Staff', 'G-Dept07']);
    const by = new Map(d.groups.map((g) => [g.name, g]));
    const g7Expected = [...members.get('G-Dept07')!.filter((m) => m !== users.get('u0701')!.dn), users.get('u0601')!.dn];
    expect(sortedLower(by.get('G-Dept07')!.memberDns)).toEqual(sortedLower(g7Expected));
    expect(sortedLower(by.get('G-All Staff')!.memberDns)).toEqual(sortedLower([...members.get('G-All Staff')!, groups.get('G-Dept09')!.dn]));
  });

  it('a deleted group is gone; the group that held it is not changed by AD', async () => {
    const g8 = groups.get('G-Dept08')!;
    await bulk.remove(g8.dn);
    const d = await nextDelta();
    expect(d.gone).toEqual([g8.guid]);
    expect(d.users).toEqual([]);
    expect(d.groups).toEqual([]);
  });

  it('a changed object outside the scope is named in gone (AD cannot say whether it was in scope before); one created and deleted since the cursor is not', async () => {
    await bulk.modify(outsideUsers[5]!.dn, { description: 'touched' });
    const [tmp] = await bulk.addUsers([{ parentDn: deptOus[2]!, name: 'tmp0001' }]);
    await bulk.remove(tmp!.dn);
    const d = await nextDelta();
    expect(d.users).toEqual([]);
    expect(d.groups).toEqual([]);
    expect(d.gone).toEqual([outsideUsers[5]!.guid]);
  });

  it('a delta with several kinds of change and small pages: gone paged too, nothing twice', async () => {
    const moved = ['u0610', 'u0611', 'u0612'].map((n) => users.get(n)!);
    for (const u of moved) await bulk.move(u.dn, outsideOu);
    const changed = ['u0620', 'u0621', 'u0622', 'u0623', 'u0624'].map((n) => users.get(n)!);
    for (const u of changed) await bulk.modify(u.dn, { description: 'batch' });
    const pages: SyncPage[] = [];
    const r = await mainReader.delta(
      cursor,
      async (p) => {
        pages.push(p);
      },
      2,
    );
    expect(r.ok && 'cursor' in r.value).toBe(true);
    if (!r.ok || !('cursor' in r.value)) return;
    cursor = r.value.cursor;
    for (const p of pages) expect(p.users.length + p.groups.length).toBeLessThanOrEqual(2);
    for (const p of pages) expect(p.gone.length).toBeLessThanOrEqual(2);
    const d = collect(pages);
    expect(anchors(d.users)).toEqual(changed.map((u) => u.guid).sort());
    expect([...d.gone].sort()).toEqual(moved.map((u) => u.guid).sort());
  });

  it('a renamed OU: AD changes the DNs below it but not their uSNChanged, so everything below comes again with its new DN', async () => {
    const before = await fullOf(readerFor({ baseDns: [deptOus[6]!] }));
    expect(before.users.length).toBeGreaterThan(90);
    const renamed = await bulk.client().modifyDN(deptOus[6]!, 'OU=Dept06 (renamed)').then(() => `OU=Dept06 (renamed),${staffOu}`);
    const d = await nextDelta();
    expect(anchors(d.users)).toEqual(anchors(before.users));
    expect(anchors(d.groups)).toEqual(anchors(before.groups));
    for (const x of [...d.users, ...d.groups]) expect(x.dn.toLowerCase().endsWith(`,${renamed.toLowerCase()}`)).toBe(true);
    expect(d.gone).toEqual([]);
    deptOus[6] = renamed;
  });

  it('an OU moved out of the base DNs: every user and group below it is gone', async () => {
    const before = await fullOf(readerFor({ baseDns: [deptOus[5]!] }));
    expect(before.users).toHaveLength(99);
    await bulk.move(deptOus[5]!, outsideOu);
    const d = await nextDelta();
    expect(d.users).toEqual([]);
    expect(d.groups).toEqual([]);
    expect([...d.gone].sort()).toEqual([...anchors(before.users), ...anchors(before.groups)].sort());
  });

  it('a cursor from another DC (other invocationId), or ahead of the DC, needs a full import; nothing is read', async () => {
    const onPage = vi.fn(async () => undefined);
    expect(await mainReader.delta({ ...cursor, invocationId: randomUUID() }, onPage)).toEqual({ ok: true, value: { fullNeeded: true, reason: 'dc_changed' } });
    expect(await mainReader.delta({ ...cursor, usn: String(BigInt(cursor.usn) + 1000n) }, onPage)).toEqual({ ok: true, value: { fullNeeded: true, reason: 'dc_changed' } });
    expect(await mainReader.delta({ ...cursor, usn: '12; DROP' }, onPage)).toEqual({ ok: true, value: { fullNeeded: true, reason: 'dc_changed' } });
    expect(onPage).not.toHaveBeenCalled();
  });

  it('a cursor older than the tombstone lifetime (180 days on Samba, or as set) needs a full import', async () => {
    const clock = manualClock(Date.now() + 181 * DAY);
    const onPage = vi.fn(async () => undefined);
    expect(await readerFor(mainScope(), { clock }).delta(cursor, onPage)).toEqual({ ok: true, value: { fullNeeded: true, reason: 'cursor_too_old' } });
    clock.set(Date.now() + 100 * DAY);
    expect(await readerFor(mainScope(), { clock }).delta(cursor, onPage)).toMatchObject({ ok: true, value: { cursor: { invocationId: cursor.invocationId } } });
    const ds = `CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,${dc.baseDn}`;
    await bulk.modify(ds, { tombstoneLifetime: '30' });
    try {
      clock.set(Date.now() + 40 * DAY);
      expect(await readerFor(mainScope(), { clock }).delta(cursor, onPage)).toEqual({ ok: true, value: { fullNeeded: true, reason: 'cursor_too_old' } });
    } finally {
      await bulk.modify(ds, { tombstoneLifetime: '180' });
    }
    expect(onPage).not.toHaveBeenCalled();
    // That change to the configuration is no user or group: the main sequence's next delta is empty.
    const d = await nextDelta();
    expect(d.pages).toEqual([]);
  });

  it('an error thrown by onPage comes back as it was (not as an unreachable DC), and the next delta repeats the changes', async () => {
    await bulk.modify(users.get('u0930')!.dn, { description: 'again' });
    const dbError = Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
    await expect(
      mainReader.delta(cursor, async () => {
        throw dbError;
      }),
    ).rejects.toBe(dbError);
    const d = await nextDelta();
    expect(d.users.map((u) => u.sAMAccountName)).toEqual(['u0930']);
  });
});

describe('userFilter deltas', () => {
  let reader: AdSyncReader;
  let since: SyncCursor;

  beforeAll(async () => {
    reader = readerFor({ ...mainScope(), userFilter: `(|(memberOf=${escapeFilterValue(ssprDn)})(department=Pilot))` });
    since = (await fullOf(reader)).cursor;
  }, 60_000);

  async function next(): Promise<Collected> {
    const d = await deltaOf(reader, since);
    if (!('cursor' in d.outcome)) throw new Error('full needed');
    since = d.outcome.cursor;
    return d;
  }

  it('a user starting to match comes; one no longer matching is gone', async () => {
    await bulk.modify(users.get('u0800')!.dn, { department: 'Pilot' });
    await bulk.modify(users.get('u0900')!.dn, { department: 'Sales' });
    const d = await next();
    expect(anchors(d.users)).toEqual([users.get('u0800')!.guid]);
    expect(d.gone).toEqual([users.get('u0900')!.guid]);
    expect(d.groups).toEqual([]);
  });

  it('with memberOf in the filter, a user added to the group comes (with the group\'s other matching members); a removal waits for the next full import', async () => {
    await bulk.addMembers(ssprDn, [users.get('u0805')!.dn]);
    await bulk.removeMembers(ssprDn, [users.get('u0010')!.dn]);
    const d = await next();
    expect(d.groups.map((g) => g.name)).toEqual(['SSPR (Pilot)']);
    const names = d.users.map((u) => u.sAMAccountName);
    expect(names).toContain('u0805');
    expect(names).not.toContain('u0010');
    // Every user sent matches the filter now.
    const matching = new Set([...Array.from({ length: 50 }, (_, i) => `u${pad(i)}`).filter((n) => n !== 'u0010'), 'u0805', 'u0800', 'u0901']);
    for (const n of names) expect(matching.has(n)).toBe(true);
    expect(d.gone).toEqual([]);
    // AD did not change u0010 (memberOf is a back link), so only a full import sees it leave.
    const full = await fullOf(reader);
    expect(full.users.map((u) => u.sAMAccountName)).not.toContain('u0010');
    expect(full.users.map((u) => u.sAMAccountName)).toContain('u0805');
  }, 60_000);
});

describe('password expiry', () => {
  it('is pwdLastSet + 42 days for a normal user, null when the password never expires or must be changed', async () => {
    const ou = await bulk.addOu(dc.baseDn, 'Expiry');
    const [normal, never, must] = await bulk.addUsers([
      { parentDn: ou, name: 'exp-normal' },
      { parentDn: ou, name: 'exp-never', userAccountControl: 0x10200 },
      { parentDn: ou, name: 'exp-must' },
    ]);
    await bulk.modify(must!.dn, { pwdLastSet: '0' });
    const full = await fullOf(readerFor({ baseDns: [ou] }));
    const by = new Map(full.users.map((u) => [u.anchor, u]));
    const n = by.get(normal!.guid)!;
    expect(n.passwordNeverExpires).toBe(false);
    expect(Math.abs(n.pwdLastSet! - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(n.passwordExpiresAt! - (n.pwdLastSet! + MAX_AGE_MS))).toBeLessThanOrEqual(1000);
    expect(by.get(never!.guid)).toMatchObject({ passwordNeverExpires: true, passwordExpiresAt: null });
    expect(by.get(never!.guid)!.pwdLastSet).not.toBeNull();
    expect(by.get(must!.guid)).toMatchObject({ passwordNeverExpires: false, passwordExpiresAt: null, pwdLastSet: null });
  });
});

describe('a service account with default rights', () => {
  it('reads users, groups and changes, but not tombstones: a deletion shows only as absence from the next full import', async () => {
    const ou = await bulk.addOu(dc.baseDn, 'Least Privilege');
    const [svc, keep, doomed] = await bulk.addUsers([
      { parentDn: ou, name: 'svc-sync' },
      { parentDn: ou, name: 'lp-keep' },
      { parentDn: ou, name: 'lp-doomed' },
    ]);
    const reader = new AdSyncReader({ ...options, bindDn: svc!.dn, bindPassword: 'Bulk!Passw0rd#2024' }, { baseDns: [ou] });
    readers.push(reader);
    const full = await fullOf(reader);
    expect(anchors(full.users)).toEqual([svc!.guid, keep!.guid, doomed!.guid].sort());
    expect(full.users.find((u) => u.anchor === keep!.guid)!.passwordExpiresAt).not.toBeNull();
    await bulk.remove(doomed!.dn);
    await bulk.modify(keep!.dn, { mail: 'keep@corp.example.test' });
    const d = await deltaOf(reader, full.cursor);
    expect(d.users.map((u) => u.anchor)).toEqual([keep!.guid]);
    // CN=Deleted Objects is listed only for administrators: the tombstone is not seen.
    expect(d.gone).toEqual([]);
    const again = await fullOf(reader);
    expect(anchors(again.users)).toEqual([svc!.guid, keep!.guid].sort());
  }, 60_000);
});

describe('attribute mapping (agent.sync.attributes)', () => {
  it('reads mobile, telephone and display name from the attributes the administrator named; the defaults stay as they were', async () => {
    const u = users.get('u0003')!;
    await bulk.modify(u.dn, { pager: '+44 20 7946 0003', homePhone: '+44 20 7946 1003' });
    const mapped = await fullOf(readerFor({ ...mainScope(), attributes: { mobile: 'pager', telephoneNumber: 'homePhone', displayName: 'cn' } }));
    const plain = await fullOf(readerFor(mainScope()));
    const mine = (c: Collected) => c.users.find((x) => x.anchor === u.guid)!;
    expect(mine(mapped)).toMatchObject({ mobile: '+44 20 7946 0003', telephoneNumber: '+44 20 7946 1003', displayName: 'u0003', mail: mine(plain).mail });
    expect(mine(plain).mobile).toBe('+44 7700 90003');
    expect(mine(plain).displayName).not.toBe('u0003');
    // Users without the mapped attribute have no value, not the usual attribute's.
    const other = mapped.users.find((x) => x.anchor === users.get('u0006')!.guid)!;
    expect(other.mobile).toBeNull();
    expect(mapped.users).toHaveLength(plain.users.length);
  }, 60_000);

  it('a mapping that is not an LDAP attribute name, or of a field that cannot be mapped, is refused with the reason', () => {
    expect(() => new AdSyncReader(options, { ...mainScope(), attributes: { mobile: 'pager)(objectClass=*' } })).toThrow(/attributes\.mobile: .* is not an LDAP attribute name/);
    expect(() => new AdSyncReader(options, { ...mainScope(), attributes: { objectGUID: 'cn' } as never })).toThrow(/attributes: objectGUID cannot be mapped/);
  });
});
