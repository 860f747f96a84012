import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { GroupStore } from '../../directory/groups.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let clock: ManualClock;
  let groups: GroupStore;
  beforeEach(() => {
    ({ clock, groups } = fx);
  });
  const newUser = fx.newUser;

  describe('groups', () => {
    it('creates a group and finds it by id and by name regardless of case and spaces', async () => {
      const g = await groups.create({ name: 'Staff', description: 'Everyone' });
      expect(g).toEqual({ id: expect.any(String), name: 'Staff', description: 'Everyone', source: 'cloud', createdAt: clock.now() });
      expect(await groups.byId(g.id)).toEqual(g);
      expect(await groups.byName(' STAFF ')).toEqual(g);
      expect(await groups.byName('Staf')).toBeNull();
    });

    it('refuses a second group whose name differs only in case', async () => {
      await groups.create({ name: 'Staff' });
      await expect(groups.create({ name: 'STAFF' })).rejects.toThrow();
      expect(await groups.list()).toHaveLength(1);
    });

    it('adding or removing a member twice changes nothing the second time and says so', async () => {
      const g = await groups.create({ name: 'Staff' });
      const u = await newUser('alice');
      expect(await groups.addMember(g.id, { type: 'user', id: u.id })).toBe(true);
      expect(await groups.addMember(g.id, { type: 'user', id: u.id })).toBe(false);
      expect(await groups.directMembers(g.id)).toHaveLength(1);
      expect(await groups.removeMember(g.id, { type: 'user', id: u.id })).toBe(true);
      expect(await groups.removeMember(g.id, { type: 'user', id: u.id })).toBe(false);
      expect(await groups.directMembers(g.id)).toEqual([]);
    });

    it('directMembers lists member groups first, then users, each sorted by name', async () => {
      const g = await groups.create({ name: 'All' });
      const zed = await groups.create({ name: 'zed' });
      const beta = await groups.create({ name: 'Beta' });
      const carol = await newUser('carol', { displayName: 'Carol C.' });
      const adam = await newUser('Adam', { displayName: 'Adam A.' });
      for (const m of [
        { type: 'user' as const, id: carol.id },
        { type: 'group' as const, id: zed.id },
        { type: 'user' as const, id: adam.id },
        { type: 'group' as const, id: beta.id },
      ])
        await groups.addMember(g.id, m);
      expect(await groups.directMembers(g.id)).toEqual([
        { type: 'group', id: beta.id, name: 'Beta', displayName: 'Beta' },
        { type: 'group', id: zed.id, name: 'zed', displayName: 'zed' },
        { type: 'user', id: adam.id, name: 'Adam', displayName: 'Adam A.' },
        { type: 'user', id: carol.id, name: 'carol', displayName: 'Carol C.' },
      ]);
    });

    it('list counts the direct members of every group, including empty groups', async () => {
      const a = await groups.create({ name: 'A' });
      const b = await groups.create({ name: 'B' });
      await groups.create({ name: 'C' });
      const u1 = await newUser('u1');
      const u2 = await newUser('u2');
      await groups.addMember(a.id, { type: 'user', id: u1.id });
      await groups.addMember(a.id, { type: 'user', id: u2.id });
      await groups.addMember(a.id, { type: 'group', id: b.id });
      await groups.addMember(b.id, { type: 'user', id: u1.id });
      expect((await groups.list()).map((g) => [g.name, g.directMembers])).toEqual([
        ['A', 3],
        ['B', 1],
        ['C', 0],
      ]);
    });

    it('a user in a nested group is a member of every enclosing group and of no other', async () => {
      const a = await groups.create({ name: 'A' });
      const b = await groups.create({ name: 'B' });
      const c = await groups.create({ name: 'C' });
      const unrelated = await groups.create({ name: 'D' });
      const u = await newUser('alice');
      await groups.addMember(a.id, { type: 'group', id: b.id });
      await groups.addMember(b.id, { type: 'group', id: c.id });
      await groups.addMember(c.id, { type: 'user', id: u.id });
      expect(await groups.groupIdsOfUser(u.id)).toEqual(new Set([a.id, b.id, c.id]));
      expect(await groups.isMember(u.id, a.id)).toBe(true);
      expect(await groups.isMember(u.id, unrelated.id)).toBe(false);
      expect(await groups.nestedGroupIds(a.id)).toEqual(new Set([a.id, b.id, c.id]));
      expect(await groups.transitiveUserIds(a.id)).toEqual(new Set([u.id]));
    });

    it('transitiveUserIds follows nesting downwards only', async () => {
      const parent = await groups.create({ name: 'Parent' });
      const child = await groups.create({ name: 'Child' });
      const p = await newUser('p');
      const c = await newUser('c');
      await groups.addMember(parent.id, { type: 'group', id: child.id });
      await groups.addMember(parent.id, { type: 'user', id: p.id });
      await groups.addMember(child.id, { type: 'user', id: c.id });
      expect(await groups.transitiveUserIds(parent.id)).toEqual(new Set([p.id, c.id]));
      expect(await groups.transitiveUserIds(child.id)).toEqual(new Set([c.id]));
    });

    it('a membership cycle does not loop', async () => {
      const a = await groups.create({ name: 'A' });
      const b = await groups.create({ name: 'B' });
      const u = await newUser('u');
      const v = await newUser('v');
      await groups.addMember(a.id, { type: 'group', id: b.id });
      await groups.addMember(b.id, { type: 'group', id: a.id });
      await groups.addMember(a.id, { type: 'user', id: u.id });
      await groups.addMember(b.id, { type: 'user', id: v.id });
      expect(await groups.groupIdsOfUser(u.id)).toEqual(new Set([a.id, b.id]));
      expect(await groups.nestedGroupIds(a.id)).toEqual(new Set([a.id, b.id]));
      expect(await groups.transitiveUserIds(a.id)).toEqual(new Set([u.id, v.id]));
      expect(await groups.transitiveUserIds(b.id)).toEqual(new Set([u.id, v.id]));
      expect((await groups.groupsOfUser(v.id)).map((g) => [g.name, g.direct])).toEqual([
        ['A', false],
        ['B', true],
      ]);
    });

    it('groupsOfUser marks which memberships are direct and orders groups by name', async () => {
      const alpha = await groups.create({ name: 'Alpha' });
      const mid = await groups.create({ name: 'mid' });
      const zeta = await groups.create({ name: 'Zeta' });
      const u = await newUser('alice');
      const loner = await newUser('loner');
      await groups.addMember(alpha.id, { type: 'group', id: zeta.id });
      await groups.addMember(alpha.id, { type: 'group', id: mid.id });
      await groups.addMember(zeta.id, { type: 'user', id: u.id });
      await groups.addMember(mid.id, { type: 'user', id: u.id });
      expect((await groups.groupsOfUser(u.id)).map((g) => ({ id: g.id, name: g.name, direct: g.direct }))).toEqual([
        { id: alpha.id, name: 'Alpha', direct: false },
        { id: mid.id, name: 'mid', direct: true },
        { id: zeta.id, name: 'Zeta', direct: true },
      ]);
      expect(await groups.groupsOfUser(loner.id)).toEqual([]);
    });
  });
});
