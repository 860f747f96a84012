import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { randomToken } from '../shared/crypto.js';
import type { User } from '../directory/users.js';
import { checkPasskeyName, relyingParty } from './passkeys.js';

const PW = 'correct horse battery';
const BASE = '/account/security-info';
const ORIGIN = 'http://portal.test';
const RP_ID = 'portal.test';
const MINUTE = 60_000;

/** POSTs JSON the way /assets/passkey.js does: CSRF token in x-csrf-token, same Origin. */
async function postJson(client: TestClient, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await client.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', origin: client.origin, 'x-csrf-token': client.csrf, ...headers } });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an HTML page (CSRF refusal); json stays empty
  }
  return { status: res.status, json, res };
}

describe('passkeys: relying party and names', () => {
  it('the RP ID is the public URL’s host and the expected origin its origin; an IP address cannot be an RP ID', () => {
    expect(relyingParty('https://sspr.example.com:8443/portal', 'OpenSSPR')).toEqual({ id: 'sspr.example.com', origin: 'https://sspr.example.com:8443', name: 'OpenSSPR', usable: true });
    expect(relyingParty('http://localhost:8080', 'x')).toMatchObject({ id: 'localhost', origin: 'http://localhost:8080', usable: true });
    expect(relyingParty('http://127.0.0.1:8080', 'x').usable).toBe(false);
    expect(relyingParty('http://[::1]:8080', 'x').usable).toBe(false);
  });

  it('a passkey name is 1 to 60 characters (code points), trimmed, without control characters', () => {
    expect(checkPasskeyName('  Work laptop ')).toEqual({ ok: true, value: 'Work laptop' });
    expect(checkPasskeyName('🔑'.repeat(60))).toEqual({ ok: true, value: '🔑'.repeat(60) });
    expect(checkPasskeyName('x'.repeat(61))).toEqual({ ok: false, reason: 'v.passkeyName.tooLong' });
    expect(checkPasskeyName('x'.repeat(100_000))).toEqual({ ok: false, reason: 'v.passkeyName.tooLong' });
    expect(checkPasskeyName('')).toEqual({ ok: false, reason: 'v.passkeyName.required' });
    expect(checkPasskeyName('   ')).toEqual({ ok: false, reason: 'v.passkeyName.required' });
    expect(checkPasskeyName(['a'])).toEqual({ ok: false, reason: 'v.passkeyName.required' });
    expect(checkPasskeyName(null)).toEqual({ ok: false, reason: 'v.passkeyName.required' });
    expect(checkPasskeyName('bell\u0007')).toEqual({ ok: false, reason: 'v.noControlChars' });
    expect(checkPasskeyName('\u202Eyek')).toEqual({ ok: false, reason: 'v.noControlChars' });
  });
});

