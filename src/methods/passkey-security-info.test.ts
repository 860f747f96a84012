import { beforeEach, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { passkeyHttpFixture, BASE, MINUTE, ORIGIN, PW, RP_ID, postJson } from '../../test/helpers/passkey-http.js';
import type { User } from '../directory/users.js';
import { hashToken } from '../shared/crypto.js';

describe('passkeys: HTTP endpoints and sign-in', () => {
  const fx = passkeyHttpFixture();
  let tp: TestPortal;
  let alice: User;
  let soft: SoftAuthenticator;
  beforeEach(() => {
    ({ tp, alice } = fx);
  });
  const { signedIn, registerOverHttp, passwordStep, signInOptions } = fx;
  async function withPasskey(): Promise<void> {
    soft = await fx.withPasskey();
  }

  it('a passkey is removed from My security info and no longer offered at sign-in', async () => {
    await withPasskey();
    const client = await signedInWithPasskey();
    const [method] = await tp.portal.methods.list(alice.id);
    await client.get(BASE);
    const r = await client.post(`${BASE}/remove/${method!.id}`, {});
    expect(r.status).toBe(303);
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual([]);
    const fresh = new TestClient(tp.app);
    expect((await fresh.signIn('alice', PW)).res.headers.get('location')).toBe('/account');
  });

  it('"Test" for a passkey asks only that passkey, shows "It works", and changes nothing but its last use and signature counter', async () => {
    const client = await signedIn();
    soft = new SoftAuthenticator(RP_ID, ORIGIN);
    const other = new SoftAuthenticator(RP_ID, ORIGIN);
    expect((await registerOverHttp(client, 'Work laptop', soft)).status).toBe(200);
    expect((await registerOverHttp(client, 'Phone', other)).status).toBe(200);
    const laptop = (await tp.portal.methods.list(alice.id)).find((m) => m.label === 'Work laptop')!;
    const page = await client.get(BASE);
    expect(page.body).toContain('aria-label="Test Passkey “Work laptop”"');
    expect(page.body).toContain(`data-options="${BASE}/test-passkey/options"`);
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);

    const methodsBefore = await tp.portal.methods.list(alice.id);
    const passkeysBefore = await tp.portal.methods.passkeys(alice.id);
    const session = await tp.store.db.selectFrom('sessions').select(['verified_at', 'amr']).executeTakeFirstOrThrow();
    tp.clock.advance!(MINUTE);
    const started = await postJson(client, `${BASE}/test-passkey/options`, { method: laptop.id });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    const options = started.json['options'] as PublicKeyCredentialRequestOptionsJSON;
    expect(options.allowCredentials).toEqual([{ id: soft.id, type: 'public-key', transports: ['internal'] }]);
    // The challenge is kept server-side, bound to this browser and user, for this purpose.
    const row = await tp.store.db.selectFrom('flows').selectAll().where('id_hash', '=', hashToken(started.json['flow'] as string)).executeTakeFirstOrThrow();
    expect([row.kind, row.user_id, JSON.parse(row.data).challenge, JSON.parse(row.data).purpose]).toEqual(['passkey-assert', alice.id, options.challenge, 'test']);

    // The other passkey cannot answer a test of this one.
    const wrong = await postJson(client, `${BASE}/test-passkey/verify`, { flow: started.json['flow'], response: other.assert(options) });
    expect(wrong.json['code']).toBe('passkeys.failed');
    const again = await postJson(client, `${BASE}/test-passkey/options`, { method: laptop.id });
    const againOptions = again.json['options'] as PublicKeyCredentialRequestOptionsJSON;
    const done = await postJson(client, `${BASE}/test-passkey/verify`, { flow: again.json['flow'], response: soft.assert(againOptions) });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json['redirect']).toBe(`${BASE}?done=methods.done.tested&method=${encodeURIComponent('Passkey “Work laptop”')}`);
    expect((await client.get(done.json['redirect'] as string)).body).toContain('It works: Passkey “Work laptop” verified you.');

    const methodsAfter = await tp.portal.methods.list(alice.id);
    expect(methodsAfter).toEqual(methodsBefore.map((m) => (m.id === laptop.id ? { ...m, lastUsedAt: tp.clock.now() } : m)));
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual(passkeysBefore.map((p) => (p.id === laptop.id ? { ...p, signCount: 1 } : p)));
    expect(await tp.store.db.selectFrom('sessions').select(['verified_at', 'amr']).executeTakeFirstOrThrow()).toEqual(session);
    // Single use: the same answer again is refused.
    expect((await postJson(client, `${BASE}/test-passkey/verify`, { flow: again.json['flow'], response: soft.assert(againOptions) })).json['code']).toBe('passkeys.expired');
  });

  it('a passkey test challenge expires, belongs to the browser that asked for it, needs the CSRF token and names a passkey of the user', async () => {
    await withPasskey();
    const client = await signedInWithPasskey();
    const [method] = await tp.portal.methods.list(alice.id);
    await client.get(BASE);
    expect((await postJson(client, `${BASE}/test-passkey/options`, { method: method!.id }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await postJson(client, `${BASE}/test-passkey/options`, { method: 'nope' })).json['code']).toBe('methods.notFound');
    const email = await tp.portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await tp.portal.methods.confirm(alice.id, email.id);
    expect((await postJson(client, `${BASE}/test-passkey/options`, { method: email.id })).status).toBe(404);

    const started = await postJson(client, `${BASE}/test-passkey/options`, { method: method!.id });
    const options = started.json['options'] as PublicKeyCredentialRequestOptionsJSON;
    const thief = new TestClient(tp.app);
    await thief.get('/sign-in');
    expect((await postJson(thief, `${BASE}/test-passkey/verify`, { flow: started.json['flow'], response: soft.assert(options) })).status).toBe(401);
    // A re-verification cannot be answered with a test challenge.
    expect((await postJson(client, `${BASE}/verify/passkey/verify`, { flow: started.json['flow'], response: soft.assert(options) })).json['code']).toBe('passkeys.expired');
    const late = await postJson(client, `${BASE}/test-passkey/options`, { method: method!.id });
    tp.clock.advance!(5 * MINUTE + 1);
    const r = await postJson(client, `${BASE}/test-passkey/verify`, { flow: late.json['flow'], response: soft.assert(late.json['options'] as PublicKeyCredentialRequestOptionsJSON) });
    expect([r.status, r.json['code']]).toEqual([410, 'passkeys.expired']);
  });

  it('without JavaScript "Test" for a passkey explains that passkeys need it and changes nothing', async () => {
    await withPasskey();
    const client = await signedInWithPasskey();
    const [method] = await tp.portal.methods.list(alice.id);
    await client.get(BASE);
    const r = await client.post(`${BASE}/test/${method!.id}`, { method: method!.id });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Passkeys need JavaScript and a browser that supports passkeys.');
    expect(await tp.portal.methods.list(alice.id)).toEqual([method]);
  });

  it('re-verification with a passkey marks the session verified and continues to "next", only under My security info', async () => {
    await withPasskey();
    const email = await tp.portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await tp.portal.methods.confirm(alice.id, email.id);
    const client = await signedInWithPasskey();
    tp.clock.advance!(11 * MINUTE);
    const add = await client.get(`${BASE}/add/email`);
    expect(add.res.headers.get('location')).toBe(`${BASE}/verify?next=${encodeURIComponent(`${BASE}/add/email`)}`);
    const page = await client.get(add.res.headers.get('location')!);
    expect(page.body).toContain('Use passkey');
    expect(page.body).toContain(`data-options="${BASE}/verify/passkey/options"`);
    // The page still offers the other methods.
    expect(page.body).toContain('Use Email a•••@example.com');

    const started = await postJson(client, `${BASE}/verify/passkey/options`, { next: `${BASE}/add/email` });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    const options = started.json['options'] as PublicKeyCredentialRequestOptionsJSON;
    expect(options.allowCredentials).toEqual([{ id: soft.id, type: 'public-key', transports: ['internal'] }]);
    const bad = await postJson(client, `${BASE}/verify/passkey/verify`, { flow: started.json['flow'], response: soft.assert(options, { badSignature: true }) });
    expect(bad.json['code']).toBe('passkeys.failed');
    expect((await client.get(`${BASE}/add/email`)).status).toBe(303);

    const fresh = await postJson(client, `${BASE}/verify/passkey/options`, { next: `${BASE}/add/email` });
    const done = await postJson(client, `${BASE}/verify/passkey/verify`, { flow: fresh.json['flow'], response: soft.assert(fresh.json['options'] as PublicKeyCredentialRequestOptionsJSON) });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json['redirect']).toBe(`${BASE}/add/email`);
    expect((await client.get(`${BASE}/add/email`)).status).toBe(200);

    for (const next of ['/admin', 'https://evil.test/', '//evil.test']) {
      tp.clock.advance!(11 * MINUTE);
      const s = await postJson(client, `${BASE}/verify/passkey/options`, { next });
      const r = await postJson(client, `${BASE}/verify/passkey/verify`, { flow: s.json['flow'], response: soft.assert(s.json['options'] as PublicKeyCredentialRequestOptionsJSON) });
      expect(r.json['redirect'], next).toBe(BASE);
    }
  });

  it('without JavaScript the re-verify page\'s passkey button explains that passkeys need it and still offers the other methods', async () => {
    await withPasskey();
    const email = await tp.portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await tp.portal.methods.confirm(alice.id, email.id);
    const client = await signedInWithPasskey();
    tp.clock.advance!(11 * MINUTE);
    await client.get(`${BASE}/verify`);
    const r = await client.post(`${BASE}/verify/passkey`, { next: `${BASE}/add/email` });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Passkeys need JavaScript and a browser that supports passkeys.');
    expect(r.body).toContain('Use Email a•••@example.com');
    expect((await client.get(`${BASE}/add/email`)).status).toBe(303);
  });

  async function signedInWithPasskey(): Promise<TestClient> {
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options) })).status).toBe(200);
    return client;
  }

  it('passkeys are not offered when the public URL is an IP address (browsers refuse it as an RP ID)', async () => {
    const ip = await createTestPortal({ manualTime: true, config: { publicUrl: 'http://127.0.0.1:8080' } });
    try {
      await makeUser(ip.portal, { username: 'carol', password: PW });
      const client = new TestClient(ip.app, 'http://127.0.0.1:8080');
      await client.signIn('carol', PW);
      const page = await client.get(BASE);
      expect(page.body).not.toContain('Add a passkey');
      expect((await client.get(`${BASE}/add/passkey`)).status).toBe(404);
      expect((await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' })).json['code']).toBe('methods.notAvailable');
    } finally {
      await ip.cleanup();
    }
  });
});
