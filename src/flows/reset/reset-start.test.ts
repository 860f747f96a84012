import { describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/http-client.js';
import { registered, resetPortals, solveCaptcha, startReset } from '../../../test/helpers/reset-flow.js';

/** The start of a reset: the CAPTCHA, the per-address limit and the typed name. */

const portal = resetPortals();

describe('password reset (HTTP, real store)', () => {
  it('refuses a missing, forged or replayed CAPTCHA and starts nothing', async () => {
    const t = await portal();
    await registered(t.portal, 'liam');
    const c = new TestClient(t.app);
    await c.get('/reset');
    expect((await c.post('/reset', { username: 'liam', captcha: '' })).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ algorithm: 'SHA-256', challenge: 'a'.repeat(64), number: 1, salt: 'x?expires=9999999999', signature: 'b'.repeat(64) })).toString('base64');
    expect((await c.post('/reset', { username: 'liam', captcha: forged })).status).toBe(400);
    const good = await solveCaptcha(c);
    expect((await c.post('/reset', { username: 'liam', captcha: good })).status).toBe(303);
    const replay = await c.post('/reset', { username: 'liam', captcha: good });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('robot check');
    expect(await t.store.db.selectFrom('flows').select('id_hash').where('kind', '=', 'reset').execute()).toHaveLength(1);
  });

  it('limits reset starts per client address, whoever is named, and only trusts X-Forwarded-For from configured proxies', async () => {
    const t = await portal({ reset: { captchaMaxNumber: 200, startsPerIpPerHour: 2 } });
    const c = new TestClient(t.app, 'http://portal.test', { 'x-forwarded-for': '203.0.113.9' });
    expect((await startReset(c, 'one')).status).toBe(303);
    expect((await startReset(c, 'two')).status).toBe(303);
    const third = await startReset(c, 'three');
    expect(third.status).toBe(429);
    expect(third.res.headers.get('retry-after')).toBe('3600');
    expect(third.body).toContain('Too many password resets');
    // A forged X-Forwarded-For from an untrusted peer is not a new address.
    const other = new TestClient(t.app, 'http://portal.test', { 'x-forwarded-for': '198.51.100.1' });
    expect((await startReset(other, 'four')).status).toBe(429);
    expect(await t.store.db.selectFrom('flows').select('id_hash').where('kind', '=', 'reset').execute()).toHaveLength(2);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const t = await portal();
    const c = new TestClient(t.app);
    await c.get('/reset');
    const empty = await c.post('/reset', { username: '', captcha: await solveCaptcha(c) });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Username');
    const long = await c.post('/reset', { username: 'x'.repeat(300), captcha: await solveCaptcha(c) });
    expect(long.status).toBe(400);
    const twice = await c.post('/reset', { username: ['a', 'b'], captcha: await solveCaptcha(c) });
    expect(twice.status).toBe(400);
    expect(await t.store.db.selectFrom('flows').select('id_hash').execute()).toHaveLength(0);
  });
});