describe('passkeys: registration', () => {
  let tp: TestPortal;
  let alice: User;
  const browserId = randomToken();
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW, email: 'alice@corp.example' });
  });
  afterEach(() => tp.cleanup());

  async function start(user: User = alice, name = 'Work laptop', browser = browserId) {
    const r = await tp.portal.passkeys.startRegistration(user, browser, name);
    if (!r.ok) throw new Error(`start refused: ${r.reason}`);
    return r.value;
  }

  it('registration options name the RP by the public URL, prefer user verification and exclude passkeys already registered', async () => {
    const first = await start();
    const options: PublicKeyCredentialCreationOptionsJSON = first.options;
    expect(options.rp).toEqual({ id: RP_ID, name: 'OpenSSPR' });
    expect(options.user.name).toBe('alice');
    expect(options.authenticatorSelection).toMatchObject({ userVerification: 'preferred', residentKey: 'preferred' });
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([]);
    // The challenge is kept server-side, in a flow bound to this browser and this user.
    const row = await tp.store.db.selectFrom('flows').selectAll().where('kind', '=', 'passkey-register').executeTakeFirstOrThrow();
    expect(row.user_id).toBe(alice.id);
    expect(JSON.parse(row.data)).toMatchObject({ challenge: options.challenge, name: 'Work laptop' });

    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    expect((await tp.portal.passkeys.finishRegistration(alice, browserId, first.flowId, soft.register(options))).ok).toBe(true);
    const second = await start(alice, 'Phone');
    expect(second.options.excludeCredentials).toEqual([{ id: soft.id, type: 'public-key', transports: ['internal'] }]);
    // The same user handle both times: an authenticator replaces, never duplicates, this account's passkey.
    expect(second.options.user.id).toBe(options.user.id);
  });

  it('a passkey is stored with its name once its answer to our challenge verifies; the challenge works once only', async () => {
    const { flowId, options } = await start();
    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    const answer = soft.register(options);
    const done = await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, answer);
    expect(done.ok && [done.value.type, done.value.label, done.value.credentialId, done.value.confirmed]).toEqual(['passkey', 'Work laptop', soft.id, true]);
    expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, answer)).toEqual({ ok: false, reason: 'passkeys.expired' });
    expect((await tp.portal.methods.passkeys(alice.id)).map((p) => p.credentialId)).toEqual([soft.id]);
  });

  it('a registration challenge expires after 5 minutes', async () => {
    const { flowId, options } = await start();
    tp.clock.advance!(5 * MINUTE + 1);
    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options))).toEqual({ ok: false, reason: 'passkeys.expired' });
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual([]);
  });

  it('a registration challenge cannot be answered from another browser or for another user', async () => {
    const { flowId, options } = await start();
    const bob = await makeUser(tp.portal, { username: 'bob', password: PW });
    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    expect(await tp.portal.passkeys.finishRegistration(alice, randomToken(), flowId, soft.register(options))).toEqual({ ok: false, reason: 'passkeys.expired' });
    expect(await tp.portal.passkeys.finishRegistration(bob, browserId, flowId, soft.register(options))).toEqual({ ok: false, reason: 'passkeys.expired' });
    expect(await tp.portal.methods.passkeys(bob.id)).toEqual([]);
    // Those attempts did not touch the real ceremony.
    expect((await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options))).ok).toBe(true);
  });

  it('an answer to a challenge we did not issue is refused, and it uses up the one we did', async () => {
    const { flowId, options } = await start();
    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options, { challenge: randomToken() }))).toEqual({ ok: false, reason: 'passkeys.failed' });
    expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options))).toEqual({ ok: false, reason: 'passkeys.expired' });
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual([]);
  });

  it('an answer made for another origin or another RP ID is refused', async () => {
    for (const tamper of [{ origin: 'http://evil.test' }, { rpId: 'evil.test' }, { origin: 'https://portal.test' }]) {
      const { flowId, options } = await start();
      const soft = new SoftAuthenticator(RP_ID, ORIGIN);
      expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options, tamper)), JSON.stringify(tamper)).toEqual({ ok: false, reason: 'passkeys.failed' });
    }
    expect(await tp.portal.methods.passkeys(alice.id)).toEqual([]);
  });

  it('malformed answers are refused before any verification', async () => {
    for (const bad of [null, 'x', [], {}, { id: 'a', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'x'.repeat(100_000), attestationObject: 'a' } }, { id: '<script>', rawId: 'a', type: 'public-key', response: { clientDataJSON: 'a', attestationObject: 'a' } }]) {
      const { flowId } = await start();
      expect(await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, bad)).toEqual({ ok: false, reason: 'passkeys.failed' });
    }
  });

  it('a credential id is registered once in the whole portal', async () => {
    const { flowId, options } = await start();
    const soft = new SoftAuthenticator(RP_ID, ORIGIN);
    expect((await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, soft.register(options))).ok).toBe(true);
    const again = await start(alice, 'Again');
    expect(await tp.portal.passkeys.finishRegistration(alice, browserId, again.flowId, soft.register(again.options))).toEqual({ ok: false, reason: 'passkeys.alreadyRegistered' });
    const bob = await makeUser(tp.portal, { username: 'bob', password: PW });
    const stored = (await tp.portal.methods.passkeys(alice.id))[0]!;
    expect(await tp.portal.passkeys.save(bob, 'Stolen', { credentialId: stored.credentialId, publicKey: stored.publicKey, signCount: 0, transports: [] })).toEqual({ ok: false, reason: 'passkeys.alreadyRegistered' });
    expect(await tp.portal.methods.passkeys(bob.id)).toEqual([]);
  });

  it('names are refused when empty, too long or already used for another passkey of the user', async () => {
    expect(await tp.portal.passkeys.startRegistration(alice, browserId, '')).toEqual({ ok: false, reason: 'v.passkeyName.required', field: 'name' });
    expect(await tp.portal.passkeys.startRegistration(alice, browserId, 'x'.repeat(61))).toEqual({ ok: false, reason: 'v.passkeyName.tooLong', field: 'name' });
    const { flowId, options } = await start();
    await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, new SoftAuthenticator(RP_ID, ORIGIN).register(options));
    expect(await tp.portal.passkeys.startRegistration(alice, browserId, 'work LAPTOP')).toEqual({ ok: false, reason: 'v.passkeyName.taken', field: 'name' });
  });

  it('registering a passkey is audited and the user is told by email, without secrets', async () => {
    const { flowId, options } = await start();
    await tp.portal.passkeys.finishRegistration(alice, browserId, flowId, new SoftAuthenticator(RP_ID, ORIGIN).register(options));
    const audit = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'method_added').executeTakeFirstOrThrow();
    expect([audit.outcome, JSON.parse(audit.details)]).toEqual(['success', { method: 'passkey' }]);
    const mail = await tp.store.db.selectFrom('outbox_messages').selectAll().execute();
    expect(mail.length).toBe(1);
  });
});

