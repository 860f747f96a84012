import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import type { User } from '../directory/users.js';
import { apiRoutes } from './routes.js';
import { apiRouteDeps } from '../app/api-deps.js';

/**
 * The JSON API through the real app (app.request) over a real SQLite store. Every refusal is
 * checked twice: the answer (status, one error shape) and the store (nothing changed).
 */

const PW = 'correct horse battery';
const DAY = 86_400_000;
const BASE = 'http://portal.test/api/v1';
// What @hono/node-server would report as the peer; the API records it with every write.
const PEER = '198.51.100.7';
const env = { incoming: { socket: { remoteAddress: PEER, remotePort: 40000, remoteFamily: 'IPv4' } } };

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
  res: Response;
}

describe('JSON API', () => {
  let tp: TestPortal;
  let writeToken: string;
  let readToken: string;
  let root: User;

  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    root = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], displayName: 'Root Admin' });
    const alice = await makeUser(tp.portal, { username: 'alice', password: PW, displayName: 'Alice Andersen', email: 'alice@example.com' });
    const bob = await makeUser(tp.portal, { username: 'bob', displayName: 'Bob Brown' });
    await tp.portal.directory.setEnabled({ id: null, name: 'test' }, bob.id, false);
    const staff = await tp.portal.directory.createGroup({ id: null, name: 'test' }, { name: 'Staff', description: 'Everyone' });
    if (!staff.ok) throw new Error('group');
    await tp.portal.directory.addMember({ id: null, name: 'test' }, staff.value.id, { type: 'user', name: alice.username });
    writeToken = await token('ci-sync', 'write');
    readToken = await token('reporting', 'read');
  });
  afterEach(() => tp.cleanup());

  async function token(name: string, scope: 'read' | 'write', expiresInDays?: number): Promise<string> {
    const r = await tp.portal.apiTokens.create({ id: root.id, name: 'root' }, { name, scope, expiresInDays });
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r.value.token;
  }

  async function call(method: string, path: string, options: { token?: string; body?: unknown; raw?: string; contentType?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers = new Headers(options.headers);
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    let body: string | undefined;
    if (options.raw !== undefined || options.body !== undefined) {
      body = options.raw ?? JSON.stringify(options.body);
      headers.set('content-type', options.contentType ?? 'application/json');
    }
    const res = await tp.app.request(`${BASE}${path}`, { method, headers, body }, env);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, res };
  }

  /** What an unwanted request could change: the policy, the users, the audit log, the tokens (their use times aside). */
  async function state(): Promise<string> {
    const policy = await tp.portal.policy.refresh();
    const users = await tp.portal.users.list({ pageSize: 200 });
    const audit = await tp.store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
    const tokens = await tp.store.db.selectFrom('api_tokens').select(['id', 'name', 'scope', 'expires_at', 'revoked_at']).orderBy('id').execute();
    return JSON.stringify({ policy, users: users.items, audit, tokens });
  }

  function expectError(a: Answer, status: number, code: string): void {
    expect(a.status, a.text).toBe(status);
    expect(a.res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(a.json)).toEqual(['error']);
    expect(a.json.error.code).toBe(code);
    expect(typeof a.json.error.message).toBe('string');
    expect(a.json.error.message.length).toBeGreaterThan(10);
    for (const k of Object.keys(a.json.error)) expect(['code', 'message', 'fields']).toContain(k);
  }

  const writes: Array<[string, string, unknown]> = [
    ['PATCH', '/policy', { policy: { methodsRequired: 2 } }],
    ['PUT', '/policy', { policy: { enabledFor: 'none' } }],
    ['POST', '/users', { username: 'mallory', displayName: 'Mallory' }],
    ['POST', '/users/alice/disable', undefined],
    ['POST', '/users/bob/enable', undefined],
  ];

  describe('authentication', () => {
    it('no token, a wrong token, a revoked or an expired token get 401 with WWW-Authenticate, and nothing changes', async () => {
      const revoked = await token('old', 'write');
      await tp.portal.apiTokens.revoke({ id: null, name: 'test' }, (await tp.portal.apiTokens.byName('old'))[0]!.id);
      const expiring = await token('short-lived', 'write', 1);
      tp.clock.advance!(DAY);
      const before = await state();
      const variants: Array<[string, Record<string, string>, string]> = [
        ['none', {}, 'Bearer realm="OpenSSPR API"'],
        ['empty', { authorization: '' }, 'Bearer realm="OpenSSPR API"'],
        ['wrong', { authorization: `Bearer sspr_${'A'.repeat(43)}` }, 'Bearer realm="OpenSSPR API", error="invalid_token"'],
        ['garbage', { authorization: 'Bearer not a token' }, 'Bearer realm="OpenSSPR API", error="invalid_token"'],
        ['basic', { authorization: `Basic ${Buffer.from(`root:${PW}`).toString('base64')}` }, 'Bearer realm="OpenSSPR API", error="invalid_token"'],
        ['revoked', { authorization: `Bearer ${revoked}` }, 'Bearer realm="OpenSSPR API", error="invalid_token"'],
        ['expired', { authorization: `Bearer ${expiring}` }, 'Bearer realm="OpenSSPR API", error="invalid_token"'],
      ];
      for (const [name, headers, challenge] of variants) {
        for (const [method, path, body] of [['GET', '/policy', undefined] as const, ['GET', '/users', undefined] as const, ['GET', '/audit', undefined] as const, ...writes]) {
          const a = await call(method, path, { headers, body });
          expectError(a, 401, 'unauthorized');
          expect(a.res.headers.get('www-authenticate'), `${name} ${method} ${path}`).toBe(challenge);
          // No data of any kind in a refusal.
          expect(a.text).not.toContain('alice');
        }
      }
      expect(await state()).toBe(before);
    });

    it('cookies alone do not authenticate the API: an administrator\'s signed-in browser gets 401', async () => {
      const admin = new TestClient(tp.app);
      expect((await admin.signIn('root', PW)).status).toBe(303);
      expect((await admin.get('/admin')).status).toBe(200);
      const before = await state();
      const read = await admin.request('/api/v1/policy');
      expect(read.status).toBe(401);
      const sessionCookie = admin.cookies.get('sspr_session')!;
      for (const [method, path, body] of writes) {
        const res = await admin.request(`/api/v1${path}`, {
          method,
          headers: { 'content-type': 'application/json', origin: 'http://portal.test', 'x-csrf-token': admin.csrf },
          body: body === undefined ? undefined : JSON.stringify({ ...(body as object), _csrf: admin.csrf }),
        });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="OpenSSPR API"');
      }
      // Nor does the session cookie's value presented as a bearer token.
      expectError(await call('GET', '/policy', { token: sessionCookie }), 401, 'unauthorized');
      expect(await state()).toBe(before);
    });

    it('a read token can read but not write: 403 before the body is looked at, and nothing changes', async () => {
      const before = await state();
      expect((await call('GET', '/policy', { token: readToken })).status).toBe(200);
      expect((await call('GET', '/users', { token: readToken })).status).toBe(200);
      for (const [method, path, body] of writes) {
        const a = await call(method, path, { token: readToken, body });
        expectError(a, 403, 'forbidden');
        expect(a.res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      }
      // Even a body that is not JSON: the scope is checked first.
      expectError(await call('PATCH', '/policy', { token: readToken, raw: '{not json' }), 403, 'forbidden');
      expect(await state()).toBe(before);
    });

    it('the OpenAPI document needs no token; everything else does', async () => {
      const a = await call('GET', '/openapi.json');
      expect(a.status).toBe(200);
      expect(a.json.openapi).toBe('3.1.0');
      expectError(await call('GET', '/groups'), 401, 'unauthorized');
      expectError(await call('GET', '/no-such-thing'), 401, 'unauthorized');
    });

    it('a token that is used is marked with the time of use', async () => {
      const before = (await tp.portal.apiTokens.find('reporting')) as { ok: true; value: { lastUsedAt: number | null } };
      expect(before.value.lastUsedAt).toBeNull();
      await call('GET', '/groups', { token: readToken });
      const after = (await tp.portal.apiTokens.find('reporting')) as { ok: true; value: { lastUsedAt: number | null } };
      expect(after.value.lastUsedAt).toBe(tp.clock.now());
    });
  });

  describe('policy', () => {
    it('reads the policy with its version as ETag', async () => {
      const a = await call('GET', '/policy', { token: readToken });
      expect(a.status).toBe(200);
      expect(a.res.headers.get('etag')).toBe('"0"');
      expect(a.json).toEqual({ version: 0, policy: tp.portal.policy.snapshot().policy, changedAt: null, changedBy: null, comment: null });
    });

    it('PATCH merges a partial document, saves a version and answers with it', async () => {
      const a = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 2, questions: { toRegister: 4 } }, comment: 'two gates for everyone' } });
      expect(a.status, a.text).toBe(200);
      expect(a.res.headers.get('etag')).toBe('"1"');
      expect(a.json.version).toBe(1);
      expect(a.json.changedBy).toBe('api:ci-sync');
      expect(a.json.comment).toBe('two gates for everyone');
      expect(a.json.policy.methodsRequired).toBe(2);
      expect(a.json.policy.questions.toRegister).toBe(4);
      // Untouched keys of a touched section stay as they were.
      expect(a.json.policy.questions.toAnswer).toBe(tp.config.methods.questions.toAnswer);
      expect((await tp.portal.policy.refresh()).version).toBe(1);
      // Sending what is already in force saves nothing.
      const same = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 2 } } });
      expect(same.json.version).toBe(1);
    });

    it('PUT replaces the whole document; an incomplete one is refused naming what is missing', async () => {
      const current = tp.portal.policy.snapshot().policy;
      const partial = await call('PUT', '/policy', { token: writeToken, body: { policy: { enabledFor: 'none' } } });
      expectError(partial, 400, 'invalid_input');
      expect(partial.json.error.fields).toMatchObject({ 'policy.groups': 'This field is required.', 'policy.onPremises': 'This field is required.' });
      expect((await tp.portal.policy.refresh()).version).toBe(0);
      const next = { ...current, enabledFor: 'none', notifications: { usersOnReset: false, adminsOnAdminReset: true } };
      const ok = await call('PUT', '/policy', { token: writeToken, body: { policy: next } });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json.policy).toEqual(next);
    });

    it('a change based on a stale version is a conflict (409 for expectedVersion, 412 for If-Match) and changes nothing', async () => {
      const first = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 2 }, expectedVersion: 0 } });
      expect(first.status).toBe(200);
      const before = await state();
      const stale = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 1 }, expectedVersion: 0 } });
      expectError(stale, 409, 'conflict');
      expect(stale.json.error.message).toContain('now at version 1');
      const staleHeader = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 1 } }, headers: { 'if-match': '"0"' } });
      expectError(staleHeader, 412, 'precondition_failed');
      expect(staleHeader.res.headers.get('etag')).toBe('"1"');
      const stalePut = await call('PUT', '/policy', { token: writeToken, body: { policy: { ...tp.portal.policy.snapshot().policy, methodsRequired: 1 } }, headers: { 'if-match': '"0"' } });
      expectError(stalePut, 412, 'precondition_failed');
      const disagree = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 1 }, expectedVersion: 1 }, headers: { 'if-match': '"0"' } });
      expectError(disagree, 400, 'invalid_input');
      const malformed = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 1 } }, headers: { 'if-match': 'W/"1"' } });
      expectError(malformed, 400, 'invalid_input');
      expect(Object.keys(malformed.json.error.fields)).toEqual(['If-Match']);
      expect(await state()).toBe(before);
      expect(tp.portal.policy.snapshot().policy.methodsRequired).toBe(2);
      // With the current version it goes through.
      const fresh = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 1 } }, headers: { 'if-match': '"1"' } });
      expect(fresh.status).toBe(200);
      expect(fresh.json.version).toBe(2);
    });

    it('lists saved versions and reads one; unknown is 404, not a number is 400', async () => {
      await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequired: 2 } } });
      await call('PATCH', '/policy', { token: writeToken, body: { policy: { registration: { reconfirmDays: 90 } } } });
      const list = await call('GET', '/policy/versions?limit=10', { token: readToken });
      expect(list.status).toBe(200);
      expect(list.json.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      const one = await call('GET', '/policy/versions/1', { token: readToken });
      expect(one.json.version).toBe(1);
      expect(one.json.policy.registration.reconfirmDays).toBe(tp.config.methods.reconfirmDays);
      expect((await call('GET', '/policy/versions/0', { token: readToken })).json.version).toBe(0);
      expectError(await call('GET', '/policy/versions/9', { token: readToken }), 404, 'not_found');
      expectError(await call('GET', '/policy/versions/x', { token: readToken }), 400, 'invalid_input');
      expectError(await call('GET', '/policy/versions?limit=0', { token: readToken }), 400, 'invalid_input');
    });
  });

  describe('input', () => {
    it('invalid bodies are refused with 400 naming the fields, in plain words, and nothing changes', async () => {
      const before = await state();
      for (const raw of ['[]', 'null', '"text"', '42', 'true', '[{"policy":{}}]']) {
        const a = await call('PATCH', '/policy', { token: writeToken, raw });
        expectError(a, 400, 'invalid_input');
        expect(a.json.error.message).toBe('The request body must be a JSON object.');
      }
      for (const raw of ['', '{', '{"policy": }', "{'policy': {}}"]) expectError(await call('PATCH', '/policy', { token: writeToken, raw }), 400, 'invalid_json');
      expectError(await call('PATCH', '/policy', { token: writeToken, raw: '{"policy":{}}', contentType: 'text/plain' }), 415, 'unsupported_media_type');
      expectError(await call('POST', '/users', { token: writeToken, raw: 'username=eve', contentType: 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');

      const types = await call('PATCH', '/policy', {
        token: writeToken,
        body: { policy: { methodsRequired: 'two', methodsAvailable: 'email', questions: { toAnswer: '3' }, registration: { required: 'yes' }, customization: null, enabledFor: 'some' } },
      });
      expectError(types, 400, 'invalid_input');
      expect(types.json.error.fields).toEqual({
        'policy.methodsRequired': 'Use one of: 1, 2.',
        'policy.methodsAvailable': 'Expected a list (a JSON array) here.',
        'policy.questions.toAnswer': 'Expected a number here.',
        'policy.registration.required': 'Expected true or false here.',
        'policy.customization': 'Expected an object here.',
        'policy.enabledFor': 'Use one of: "none", "selected", "all".',
      });

      const unknown = await call('PATCH', '/policy', { token: writeToken, body: { policy: { methodsRequird: 2, questions: { toAnswr: 3 } }, extra: true } });
      expectError(unknown, 400, 'invalid_input');
      expect(Object.keys(unknown.json.error.fields).sort()).toEqual(['extra', 'policy.methodsRequird', 'policy.questions.toAnswr']);
      expect(unknown.json.error.fields.extra).toContain('not known');

      // A key that would reach the object prototype in a naive merge is just an unknown key.
      const proto = await call('PATCH', '/policy', { token: writeToken, raw: '{"policy":{"__proto__":{"methodsRequired":2}}}' });
      expectError(proto, 400, 'invalid_input');
      expect(Object.keys(proto.json.error.fields)).toEqual(['policy.__proto__']);
      expect(({} as Record<string, unknown>)['methodsRequired']).toBeUndefined();

      // Valid types, but the whole document does not hold together.
      const rules = await call('PATCH', '/policy', { token: writeToken, body: { policy: { questions: { toRegister: 3, toAnswer: 5 }, enabledFor: 'selected', groups: [] } } });
      expectError(rules, 400, 'invalid_input');
      expect(Object.keys(rules.json.error.fields).sort()).toEqual(['policy.groups', 'policy.questions.toAnswer']);
      const noGroup = await call('PATCH', '/policy', { token: writeToken, body: { policy: { enabledFor: 'selected', groups: ['00000000-0000-4000-8000-000000000000'] } } });
      expectError(noGroup, 400, 'invalid_input');
      expect(Object.keys(noGroup.json.error.fields)).toContain('policy.groups');

      const user = await call('POST', '/users', { token: writeToken, body: { username: 123, displayName: ['x'], roles: 'administrator', email: 'not-an-email', password: 42, bogus: true } });
      expectError(user, 400, 'invalid_input');
      expect(user.json.error.fields).toEqual({
        username: 'Expected text (a JSON string) here.',
        displayName: 'Expected text (a JSON string) here.',
        roles: 'Expected a list (a JSON array) here.',
        email: 'Enter a valid email address, like name@example.com.',
        password: 'Expected text (a JSON string) here.',
        bogus: 'This field is not known here. Check the spelling against the API description.',
      });
      const missing = await call('POST', '/users', { token: writeToken, body: {} });
      expect(missing.json.error.fields).toEqual({ username: 'This field is required.', displayName: 'This field is required.' });
      const huge = await call('POST', '/users', { token: writeToken, body: { username: 'a'.repeat(20_000), displayName: 'Huge' } });
      expectError(huge, 400, 'invalid_input');
      expect(huge.json.error.fields).toEqual({ username: 'A username is at most 256 characters.' });
      const weak = await call('POST', '/users', { token: writeToken, body: { username: 'eve', displayName: 'Eve', password: 'short' } });
      expectError(weak, 400, 'invalid_input');
      expect(weak.json.error.fields).toEqual({ password: `Use at least ${tp.config.passwords.minLength} characters.` });

      for (const q of ['?page=0', '?page=abc', '?pageSize=1000', '?page=1&page=2', '?sort=name']) expectError(await call('GET', `/users${q}`, { token: readToken }), 400, 'invalid_input');
      const audit = await call('GET', '/audit?from=yesterday&outcome=maybe&colour=red', { token: readToken });
      expectError(audit, 400, 'invalid_input');
      expect(Object.keys(audit.json.error.fields).sort()).toEqual(['colour', 'from', 'outcome']);
      expect(audit.json.error.fields.from).toBe('Enter a date as YYYY-MM-DD.');

      expect(await state()).toBe(before);
    });

    it('a body over the size limit is refused before it is read, and nothing changes', async () => {
      const before = await state();
      const a = await call('PATCH', '/policy', { token: writeToken, raw: JSON.stringify({ policy: { questions: { custom: ['x'.repeat(100_000)] } } }) });
      expectError(a, 413, 'too_large');
      expect(await state()).toBe(before);
    });

    it('unknown addresses are 404 and wrong methods 405, in the same error shape', async () => {
      expectError(await call('GET', '/nothing-here', { token: readToken }), 404, 'not_found');
      expectError(await call('GET', '/users/nobody', { token: readToken }), 404, 'not_found');
      const wrong = await call('DELETE', '/policy', { token: writeToken });
      expectError(wrong, 405, 'method_not_allowed');
      expect(wrong.res.headers.get('allow')).toBe('GET, PATCH, PUT');
      const get = await call('GET', '/users/alice/disable', { token: readToken });
      expectError(get, 405, 'method_not_allowed');
      expect(get.res.headers.get('allow')).toBe('POST');
    });
  });

  describe('users, groups and the audit log', () => {
    it('lists, searches and shows users with their groups, never password hashes or secrets', async () => {
      const list = await call('GET', '/users?q=ali&pageSize=10', { token: readToken });
      expect(list.status).toBe(200);
      expect(list.json).toMatchObject({ total: 1, page: 1, pageSize: 10 });
      expect(list.json.items.map((u: { username: string }) => u.username)).toEqual(['alice']);
      const alice = await call('GET', '/users/ALICE', { token: readToken });
      expect(alice.status).toBe(200);
      expect(Object.keys(alice.json).sort()).toEqual(
        ['anchor', 'createdAt', 'displayName', 'email', 'enabled', 'groups', 'hasPassword', 'id', 'passwordChangedAt', 'roles', 'securityInfoConfirmedAt', 'source', 'username'].sort(),
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

  describe('/admin/api-tokens', () => {
    let admin: TestClient;
    beforeEach(async () => {
      admin = new TestClient(tp.app);
      await admin.signIn('root', PW);
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
