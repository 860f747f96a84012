import { beforeEach, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient } from '../../test/helpers/http-client.js';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { passkeyHttpFixture, BASE, MINUTE, ORIGIN, RP_ID, postJson } from '../../test/helpers/passkey-http.js';
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
  const { signedIn, registerOverHttp, passwordStep } = fx;
  async function withPasskey(): Promise<void> {
    soft = await fx.withPasskey();
  }

  it('registers a passkey through the JSON endpoints and lists it by name on My security info', async () => {
    const client = await signedIn();
    const page = await client.get(BASE);
    expect(page.body).toContain(`href="${BASE}/add/passkey"`);
    soft = new SoftAuthenticator(RP_ID, ORIGIN);
    const r = await registerOverHttp(client, 'Work laptop', soft);
    expect(r.status).toBe(200);
    expect(r.json['redirect']).toBe(`${BASE}?done=methods.done.added&method=${encodeURIComponent('Passkey “Work laptop”')}`);
    const list = await client.get(r.json['redirect'] as string);
    expect(list.body).toContain('Passkey “Work laptop” is registered.');
    expect(list.body).toContain('Not used yet');
    expect(list.body).toContain('aria-label="Remove Passkey “Work laptop”"');
  });

  it('the RP ID in the options comes from the configured public URL even when the Host header says otherwise', async () => {
    const client = await signedIn();
    const res = await tp.app.request('http://evil.example/account/security-info/passkeys/options', {
      method: 'POST',
      body: JSON.stringify({ name: 'Laptop' }),
      headers: { 'content-type': 'application/json', host: 'evil.example', origin: ORIGIN, 'x-csrf-token': client.csrf, cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { options: PublicKeyCredentialCreationOptionsJSON };
    expect(body.options.rp.id).toBe(RP_ID);
  });

  it('the JSON endpoints refuse requests without the CSRF token or from another origin', async () => {
    const client = await signedIn();
    expect((await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' }, { 'x-csrf-token': '' })).status).toBe(403);
    expect((await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' }, { origin: 'http://evil.test' })).status).toBe(403);
    expect(await tp.store.db.selectFrom('flows').select('id_hash').where('kind', '=', 'passkey-register').execute()).toEqual([]);
    await withPasskey();
    const { client: signingIn, flow } = await passwordStep();
    expect((await postJson(signingIn, '/sign-in/passkey/options', { flow }, { 'x-csrf-token': '' })).status).toBe(403);
    const stored = await tp.store.db.selectFrom('flows').select('data').where('id_hash', '=', hashToken(flow)).executeTakeFirstOrThrow();
    expect(JSON.parse(stored.data).passkey).toBeUndefined();
  });

  it('registration needs a signed-in user with a recent verification, like every other security-info change', async () => {
    const client = await signedIn();
    const reverify = `${BASE}/verify?next=${encodeURIComponent(`${BASE}/add/passkey`)}`;
    // Started inside the 10-minute window, finished after it: refused.
    tp.clock.advance!(9 * MINUTE);
    const started = await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' });
    expect(started.status).toBe(200);
    tp.clock.advance!(2 * MINUTE);
    const authenticator = new SoftAuthenticator(RP_ID, ORIGIN);
    const late = await postJson(client, `${BASE}/passkeys/verify`, { flow: started.json['flow'], response: authenticator.register(started.json['options'] as PublicKeyCredentialCreationOptionsJSON) });
    expect([late.status, late.json['redirect']]).toEqual([403, reverify]);
    const options = await postJson(client, `${BASE}/passkeys/options`, { name: 'Laptop' });
    expect([options.status, options.json['redirect']]).toEqual([403, reverify]);
    const page = await client.get(`${BASE}/add/passkey`);
    expect([page.status, page.res.headers.get('location')]).toEqual([303, reverify]);
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual([]);

    const anonymous = new TestClient(tp.app);
    await anonymous.get('/sign-in');
    const r = await postJson(anonymous, `${BASE}/passkeys/options`, { name: 'Laptop' });
    expect(r.status).toBe(401);
    expect(r.json['redirect']).toMatch(/^\/sign-in\?/);
  });

  it('without JavaScript the add-passkey page explains that passkeys need it, and checks the name', async () => {
    const client = await signedIn();
    const page = await client.get(`${BASE}/add/passkey`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Passkeys need JavaScript and a browser that supports passkeys.');
    expect(page.body).toContain('<script src="/assets/webauthn.js" defer="">');
    expect(page.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    const posted = await client.post(`${BASE}/add/passkey`, { name: 'Laptop' });
    expect(posted.status).toBe(400);
    expect(posted.body).toContain('Passkeys need JavaScript and a browser that supports passkeys.');
    const empty = await client.post(`${BASE}/add/passkey`, { name: ' ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter a name for the passkey.');
  });

  it('serves the two scripts from /assets as JavaScript, and the CSP still allows scripts from the portal only', async () => {
    const lib = await tp.app.request('http://portal.test/assets/webauthn.js');
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await lib.text()).toContain('SimpleWebAuthnBrowser');
    const own = await tp.app.request('http://portal.test/assets/passkey.js');
    expect(own.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await own.text()).toContain("form[data-passkey]");
    expect(own.headers.get('content-security-policy')).toContain("script-src 'self';");
  });

});
