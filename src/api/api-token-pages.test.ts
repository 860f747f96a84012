import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import type { User } from '../directory/users.js';
import { createApiSandbox, DAY, PW, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';

/** The console's API token page: a token is shown once, works against the API and can be revoked. */
describe('JSON API', () => {
  let sandbox: ApiSandbox;
  let tp: TestPortal;
  let root: User;

  beforeEach(async () => {
    sandbox = await createApiSandbox();
    ({ tp, root } = sandbox);
  });
  afterEach(() => tp.cleanup());

  const call: ApiSandbox['call'] = (...a) => sandbox.call(...a);

  describe('/admin/api-tokens', () => {
    let admin: TestClient;
    beforeEach(async () => {
      admin = new TestClient(tp.app);
      await admin.signIn('root', PW);
    });

    it('a token limited to the areas chosen reaches each at the level chosen there, and nothing else; the list says which', async () => {
      const page = await admin.get('/admin/api-tokens');
      expect(page.body).toContain('Only the parts of the API chosen below');
      expect(page.body).toContain('<label for="f-area-settings">Settings</label>');
      const created = await admin.post('/admin/api-tokens', { name: 'settings bot', scope: 'areas', 'area-settings': 'write', 'area-audit': 'read', 'area-users': '', expiresInDays: '' });
      expect(created.status).toBe(200);
      const shown = /value="(sspr_[A-Za-z0-9_-]{43})"/.exec(created.body)![1]!;
      expect((await call('PATCH', '/settings/throttling', { token: shown, body: { settings: { blockHours: 2 } } })).status).toBe(200);
      expect((await call('GET', '/audit', { token: shown })).status).toBe(200);
      const users = await call('GET', '/users', { token: shown });
      expectError(users, 403, 'forbidden');
      expect(users.json.error.message).toContain('users:read');
      expect((await admin.get('/admin/api-tokens')).body).toContain('Audit log: Read only, Settings: Read and write');
    });

    it('refuses, in words and creating nothing, a limited token with no area chosen, levels chosen for a token on every area, and a level that is not one', async () => {
      const before = (await tp.portal.apiTokens.list()).length;
      await admin.get('/admin/api-tokens');
      const none = await admin.post('/admin/api-tokens', { name: 'no areas', scope: 'areas', 'area-sync': '' });
      expect(none.status).toBe(400);
      expect(none.body).toContain('Choose the access to at least one part of the API, or give the token access to every part.');
      expect(none.body).toContain('value="areas" checked');
      const both = await admin.post('/admin/api-tokens', { name: 'both', scope: 'read', 'area-sync': 'write' });
      expect(both.status).toBe(400);
      expect(both.body).toContain('This token reaches every part of the API: set the parts below back to');
      // The level chosen stays chosen on the page that names the problem.
      expect(both.body).toMatch(/<select id="f-area-sync" name="area-sync">.*<option value="write" selected/s);
      const bad = await admin.post('/admin/api-tokens', { name: 'bad level', scope: 'areas', 'area-sync': 'admin' });
      expect(bad.status).toBe(400);
      expect(bad.body).toContain('Choose areas from the list, or none for every area.');
      expect((await tp.portal.apiTokens.list()).length).toBe(before);
    });

    it('creates a token that is shown once, works against the API, and can be revoked', async () => {
      const page = await admin.get('/admin/api-tokens');
      expect(page.status).toBe(200);
      expect(page.body).toContain('ci-sync');
      expect(page.body).toContain('<label for="f-name">');
      const created = await admin.post('/admin/api-tokens', { name: 'backup job', scope: 'write', expiresInDays: '30' });
      expect(created.status).toBe(200);
      const shown = /value="(sspr_[A-Za-z0-9_-]{43})"/.exec(created.body)?.[1];
      expect(shown).toBeDefined();
      expect(created.body).toContain('This is the only time the token is shown.');
      expect(created.res.headers.get('cache-control')).toBe('no-store');
      expect((await call('POST', '/users/alice/disable', { token: shown })).status).toBe(200);

      const again = await admin.get('/admin/api-tokens');
      expect(again.body).toContain('backup job');
      expect(again.body).not.toContain(shown!);
      const record = (await tp.portal.apiTokens.byName('backup job'))[0]!;
      expect(record.createdBy).toBe(root.id);
      expect(record.expiresAt).toBe(tp.clock.now() + 30 * DAY);
      const audit = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'api_token_created').where('target_name', '=', 'backup job').executeTakeFirstOrThrow();
      expect(audit.actor_name).toBe('root');

      const revoked = await admin.post(`/admin/api-tokens/${record.id}/revoke`, {});
      expect(revoked.status).toBe(303);
      expect(revoked.res.headers.get('location')).toBe('/admin/api-tokens?done=apiTokens.done.revoked');
      expect((await admin.get(revoked.res.headers.get('location')!)).body).toContain('Token revoked.');
      expectError(await call('GET', '/policy', { token: shown }), 401, 'unauthorized');
      const twice = await admin.post(`/admin/api-tokens/${record.id}/revoke`, {});
      expect(twice.res.headers.get('location')).toBe('/admin/api-tokens?refused=apiTokens.refuse.alreadyRevoked');
    });

    it('bad input gets field errors and creates nothing', async () => {
      await admin.get('/admin/api-tokens');
      const before = (await tp.portal.apiTokens.list()).length;
      const r = await admin.post('/admin/api-tokens', { name: '', scope: 'admin', expiresInDays: 'soon' });
      expect(r.status).toBe(400);
      for (const text of ['Enter a name for the token.', 'Choose read or write access.', 'Enter a whole number of days from 1 to 3650']) expect(r.body).toContain(text);
      expect(r.body).toContain('aria-invalid="true"');
      const dup = await admin.post('/admin/api-tokens', { name: 'ci-sync', scope: 'read' });
      expect(dup.status).toBe(409);
      expect(dup.body).toContain('A token with this name is already in use.');
      expect((await tp.portal.apiTokens.list()).length).toBe(before);
    });

    it('is for administrators only, and a revoke needs the CSRF token', async () => {
      await makeUser(tp.portal, { username: 'helpdesk', password: PW, roles: ['password_administrator'] });
      const helpdesk = new TestClient(tp.app);
      await helpdesk.signIn('helpdesk', PW);
      expect((await helpdesk.get('/admin/api-tokens')).status).toBe(403);
      expect((await helpdesk.post('/admin/api-tokens', { name: 'sneaky', scope: 'write' })).status).toBe(403);
      const id = (await tp.portal.apiTokens.byName('ci-sync'))[0]!.id;
      await admin.get('/admin/api-tokens');
      expect((await admin.post(`/admin/api-tokens/${id}/revoke`, { _csrf: '' })).status).toBe(403);
      expect((await tp.portal.apiTokens.byName('sneaky')).length).toBe(0);
      expect((await tp.portal.apiTokens.byId(id))!.revokedAt).toBeNull();
    });
  });
});
