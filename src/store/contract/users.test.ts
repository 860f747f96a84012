import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { SessionStore } from '../../state/sessions.js';
import { contractFixture, HOUR, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';
import type { User, UserStore } from '../../directory/users.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  let users: UserStore;
  beforeEach(() => {
    ({ store, clock, users } = fx);
  });
  const newUser = fx.newUser;
  const usernames = (page: { items: User[] }) => page.items.map((u) => u.username);

  describe('users', () => {
    it('creates a user with the default role and reads back exactly what was written', async () => {
      const created = await users.create({ username: 'alice', displayName: 'Alice Example', email: 'alice@example.test', roles: [], passwordHash: 'hash-1' });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: 'alice',
        displayName: 'Alice Example',
        email: 'alice@example.test',
        enabled: true,
        source: 'cloud',
        anchor: null,
        roles: ['user'],
        hasPassword: true,
        passwordChangedAt: clock.now(),
        createdAt: clock.now(),
        securityInfoConfirmedAt: null,
        language: null,
      });
      expect(await users.byId(created.id)).toEqual(created);
      expect(await users.passwordHash(created.id)).toBe('hash-1');
      expect(await users.byId('00000000-0000-0000-0000-000000000000')).toBeNull();
    });

    it('finds a user by username regardless of case, surrounding spaces and Unicode normal form', async () => {
      const emile = await newUser('\u00c9mile'); // precomposed É
      const bob = await newUser('bob');
      expect((await users.byUsername('\u00e9mile'))?.id).toBe(emile.id);
      expect((await users.byUsername('E\u0301MILE'))?.id).toBe(emile.id); // decomposed, upper case
      expect((await users.byUsername('  \u00c9MILE  '))?.id).toBe(emile.id);
      expect((await users.byUsername('\uff22\uff2f\uff22'))?.id).toBe(bob.id); // full-width ＢＯＢ
      // Folding is Unicode normalisation and case, not accent stripping.
      expect(await users.byUsername('emile')).toBeNull();
    });

    it('refuses a second user whose username differs only in case or Unicode form, leaving nothing behind', async () => {
      await newUser('alice');
      await expect(newUser('ALICE')).rejects.toThrow();
      await expect(newUser('\uff41lice')).rejects.toThrow(); // full-width ａ
      expect((await users.list()).total).toBe(1);
      const roleRows = await store.db.selectFrom('user_roles').select('user_id').execute();
      expect(roleRows).toHaveLength(1);
    });

    it('search matches username, display name and e-mail without regard to case', async () => {
      await newUser('alice', { displayName: 'Alice Archer', email: 'aa@corp.test' });
      await newUser('bob', { displayName: 'Robert ALISON' });
      await newUser('carol', { displayName: 'Carol', email: 'C.Ali@corp.test' });
      await newUser('dave', { displayName: 'Dave', email: 'dave@corp.test' });
      const page = await users.list({ q: 'ALI' });
      expect(usernames(page)).toEqual(['alice', 'bob', 'carol']);
      expect(page.total).toBe(3);
      expect((await users.list({ q: 'nobody' })).total).toBe(0);
    });

    it('search folds non-ASCII capitals in display names and e-mail the same way on every dialect', async () => {
      await newUser('zq', { displayName: 'ZO\u00cb Quinn' });
      await newUser('em', { displayName: '\u00e9milie', email: '\u00c5SA@corp.test' });
      await newUser('other', { displayName: 'Zoe Quinn' });
      expect(usernames(await users.list({ q: 'zo\u00eb' }))).toEqual(['zq']);
      expect(usernames(await users.list({ q: '\u00c9MILIE' }))).toEqual(['em']);
      expect(usernames(await users.list({ q: '\u00e5sa@' }))).toEqual(['em']);
    });

    it('search matches the LIKE wildcards % and _ literally', async () => {
      await newUser('a_b');
      await newUser('axb');
      await newUser('p1', { displayName: 'Discount 50% off' });
      await newUser('p2', { displayName: 'Discount 500 off' });
      expect(usernames(await users.list({ q: 'a_b' }))).toEqual(['a_b']);
      expect(usernames(await users.list({ q: '_' }))).toEqual(['a_b']);
      expect(usernames(await users.list({ q: '50%' }))).toEqual(['p1']);
      expect(usernames(await users.list({ q: '%' }))).toEqual(['p1']);
    });

    it('search matches a backslash literally', async () => {
      await newUser('p3', { displayName: 'C:\\temp' });
      await newUser('p4', { displayName: 'C:temp' });
      expect(usernames(await users.list({ q: 'c:\\t' }))).toEqual(['p3']);
      expect(usernames(await users.list({ q: '\\' }))).toEqual(['p3']);
    });

    it('pages are disjoint, ordered by username and report the total of all matches', async () => {
      for (const name of ['team-e', 'other-2', 'team-b', 'team-d', 'other-1', 'team-a', 'team-c']) await newUser(name);
      const pages = [1, 2, 3].map((page) => users.list({ page, pageSize: 3 }));
      const [p1, p2, p3] = await Promise.all(pages);
      expect([p1!, p2!, p3!].map((p) => p.items.length)).toEqual([3, 3, 1]);
      expect([p1!, p2!, p3!].map((p) => p.total)).toEqual([7, 7, 7]);
      expect([...usernames(p1!), ...usernames(p2!), ...usernames(p3!)]).toEqual(['other-1', 'other-2', 'team-a', 'team-b', 'team-c', 'team-d', 'team-e']);
      const beyond = await users.list({ page: 4, pageSize: 3 });
      expect(beyond.items).toEqual([]);
      expect(beyond.total).toBe(7);
      const filtered = await users.list({ q: 'team', page: 3, pageSize: 2 });
      expect(usernames(filtered)).toEqual(['team-e']);
      expect(filtered.total).toBe(5);
    });

    it('setRoles replaces the whole role set, drops duplicates and falls back to user', async () => {
      const u = await newUser('alice', { roles: ['administrator'] });
      expect(u.roles).toEqual(['administrator']);
      await users.setRoles(u.id, ['password_administrator', 'administrator', 'administrator']);
      expect((await users.byId(u.id))?.roles).toEqual(['administrator', 'password_administrator']);
      await users.setRoles(u.id, ['user']);
      expect((await users.byId(u.id))?.roles).toEqual(['user']);
      await users.setRoles(u.id, []);
      const rows = await store.db.selectFrom('user_roles').select('role').where('user_id', '=', u.id).execute();
      expect(rows).toEqual([{ role: 'user' }]);
    });

    it('countEnabledWithRole counts only enabled holders of that role', async () => {
      await newUser('a1', { roles: ['administrator'] });
      const a2 = await newUser('a2', { roles: ['administrator'] });
      await newUser('a3', { roles: ['administrator', 'password_administrator'] });
      await newUser('u1');
      await newUser('u2', { roles: ['administrator'], enabled: false });
      expect(await users.countEnabledWithRole('administrator')).toBe(3);
      expect(await users.countEnabledWithRole('password_administrator')).toBe(1);
      expect(await users.countEnabledWithRole('user')).toBe(1);
      await users.setEnabled(a2.id, false);
      expect(await users.countEnabledWithRole('administrator')).toBe(2);
      expect((await users.enabledWithRole('administrator')).map((u) => u.username).sort()).toEqual(['a1', 'a3']);
    });

    it('setEnabled persists the flag and reports whether the user exists', async () => {
      const u = await newUser('alice');
      clock.advance(5000);
      expect(await users.setEnabled(u.id, false)).toBe(true);
      expect((await users.byId(u.id))?.enabled).toBe(false);
      const row = await store.db.selectFrom('users').select(['enabled', 'updated_at']).where('id', '=', u.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ enabled: 0, updated_at: clock.now() });
      expect(await users.setEnabled(u.id, true)).toBe(true);
      expect((await users.byId(u.id))?.enabled).toBe(true);
      expect(await users.setEnabled('00000000-0000-0000-0000-000000000000', false)).toBe(false);
    });

    it('setPasswordHash stores the hash with its change time and reports whether the user exists', async () => {
      const u = await newUser('alice');
      expect(u.hasPassword).toBe(false);
      expect(u.passwordChangedAt).toBeNull();
      clock.advance(7 * MINUTE);
      expect(await users.setPasswordHash(u.id, 'hash-2')).toBe(true);
      expect(await users.passwordHash(u.id)).toBe('hash-2');
      const after = await users.byId(u.id);
      expect(after?.hasPassword).toBe(true);
      expect(after?.passwordChangedAt).toBe(clock.now());
      expect(await users.setPasswordHash('00000000-0000-0000-0000-000000000000', 'x')).toBe(false);
    });

    it('updateProfile changes only the fields it is given', async () => {
      const u = await newUser('alice', { displayName: 'Alice', email: 'a@corp.test' });
      await users.updateProfile(u.id, { displayName: 'Alice B.' });
      expect(await users.byId(u.id)).toMatchObject({ displayName: 'Alice B.', email: 'a@corp.test' });
      await users.updateProfile(u.id, { email: null });
      expect(await users.byId(u.id)).toMatchObject({ displayName: 'Alice B.', email: null });
    });

    it('deleting a user row removes its roles, sessions and nothing of other users (foreign keys are enforced)', async () => {
      const sessions = new SessionStore(store, clock, { idleMs: 30 * MINUTE, absoluteMs: 8 * HOUR });
      const alice = await newUser('alice', { roles: ['administrator', 'user'] });
      const bob = await newUser('bob');
      await sessions.create(alice.id, { ip: '192.0.2.1', userAgent: 'ua', amr: ['password'] });
      await sessions.create(bob.id, { ip: '192.0.2.2', userAgent: 'ua', amr: ['password'] });
      await store.db.deleteFrom('users').where('id', '=', alice.id).execute();
      expect(await store.db.selectFrom('user_roles').select('user_id').distinct().execute()).toEqual([{ user_id: bob.id }]);
      expect(await store.db.selectFrom('sessions').select('user_id').execute()).toEqual([{ user_id: bob.id }]);
      await expect(sessions.create(alice.id, { ip: '192.0.2.1', userAgent: 'ua', amr: ['password'] })).rejects.toThrow();
    });
  });
});
