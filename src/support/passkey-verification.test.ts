import { describe, expect, it } from 'vitest';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastMessageTo, messagesTo } from '../../test/helpers/outbox.js';
import { PW, passkeyHttpFixture, postJson } from '../../test/helpers/passkey-http.js';
import { VERIFICATION_VALID_MS } from './types.js';

/**
 * A caller verified with their passkey: the helpdesk sends a link to the caller's registered
 * email, the caller confirms with the passkey in their own browser (the soft authenticator), and
 * the helpdesk's verification then counts. HTTP against the real app over a real SQLite store.
 */

const fx = passkeyHttpFixture();
const LINK = /http:\/\/portal\.test\/helpdesk-check\?token=([A-Za-z0-9_%-]+)/;
const ADDRESS = 'alice.home@mail.test';

async function setUp() {
  const soft = await fx.withPasskey();
  const { tp, alice } = fx;
  const email = await tp.portal.methods.addContact(alice.id, 'email', ADDRESS);
  await tp.portal.methods.confirm(alice.id, email.id);
  const passkey = (await tp.portal.methods.list(alice.id, { confirmedOnly: true })).find((m) => m.type === 'passkey')!;
  const admin = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
  const desk = new TestClient(tp.app);
  expect((await desk.signIn('root', PW)).status).toBe(303);
  await desk.get(`/admin/users/${alice.id}`);
  return { tp, alice, soft, passkey, admin, desk };
}

async function sendLink(desk: TestClient, userId: string, methodId: string) {
  const r = await desk.post(`/admin/users/${userId}/verification`, { methodId });
  expect(r.status).toBe(303);
  return r.res.headers.get('location') ?? '';
}

describe('caller verification with a passkey', () => {
  it('a helpdesk verifies a caller who confirms with their own passkey through a link to their registered email', async () => {
    const { tp, alice, soft, passkey, admin, desk } = await setUp();
    const location = await sendLink(desk, alice.id, passkey.id);
    expect(location).toContain('verify=link');
    const mail = await lastMessageTo(tp.portal, ADDRESS);
    expect(mail?.body).toContain('Your helpdesk asked to confirm it is you');
    const token = decodeURIComponent(LINK.exec(mail!.body!)![1]!);

    // The caller, in another browser, signed in nowhere. Opening the link changes nothing.
    const caller = new TestClient(tp.app);
    const page = await caller.get(`/helpdesk-check?token=${encodeURIComponent(token)}`);
    expect(page.status).toBe(200);
    expect(page.res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.body).toContain('Confirm with my passkey');
    expect(await tp.portal.callerVerifications.verifiedUntil(admin.id, alice.id)).toBeNull();
    // Until the caller confirms, the helpdesk's check says to wait.
    const id = /verification=([0-9a-f-]{36})/.exec(location)![1]!;
    expect((await tp.portal.callerVerifications.check({ id: admin.id, name: 'root', roles: ['administrator'] }, alice.id, id, '')).ok).toBe(true);

    const options = await postJson(caller, '/helpdesk-check/options', { flow: token });
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    const done = await postJson(caller, '/helpdesk-check/verify', { flow: token, response: soft.assert(options.json['options'] as PublicKeyCredentialRequestOptionsJSON) });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json['redirect']).toBe('/helpdesk-check/done');
    expect(await tp.portal.callerVerifications.verifiedUntil(admin.id, alice.id)).toBe(tp.clock.now() + VERIFICATION_VALID_MS);

    // The link is spent: no second challenge.
    expect((await postJson(caller, '/helpdesk-check/options', { flow: token })).status).toBe(410);
    const events = await tp.store.db.selectFrom('audit_events').select(['event', 'outcome']).where('event', 'like', 'caller_verification_%').orderBy('id').execute();
    expect(events).toEqual([
      { event: 'caller_verification_started', outcome: 'success' },
      { event: 'caller_verification_succeeded', outcome: 'success' },
    ]);
    expect(JSON.stringify(await tp.store.db.selectFrom('audit_events').selectAll().execute())).not.toContain(token);
  });

  it('a wrong passkey answer counts towards the user’s block, and an old link stops working', async () => {
    const { tp, alice, soft, passkey, admin, desk } = await setUp();
    await sendLink(desk, alice.id, passkey.id);
    const token = decodeURIComponent(LINK.exec((await lastMessageTo(tp.portal, ADDRESS))!.body!)![1]!);
    const caller = new TestClient(tp.app);
    await caller.get(`/helpdesk-check?token=${encodeURIComponent(token)}`);
    const options = await postJson(caller, '/helpdesk-check/options', { flow: token });
    const bad = await postJson(caller, '/helpdesk-check/verify', { flow: token, response: soft.assert(options.json['options'] as PublicKeyCredentialRequestOptionsJSON, { badSignature: true }) });
    expect(bad.status).toBe(400);
    expect((await tp.portal.throttle.get(`methods:verify-failures:${alice.id}`)).failures).toBe(1);
    expect(await tp.portal.callerVerifications.verifiedUntil(admin.id, alice.id)).toBeNull();

    tp.clock.advance!(10 * 60_000);
    expect((await caller.get(`/helpdesk-check?token=${encodeURIComponent(token)}`)).status).toBe(410);
    expect((await postJson(caller, '/helpdesk-check/options', { flow: token })).status).toBe(410);
  });

  it('the caller’s passkey endpoints need the page’s CSRF token', async () => {
    const { tp, alice, passkey, desk } = await setUp();
    await sendLink(desk, alice.id, passkey.id);
    const token = decodeURIComponent(LINK.exec((await lastMessageTo(tp.portal, ADDRESS))!.body!)![1]!);
    const caller = new TestClient(tp.app);
    await caller.get(`/helpdesk-check?token=${encodeURIComponent(token)}`);
    expect((await postJson(caller, '/helpdesk-check/options', { flow: token }, { 'x-csrf-token': 'forged' })).status).toBe(403);
    const row = await tp.store.db.selectFrom('caller_verifications').select('challenge').executeTakeFirstOrThrow();
    expect(row.challenge).toBeNull();
  });

  it('needs a registered email for the link, and an unknown token opens nothing', async () => {
    const { tp, alice, passkey, desk } = await setUp();
    const email = (await tp.portal.methods.list(alice.id)).find((m) => m.type === 'email')!;
    await tp.portal.methods.remove(alice.id, email.id);
    expect(await sendLink(desk, alice.id, passkey.id)).toContain('verify=needsEmail');
    expect(await messagesTo(tp.portal, ADDRESS)).toEqual([]);
    expect((await new TestClient(tp.app).get('/helpdesk-check?token=not-a-token')).status).toBe(410);
  });
});
