import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import type { User } from '../directory/users.js';

const PW = 'correct horse battery';

describe('admin console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let root: User;
  beforeEach(async () => {
    tp = await createTestPortal();
    root = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], displayName: 'Root Admin' });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
  });
  afterEach(() => tp.cleanup());

  it('requires a console role: anonymous visitors are sent to sign-in, users are refused (the helpdesk\'s reach: src/support/roles.test.ts)', async () => {
    const anon = new TestClient(tp.app);
    const r = await anon.get('/admin/users');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Fusers');
    await makeUser(tp.portal, { username: 'alice', password: PW });
    for (const name of ['alice']) {
      const user = new TestClient(tp.app);
      await user.signIn(name, PW);
      for (const path of ['/admin', '/admin/users', '/admin/groups']) {
        const page = await user.get(path);
        expect(page.status).toBe(403);
        expect(page.body).toContain('Not allowed');
      }
      const post = await user.post('/admin/users', { username: 'sneaky', displayName: 'S' });
      expect(post.status).toBe(403);
    }
    expect(await tp.portal.users.byUsername('sneaky')).toBeNull();
    expect((await admin.get('/admin')).status).toBe(200);
  });

  it('the overview has a setup checklist whose steps follow the stored state and link to where each is done', async () => {
    const stepsOf = async () => {
      const body = (await admin.get('/admin')).body;
      const items = [...body.matchAll(/<li class="step (\w+)">.*?<a href="([^"]+)">([^<]+)<\/a><div class="hint">([^<]+)<\/div><\/li>/g)];
      return Object.fromEntries(items.map((m) => [m[2], { state: m[1], label: m[3], detail: m[4] }]));
    };
    let steps = await stepsOf();
    expect(Object.keys(steps)).toEqual(['/account/security-info', '/admin/settings/delivery', '/admin/policy/properties', '/admin/agents', '/admin/sync']);
    expect(steps['/account/security-info']).toMatchObject({ state: 'todo', label: 'Give your administrator account two methods', detail: 'You have 0 of the 2: register another, so a lost phone does not lock you out.' });
    expect(steps['/admin/settings/delivery']!.state).toBe('todo');
    // A cloud-only portal needs neither agent nor sync.
    expect(steps['/admin/agents']).toMatchObject({ state: 'notNeeded' });
    expect(steps['/admin/sync']).toMatchObject({ state: 'notNeeded' });

    for (const contact of ['root@example.com', 'root2@example.com']) {
      const m = await tp.portal.methods.addContact(root.id, 'email', contact);
      await tp.portal.methods.confirm(root.id, m.id);
    }
    expect((await tp.portal.policy.update({ id: root.id, name: 'root' }, { enabledFor: 'none' })).ok).toBe(true);
    await tp.portal.users.create({ username: 'ada', displayName: 'Ada', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'anchor-ada' });
    steps = await stepsOf();
    expect(steps['/account/security-info']).toMatchObject({ state: 'done', detail: 'You have 2 methods: you can always prove it is you.' });
    expect(steps['/admin/policy/properties']).toMatchObject({ state: 'todo', detail: 'Self-service is switched off for everyone.' });
    expect(steps['/admin/agents']).toMatchObject({ state: 'todo', detail: 'No agent is connected: users from Active Directory cannot reset.' });
    expect(steps['/admin/sync']).toMatchObject({ state: 'todo' });
    expect((await tp.portal.policy.update({ id: root.id, name: 'root' }, { enabledFor: 'all' })).ok).toBe(true);
    expect((await stepsOf())['/admin/policy/properties']).toMatchObject({ state: 'done', detail: 'All users may reset.' });

    // Delivery: tested only by an email sent since the SMTP settings were saved; saving them again asks for a new test.
    const sent = (at: number) => tp.store.db.insertInto('delivery_log').values({ channel: 'email', kind: 'test:email', user_id: null, destination_hash: 'h', destination_hint: 'r•••@example.com', provider: 'smtp', status: 'sent', attempts: 1, error: null, created_at: at }).execute();
    const smtp = (port: number) => tp.portal.settings.update({ id: root.id, name: 'root' }, 'delivery', { mode: 'smtp', smtp: { host: '127.0.0.1', port, from: 'Portal <portal@example.org>' } }, { mode: 'merge' });
    await sent(Date.now() - 60_000);
    expect((await smtp(2525)).ok).toBe(true);
    await tp.portal.settings.refresh();
    expect(steps = await stepsOf()).toBeTruthy();
    expect(steps['/admin/settings/delivery']).toMatchObject({ state: 'todo', detail: 'SMTP is configured but no email has been sent with these settings yet: send a test email from the delivery settings.' });
    await sent(Date.now() + 1);
    expect((await stepsOf())['/admin/settings/delivery']).toMatchObject({ state: 'done', detail: 'Email is configured and an email has been sent with these settings.' });
    await new Promise((r) => setTimeout(r, 5));
    expect((await smtp(2526)).ok).toBe(true);
    await tp.portal.settings.refresh();
    expect((await stepsOf())['/admin/settings/delivery']!.state).toBe('todo');
  });

  it('creates a user from the form', async () => {
    await admin.get('/admin/users/new');
    const r = await admin.post('/admin/users', { username: 'carol', displayName: 'Carol Clark', email: 'carol@example.com', roles: ['user', 'password_administrator'], password: PW });
    expect(r.status).toBe(303);
    const carol = (await tp.portal.users.byUsername('carol'))!;
    expect(r.res.headers.get('location')).toBe(`/admin/users/${carol.id}?done=users.done.created`);
    expect(carol.roles.sort()).toEqual(['password_administrator', 'user']);
    const page = await admin.get(r.res.headers.get('location')!);
    expect(page.body).toContain('User created.');
    expect(page.body).toContain('Carol Clark');
  });

  it('bad input on the create form gets field errors and creates nothing', async () => {
    await admin.get('/admin/users/new');
    const before = (await tp.portal.users.list()).total;
    const r = await admin.post('/admin/users', { username: 'bad name!', displayName: '', email: 'nope', roles: ['superuser'], password: 'short' });
    expect(r.status).toBe(400);
    for (const text of ['A username may contain letters', 'Enter a display name.', 'Enter a valid email address', 'Choose roles from the list.', 'Use at least 8 characters.']) expect(r.body).toContain(text);
    expect(r.body).toContain('aria-invalid="true"');
    expect((await tp.portal.users.list()).total).toBe(before);
  });

  it('names the length rules in force when the policy changed them, in the hint and the refusal', async () => {
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { passwords: { minLength: 20 } })).ok).toBe(true);
    const form = await admin.get('/admin/users/new');
    expect(form.body).toContain('20');
    const r = await admin.post('/admin/users', { username: 'erin', displayName: 'Erin Evans', email: '', roles: ['user'], password: 'lantern orchid' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Use at least 20 characters.');
    expect(await tp.portal.users.byUsername('erin')).toBeNull();
  });

  it('refuses a second user with the same username in another case', async () => {
    await makeUser(tp.portal, { username: 'dave' });
    await admin.get('/admin/users/new');
    const r = await admin.post('/admin/users', { username: 'DAVE', displayName: 'Dave 2' });
    expect(r.status).toBe(409);
    expect(r.body).toContain('A user with this username already exists.');
  });

  it('searches and pages through users', async () => {
    for (let i = 0; i < 30; i++) await makeUser(tp.portal, { username: `user${String(i).padStart(2, '0')}`, displayName: `Person ${i}` });
    const first = await admin.get('/admin/users');
    expect(first.body).toContain('31 users');
    expect(first.body).toContain('Page 1 of 2');
    const second = await admin.get('/admin/users?page=2');
    expect(second.body).toContain('Page 2 of 2');
    expect(second.body).toContain('user29');
    const search = await admin.get('/admin/users?q=person%2012');
    expect(search.body).toContain('1 user');
    expect(search.body).toContain('user12');
    const wildcard = await admin.get('/admin/users?q=%25');
    expect(wildcard.body).toContain('0 users');
  });

  it('disabling a user ends their sessions at once', async () => {
    const alice = await makeUser(tp.portal, { username: 'alice', password: PW });
    const aliceBrowser = new TestClient(tp.app);
    await aliceBrowser.signIn('alice', PW);
    expect((await aliceBrowser.get('/account')).status).toBe(200);
    await admin.get(`/admin/users/${alice.id}`);
    const r = await admin.post(`/admin/users/${alice.id}/enabled`, { enabled: '0' });
    expect(r.status).toBe(303);
    expect((await aliceBrowser.get('/account')).status).toBe(303);
    const page = await admin.get(`/admin/users/${alice.id}`);
    expect(page.body).toContain('Disabled');
  });

  it('setting a password checks the rules, changes nothing on bad input, and ends the user\'s sessions', async () => {
    const alice = await makeUser(tp.portal, { username: 'alice', password: PW });
    const aliceBrowser = new TestClient(tp.app);
    await aliceBrowser.signIn('alice', PW);
    await admin.get(`/admin/users/${alice.id}`);
    const short = await admin.post(`/admin/users/${alice.id}/password`, { password: 'short', confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('Use at least 8 characters.');
    const mismatch = await admin.post(`/admin/users/${alice.id}/password`, { password: 'a new long password', confirm: 'a different one' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords are not the same.');
    expect((await aliceBrowser.get('/account')).status).toBe(200);
    const ok = await admin.post(`/admin/users/${alice.id}/password`, { password: 'a new long password', confirm: 'a new long password' });
    expect(ok.status).toBe(303);
    expect((await aliceBrowser.get('/account')).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('alice', 'a new long password')).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(401);
  });

  it('a refused password lists every reason in plain words', async () => {
    const alice = await makeUser(tp.portal, { username: 'alice', password: PW, displayName: 'Alice Andersen' });
    await admin.get(`/admin/users/${alice.id}`);
    const r = await admin.post(`/admin/users/${alice.id}/password`, { password: 'Password1', confirm: 'Password1' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('It contains a commonly used word: password.');
    expect(r.body).toContain('This is one of the most common passwords.');
    const named = await admin.post(`/admin/users/${alice.id}/password`, { password: 'andersen-alice', confirm: 'andersen-alice' });
    expect(named.body).toContain('It is too similar to your name or username.');
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(303);
  });

  it('an administrator cannot disable or demote themselves, and the last administrator stays', async () => {
    await admin.get(`/admin/users/${root.id}`);
    const disable = await admin.post(`/admin/users/${root.id}/enabled`, { enabled: '0' });
    expect(disable.status).toBe(422);
    expect(disable.body).toContain('You cannot disable your own account.');
    const demote = await admin.post(`/admin/users/${root.id}/roles`, { roles: ['user'] });
    expect(demote.status).toBe(422);
    expect(demote.body).toContain('You cannot remove your own administrator role.');
    expect((await tp.portal.users.byId(root.id))!.roles).toContain('administrator');
    const svc = tp.portal.directory;
    const other = await makeUser(tp.portal, { username: 'other' });
    const last = await svc.setEnabled({ id: other.id, name: 'other' }, root.id, false);
    expect(last).toEqual({ ok: false, reason: 'refused', message: 'users.refuse.lastAdmin' });
  });

  it('manages groups: create, nest, add members, and shows membership through nested groups', async () => {
    await admin.get('/admin/groups');
    const staff = await admin.post('/admin/groups', { name: 'Staff', description: 'Everyone' });
    expect(staff.status).toBe(303);
    await admin.post('/admin/groups', { name: 'Pilot' });
    const dup = await admin.post('/admin/groups', { name: 'staff' });
    expect(dup.status).toBe(409);
    const empty = await admin.post('/admin/groups', { name: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter a group name.');
    const staffGroup = (await tp.portal.groups.byName('Staff'))!;
    const pilot = (await tp.portal.groups.byName('Pilot'))!;
    const alice = await makeUser(tp.portal, { username: 'alice' });
    await admin.get(`/admin/groups/${staffGroup.id}`);
    expect((await admin.post(`/admin/groups/${staffGroup.id}/members`, { type: 'group', name: 'Pilot' })).status).toBe(303);
    expect((await admin.post(`/admin/groups/${staffGroup.id}/members`, { type: 'group', name: 'Staff' })).status).toBe(422);
    const unknown = await admin.post(`/admin/groups/${staffGroup.id}/members`, { type: 'user', name: 'ghost' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('No user or group with that name exists.');
    await admin.get(`/admin/users/${alice.id}`);
    expect((await admin.post(`/admin/users/${alice.id}/groups`, { groupId: pilot.id })).status).toBe(303);
    const page = await admin.get(`/admin/users/${alice.id}`);
    expect(page.body).toContain('Pilot');
    expect(page.body).toContain('Staff');
    expect(page.body).toContain('through a nested group');
    const staffPage = await admin.get(`/admin/groups/${staffGroup.id}`);
    expect(staffPage.body).toContain('1 user in total, counting nested groups.');
    expect((await admin.post(`/admin/users/${alice.id}/groups/remove`, { groupId: pilot.id })).status).toBe(303);
    expect(await tp.portal.groups.isMember(alice.id, staffGroup.id)).toBe(false);
  });

  it('records administrative actions in the audit log with the actor', async () => {
    await admin.get('/admin/users/new');
    await admin.post('/admin/users', { username: 'erin', displayName: 'Erin' });
    const events = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'user_created').where('target_name', '=', 'erin').execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_name).toBe('root');
  });
});

describe('names that grow under Unicode normalisation', () => {
  it('refuses a username whose normalised form exceeds 256 characters, on every store', async () => {
    const tp = await createTestPortal({ dialect: 'postgres' });
    try {
      const r = await tp.portal.directory.createUser({ id: null, name: 't' }, { username: '\uFDFA'.repeat(15), displayName: 'x' });
      expect(r).toEqual({ ok: false, reason: 'invalid', errors: { username: 'v.username.tooLong' } });
      const g = await tp.portal.directory.createGroup({ id: null, name: 't' }, { name: '\uFDFA'.repeat(15) });
      expect(g).toEqual({ ok: false, reason: 'invalid', errors: { name: 'v.groupName.tooLong' } });
    } finally {
      await tp.cleanup();
    }
  });
});
