import { randomUUID } from 'node:crypto';
import { Client } from 'ldapts';
import { describe, expect, it, vi } from 'vitest';
import { AdConfigurationError } from '../ad/ad-connection.js';
import { escapeFilterValue } from '../ad/escape.js';
import { manualClock } from '../shared/clock.js';
import { AdSyncReader } from './ad-sync-reader.js';
import type { SyncCursor, SyncPage } from '../agent-protocol/index.js';
import { DAY, MAX_AGE_MS, dc, bulk, options, staffOu, outsideOu, deptOus, specs, users, groups, members, outsideUsers, outsideGroup, computer, ssprDn, pad, readerFor, mainScope, type Collected, collect, fullOf, deltaOf, mainReader, sortedLower, anchors, useSyncDirectory } from '../../test/helpers/ad-sync-directory.js';

/**
 * The agent's AD reader against a real Samba AD DC (test/helpers/ad-sync-directory.ts): a full
 * import of 1,000 users in 10 OUs under two base DNs with nested groups, userFilter, then deltas
 * for every kind of change — adds, attribute changes, renames, moves in and out of scope,
 * deletions (tombstones), group membership — each showing exactly what changed, cursors from
 * another DC and cursors older than the tombstone lifetime. More in ad-sync-reader-more.test.ts.
 */

useSyncDirectory();

/** The full import all deltas start from. */
let base: { pages: SyncPage[]; cursor: SyncCursor; ms: number };
/** Where the next delta of the main sequence starts. */
let cursor: SyncCursor;

/** The next delta of the main sequence; the cursor moves on. */
async function nextDelta(): Promise<Collected> {
  const d = await deltaOf(mainReader, cursor);
  if (!('cursor' in d.outcome)) throw new Error(`unexpected full import needed: ${d.outcome.reason}`);
  expect(BigInt(d.outcome.cursor.usn)).toBeGreaterThanOrEqual(BigInt(cursor.usn));
  cursor = d.outcome.cursor;
  return d;
}

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
