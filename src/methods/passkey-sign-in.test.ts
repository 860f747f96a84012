import { beforeEach, describe, expect, it } from 'vitest';
import { type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { passkeyHttpFixture, MINUTE, ORIGIN, PW, RP_ID, postJson } from '../../test/helpers/passkey-http.js';
import { hashToken, randomToken } from '../shared/crypto.js';
import type { User } from '../directory/users.js';

describe('passkeys: HTTP endpoints and sign-in', () => {
  const fx = passkeyHttpFixture();
  let tp: TestPortal;
  let alice: User;
  let soft: SoftAuthenticator;
  beforeEach(() => {
    ({ tp, alice } = fx);
  });
  const { passwordStep, signInOptions } = fx;
  async function withPasskey(): Promise<void> {
    soft = await fx.withPasskey();
  }

  it('a passkey is offered at sign-in and passes the second factor, giving one session with amr password,passkey', async () => {
    await withPasskey();
    const { client, flow, page } = await passwordStep();
    expect(page).toContain('Use passkey');
    expect(page).not.toContain('Use Passkey “Work laptop”');
    const options = await signInOptions(client, flow);
    expect(options.rpId).toBe(RP_ID);
    expect(options.userVerification).toBe('preferred');
    expect(options.allowCredentials).toEqual([{ id: soft.id, type: 'public-key', transports: ['internal'] }]);
    const stored = await tp.store.db.selectFrom('flows').select('data').where('id_hash', '=', hashToken(flow)).executeTakeFirstOrThrow();
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

});
