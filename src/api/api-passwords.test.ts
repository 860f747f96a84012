import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { createApiSandbox, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';

/**
 * The password rules through the JSON API: they are the policy's `passwords` section (PATCH
 * /policy, validated whole, versioned), and POST /passwords/check tests a password against them
 * with every reason, as `sspr password check` does. Refusals change nothing.
 */
describe('JSON API: password rules', () => {
  let sandbox: ApiSandbox;
  let tp: TestPortal;
  beforeEach(async () => {
    sandbox = await createApiSandbox();
    tp = sandbox.tp;
  });
  afterEach(() => tp.cleanup());
  const call: ApiSandbox['call'] = (...a) => sandbox.call(...a);

  it('PATCH /policy changes one password rule at any depth, as a new version; GET shows it', async () => {
    const a = await call('PATCH', '/policy', { token: sandbox.writeToken, body: { policy: { passwords: { minLength: 14, breached: { failureMode: 'closed' } } }, comment: 'longer' } });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ version: 1, policy: { passwords: { minLength: 14, maxLength: 256, breached: { mode: 'off', failureMode: 'closed' } } } });
    expect((await call('GET', '/policy', { token: sandbox.readToken })).json.policy.passwords.minLength).toBe(14);
  });

  it('bad rules (1,001 banned words, min above max, an unknown mode) are a 400 naming each field, and nothing changes', async () => {
    const before = await sandbox.state();
    const words = Array.from({ length: 1001 }, (_, i) => `word${i}xx`);
    const a = await call('PATCH', '/policy', { token: sandbox.writeToken, body: { policy: { passwords: { bannedCustom: words } } } });
    expectError(a, 400, 'invalid_input');
    expect(a.json.error.fields['policy.passwords.bannedCustom']).toBe('Add at most 1,000 banned words.');
    const minMax = await call('PATCH', '/policy', { token: sandbox.writeToken, body: { policy: { passwords: { minLength: 50, maxLength: 20 } } } });
    expect(minMax.json.error.fields['policy.passwords.minLength']).toBe('The minimum length cannot be more than the maximum length.');
    const mode = await call('PATCH', '/policy', { token: sandbox.writeToken, body: { policy: { passwords: { breached: { mode: 'sometimes' } } } } });
    expectError(mode, 400, 'invalid_input');
    expect(JSON.stringify(mode.json.error.fields)).toContain('passwords.breached.mode');
    expect(await sandbox.state()).toBe(before);
  });

  it('POST /passwords/check gives the verdict and every reason, for a user when named, and stores nothing', async () => {
    const before = await sandbox.state();
    const ok = await call('POST', '/passwords/check', { token: sandbox.readToken, body: { password: 'lantern orchid velvet' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ accepted: true, user: null, reasons: [], breachCount: null, score: expect.any(Number) });
    const own = await call('POST', '/passwords/check', { token: sandbox.readToken, body: { password: 'alice28Zq8#k2', username: 'alice' } });
    expect(own.json).toMatchObject({ accepted: false, user: 'alice', reasons: [{ code: 'name', message: 'It is too similar to your name or username.' }] });
    const short = await call('POST', '/passwords/check', { token: sandbox.readToken, body: { password: 'Zq8#k2' } });
    expect(short.json.reasons[0]).toEqual({ code: 'tooShort', message: 'Use at least 8 characters.' });
    expectError(await call('POST', '/passwords/check', { token: sandbox.readToken, body: { password: 'x', username: 'nobody' } }), 404, 'not_found');
    expectError(await call('POST', '/passwords/check', { token: sandbox.readToken, body: { password: 12 } }), 400, 'invalid_input');
    expect(await sandbox.state()).toBe(before);
  });

  it('the OpenAPI document describes the check and the password rules in the policy', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(doc.paths['/passwords/check'].post.operationId).toBe('checkPassword');
    expect(Object.keys(doc.components.schemas.Policy.properties)).toContain('passwords');
    expect(doc.components.schemas.Policy.properties.passwords.properties.breached.properties.mode.enum).toEqual(['off', 'hibp', 'local']);
  });
});
