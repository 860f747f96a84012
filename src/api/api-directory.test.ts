import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient } from '../../test/helpers/http-client.js';
import { apiRoutes } from './routes.js';
import { apiRouteDeps } from '../app/api-deps.js';
import { createApiSandbox, PEER, PW, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';

/** The JSON API's users, groups and audit log, and its OpenAPI document: every route registered is described. */
describe('JSON API', () => {
  let sandbox: ApiSandbox;
  let tp: TestPortal;
  let writeToken: string;
  let readToken: string;

  beforeEach(async () => {
    sandbox = await createApiSandbox();
    ({ tp, writeToken, readToken } = sandbox);
  });
  afterEach(() => tp.cleanup());

  const call: ApiSandbox['call'] = (...a) => sandbox.call(...a);

  describe('users, groups and the audit log', () => {
    it('lists, searches and shows users with their groups, never password hashes or secrets', async () => {
      const list = await call('GET', '/users?q=ali&pageSize=10', { token: readToken });
      expect(list.status).toBe(200);
      expect(list.json).toMatchObject({ total: 1, page: 1, pageSize: 10 });
      expect(list.json.items.map((u: { username: string }) => u.username)).toEqual(['alice']);
      const alice = await call('GET', '/users/ALICE', { token: readToken });
      expect(alice.status).toBe(200);
      expect(Object.keys(alice.json).sort()).toEqual(
        ['anchor', 'createdAt', 'displayName', 'email', 'enabled', 'groups', 'hasPassword', 'id', 'passwordChangedAt', 'roles', 'securityInfoConfirmedAt', 'selfServiceBlock', 'source', 'username'].sort(),
      );
      expect(alice.json).toMatchObject({ username: 'alice', displayName: 'Alice Andersen', email: 'alice@example.com', enabled: true, hasPassword: true, roles: ['user'] });
      expect(alice.json.groups).toEqual([{ id: expect.any(String), name: 'Staff', direct: true }]);
      expect(alice.json.createdAt).toBe(new Date(tp.clock.now()).toISOString());
      const all = await call('GET', '/users?pageSize=200', { token: readToken });
      for (const body of [list.text, alice.text, all.text]) {
        expect(body).not.toContain('$argon2');
        expect(body).not.toContain(PW);
      }
    });

    it('creates a cloud user (201 with Location), refuses a duplicate (409), and the password is only ever hashed', async () => {
      const a = await call('POST', '/users', { token: writeToken, body: { username: 'carol', displayName: 'Carol Clark', email: 'carol@example.com', roles: ['user', 'password_administrator'], password: PW } });
      expect(a.status, a.text).toBe(201);
      expect(a.res.headers.get('location')).toBe('/api/v1/users/carol');
      expect(a.json).toMatchObject({ username: 'carol', source: 'cloud', enabled: true, hasPassword: true });
      expect(a.text).not.toContain(PW);
      const carol = (await tp.portal.users.byUsername('carol'))!;
      expect(carol.roles.sort()).toEqual(['password_administrator', 'user']);
      expect((await new TestClient(tp.app).signIn('carol', PW)).status).toBe(303);
      const dup = await call('POST', '/users', { token: writeToken, body: { username: 'CAROL', displayName: 'Another' } });
      expectError(dup, 409, 'conflict');
      expect(dup.json.error.message).toBe('A user with this username already exists.');
      expect(tp.logs()).not.toContain(PW);
    });

    it('disables and enables users; the last administrator cannot be disabled (422)', async () => {
      const alice = new TestClient(tp.app);
      await alice.signIn('alice', PW);
      expect((await alice.get('/account')).status).toBe(200);
      const off = await call('POST', '/users/alice/disable', { token: writeToken });
      expect(off.status).toBe(200);
      expect(off.json.enabled).toBe(false);
      // Disabling ends the user's sessions, whichever door was used.
      expect((await alice.get('/account')).status).toBe(303);
      expect((await call('POST', '/users/alice/enable', { token: writeToken })).json.enabled).toBe(true);
      const last = await call('POST', '/users/root/disable', { token: writeToken });
      expectError(last, 422, 'refused');
      expect(last.json.error.message).toBe('This is the last enabled administrator; keep at least one.');
      expect((await tp.portal.users.byUsername('root'))!.enabled).toBe(true);
      expectError(await call('POST', '/users/nobody/disable', { token: writeToken }), 404, 'not_found');
    });

    it('lists groups with their direct members', async () => {
      const a = await call('GET', '/groups', { token: readToken });
      expect(a.status).toBe(200);
      expect(a.json.items).toEqual([{ id: expect.any(String), name: 'Staff', description: 'Everyone', source: 'cloud', createdAt: expect.any(String), directMembers: 1 }]);
    });

    it('the audit log records API writes with the token\'s name and the request\'s address', async () => {
      await call('POST', '/users', { token: writeToken, body: { username: 'dave', displayName: 'Dave' } });
      await call('POST', '/users/dave/disable', { token: writeToken });
      await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 2 } } });
      const rows = await tp.store.db.selectFrom('audit_events').selectAll().where('actor_name', '=', 'api:ci-sync').orderBy('id').execute();
      expect(rows.map((r) => [r.event, r.actor_id, r.target_name, r.ip])).toEqual([
        ['user_created', null, 'dave', PEER],
        ['user_disabled', null, 'dave', PEER],
        ['policy_changed', null, null, PEER],
      ]);
      const dump = JSON.stringify(await tp.store.db.selectFrom('audit_events').selectAll().execute());
      expect(dump).not.toContain(writeToken);
      expect(tp.logs()).not.toContain(writeToken);

      const page = await call('GET', '/audit?user=api:ci-sync&outcome=success', { token: readToken });
      expect(page.status).toBe(200);
      expect(page.json.total).toBe(3);
      expect(page.json.items[0]).toMatchObject({ event: 'policy_changed', actor: 'api:ci-sync', ip: PEER, details: { version: 1, changed: 'methodsRequired' } });
      const byEvent = await call('GET', '/audit?event=user_disabled', { token: readToken });
      expect(byEvent.json.items.map((e: { target: string }) => e.target)).toEqual(['dave', 'bob']);
      const today = new Date(tp.clock.now()).toISOString().slice(0, 10);
      expect((await call('GET', `/audit?event=user_created&from=${today}&to=${today}`, { token: readToken })).json.total).toBe(4);
      expect((await call('GET', '/audit?event=user_created&to=2000-01-01', { token: readToken })).json.total).toBe(0);
      expect((await call('GET', '/audit?pageSize=2&page=2', { token: readToken })).json).toMatchObject({ page: 2, pageSize: 2, items: [expect.anything(), expect.anything()] });
      // Empty parameters, as a form would send them, mean "no filter".
      expect((await call('GET', '/audit?event=&outcome=&from=&to=&page=', { token: readToken })).json.total).toBeGreaterThan(5);
    });
  });

  describe('the OpenAPI document', () => {
    const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

    it('is valid JSON describing every registered route, the bearer scheme and the schemas', async () => {
      const a = await call('GET', '/openapi.json');
      expect(a.status).toBe(200);
      expect(a.res.headers.get('content-type')).toMatch(/^application\/json/);
      const doc = JSON.parse(a.text);
      expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(doc.servers).toEqual([{ url: 'http://portal.test/api/v1' }]);
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.security).toEqual([{ bearerAuth: [] }]);

      // Every route the API registers is documented, and everything documented is registered.
      const registered = new Set(
        apiRoutes(apiRouteDeps(tp.portal))
          .routes.filter((r) => r.method !== 'ALL')
          .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
      );
      const documented = new Set<string>();
      for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) for (const m of Object.keys(item).filter((k) => methods.includes(k))) documented.add(`${m.toUpperCase()} ${path}`);
      expect([...documented].sort()).toEqual([...registered].sort());

      const operationIds: string[] = [];
      for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(doc.paths)) {
        for (const [m, op] of Object.entries(item).filter(([k]) => methods.includes(k))) {
          expect(op['responses'], `${m} ${path}`).toBeTypeOf('object');
          expect(Object.keys(op['responses'] as object).some((s) => s.startsWith('2')), `${m} ${path}`).toBe(true);
          operationIds.push(op['operationId'] as string);
          // Every {param} of the path is declared as a path parameter.
          const declared = ((op['parameters'] as Array<{ in: string; name: string; required?: boolean }>) ?? []).filter((p) => p.in === 'path');
          for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((x) => x[1])) expect(declared.find((p) => p.name === name)?.required, `${m} ${path} {${name}}`).toBe(true);
          if (path !== '/openapi.json') {
            expect(['read', 'write']).toContain(op['x-sspr-scope']);
            expect(Object.keys(op['responses'] as object)).toContain('401');
          }
          if (op['x-sspr-scope'] === 'write') expect(Object.keys(op['responses'] as object)).toContain('403');
        }
      }
      expect(new Set(operationIds).size).toBe(operationIds.length);

      // Every reference resolves inside the document.
      const refs: string[] = [];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if (k === '$ref' && typeof x === 'string') refs.push(x);
            else walk(x);
          }
        }
      };
      walk(doc);
      expect(refs.length).toBeGreaterThan(10);
      for (const ref of new Set(refs)) {
        expect(ref.startsWith('#/')).toBe(true);
        let node: unknown = doc;
        for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
        expect(node, ref).toBeTypeOf('object');
      }
      for (const name of ['Policy', 'PolicyVersion', 'User', 'UserDetail', 'NewUser', 'PatchPolicyRequest', 'PutPolicyRequest', 'AuditPage', 'GroupList', 'Error']) expect(doc.components.schemas[name], name).toBeTypeOf('object');
      // Nothing secret is described as part of an answer.
      expect(JSON.stringify(doc.components.schemas.User)).not.toMatch(/passwordHash|secret|token/i);
    });
  });
});
