import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { dumpStore } from '../../test/helpers/store-dump.js';
import type { User } from '../directory/users.js';
import { consoleAllows } from '../http/console-access.js';
import { ACTION_PATHS } from './actions-ui.js';
import { en } from '../i18n/en.js';

const PW = 'correct horse battery';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Every console route of the real app (method and path with its parameters filled in), middleware left out. */
function consoleRoutes(tp: TestPortal, userId: string): Array<{ method: string; path: string; pattern: string }> {
  const seen = new Set<string>();
  return tp.app.routes
    .filter((r) => r.method !== 'ALL' && (r.path === '/admin' || r.path.startsWith('/admin/')))
    // A support action's route is walked once per action (an unknown action is simply 404).
    .flatMap((r) => (r.path.includes(':action') ? Object.values(ACTION_PATHS).map((a) => ({ ...r, path: r.path.replace(':action', a) })) : [r]))
    .map((r) => ({
      method: r.method,
      pattern: r.path,
      path: r.path.replace(/:(key|id)(\{[^}]*\})?/g, userId).replace(/:[A-Za-z]+(\{[^}]*\})?/g, UNKNOWN).replace(/\*/g, 'x'),
    }))
    .filter((r) => !seen.has(`${r.method} ${r.pattern}`) && seen.add(`${r.method} ${r.pattern}`));
}

/** A page without its per-request parts (the CSRF token), to compare two answers. */
// The footer's language switch links to the page's own address, which names the user asked for.
const normalised = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf"').replace(/<nav class="languages"[\s\S]*?<\/nav>/, '');

