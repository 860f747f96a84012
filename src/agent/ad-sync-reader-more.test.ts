

import { beforeAll, describe, expect, it } from 'vitest';
import { escapeFilterValue } from '../ad/escape.js';
import { AdSyncReader } from './ad-sync-reader.js';
import type { SyncCursor } from '../agent-protocol/index.js';
import { MAX_AGE_MS, dc, bulk, options, readers, users, ssprDn, pad, readerFor, mainScope, type Collected, fullOf, deltaOf, anchors, useSyncDirectory } from '../../test/helpers/ad-sync-directory.js';

/**
 * More of the agent's AD reader against its own Samba AD DC (test/helpers/ad-sync-directory.ts):
 * deltas with a userFilter, password expiry, a service account with default rights and the
 * attribute mapping.
 */

useSyncDirectory();

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
