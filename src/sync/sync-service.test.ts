import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { makeUser } from '../../test/helpers/http-client.js';
import { SyncService } from './sync-service.js';
import type { SyncGroup, SyncUser } from '../agent-protocol/index.js';

/**
 * Applying what the agent read (pages of users, groups and departures) to the portal's store,
 * on SQLite and PostgreSQL. Reading AD itself is tested against Samba in ad-reader.test.ts, and
 * the whole chain in sync-e2e.test.ts.
 */

const BASE = 'DC=corp,DC=example,DC=test';
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
function user(n: number, over: Partial<SyncUser> = {}): SyncUser {
  return { anchor: guid(n), dn: `CN=user${n},OU=Staff,${BASE}`, sAMAccountName: `user${n}`, userPrincipalName: `user${n}@corp.example.test`, displayName: `User ${n}`, mail: `user${n}@corp.example.test`, mobile: null, telephoneNumber: null, enabled: true, protected: false, passwordNeverExpires: false, passwordExpiresAt: Date.UTC(2027, 0, n), pwdLastSet: Date.UTC(2026, 10, 1), ...over };
}
function group(n: number, memberDns: string[], over: Partial<SyncGroup> = {}): SyncGroup {
  return { anchor: guid(1000 + n), dn: `CN=group${n},OU=Groups,${BASE}`, name: `Group ${n}`, description: null, memberDns, ...over };
}
const cursor = { invocationId: 'inv-1', usn: '5000', dc: 'dc1.corp.example.test' };

