import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, dialects } from '../../test/helpers/test-portal.js';
import { createAuditLog } from '../audit/audit-log.js';
import type { LockoutPolicy } from '../state/lockout.js';
import { SessionStore, type SessionPolicy } from '../auth/sessions.js';
import { ThrottleStore } from '../state/throttle-store.js';
import { DirectoryService } from '../directory/directory-service.js';
import { GroupStore } from '../directory/groups.js';
import { nameKey } from '../directory/names.js';
import { createPasswordHasher } from '../directory/password-hash.js';
import { UserStore, type NewUser, type User } from '../directory/users.js';
import { FlowStore } from '../state/flow-store.js';
import { FirstRun } from '../setup/first-run.js';
import { manualClock } from '../shared/clock.js';
import type { Store } from './database.js';

/**
 * The store contract: every test runs unchanged against SQLite and PostgreSQL, each on a fresh,
 * migrated database, through the real store classes. A behaviour that differs between the two
 * dialects fails here on one of them.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');

describe.each(dialects)('store contract on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let clock: ReturnType<typeof manualClock>;
  let users: UserStore;
  let groups: GroupStore;

  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
    clock = manualClock();
    users = new UserStore(store.db, clock);
    groups = new GroupStore(store.db, clock);
  });
  afterEach(() => cleanup());

  const newUser = (username: string, extra: Partial<NewUser> = {}): Promise<User> =>
    users.create({ username, displayName: username, email: null, roles: [], passwordHash: null, ...extra });

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

  describe('sessions', () => {
    const policy: SessionPolicy = { idleMs: 30 * MINUTE, absoluteMs: 8 * HOUR };
    const meta = { ip: '192.0.2.10', userAgent: 'Contract/1.0', amr: ['password', 'totp'] };
    let sessions: SessionStore;
    let alice: User;
    let bob: User;
    beforeEach(async () => {
      sessions = new SessionStore(store, clock, policy);
      alice = await newUser('alice');
      bob = await newUser('bob');
    });

    it('stores only the SHA-256 of the session token, never the token', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      expect(token.length).toBeGreaterThanOrEqual(43);
      const rows = await store.db.selectFrom('sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id_hash).toBe(sha256(token));
      expect(session.idHash).toBe(sha256(token));
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('validate returns the session for its token and nothing for unknown tokens or the stored hash', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      expect(await sessions.validate(token)).toEqual({ ...session, amr: ['password', 'totp'] });
      expect(await sessions.validate(session.idHash)).toBeNull();
      expect(await sessions.validate(`${token}x`)).toBeNull();
      expect(await sessions.validate('')).toBeNull();
    });

    it('a session ends after the idle timeout, and activity keeps it alive', async () => {
      const { token } = await sessions.create(alice.id, meta);
      clock.advance(29 * MINUTE);
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(29 * MINUTE); // 58 minutes after sign-in, 29 after the last activity
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(30 * MINUTE);
      expect(await sessions.validate(token)).toBeNull();
      expect(await sessions.countForUser(alice.id)).toBe(0);
    });

    it('a session ends at its absolute lifetime despite continuous activity', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      for (let i = 0; i < 23; i++) {
        clock.advance(20 * MINUTE);
        expect(await sessions.validate(token)).not.toBeNull();
      }
      clock.set(session.absoluteExpiresAt - 1);
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(1);
      expect(await sessions.validate(token)).toBeNull();
      expect(await sessions.countForUser(alice.id)).toBe(0);
    });

    it('revoke ends only the session of that token', async () => {
      const one = await sessions.create(alice.id, meta);
      const two = await sessions.create(alice.id, meta);
      await sessions.revoke(one.token);
      expect(await sessions.validate(one.token)).toBeNull();
      expect(await sessions.validate(two.token)).not.toBeNull();
    });

    it("revokeAllForUser ends all of the user's sessions except the excepted one and no one else's", async () => {
      const keep = await sessions.create(alice.id, meta);
      const other1 = await sessions.create(alice.id, meta);
      const other2 = await sessions.create(alice.id, meta);
      const bobs = await sessions.create(bob.id, meta);
      expect(await sessions.revokeAllForUser(alice.id, { exceptIdHash: keep.session.idHash })).toBe(2);
      expect(await sessions.validate(keep.token)).not.toBeNull();
      expect(await sessions.validate(other1.token)).toBeNull();
      expect(await sessions.validate(other2.token)).toBeNull();
      expect(await sessions.validate(bobs.token)).not.toBeNull();
      expect(await sessions.revokeAllForUser(alice.id)).toBe(1);
      expect(await sessions.countForUser(alice.id)).toBe(0);
      expect(await sessions.countForUser(bob.id)).toBe(1);
    });

    it('pruneExpired deletes idle and past-lifetime sessions and keeps live ones', async () => {
      const short = new SessionStore(store, clock, { idleMs: 30 * MINUTE, absoluteMs: 45 * MINUTE });
      const old = await short.create(alice.id, meta); // kept active, but outlives its 45 minutes
      const idle = await short.create(alice.id, meta); // never used again
      clock.advance(20 * MINUTE);
      expect(await short.validate(old.token)).not.toBeNull();
      const live = await short.create(bob.id, meta);
      clock.advance(20 * MINUTE);
      expect(await short.validate(old.token)).not.toBeNull();
      expect(await short.validate(live.token)).not.toBeNull();
      clock.advance(6 * MINUTE); // 46 minutes
      expect(await short.pruneExpired()).toBe(2);
      const left = await store.db.selectFrom('sessions').select('id_hash').execute();
      expect(left).toEqual([{ id_hash: live.session.idHash }]);
      expect(idle.session.idHash).not.toBe(live.session.idHash);
      expect(await short.pruneExpired()).toBe(0);
    });
  });

  describe('throttle', () => {
    const policy: LockoutPolicy = { threshold: 3, baseMs: MINUTE, growth: 2, maxMs: HOUR, windowMs: HOUR };
    let throttle: ThrottleStore;
    beforeEach(() => {
      throttle = new ThrottleStore(store, clock);
    });

    it('counts every one of 20 parallel failures on one key', async () => {
      const lenient: LockoutPolicy = { ...policy, threshold: 1000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => throttle.recordFailure('signin:user:alice', lenient)));
      expect((await throttle.get('signin:user:alice')).failures).toBe(20);
      // Each failure saw the one before it: the counts handed out are exactly 1..20.
      expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('locks the key when the threshold is reached, and for longer after the next lock', async () => {
      const start = clock.now();
      expect((await throttle.recordFailure('k', policy)).lockedUntil).toBe(0);
      expect((await throttle.recordFailure('k', policy)).lockedUntil).toBe(0);
      const locked = await throttle.recordFailure('k', policy);
      expect(locked).toEqual({ failures: 2, lockouts: 1, lockedUntil: start + MINUTE, windowStartedAt: start });
      expect(await throttle.get('k')).toEqual(locked);
      clock.advance(MINUTE);
      const again = await throttle.recordFailure('k', policy);
      expect(again.lockouts).toBe(2);
      expect(again.lockedUntil).toBe(clock.now() + 2 * MINUTE);
      expect((await throttle.get('other')).failures).toBe(0);
    });

    it('reset forgets the counter of one key only', async () => {
      await throttle.recordFailure('a', policy);
      await throttle.recordFailure('a', policy);
      await throttle.recordFailure('b', policy);
      await throttle.reset('a');
      expect(await throttle.get('a')).toEqual({ failures: 0, lockouts: 0, lockedUntil: 0, windowStartedAt: clock.now() });
      expect((await throttle.get('b')).failures).toBe(1);
    });

    it('prune forgets stale unlocked counters and keeps locked and recent ones', async () => {
      await throttle.recordFailure('stale', policy);
      await throttle.recordFailure('locked', { ...policy, threshold: 1, baseMs: 2 * HOUR, maxMs: 2 * HOUR });
      clock.advance(50 * MINUTE);
      await throttle.recordFailure('recent', policy);
      clock.advance(11 * MINUTE);
      expect(await throttle.prune(HOUR)).toBe(1);
      expect((await throttle.get('stale')).failures).toBe(0);
      expect((await throttle.get('locked')).lockedUntil).toBeGreaterThan(clock.now());
      expect((await throttle.get('recent')).failures).toBe(1);
    });

    it('counts failures for a key longer than the key column, separately from keys sharing its prefix', async () => {
      // A 256-character username can grow far beyond that under NFKC (U+FDFA becomes 18 characters).
      const longKey = `signin:user:${nameKey('\ufdfa'.repeat(256))}`;
      expect(longKey.length).toBeGreaterThan(300);
      const sibling = `${longKey}x`;
      await throttle.recordFailure(longKey, policy);
      await throttle.recordFailure(longKey, policy);
      await throttle.recordFailure(sibling, policy);
      expect((await throttle.get(longKey)).failures).toBe(2);
      expect((await throttle.get(sibling)).failures).toBe(1);
      await throttle.reset(longKey);
      expect((await throttle.get(longKey)).failures).toBe(0);
      expect((await throttle.get(sibling)).failures).toBe(1);
    });
  });

  describe('flows', () => {
    type State = 'awaiting_second_factor' | 'done' | `step-${number}`;
    interface Data {
      next: string;
      amr: string[];
    }
    const browser = 'browser-one-0123456789abcdef0123456789';
    let flows: FlowStore;
    beforeEach(() => {
      flows = new FlowStore(store, clock);
    });
    const start = () => flows.create<State, Data>({ kind: 'sign-in', state: 'awaiting_second_factor', userId: 'user-1', browserId: browser, data: { next: '/account', amr: ['password'] }, ttlMs: 10 * MINUTE });

    it('a created flow loads back with its state and data', async () => {
      const flow = await start();
      expect(flow.version).toBe(1);
      expect(await flows.load<State, Data>('sign-in', flow.id, browser)).toEqual({ ok: true, flow });
      const row = await store.db.selectFrom('flows').select('browser_hash').executeTakeFirstOrThrow();
      expect(row.browser_hash).toBe(sha256(browser));
    });

    it('a flow is not found from another browser, under another kind or by an unknown id', async () => {
      const flow = await start();
      expect(await flows.load('sign-in', flow.id, 'browser-two-0123456789abcdef0123456789')).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('password-reset', flow.id, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', `${flow.id}x`, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', 'x'.repeat(65), browser)).toEqual({ ok: false, reason: 'not_found' });
    });

    it('an expired flow reports expired and cannot be advanced', async () => {
      const flow = await start();
      clock.advance(10 * MINUTE - 1);
      expect((await flows.load('sign-in', flow.id, browser)).ok).toBe(true);
      clock.advance(1);
      expect(await flows.load('sign-in', flow.id, browser)).toEqual({ ok: false, reason: 'expired' });
      expect(await flows.advance(flow, { state: 'done', data: flow.data })).toBe(false);
    });

    it('exactly one of 20 parallel advances of the same loaded flow wins', async () => {
      const created = await start();
      const loaded = await flows.load<State, Data>('sign-in', created.id, browser);
      if (!loaded.ok) throw new Error('flow did not load');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => flows.advance<State, Data>(loaded.flow, { state: `step-${i}`, data: { next: `/n${i}`, amr: ['password'] } })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      const after = await flows.load<State, Data>('sign-in', created.id, browser);
      expect(after.ok && after.flow).toMatchObject({ version: 2, state: `step-${winner}`, data: { next: `/n${winner}` } });
    });

    it('a replayed step finds the version already moved on', async () => {
      const flow = await start();
      expect(await flows.advance(flow, { state: 'step-1', data: flow.data })).toBe(true);
      expect(await flows.advance(flow, { state: 'step-1', data: flow.data })).toBe(false);
      const reloaded = await flows.load<State, Data>('sign-in', flow.id, browser);
      if (!reloaded.ok) throw new Error('flow did not load');
      expect(await flows.advance(reloaded.flow, { state: 'done', data: flow.data })).toBe(true);
      expect(await flows.load('sign-in', flow.id, browser)).toMatchObject({ ok: true, flow: { version: 3, state: 'done' } });
    });

    it('pruneExpired removes only flows expired for longer than the grace period', async () => {
      const early = await start();
      clock.advance(5 * MINUTE);
      const late = await start();
      clock.advance(10 * MINUTE); // early expired 5 minutes ago, late just now
      expect(await flows.pruneExpired(MINUTE)).toBe(1);
      expect(await flows.load('sign-in', early.id, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', late.id, browser)).toEqual({ ok: false, reason: 'expired' });
    });
  });

  describe('setup tokens', () => {
    let firstRun: FirstRun;
    const form = (username: string) => ({ username, displayName: 'First Admin', email: '', password: 'a long enough password', confirm: 'a long enough password' });
    beforeEach(() => {
      const audit = createAuditLog(store, clock);
      const sessions = new SessionStore(store, clock, { idleMs: 30 * MINUTE, absoluteMs: 8 * HOUR });
      const hasher = createPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 });
      const directory = new DirectoryService({ users, groups, hasher, audit, sessions, passwordRules: { minLength: 8, maxLength: 256 } });
      firstRun = new FirstRun({ store, clock, users, directory, tokenTtlMs: 15 * MINUTE });
    });

    it('a setup token creates the first administrator once and is stored only hashed', async () => {
      const { token } = await firstRun.issueToken();
      expect(JSON.stringify(await store.db.selectFrom('setup_tokens').selectAll().execute())).not.toContain(token);
      expect(await firstRun.isTokenValid(token)).toBe(true);
      const first = await firstRun.complete(token, form('admin'));
      expect(first.ok && first.value.roles).toEqual(['administrator']);
      // Even with setup needed again (the administrator disabled), the used token stays spent.
      await users.setEnabled(first.ok ? first.value.id : '', false);
      expect(await firstRun.needsSetup()).toBe(true);
      expect(await firstRun.isTokenValid(token)).toBe(false);
      expect(await firstRun.complete(token, form('admin2'))).toMatchObject({ ok: false, reason: 'refused' });
      expect(await users.byUsername('admin2')).toBeNull();
    });

    it('of 5 parallel completions with one token exactly one creates an administrator', async () => {
      const { token } = await firstRun.issueToken();
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => firstRun.complete(token, form(`admin${i}`))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'refused')).toHaveLength(4);
      expect(await users.countEnabledWithRole('administrator')).toBe(1);
    });

    it('issuing a new token voids the older unused one', async () => {
      const older = await firstRun.issueToken();
      const newer = await firstRun.issueToken();
      expect(await firstRun.isTokenValid(older.token)).toBe(false);
      expect(await firstRun.isTokenValid(newer.token)).toBe(true);
    });

    it('an expired setup token is refused', async () => {
      const { token } = await firstRun.issueToken();
      clock.advance(15 * MINUTE);
      expect(await firstRun.isTokenValid(token)).toBe(false);
      expect(await firstRun.complete(token, form('admin'))).toMatchObject({ ok: false, reason: 'refused' });
      expect(await firstRun.needsSetup()).toBe(true);
    });

    it('a token survives a form that fails validation', async () => {
      const { token } = await firstRun.issueToken();
      expect(await firstRun.complete(token, form('not a valid name'))).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await firstRun.isTokenValid(token)).toBe(true);
      expect((await firstRun.complete(token, form('admin'))).ok).toBe(true);
    });
  });

  describe('audit log', () => {
    it('appends events in order with increasing numeric ids and every field kept', async () => {
      const audit = createAuditLog(store, clock);
      await audit.record({ event: 'user_created', outcome: 'success', actor: { id: 'a-1', name: 'admin' }, target: { id: 't-1', name: 'alice' }, ip: '192.0.2.1', userAgent: 'UA', details: { roles: 'user', n: 2, flag: true, none: null } });
      clock.advance(1000);
      await audit.record({ event: 'sign_in', outcome: 'failure' });
      clock.advance(1000);
      await audit.record({ event: 'sign_out', outcome: 'info', target: { id: null, name: 'bob' } });
      const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
      expect(rows.map((r) => r.event)).toEqual(['user_created', 'sign_in', 'sign_out']);
      expect(rows.every((r) => typeof r.id === 'number')).toBe(true);
      expect(rows[0]!.id < rows[1]!.id && rows[1]!.id < rows[2]!.id).toBe(true);
      expect(rows.map((r) => r.at)).toEqual([clock.now() - 2000, clock.now() - 1000, clock.now()]);
      expect(rows[0]).toMatchObject({ outcome: 'success', actor_id: 'a-1', actor_name: 'admin', target_id: 't-1', target_name: 'alice', ip: '192.0.2.1', user_agent: 'UA' });
      expect(JSON.parse(rows[0]!.details)).toEqual({ roles: 'user', n: 2, flag: true, none: null });
      expect(rows[1]).toMatchObject({ outcome: 'failure', actor_id: null, actor_name: null, target_id: null, target_name: null, ip: null, user_agent: null, details: '{}' });
      expect(rows[2]).toMatchObject({ target_id: null, target_name: 'bob' });
    });

    it('cuts an overlong user agent to 512 characters instead of failing', async () => {
      const audit = createAuditLog(store, clock);
      await audit.record({ event: 'sign_in', outcome: 'failure', userAgent: 'U'.repeat(600) });
      const row = await store.db.selectFrom('audit_events').select('user_agent').executeTakeFirstOrThrow();
      expect(row.user_agent).toBe('U'.repeat(512));
    });
  });
});