describe('the helpdesk role in the console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let helpdesk: TestClient;
  let root: User;
  let desk: User;
  let alice: User;
  beforeEach(async () => {
    tp = await createTestPortal();
    root = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], displayName: 'Root Admin' });
    desk = await makeUser(tp.portal, { username: 'desk', password: PW, roles: ['password_administrator'], displayName: 'Desk Person' });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW, displayName: 'Alice Archer', email: 'alice@example.com' });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
    helpdesk = new TestClient(tp.app);
    const signedIn = await helpdesk.signIn('desk', PW);
    expect(signedIn.res.headers.get('location')).toBe('/admin');
  });
  afterEach(() => tp.cleanup());

  it('the helpdesk reaches users and nothing else', async () => {
    const home = await helpdesk.get('/admin');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Find the user who asked for help');
    // The overview's administrator figures are not on the helpdesk's start page.
    expect(home.body).not.toContain('Administrators');
    // The navigation names only what the helpdesk may open.
    const nav = /<nav class="admin-nav"[\s\S]*?<\/nav>/.exec(home.body)![0];
    expect([...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual(['/admin', '/admin/users']);
    expect(home.body).toContain('>Support desk</a>');

    const list = await helpdesk.get('/admin/users');
    expect(list.status).toBe(200);
    expect(list.body).toContain('alice');
    expect(list.body).not.toContain('href="/admin/users/new"');
    // The list shows the helpdesk addresses masked (the support page masks its own: hd-view).
    expect(list.body).toContain('a•••@example.com');
    expect(list.body).not.toContain('alice@example.com');
    for (const key of [alice.id, 'alice', 'ALICE']) {
      const page = await helpdesk.get(`/admin/users/${key}`);
      expect(page.status, key).toBe(200);
      expect(page.body).toContain('Alice Archer');
    }

    // Every other console page and action: 403 with the Forbidden page, and nothing changes.
    const routes = consoleRoutes(tp, alice.id).filter((r) => !consoleAllows('helpdesk', r.method, r.path));
    const paths = routes.map((r) => `${r.method} ${r.pattern}`);
    for (const expected of ['GET /admin/policy', 'GET /admin/agents', 'GET /admin/api-tokens', 'GET /admin/sync', 'GET /admin/reports', 'GET /admin/outbox', 'GET /admin/delivery', 'GET /admin/audit', 'GET /admin/groups', 'GET /admin/users/new', 'POST /admin/users', 'POST /admin/users/:key/enabled', 'POST /admin/users/:key/roles', 'POST /admin/users/:key/password', 'POST /admin/users/:key/ad/password', 'POST /admin/users/:key/helpdesk-scope']) {
      expect(paths).toContain(expected);
    }
    await helpdesk.get('/admin/users');
    const before = await dumpStore(tp.store);
    for (const r of routes) {
      const fields = { username: 'sneaky', displayName: 'Sneaky', enabled: '0', roles: ['administrator'], password: 'a brand new passphrase', confirm: 'a brand new passphrase', groupId: UNKNOWN, ous: 'OU=X,DC=example' };
      const res = r.method === 'GET' ? await helpdesk.get(r.path) : await helpdesk.post(r.path, fields);
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(res.body).toContain('Not allowed');
    }
    // The router decodes percent-escapes before routing; the allow-list sees the same path.
    for (const sneaky of ['/admin/%70olicy', '/admin/users/new', `/admin/users/${alice.id}/%68elpdesk-scope`]) expect((await helpdesk.get(sneaky)).status, sneaky).toBe(403);
    expect(await dumpStore(tp.store)).toBe(before);
    expect((await tp.portal.users.byId(alice.id))?.enabled).toBe(true);
    expect(await tp.portal.users.byUsername('sneaky')).toBeNull();

    // An administrator who is also helpdesk is an administrator.
    await tp.portal.users.setRoles(desk.id, ['administrator', 'password_administrator']);
    expect((await helpdesk.get('/admin/audit')).status).toBe(200);
    expect((await helpdesk.get('/admin/policy/helpdesk')).status).toBe(200);
  });

  it('a plain user reaches no console page', async () => {
    const user = new TestClient(tp.app);
    await user.signIn('alice', PW);
    for (const r of consoleRoutes(tp, alice.id).filter((x) => x.method === 'GET')) expect((await user.get(r.path)).status, r.path).toBe(403);
    expect((await user.get('/account')).body).not.toContain('href="/admin"');
  });

  it('a "this wasn\'t me" block is shown to the helpdesk without the administrator\'s links: it is lifted with the support action and a reason', async () => {
    await tp.portal.selfServiceBlocks.block(alice.id, { event: 'password_reset', eventAt: tp.clock.now() });
    const page = await helpdesk.get(`/admin/users/${alice.username}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(en['notMe.admin.title']);
    expect(page.body).toContain('Then use “Unblock self-service” below, with a reason.');
    expect(page.body).not.toContain('/self-service/unblock');
    expect(page.body).not.toContain('href="/admin/audit');
    // An administrator gets the lift button and the audit link.
    const adminPage = await admin.get(`/admin/users/${alice.username}`);
    expect(adminPage.body).toContain('/self-service/unblock');
  });

  it('the helpdesk cannot act on administrators or other helpdesk users', async () => {
    const other = await makeUser(tp.portal, { username: 'otherdesk', password: PW, roles: ['password_administrator', 'user'] });
    const access = tp.portal.supportAccess;
    const viewer = { id: desk.id, roles: desk.roles };
    expect(await access.refusal(viewer, root)).toBe('support.refuse.privileged');
    expect(await access.refusal(viewer, other)).toBe('support.refuse.privileged');
    expect(await access.refusal(viewer, desk)).toBe('support.refuse.self');
    expect(await access.refusal(viewer, alice)).toBeNull();
    // Administrators may act on everyone; the API and the CLI act as one.
    expect(await access.refusal({ id: root.id, roles: root.roles }, other)).toBeNull();
    expect(await access.refusal({ id: null, roles: ['administrator'] }, root)).toBeNull();
    // Someone with neither role acts on no one.
    expect(await access.refusal({ id: alice.id, roles: alice.roles }, alice)).toBe('support.refuse.notAllowed');

    // Every action route under a user, aimed at an administrator, another helpdesk user or the
    // helpdesk user themselves: refused, nothing changes. The support desk's own routes (the
    // allow-list's) say why in plain words.
    await helpdesk.get('/admin/users');
    const before = await dumpStore(tp.store);
    for (const target of [root, other, desk]) {
      const posts = consoleRoutes(tp, target.id).filter((r) => r.method === 'POST' && r.pattern.startsWith('/admin/users/:key/'));
      expect(posts.length).toBeGreaterThan(5);
      for (const r of posts) {
        const res = await helpdesk.post(r.path, { reason: 'caller asked for it', confirm: '1', methodId: UNKNOWN, enabled: '0', roles: ['user'], password: 'a brand new passphrase', confirm_password: 'a brand new passphrase' });
        expect(res.status, `${r.path} for ${target.username}`).toBeGreaterThanOrEqual(400);
        if (consoleAllows("helpdesk", "POST", r.path)) expect(res.body, `${r.path} for ${target.username}`).toMatch(/cannot act on administrators or other helpdesk users|cannot act on your own account/);
      }
    }
    expect(await dumpStore(tp.store)).toBe(before);
    expect((await tp.portal.users.byId(root.id))?.roles).toEqual(['administrator']);
  });

  it('outside its scope a user does not exist for the helpdesk (404, not 403) — by a nested group', async () => {
    const outer = await tp.portal.groups.create({ name: 'Branch offices' });
    const inner = await tp.portal.groups.create({ name: 'Berlin office' });
    await tp.portal.groups.addMember(outer.id, { type: 'group', id: inner.id });
    const bob = await makeUser(tp.portal, { username: 'bob', password: PW, displayName: 'Bob Baker' });
    await tp.portal.groups.addMember(inner.id, { type: 'user', id: bob.id });
    await admin.get(`/admin/users/${desk.id}`);
    expect((await admin.post(`/admin/users/${desk.id}/helpdesk-scope`, { groups: [outer.id], ous: '' })).status).toBe(303);

    const list = await helpdesk.get('/admin/users');
    expect(list.body).toContain('1 user');
    expect(list.body).toContain('Bob Baker');
    expect(list.body).not.toContain('Alice Archer');
    expect(list.body).not.toContain('Root Admin');
    expect((await helpdesk.get('/admin/users?q=alice')).body).toContain('0 users');
    expect((await helpdesk.get('/admin')).body).toContain('You see the users of your helpdesk scope only.');
    expect((await helpdesk.get(`/admin/users/${bob.id}`)).status).toBe(200);

    await helpdesk.get('/admin/users');
    const before = await dumpStore(tp.store);
    const unknown = await helpdesk.get(`/admin/users/${UNKNOWN}`);
    expect(unknown.status).toBe(404);
    for (const key of [alice.id, 'alice']) {
      const outside = await helpdesk.get(`/admin/users/${key}`);
      expect(outside.status).toBe(404);
      expect(normalised(outside.body)).toBe(normalised(unknown.body));
    }
    // Every route under the user answers for alice exactly as for a user who does not exist.
    for (const r of consoleRoutes(tp, alice.id).filter((x) => x.pattern.startsWith('/admin/users/:key'))) {
      const call = (path: string) => (r.method === 'GET' ? helpdesk.get(path) : helpdesk.post(path, { reason: 'caller asked', confirm: '1' }));
      const [a, u] = [await call(r.path), await call(r.path.replace(alice.id, 'no-such-user'))];
      expect(a.status, r.path).toBe(u.status);
      expect(normalised(a.body), r.path).toBe(normalised(u.body));
      expect(a.status, r.path).not.toBe(200);
    }
    expect(await dumpStore(tp.store)).toBe(before);

    // Taking bob out of the nested group takes him out of the scope.
    await tp.portal.groups.removeMember(inner.id, { type: 'user', id: bob.id });
    expect((await helpdesk.get(`/admin/users/${bob.id}`)).status).toBe(404);
  });

  it('outside its scope a user does not exist for the helpdesk (404, not 403) — by an AD OU', async () => {
    const hybrid = async (username: string, dn: string) => {
      const u = await tp.portal.users.create({ username, displayName: username, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: `anchor-${username}` });
      await tp.store.db.insertInto('synced_objects').values({ anchor: `anchor-${username}`, kind: 'user', local_id: u.id, dn, dn_key: dn.toLowerCase(), attributes: '{}', member_dns: null, ad_methods: null, password_expires_at: null, last_run_id: null, gone_at: null, gone_reason: null, updated_at: 0 }).execute();
      return u;
    };
    const dave = await hybrid('dave', 'CN=Dave,OU=Berlin,OU=Sales,DC=corp,DC=example');
    const erin = await hybrid('erin', 'CN=Erin,OU=PreSales,DC=corp,DC=example');
    const frank = await hybrid('frank', 'CN=Frank,OU=Sales,DC=other,DC=example');
    await admin.get(`/admin/users/${desk.id}`);
    // Typed with spaces and in another case: the same OU.
    expect((await admin.post(`/admin/users/${desk.id}/helpdesk-scope`, { ous: 'ou=sales, dc=CORP, dc=example\r\n' })).status).toBe(303);
    expect((await tp.portal.helpdeskScopes.of(desk.id)).entries).toEqual([{ kind: 'ou', dn: 'ou=sales,dc=CORP,dc=example' }]);

    const list = await helpdesk.get('/admin/users');
    expect(list.body).toContain('1 user');
    expect(list.body).toContain('dave');
    expect((await helpdesk.get(`/admin/users/${dave.id}`)).status).toBe(200);
    const unknown = await helpdesk.get('/admin/users/nobody-here');
    // A sibling OU whose name ends the same, another domain, a cloud user: not in scope.
    for (const u of [erin, frank, alice]) {
      const page = await helpdesk.get(`/admin/users/${u.username}`);
      expect(page.status, u.username).toBe(404);
      expect(normalised(page.body)).toBe(normalised(unknown.body));
    }
  });
});
