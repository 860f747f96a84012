import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, createTestStore, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { dumpStore } from '../../test/helpers/store-dump.js';
import type { Store } from '../store/database.js';
import { manualClock } from '../shared/clock.js';
import { createAuditLog } from '../audit/audit-log.js';
import { UserStore, type User } from '../directory/users.js';
import { GroupStore } from '../directory/groups.js';
import { HelpdeskScopeStore, parseDn } from './scope-store.js';
import { HelpdeskScopeService, ScopedAccess } from './scope.js';

const PW = 'correct horse battery';

describe('parseDn', () => {
  it('accepts DNs as AD writes them and as people type them, normalised', () => {
    expect(parseDn('OU=Sales,DC=corp,DC=example,DC=com')).toBe('OU=Sales,DC=corp,DC=example,DC=com');
    expect(parseDn('  ou = Sales , dc=corp ,DC=example ')).toBe('ou=Sales,dc=corp,DC=example');
    expect(parseDn('OU=R\\,D,DC=corp')).toBe('OU=R\\,D,DC=corp');
    expect(parseDn('OU=Caf\\C3\\A9,DC=corp')).toBe('OU=Caf\\C3\\A9,DC=corp');
    expect(parseDn('OU=Sales;DC=corp')).toBe('OU=Sales,DC=corp');
    expect(parseDn('CN=Users,DC=corp')).toBe('CN=Users,DC=corp');
  });

  it('refuses what is not a DN', () => {
    for (const bad of ['', 'Sales', 'OU=', '=Sales', 'OU=Sales,', ',DC=corp', 'OU=Sales DC=corp', 'OU Sales,DC=corp', 'OU=a\\x,DC=b', 'OU=a\\', 'OU=a\u0000,DC=b', '1OU=a', `OU=${'a'.repeat(1100)}`]) {
      expect(parseDn(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});

describe.each(dialects)('the helpdesk scope on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let users: UserStore;
  let groups: GroupStore;
  let scopes: HelpdeskScopeStore;
  let access: ScopedAccess;
  let service: HelpdeskScopeService;
  let desk: User;
  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
    const clock = manualClock(Date.UTC(2026, 0, 5));
    users = new UserStore(store.db, clock);
    groups = new GroupStore(store.db, clock);
    scopes = new HelpdeskScopeStore(store.db, clock);
    access = new ScopedAccess({ users, groups, scopes });
    service = new HelpdeskScopeService({ scopes, groups, audit: createAuditLog(store, clock) });
    desk = await users.create({ username: 'desk', displayName: 'Desk', email: null, roles: ['password_administrator'], passwordHash: null });
  });
  afterEach(() => cleanup());

  const hybrid = async (username: string, dn: string) => {
    const u = await users.create({ username, displayName: username, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: `a-${username}` });
    await store.db.insertInto('synced_objects').values({ anchor: `a-${username}`, kind: 'user', local_id: u.id, dn, dn_key: dn.toLowerCase(), attributes: '{}', member_dns: null, ad_methods: null, password_expires_at: null, last_run_id: null, gone_at: null, gone_reason: null, updated_at: 0 }).execute();
    return u;
  };
  const names = async (q?: string) => (await access.list({ id: desk.id, roles: desk.roles }, { pageSize: 200, ...(q ? { q } : {}) })).items.map((u) => u.username);

  it('scopes the list, the search, the count and find by nested groups and OUs together; no scope is everyone', async () => {
    const top = await groups.create({ name: 'Europe' });
    const mid = await groups.create({ name: 'Germany' });
    const leaf = await groups.create({ name: 'Berlin' });
    await groups.addMember(top.id, { type: 'group', id: mid.id });
    await groups.addMember(mid.id, { type: 'group', id: leaf.id });
    // A cycle ends the walk.
    await groups.addMember(leaf.id, { type: 'group', id: top.id });
    const anna = await users.create({ username: 'anna', displayName: 'Anna', email: null, roles: ['user'], passwordHash: null });
    await groups.addMember(leaf.id, { type: 'user', id: anna.id });
    await users.create({ username: 'ben', displayName: 'Ben', email: null, roles: ['user'], passwordHash: null });
    await hybrid('cleo', 'CN=Cleo,OU=Team 100%_x,OU=Sales,DC=corp,DC=example');
    await hybrid('dirk', 'CN=Dirk,OU=PreSales,DC=corp,DC=example');
    await hybrid('emil', 'CN=Emil,OU=Sales,DC=corp,DC=example,DC=org');

    expect(await names()).toEqual(['anna', 'ben', 'cleo', 'desk', 'dirk', 'emil']);
    const r = await service.set({ id: null, name: 'root' }, desk, { groupIds: [top.id], ous: 'OU=Sales,DC=corp,DC=example' });
    expect(r.ok).toBe(true);
    expect(await names()).toEqual(['anna', 'cleo']);
    expect(await names('cle')).toEqual(['cleo']);
    expect(await names('ben')).toEqual([]);
    const page = await access.list({ id: desk.id, roles: desk.roles }, { pageSize: 1, page: 2 });
    expect([page.total, page.items.map((u) => u.username)]).toEqual([2, ['cleo']]);
    const viewer = { id: desk.id, roles: desk.roles };
    expect((await access.find(viewer, 'anna'))?.username).toBe('anna');
    expect((await access.find(viewer, 'CLEO'))?.username).toBe('cleo');
    for (const out of ['ben', 'dirk', 'emil', 'desk', 'nobody']) expect(await access.find(viewer, out), out).toBeNull();
    // Wildcards in an OU's name are taken literally.
    expect((await service.set({ id: null, name: 'root' }, desk, { groupIds: [], ous: 'OU=Team 1%,OU=Sales,DC=corp,DC=example' })).ok).toBe(true);
    expect(await names()).toEqual([]);
    // Administrators see everyone; anyone else no one.
    expect(await access.find({ id: null, roles: ['administrator'] }, 'ben')).not.toBeNull();
    expect(await access.find({ id: anna.id, roles: ['user'] }, 'ben')).toBeNull();
    expect((await access.list({ id: anna.id, roles: ['user'] }, {})).total).toBe(0);
  });

  it('a deleted group narrows the scope to nobody, never widens it; a deleted helpdesk user takes their scope along', async () => {
    const g = await groups.create({ name: 'Temps' });
    const tim = await users.create({ username: 'tim', displayName: 'Tim', email: null, roles: ['user'], passwordHash: null });
    await groups.addMember(g.id, { type: 'user', id: tim.id });
    expect((await service.set({ id: null, name: 'root' }, desk, { groupIds: [g.id], ous: '' })).ok).toBe(true);
    expect(await names()).toEqual(['tim']);
    await store.db.deleteFrom('group_members').where('group_id', '=', g.id).execute();
    await store.db.deleteFrom('groups').where('id', '=', g.id).execute();
    expect((await scopes.of(desk.id)).entries).toEqual([{ kind: 'group', groupId: g.id, name: null }]);
    expect(await names()).toEqual([]);
    await store.db.deleteFrom('user_roles').where('user_id', '=', desk.id).execute();
    await store.db.deleteFrom('users').where('id', '=', desk.id).execute();
    expect(await store.db.selectFrom('helpdesk_scopes').selectAll().execute()).toEqual([]);
  });
});

describe('the scope form', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let desk: User;
  let alice: User;
  beforeEach(async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    desk = await makeUser(tp.portal, { username: 'desk', password: PW, roles: ['password_administrator'], displayName: 'Desk Person' });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
  });
  afterEach(() => tp.cleanup());

  it('is on a helpdesk user\'s page for administrators only, validates, changes nothing on bad input, and is audited with before and after', async () => {
    const sales = await tp.portal.groups.create({ name: 'Sales' });
    const page = await admin.get(`/admin/users/${desk.id}`);
    expect(page.body).toContain('Helpdesk scope');
    expect(page.body).toContain('action="/admin/users/desk/helpdesk-scope"');
    expect(page.body).toContain('Now: every user.');
    expect((await admin.get(`/admin/users/${alice.id}`)).body).not.toContain('Helpdesk scope');

    const before = await dumpStore(tp.store);
    const bad = await admin.post('/admin/users/desk/helpdesk-scope', { groups: [sales.id], ous: 'OU=Sales,DC=corp\nnot a dn' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter each OU as a distinguished name, one per line');
    // What was typed stays in the form.
    expect(bad.body).toContain('not a dn</textarea>');
    expect(bad.body).toMatch(new RegExp(`value="${sales.id}" checked`));
    const unknownGroup = await admin.post('/admin/users/desk/helpdesk-scope', { groups: ['00000000-0000-4000-8000-000000000000'], ous: '' });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.body).toContain('Choose groups from the list.');
    const tooMany = await admin.post('/admin/users/desk/helpdesk-scope', { ous: Array.from({ length: 51 }, (_, i) => `OU=o${i},DC=corp`).join('\n') });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toContain('at most 50 groups and OUs');
    const notHelpdesk = await admin.post(`/admin/users/${alice.id}/helpdesk-scope`, { ous: 'OU=Sales,DC=corp' });
    expect(notHelpdesk.status).toBe(422);
    expect(notHelpdesk.body).toContain('Only a helpdesk user');
    expect((await admin.post('/admin/users/nobody/helpdesk-scope', { ous: '' })).status).toBe(404);
    expect(await dumpStore(tp.store)).toBe(before);

    const ok = await admin.post('/admin/users/desk/helpdesk-scope', { groups: [sales.id], ous: 'OU=Sales,DC=corp\n\nou=sales,dc=CORP' });
    expect(ok.status).toBe(303);
    expect(ok.res.headers.get('location')).toBe('/admin/users/desk?done=scope.done.saved');
    const after = await admin.get(ok.res.headers.get('location')!);
    expect(after.body).toContain('Helpdesk scope saved.');
    expect(after.body).toContain('Now: 2 groups or OUs.');
    expect(after.body).toContain('OU=Sales,DC=corp</textarea>');
    expect((await admin.post('/admin/users/desk/helpdesk-scope', { ous: '' })).status).toBe(303);
    const events = await tp.store.db.selectFrom('audit_events').select(['event', 'actor_name', 'target_name', 'details']).where('event', '=', 'helpdesk_scope_changed').orderBy('at').execute();
    expect(events.map((e) => [e.actor_name, e.target_name, JSON.parse(e.details) as unknown])).toEqual([
      ['root', 'desk', { before: 'all users', after: 'group:Sales; ou:OU=Sales,DC=corp' }],
      ['root', 'desk', { before: 'group:Sales; ou:OU=Sales,DC=corp', after: 'all users' }],
    ]);

    // The helpdesk cannot see or set any scope, its own included.
    const helpdesk = new TestClient(tp.app);
    await helpdesk.signIn('desk', PW);
    await helpdesk.get('/admin/users');
    const beforeHelpdesk = await dumpStore(tp.store);
    expect((await helpdesk.get('/admin/users/desk/helpdesk-scope')).status).toBe(403);
    expect((await helpdesk.post('/admin/users/desk/helpdesk-scope', { ous: '' })).status).toBe(403);
    expect((await helpdesk.post(`/admin/users/${desk.id}/helpdesk-scope`, { groups: [sales.id] })).status).toBe(403);
    expect(await dumpStore(tp.store)).toBe(beforeHelpdesk);
  });
});