describe.each(dialects)('sync service on %s', (dialect) => {
  let tp: TestPortal;
  let sync: SyncService;
  beforeEach(async () => {
    tp = await createTestPortal({ dialect });
    sync = new SyncService({ store: tp.store, clock: tp.clock, audit: tp.portal.audit });
  });
  afterEach(() => tp.cleanup());

  async function full(users: SyncUser[], groups: SyncGroup[] = []) {
    const run = await sync.startRun('full', 'manual', null);
    await sync.applyPage(run, { users, groups, gone: [] });
    return sync.finishRun(run, { full: true, cursor });
  }

  it('a full import creates hybrid users and groups with nested membership, anchored by objectGUID', async () => {
    const inner = group(1, [user(1).dn, user(2).dn]);
    const outer = group(2, [inner.dn, user(3).dn, `CN=outsider,OU=Elsewhere,${BASE}`]);
    const run = await full([user(1), user(2), user(3)], [inner, outer]);
    expect([run.added, run.updated, run.disabled, run.errors, run.status]).toEqual([5, 0, 0, 0, 'done']);
    const u1 = (await tp.portal.users.byUsername('user1@corp.example.test'))!;
    expect(u1).toMatchObject({ source: 'onprem', anchor: guid(1), displayName: 'User 1', email: 'user1@corp.example.test', enabled: true, hasPassword: false });
    const outerGroup = (await tp.portal.groups.byName('Group 2'))!;
    expect([...(await tp.portal.groups.transitiveUserIds(outerGroup.id))].sort()).toEqual([u1.id, (await tp.portal.users.byUsername('user2@corp.example.test'))!.id, (await tp.portal.users.byUsername('user3@corp.example.test'))!.id].sort());
    expect(await sync.cursor()).toEqual(cursor);
  });

  it('is idempotent: the same import again changes nothing, and a page applied twice counts once', async () => {
    await full([user(1), user(2)], [group(1, [user(1).dn])]);
    const again = await full([user(1), user(2)], [group(1, [user(1).dn])]);
    expect([again.added, again.updated, again.disabled, again.errors]).toEqual([0, 0, 0, 0]);
    const run = await sync.startRun('delta', 'manual', null);
    const page = { users: [user(1, { displayName: 'Renamed One' })], groups: [], gone: [] };
    await sync.applyPage(run, page);
    await sync.applyPage(run, page);
    const done = await sync.finishRun(run, { full: false, cursor });
    expect(done.updated).toBe(1);
  });

  it('renames and moves keep the anchor: the same portal user, its methods and group memberships', async () => {
    await full([user(1)], [group(1, [user(1).dn])]);
    const before = (await tp.portal.users.byUsername('user1@corp.example.test'))!;
    const moved = user(1, { dn: `CN=user1-renamed,OU=Sales,${BASE}`, userPrincipalName: 'renamed1@corp.example.test', sAMAccountName: 'renamed1' });
    const run = await sync.startRun('delta', 'manual', null);
    await sync.applyPage(run, { users: [moved], groups: [group(1, [moved.dn])], gone: [] });
    await sync.finishRun(run, { full: false, cursor });
    const after = (await tp.portal.users.byUsername('renamed1@corp.example.test'))!;
    expect(after.id).toBe(before.id);
    expect(await tp.portal.groups.isMember(after.id, (await tp.portal.groups.byName('Group 1'))!.id)).toBe(true);
    expect(await tp.portal.users.byUsername('user1@corp.example.test')).toBeNull();
  });

  it('an OU renamed: its users come with new DNs and no group (AD does not mark the groups changed), and keep every membership', async () => {
    const users = Array.from({ length: 300 }, (_, i) => user(i + 1));
    await full(users, [group(1, users.map((u) => u.dn)), group(2, users.slice(0, 5).map((u) => u.dn))]);
    const run = await sync.startRun('delta', 'manual', null);
    const moved = users.map((u) => ({ ...u, dn: u.dn.replace('OU=Staff', 'OU=People') }));
    await sync.applyPage(run, { users: moved.slice(0, 200), groups: [], gone: [] });
    await sync.applyPage(run, { users: moved.slice(200), groups: [], gone: [] });
    const done = await sync.finishRun(run, { full: false, cursor });
    expect([done.updated, done.errors]).toEqual([300, 0]);
    for (const [name, size] of [['Group 1', 300], ['Group 2', 5]] as const) {
      const g = (await tp.portal.groups.byName(name))!;
      expect((await tp.portal.groups.transitiveUserIds(g.id)).size, name).toBe(size);
    }
    const stored = await tp.store.db.selectFrom('synced_objects').select('member_dns').where('kind', '=', 'group').execute();
    expect(stored.map((g) => g.member_dns).join('')).not.toContain('OU=Staff');
  });

  it('sync.usernameFrom: the portal username from sAMAccountName or mail, falling back to the UPN when empty', async () => {
    const bySam = new SyncService({ store: tp.store, clock: tp.clock, audit: tp.portal.audit, usernameFrom: 'sAMAccountName' });
    let run = await bySam.startRun('full', 'manual', null);
    await bySam.applyPage(run, { users: [user(1), user(2, { sAMAccountName: '' })], groups: [], gone: [] });
    await bySam.finishRun(run, { full: true, cursor });
    expect((await tp.portal.users.byUsername('user1'))?.anchor).toBe(guid(1));
    expect((await tp.portal.users.byUsername('user2@corp.example.test'))?.anchor).toBe(guid(2));
    // Switching the source renames the same users (same anchors), nothing is added.
    const byMail = new SyncService({ store: tp.store, clock: tp.clock, audit: tp.portal.audit, usernameFrom: 'mail' });
    run = await byMail.startRun('full', 'manual', null);
    await byMail.applyPage(run, { users: [user(1, { mail: 'first.user@corp.example.test' }), user(2, { sAMAccountName: '', mail: null })], groups: [], gone: [] });
    const done = await byMail.finishRun(run, { full: true, cursor });
    expect([done.added, done.updated]).toEqual([0, 2]);
    expect((await tp.portal.users.byUsername('first.user@corp.example.test'))?.anchor).toBe(guid(1));
    expect((await tp.portal.users.byUsername('user2@corp.example.test'))?.anchor).toBe(guid(2));
  });

  it('a group read in the same delta keeps AD\'s member list even when one member moved into another\'s old DN', async () => {
    const a = user(1, { dn: `CN=John Smith,OU=Sales,${BASE}` });
    const b = user(2, { dn: `CN=John Smith,OU=Temp,${BASE}` });
    await full([a, b], [group(1, [a.dn])]);
    // A moved to the archive, B into A's old place; AD now lists B (at the old DN) in the group.
    const run = await sync.startRun('delta', 'manual', null);
    const aMoved = { ...a, dn: `CN=John Smith,OU=Archive,${BASE}` };
    const bMoved = { ...b, dn: `CN=John Smith,OU=Sales,${BASE}` };
    await sync.applyPage(run, { users: [aMoved, bMoved], groups: [group(1, [bMoved.dn])], gone: [] });
    await sync.finishRun(run, { full: false, cursor });
    const g = (await tp.portal.groups.byName('Group 1'))!;
    const members = await tp.portal.groups.transitiveUserIds(g.id);
    expect(members.has((await tp.portal.users.byUsername('user2@corp.example.test'))!.id)).toBe(true);
    expect(members.has((await tp.portal.users.byUsername('user1@corp.example.test'))!.id)).toBe(false);
  });

  it('a username freed and taken by another user in the same page moves without a conflict; one still held is a conflict', async () => {
    await full([user(1), user(2), user(3)]);
    const run = await sync.startRun('delta', 'manual', null);
    // user1 gives up user1@…, user2 takes it; user3 wants user2's old name, which user2 has just freed.
    await sync.applyPage(run, { users: [user(1, { userPrincipalName: 'first@corp.example.test' }), user(2, { userPrincipalName: 'user1@corp.example.test' }), user(3, { userPrincipalName: 'user2@corp.example.test' })], groups: [], gone: [] });
    // A fourth page user wants a name another user still holds.
    await sync.applyPage(run, { users: [user(4, { userPrincipalName: 'first@corp.example.test' })], groups: [], gone: [] });
    const done = await sync.finishRun(run, { full: false, cursor });
    expect([done.added, done.updated, done.errors]).toEqual([0, 3, 1]);
    expect(done.conflicts).toEqual([expect.objectContaining({ anchor: guid(4), reason: 'username_taken_by_other_ad_user' })]);
    expect((await tp.portal.users.byUsername('user1@corp.example.test'))?.anchor).toBe(guid(2));
    expect((await tp.portal.users.byUsername('user2@corp.example.test'))?.anchor).toBe(guid(3));
    expect((await tp.portal.users.byUsername('first@corp.example.test'))?.anchor).toBe(guid(1));
  });

  it('a synced user whose name belongs to a cloud user is reported as a conflict, not merged', async () => {
    const cloud = await makeUser(tp.portal, { username: 'user1@corp.example.test', password: 'Cloud-Password-Long-1' });
    const run = await full([user(1), user(2)]);
    expect(run.errors).toBe(1);
    expect(run.conflicts).toEqual([{ anchor: guid(1), name: 'user1@corp.example.test', reason: 'username_taken_by_cloud_user' }]);
    const still = (await tp.portal.users.byId(cloud.id))!;
    expect([still.source, still.anchor]).toEqual(['cloud', null]);
  });

  it('users leaving the scope are disabled, not erased, with the reason; sessions end; they come back when they return', async () => {
    await full([user(1), user(2), user(3)], [group(1, [user(1).dn, user(2).dn])]);
    const u2 = (await tp.portal.users.byUsername('user2@corp.example.test'))!;
    const { token } = await tp.portal.sessions.create(u2.id, { ip: '1.2.3.4', userAgent: 'x', amr: ['password'] });
    // user2 deleted in AD (a tombstone in a delta), user3 simply absent from the next full import.
    const run = await sync.startRun('delta', 'manual', null);
    await sync.applyPage(run, { users: [], groups: [], gone: [guid(2)] });
    expect((await sync.finishRun(run, { full: false, cursor })).disabled).toBe(1);
    const second = await full([user(1)], [group(1, [user(1).dn, user(2).dn])]);
    expect(second.disabled).toBe(1);
    for (const name of ['user2@corp.example.test', 'user3@corp.example.test']) expect((await tp.portal.users.byUsername(name))?.enabled, name).toBe(false);
    expect(await tp.portal.sessions.validate(token)).toBeNull();
    const reasons = await tp.store.db.selectFrom('synced_objects').select(['anchor', 'gone_reason']).where('gone_at', 'is not', null).orderBy('anchor').execute();
    expect(reasons).toEqual([{ anchor: guid(2), gone_reason: 'deleted_or_out_of_scope' }, { anchor: guid(3), gone_reason: 'not_in_full_import' }]);
    expect(await tp.portal.groups.isMember(u2.id, (await tp.portal.groups.byName('Group 1'))!.id)).toBe(false);
    const back = await full([user(1), user(3)]);
    expect(back.updated).toBeGreaterThanOrEqual(1);
    expect((await tp.portal.users.byUsername('user3@corp.example.test'))?.enabled).toBe(true);
  });

  it('a user disabled in AD is disabled in the portal', async () => {
    await full([user(1)]);
    const run = await sync.startRun('delta', 'manual', null);
    await sync.applyPage(run, { users: [user(1, { enabled: false })], groups: [], gone: [] });
    await sync.finishRun(run, { full: false, cursor });
    expect((await tp.portal.users.byUsername('user1@corp.example.test'))?.enabled).toBe(false);
  });

  it('only one portal instance holds the sync lease at a time', async () => {
    expect(await sync.acquireLease('a', 60_000)).toBe(true);
    expect(await sync.acquireLease('b', 60_000)).toBe(false);
    await sync.releaseLease('a');
    expect(await sync.acquireLease('b', 60_000)).toBe(true);
  });

  it('a page is applied whole or not at all: a failure half-way through leaves nothing of it behind', async () => {
    await full([user(1)]);
    // A real database error on the page's third user (a trigger refuses it).
    if (dialect === 'sqlite') {
      await sql`CREATE TRIGGER refuse_user3 BEFORE INSERT ON users WHEN NEW.username = 'user3@corp.example.test' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`.execute(tp.store.db);
    } else {
      await sql`CREATE FUNCTION refuse_user3() RETURNS trigger AS $$ BEGIN IF NEW.username = 'user3@corp.example.test' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(tp.store.db);
      await sql`CREATE TRIGGER refuse_user3 BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_user3()`.execute(tp.store.db);
    }
    const run = await sync.startRun('delta', 'manual', null);
    const page = { users: [user(1, { displayName: 'Changed One' }), user(2), user(3)], groups: [group(1, [user(1).dn])], gone: [] };
    await expect(sync.applyPage(run, page)).rejects.toThrow(/refused by the test/);
    expect((await tp.portal.users.byUsername('user1@corp.example.test'))?.displayName).toBe('User 1');
    expect(await tp.portal.users.byUsername('user2@corp.example.test')).toBeNull();
    expect(await tp.portal.groups.byName('Group 1')).toBeNull();
    expect(await tp.store.db.selectFrom('synced_objects').select('anchor').execute()).toEqual([{ anchor: guid(1) }]);
    expect(await sync.run(run)).toMatchObject({ added: 0, updated: 0, errors: 0 });
    // Once the cause is gone, the same page applies in full.
    await sql`DROP TRIGGER refuse_user3${sql.raw(dialect === 'sqlite' ? '' : ' ON users')}`.execute(tp.store.db);
    await sync.applyPage(run, page);
    expect(await sync.run(run)).toMatchObject({ added: 3, updated: 1, errors: 0 });
  });

  it('groups of more members than one insert holds: every member added, and removed ones taken out', async () => {
    const users = Array.from({ length: 450 }, (_, i) => user(i + 1));
    await full(users, [group(1, users.map((u) => u.dn))]);
    const g = (await tp.portal.groups.byName('Group 1'))!;
    expect((await tp.portal.groups.transitiveUserIds(g.id)).size).toBe(450);
    // 260 members leave the group (more than one delete batch), the users stay.
    const kept = users.slice(260);
    const run = await sync.startRun('delta', 'manual', null);
    await sync.applyPage(run, { users: [], groups: [group(1, kept.map((u) => u.dn))], gone: [] });
    await sync.finishRun(run, { full: false, cursor });
    const ids = await tp.portal.groups.transitiveUserIds(g.id);
    expect(ids.size).toBe(190);
    expect(ids.has((await tp.portal.users.byUsername('user451@corp.example.test'))?.id ?? 'none')).toBe(false);
    expect(ids.has((await tp.portal.users.byUsername('user261@corp.example.test'))!.id)).toBe(true);
    expect(ids.has((await tp.portal.users.byUsername('user260@corp.example.test'))!.id)).toBe(false);
  });

  it('a group sent in parts (too big for one message) is applied once its last part came, with every member', async () => {
    const users = Array.from({ length: 30 }, (_, i) => user(i + 1));
    await full(users);
    const run = await sync.startRun('delta', 'manual', null);
    const g = group(1, users.slice(0, 10).map((u) => u.dn));
    await sync.applyPage(run, { users: [], groups: [{ ...g, partial: true }], gone: [] });
    // Not there until complete.
    expect(await tp.portal.groups.byName('Group 1')).toBeNull();
    await sync.applyPage(run, { users: [], groups: [], gone: [], members: [{ anchor: g.anchor, memberDns: users.slice(10, 20).map((u) => u.dn), last: false }] });
    await sync.applyPage(run, { users: [], groups: [], gone: [], members: [{ anchor: g.anchor, memberDns: users.slice(20).map((u) => u.dn), last: true }] });
    const done = await sync.finishRun(run, { full: false, cursor });
    expect([done.added, done.errors]).toEqual([1, 0]);
    const stored = (await tp.portal.groups.byName('Group 1'))!;
    expect((await tp.portal.groups.transitiveUserIds(stored.id)).size).toBe(30);
  });

  it('a group whose parts did not all come is reported, and a full import does not retire it', async () => {
    const users = [user(1), user(2), user(3)];
    await full(users, [group(1, [user(1).dn])]);
    const run = await sync.startRun('full', 'manual', null);
    await sync.applyPage(run, { users, groups: [{ ...group(1, [user(1).dn, user(2).dn]), partial: true }], gone: [] });
    // A part for a group that never started is an error too.
    await sync.applyPage(run, { users: [], groups: [], gone: [], members: [{ anchor: guid(4242), memberDns: [user(3).dn], last: true }] });
    const done = await sync.finishRun(run, { full: true, cursor });
    expect([done.disabled, done.errors]).toEqual([0, 2]);
    expect(done.problems.join(' ')).toMatch(/Group 1 did not all arrive/);
    const stored = (await tp.portal.groups.byName('Group 1'))!;
    expect((await tp.portal.groups.transitiveUserIds(stored.id)).size).toBe(1);
    expect((await tp.store.db.selectFrom('synced_objects').select('gone_at').where('anchor', '=', group(1, []).anchor).executeTakeFirstOrThrow()).gone_at).toBeNull();
  });

  it('housekeeping deletes finished runs past the retention but keeps the latest 50 and any running one', async () => {
    const DAY = 86_400_000;
    const now = tp.clock.now();
    const row = (i: number, ageDays: number, status: 'done' | 'failed' | 'running') => ({ id: `run-${String(i).padStart(3, '0')}`, kind: 'delta' as const, trigger: 'schedule' as const, agent_id: null, status, started_at: now - ageDays * DAY, finished_at: status === 'running' ? null : now - ageDays * DAY + 1000, added: 0, updated: 0, disabled: 0, errors: 0, details: JSON.stringify({ conflicts: [], problems: [] }) });
    // 60 old runs (400 to 341 days ago), one still "running" from 500 days ago, and 5 recent ones.
    const rows = [...Array.from({ length: 60 }, (_, i) => row(i, 400 - i, i % 7 === 0 ? 'failed' : 'done')), row(100, 500, 'running'), ...Array.from({ length: 5 }, (_, i) => row(200 + i, 10 - i, 'done'))];
    await tp.store.db.insertInto('sync_runs').values(rows).execute();
    // Keep the latest 50 (the 5 recent and the 45 newest old ones), the running one; delete the other 15 old ones.
    expect(await sync.pruneRuns(now, 365)).toBe(15);
    const left = (await tp.store.db.selectFrom('sync_runs').select('id').execute()).map((r) => r.id).sort();
    expect(left).toHaveLength(51);
    expect(left).toContain('run-100');
    expect(left).not.toContain('run-014');
    expect(left).toContain('run-015');
  });

  it('every run is audited and kept in the history; a failed run keeps the previous cursor', async () => {
    await full([user(1)]);
    const run = await sync.startRun('delta', 'schedule', null);
    await sync.failRun(run, 'the DC stopped answering');
    expect(await sync.cursor()).toEqual(cursor);
    const runs = await sync.runs();
    expect(runs.map((r) => [r.kind, r.status])).toEqual([['delta', 'failed'], ['full', 'done']]);
    expect(runs[0]!.problems).toEqual(['the DC stopped answering']);
    const audit = await tp.store.db.selectFrom('audit_events').select(['event', 'outcome']).where('event', '=', 'sync_run').execute();
    expect(audit.map((a) => a.outcome).sort()).toEqual(['failure', 'success']);
  });
});

describe('contact info from AD (sync.useContactInfo)', () => {
  let tp: TestPortal;
  afterEach(() => tp.cleanup());

  async function apply(sync: SyncService, users: SyncUser[]) {
    const run = await sync.startRun('delta', 'manual', null);
    await sync.applyPage(run, { users, groups: [], gone: [] });
    await sync.finishRun(run, { full: false, cursor });
  }

  it('off by default: AD mail and mobile do not become methods', async () => {
    tp = await createTestPortal();
    await apply(tp.portal.sync, [user(1, { mobile: '+44 7700 900123' })]);
    const u = (await tp.portal.users.byUsername('user1@corp.example.test'))!;
    expect(await tp.portal.methods.list(u.id)).toEqual([]);
  });

  it('on: mail and mobile become confirmed methods, replaced when AD changes, removed when cleared; the user\'s own methods are kept', async () => {
    tp = await createTestPortal({ config: { sync: { useContactInfo: true }, methods: { phoneRegion: 'GB' } } });
    const sync = tp.portal.sync;
    await apply(sync, [user(1, { mobile: '07911 123456' })]);
    const u = (await tp.portal.users.byUsername('user1@corp.example.test'))!;
    const own = await tp.portal.methods.addContact(u.id, 'email', 'own@mail.test');
    await tp.portal.methods.confirm(u.id, own.id);
    const contacts = async () => (await tp.portal.methods.list(u.id, { confirmedOnly: true })).map((m) => `${m.type}:${m.contact}`).sort();
    expect(await contacts()).toEqual(['email:own@mail.test', 'email:user1@corp.example.test', 'mobile:+447911123456']);
    await apply(sync, [user(1, { mail: 'new.address@corp.example.test', mobile: null })]);
    expect(await contacts()).toEqual(['email:new.address@corp.example.test', 'email:own@mail.test']);
    await apply(sync, [user(1, { mail: 'new.address@corp.example.test', mobile: null })]);
    expect(await contacts()).toEqual(['email:new.address@corp.example.test', 'email:own@mail.test']);
  });
});
