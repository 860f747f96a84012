import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiSandbox, expectError, type ApiSandbox } from '../../test/helpers/api-sandbox.js';
import { translator } from '../i18n/index.js';

/**
 * The API's words follow `Accept-Language` (issue 15): its messages and field messages come from
 * the asked catalogue, the services' refusals too; the codes never change; without the header, or
 * for a language OpenSSPR does not speak, it answers in English — even where the organisation's
 * default language is another (a script sees the same words on every portal unless it asks).
 */
describe('the API in the language the client asks for', () => {
  let sandbox: ApiSandbox;
  beforeEach(async () => {
    // The organisation's pages default to German: the API does not follow that.
    sandbox = await createApiSandbox({ config: { branding: { defaultLanguage: 'de' } } });
  });
  afterEach(() => sandbox.tp.cleanup());

  const de = translator('de');
  const en = translator('en');

  it('Accept-Language: de gets German messages and field messages with the same codes, and Content-Language says so; nothing changes', async () => {
    const before = await sandbox.state();
    const missing = await sandbox.call('POST', '/users', { token: sandbox.writeToken, body: {}, headers: { 'accept-language': 'de-CH, fr;q=0.8, en;q=0.5' } });
    expectError(missing, 400, 'invalid_input');
    expect(missing.json.error.message).toBe(de('api.error.invalidInput'));
    expect(missing.json.error.fields).toEqual({ username: de('api.v.required'), displayName: de('api.v.required') });
    expect(missing.res.headers.get('content-language')).toBe('de');
    expect(missing.res.headers.get('vary')).toContain('Accept-Language');
    expect(de('api.v.required')).not.toBe(en('api.v.required'));
    expect(await sandbox.state()).toBe(before);
  });

  it('a service’s refusal (a username taken) is worded in the asked language too', async () => {
    const taken = await sandbox.call('POST', '/users', { token: sandbox.writeToken, body: { username: 'alice', displayName: 'Another Alice' }, headers: { 'accept-language': 'fr-FR' } });
    expectError(taken, 409, 'conflict');
    expect(taken.json.error.message).toBe(translator('fr')('users.exists'));
    expect(taken.res.headers.get('content-language')).toBe('fr');
  });

  it('unknown addresses and refused tokens answer in the asked language (Arabic, Japanese)', async () => {
    const missing = await sandbox.call('GET', '/nothing-here', { token: sandbox.readToken, headers: { 'accept-language': 'ar-EG' } });
    expectError(missing, 404, 'not_found');
    expect(missing.json.error.message).toBe(translator('ar')('api.error.notFound'));
    const noToken = await sandbox.call('GET', '/policy', { headers: { 'accept-language': 'ja' } });
    expectError(noToken, 401, 'unauthorized');
    expect(noToken.res.headers.get('content-language')).toBe('ja');
    expect(noToken.json.error.message).not.toBe(en('api.error.unauthorized'));
  });

  it('a body over the size limit is refused in the asked language', async () => {
    const big = await sandbox.call('PATCH', '/policy', { token: sandbox.writeToken, raw: JSON.stringify({ policy: { questions: { custom: ['x'.repeat(800_000)] } } }), headers: { 'accept-language': 'nl' } });
    expectError(big, 413, 'too_large');
    expect(big.json.error.message).toBe(translator('nl')('error.tooLarge'));
  });

  it('without Accept-Language, or asking for a language OpenSSPR does not speak, the answer is English although the pages default to German', async () => {
    const variants: Array<Record<string, string>> = [{}, { 'accept-language': 'sv-SE, fi;q=0.5' }, { 'accept-language': '*' }];
    for (const headers of variants) {
      const a = await sandbox.call('POST', '/users', { token: sandbox.writeToken, body: {}, headers });
      expectError(a, 400, 'invalid_input');
      expect(a.json.error.message, JSON.stringify(headers)).toBe(en('api.error.invalidInput'));
      expect(a.json.error.fields.username).toBe(en('api.v.required'));
      expect(a.res.headers.get('content-language')).toBe('en');
    }
  });
});
