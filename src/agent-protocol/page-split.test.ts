import { describe, expect, it } from 'vitest';
import { syncPageSchema, SYNC_MESSAGE_BYTES, type SyncGroup, type SyncPage, type SyncUser } from './sync-pages.js';
import { splitPage } from './page-split.js';

/** Splitting sync pages to fit the agent's message size (pure logic; the chain is tested against Samba in sync-e2e.test.ts). */

const BASE = 'OU=People,OU=A Rather Long Organisational Unit Name,DC=corp,DC=example,DC=test';
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const user = (n: number): SyncUser => ({ anchor: guid(n), dn: `CN=user${n},${BASE}`, sAMAccountName: `user${n}`, userPrincipalName: `user${n}@corp.example.test`, displayName: `User ${n}`, mail: `user${n}@corp.example.test`, mobile: null, telephoneNumber: null, enabled: true, protected: false, passwordNeverExpires: false, passwordExpiresAt: 1, pwdLastSet: 1 });
const group = (n: number, members: number): SyncGroup => ({ anchor: guid(100_000 + n), dn: `CN=group${n},${BASE}`, name: `Group ${n}`, description: null, memberDns: Array.from({ length: members }, (_, i) => `CN=user${i},${BASE}`) });
const size = (p: SyncPage) => Buffer.byteLength(JSON.stringify(p));

/** What the portal gets back from the parts: users, whole groups (partial ones put together) and departures, in order. */
function reassemble(pages: SyncPage[]): SyncPage {
  const out: SyncPage = { users: [], groups: [], gone: [] };
  const open = new Map<string, SyncGroup>();
  for (const p of pages) {
    out.users.push(...p.users);
    for (const g of p.groups) {
      if (g.partial) open.set(g.anchor, { ...g, memberDns: [...g.memberDns] });
      else out.groups.push(g);
    }
    for (const part of p.members ?? []) {
      const g = open.get(part.anchor)!;
      g.memberDns.push(...part.memberDns);
      if (part.last) {
        open.delete(part.anchor);
        const { partial: _, ...whole } = g;
        out.groups.push(whole);
      }
    }
    out.gone.push(...p.gone);
  }
  expect(open.size).toBe(0);
  return out;
}

describe('sync page splitting', () => {
  it('a page that fits is sent as it is', () => {
    const page = { users: [user(1), user(2)], groups: [group(1, 10)], gone: [guid(9)] };
    expect(splitPage(page, SYNC_MESSAGE_BYTES)).toEqual([page]);
  });

  it('a page of many big groups becomes several pages, each within the budget, nothing lost or reordered, each valid for the portal', () => {
    const page = { users: Array.from({ length: 300 }, (_, i) => user(i)), groups: Array.from({ length: 40 }, (_, i) => group(i, 1000)), gone: Array.from({ length: 50 }, (_, i) => guid(500 + i)) };
    const budget = 256 * 1024;
    expect(size(page)).toBeGreaterThan(10 * budget);
    const pages = splitPage(page, budget);
    expect(pages.length).toBeGreaterThan(10);
    for (const p of pages) {
      expect(size(p)).toBeLessThanOrEqual(budget);
      expect(syncPageSchema.safeParse(p).success).toBe(true);
    }
    expect(reassemble(pages)).toEqual(page);
  });

  it('a group too big for one message goes as its head and member parts, the last marked, and comes back whole', () => {
    const huge = group(1, 30_000);
    const page = { users: [user(1)], groups: [group(2, 3), huge, group(3, 3)], gone: [] };
    const budget = 64 * 1024;
    const pages = splitPage(page, budget);
    for (const p of pages) {
      expect(size(p)).toBeLessThanOrEqual(budget);
      expect(syncPageSchema.safeParse(p).success).toBe(true);
    }
    const parts = pages.flatMap((p) => p.members ?? []);
    expect(parts.length).toBeGreaterThan(20);
    expect(parts.map((p) => p.last)).toEqual([...Array<boolean>(parts.length - 1).fill(false), true]);
    expect(pages.flatMap((p) => p.groups).find((g) => g.anchor === huge.anchor)?.partial).toBe(true);
    expect(reassemble(pages)).toEqual(page);
  });

  it('a group with more members than one message may list is split by count too', () => {
    const page = { users: [], groups: [group(1, 120)], gone: [] };
    const pages = splitPage(page, SYNC_MESSAGE_BYTES, 50);
    expect(pages.map((p) => p.groups[0]?.memberDns.length ?? p.members![0]!.memberDns.length)).toEqual([50, 50, 20]);
    expect(reassemble(pages)).toEqual(page);
  });
});
