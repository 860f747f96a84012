import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient } from '../../test/helpers/http-client.js';
import { createApiSandbox, DAY, PW, expectError, writes, type ApiSandbox } from '../../test/helpers/api-sandbox.js';

/**
 * The JSON API through the real app (app.request) over a real SQLite store. Every refusal is
 * checked twice: the answer (status, one error shape) and the store (nothing changed).
 */
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

  const token: ApiSandbox['token'] = (...a) => sandbox.token(...a);
  const call: ApiSandbox['call'] = (...a) => sandbox.call(...a);
  const state: ApiSandbox['state'] = () => sandbox.state();

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
      const a = await call('PATCH', '/policy', { token: writeToken, raw: JSON.stringify({ policy: { questions: { custom: ['x'.repeat(800_000)] } } }) });
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
});