describe('passkeys: HTTP endpoints and sign-in', () => {
  let tp: TestPortal;
  let alice: User;
  let soft: SoftAuthenticator;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW });
  });
  afterEach(() => tp.cleanup());

  async function signedIn(): Promise<TestClient> {
    const client = new TestClient(tp.app);
    await client.signIn('alice', PW);
    await client.get(BASE);
    return client;
  }

  /** Registers a passkey through the JSON endpoints, as the script does. */
  async function registerOverHttp(client: TestClient, name: string, authenticator: SoftAuthenticator) {
    await client.get(`${BASE}/add/passkey`);
    const options = await postJson(client, `${BASE}/passkeys/options`, { name });
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    return postJson(client, `${BASE}/passkeys/verify`, { flow: options.json['flow'], response: authenticator.register(options.json['options'] as PublicKeyCredentialCreationOptionsJSON) });
  }

  /** Password step of a sign-in; returns the client (on the second-factor page) and the flow id. */
  async function passwordStep(): Promise<{ client: TestClient; flow: string; page: string }> {
    const client = new TestClient(tp.app);
    const r = await client.signIn('alice', PW);
    const location = r.res.headers.get('location')!;
    expect(location).toMatch(/^\/sign-in\/verify\?flow=/);
    const flow = decodeURIComponent(location.split('flow=')[1]!);
    const page = await client.get(location);
    return { client, flow, page: page.body };
  }

  async function signInOptions(client: TestClient, flow: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const r = await postJson(client, '/sign-in/passkey/options', { flow });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json['options'] as PublicKeyCredentialRequestOptionsJSON;
  }

  async function withPasskey(): Promise<void> {
    const client = await signedIn();
    soft = new SoftAuthenticator(RP_ID, ORIGIN);
    const r = await registerOverHttp(client, 'Work laptop', soft);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
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
    expect(await tp.store.db.selectFrom('flows').select('id').where('kind', '=', 'passkey-register').execute()).toEqual([]);
    await withPasskey();
    const { client: signingIn, flow } = await passwordStep();
    expect((await postJson(signingIn, '/sign-in/passkey/options', { flow }, { 'x-csrf-token': '' })).status).toBe(403);
    const stored = await tp.store.db.selectFrom('flows').select('data').where('id', '=', flow).executeTakeFirstOrThrow();
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

  it('a passkey is offered at sign-in and passes the second factor, giving one session with amr password,passkey', async () => {
    await withPasskey();
    const { client, flow, page } = await passwordStep();
    expect(page).toContain('Use passkey');
    expect(page).not.toContain('Use Passkey “Work laptop”');
    const options = await signInOptions(client, flow);
    expect(options.rpId).toBe(RP_ID);
    expect(options.userVerification).toBe('preferred');
    expect(options.allowCredentials).toEqual([{ id: soft.id, type: 'public-key', transports: ['internal'] }]);
    const stored = await tp.store.db.selectFrom('flows').select('data').where('id', '=', flow).executeTakeFirstOrThrow();
    expect(JSON.parse(stored.data).passkey.challenge).toBe(options.challenge);

    const before = await tp.portal.sessions.countForUser(alice.id);
    const done = await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options) });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json['redirect']).toBe('/account');
    expect(await tp.portal.sessions.countForUser(alice.id)).toBe(before + 1);
    expect((await client.get('/account')).status).toBe(200);
    // The first session is the one that registered the passkey (password only, no method yet).
    const sessions = await tp.store.db.selectFrom('sessions').select('amr').execute();
    expect(sessions.map((x) => x.amr).sort()).toEqual(['password', 'password,passkey']);
    const [method] = await tp.portal.methods.list(alice.id);
    expect(method!.lastUsedAt).toBe(tp.clock.now());
    expect((await tp.portal.methods.passkeys(alice.id))[0]!.signCount).toBe(1);
  });

  it('a sign-in challenge is single use: a failed answer uses it up, and a replayed good answer is refused', async () => {
    await withPasskey();
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    const bad = await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options, { badSignature: true }) });
    expect(bad.status).toBe(400);
    const good = soft.assert(options);
    expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: good })).json['code']).toBe('passkeys.expired');
    const again = await signInOptions(client, flow);
    const ok = soft.assert(again);
    expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: ok })).status).toBe(200);
    await client.get('/account');
    expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: ok })).status).toBe(410);
    expect(await tp.portal.sessions.countForUser(alice.id)).toBe(2);
  });

  it('parallel answers to one sign-in challenge give exactly one session', async () => {
    await withPasskey();
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    const answer = soft.assert(options);
    const results = await Promise.all(Array.from({ length: 10 }, () => postJson(client, '/sign-in/passkey/verify', { flow, response: answer })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await tp.portal.sessions.countForUser(alice.id)).toBe(2);
  });

  it('a sign-in challenge expires after 5 minutes', async () => {
    await withPasskey();
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    tp.clock.advance!(5 * MINUTE + 1);
    const r = await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options) });
    expect(r.json['code']).toBe('passkeys.expired');
    expect(r.status).toBe(410);
  });

  it('the passkey step of a sign-in cannot be continued from another browser', async () => {
    await withPasskey();
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    const thief = new TestClient(tp.app);
    await thief.get('/sign-in');
    expect((await postJson(thief, '/sign-in/passkey/options', { flow })).status).toBe(410);
    expect((await postJson(thief, '/sign-in/passkey/verify', { flow, response: soft.assert(options) })).status).toBe(410);
    // The owner's ceremony is untouched.
    expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options) })).status).toBe(200);
  });

  it('a sign-in answer to a challenge we did not issue, or from another origin, is refused', async () => {
    await withPasskey();
    for (const tamper of [{ challenge: randomToken() }, { origin: 'http://evil.test' }, { rpId: 'evil.test' }]) {
      const { client, flow } = await passwordStep();
      const options = await signInOptions(client, flow);
      const r = await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options, tamper) });
      expect(r.json['code'], JSON.stringify(tamper)).toBe('passkeys.failed');
    }
  });

  it('a signature counter that goes backwards is refused (a cloned authenticator) and the stored counter stays', async () => {
    await withPasskey();
    {
      const { client, flow } = await passwordStep();
      const options = await signInOptions(client, flow);
      expect((await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options, { counter: 5 }) })).status).toBe(200);
    }
    for (const counter of [3, 5]) {
      const { client, flow } = await passwordStep();
      const options = await signInOptions(client, flow);
      const r = await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options, { counter }) });
      expect(r.json['code']).toBe('passkeys.failed');
    }
    expect((await tp.portal.methods.passkeys(alice.id))[0]!.signCount).toBe(5);
    const reasons = await tp.store.db.selectFrom('audit_events').select('details').where('event', '=', 'method_verified').where('outcome', '=', 'failure').execute();
    expect(reasons.map((r) => JSON.parse(r.details).reason)).toEqual(['counter_went_back', 'counter_went_back']);
    // A direct attempt to move the stored counter back is refused by the store too.
    const stored = (await tp.portal.methods.passkeys(alice.id))[0]!;
    expect(await tp.portal.methods.advanceSignCount(stored.id, 4)).toBe(false);
  });

  it('a passkey of another user is refused at sign-in', async () => {
    await withPasskey();
    const bob = await makeUser(tp.portal, { username: 'bob', password: PW });
    const bobs = new SoftAuthenticator(RP_ID, ORIGIN);
    const start = await tp.portal.passkeys.startRegistration(bob, 'b'.repeat(43), 'Bob key');
    if (!start.ok) throw new Error(start.reason);
    await tp.portal.passkeys.finishRegistration(bob, 'b'.repeat(43), start.value.flowId, bobs.register(start.value.options));
    const { client, flow } = await passwordStep();
    const options = await signInOptions(client, flow);
    const r = await postJson(client, '/sign-in/passkey/verify', { flow, response: bobs.assert(options) });
    expect(r.json['code']).toBe('passkeys.failed');
    expect(await tp.portal.sessions.countForUser(alice.id)).toBe(1);
  });

  it('repeated failed passkey answers block verification like wrong codes do', async () => {
    await withPasskey();
    const { client, flow } = await passwordStep();
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const options = await signInOptions(client, flow).catch(() => null);
      if (!options) break;
      codes.push((await postJson(client, '/sign-in/passkey/verify', { flow, response: soft.assert(options, { badSignature: true }) })).json['code']);
    }
    expect(codes.at(-1)).toBe('methods.blocked');
    expect(await tp.portal.securityInfo.blockedFor(alice.id)).toBe(true);
    expect((await postJson(client, '/sign-in/passkey/options', { flow })).status).toBe(410);
  });

  it('without JavaScript the sign-in passkey button explains that passkeys need it and offers the other methods', async () => {
    await withPasskey();
    const email = await tp.portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await tp.portal.methods.confirm(alice.id, email.id);
    const { client, flow, page } = await passwordStep();
    expect(page).toContain('Use Email a•••@example.com');
    const r = await client.post('/sign-in/verify/passkey', { flow });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Passkeys need JavaScript and a browser that supports passkeys.');
    expect(r.body).toContain('Use Email a•••@example.com');
  });

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
    const row = await tp.store.db.selectFrom('flows').selectAll().where('id', '=', started.json['flow'] as string).executeTakeFirstOrThrow();
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
