import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { makeUser } from '../../test/helpers/http-client.js';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { randomToken } from '../shared/crypto.js';
import type { User } from '../directory/users.js';
import { checkPasskeyName, relyingParty } from './passkeys.js';
import { MINUTE, ORIGIN, PW, RP_ID } from '../../test/helpers/passkey-http.js';


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

