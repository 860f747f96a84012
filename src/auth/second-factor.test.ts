import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../../test/helpers/outbox.js';
import { currentTotp, newTotpSecret } from '../methods/totp.js';
import type { User } from '../directory/users.js';

const PW = 'correct horse battery';

describe('MFA at sign-in', () => {
  let tp: TestPortal;
  let alice: User;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW, roles: ['administrator'] });
    const email = await tp.portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await tp.portal.methods.confirm(alice.id, email.id);
  });
  afterEach(() => tp.cleanup());

  async function passwordStep(client: TestClient): Promise<string> {
    const r = await client.signIn('alice', PW);
    expect(r.status).toBe(303);
    const location = r.res.headers.get('location')!;
    expect(location).toMatch(/^\/sign-in\/verify\?flow=/);
    expect(client.cookies.has('sspr_session')).toBe(false);
    return decodeURIComponent(location.split('flow=')[1]!);
  }

  it('asks for a registered method after the password and signs in only after it', async () => {
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    const page = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    expect(page.body).toContain('Use Email a•••@example.com');
    expect((await c.get('/account')).status).toBe(303);
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    expect((await c.post('/sign-in/verify/choose', { flow, method: method.id })).status).toBe(303);
    const code = await lastCodeTo(tp.portal, 'alice@example.com');
    await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    const done = await c.post('/sign-in/verify/code', { flow, code });
    expect(done.status).toBe(303);
    expect(done.res.headers.get('location')).toBe('/admin');
    expect((await c.get('/admin')).status).toBe(200);
    const session = await tp.store.db.selectFrom('sessions').select('amr').executeTakeFirstOrThrow();
    expect(session.amr).toBe('password,email');
  });

  it('the header links to "Sign in" on other pages, but not on the sign-in page and its MFA step', async () => {
    const c = new TestClient(tp.app);
    const headerLink = '<a href="/sign-in">Sign in</a>';
    expect((await c.get('/reset')).body).toContain(headerLink);
    const signIn = await c.get('/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.body).not.toContain(headerLink);
    const flow = await passwordStep(c);
    const mfa = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    expect(mfa.body).toContain('Use Email a•••@example.com');
    expect(mfa.body).not.toContain(headerLink);
  });

  it('lets the user choose another method (authenticator app)', async () => {
    const secret = newTotpSecret();
    const totp = await tp.portal.methods.addTotp(alice.id, secret, 'Phone app');
    await tp.portal.methods.confirm(alice.id, totp.id);
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    await c.post('/sign-in/verify/choose', { flow, method: totp.id });
    const done = await c.post('/sign-in/verify/code', { flow, code: currentTotp(secret, tp.clock.now()) });
    expect(done.status).toBe(303);
  });

  it('a mobile phone is offered as "Text me a code" or "Call me"; the chosen channel sends the code, is named on the code page and is kept for "send again"', async () => {
    const mobile = await tp.portal.methods.addContact(alice.id, 'mobile', '+4915123456789');
    await tp.portal.methods.confirm(alice.id, mobile.id);
    for (const channel of ['sms', 'voice'] as const) {
      const c = new TestClient(tp.app);
      const flow = await passwordStep(c);
      const page = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
      expect(page.body).toContain('<legend>Use Mobile phone +49 ••• 89</legend>');
      expect(page.body).toContain('name="channel" value="sms"');
      expect(page.body).toContain('name="channel" value="voice"');
      const before = (await messagesTo(tp.portal, '+4915123456789')).length;
      expect((await c.post('/sign-in/verify/choose', { flow, method: mobile.id, channel })).status).toBe(303);
      const sent = await messagesTo(tp.portal, '+4915123456789');
      expect(sent).toHaveLength(before + 1);
      expect(sent[0]!.channel).toBe(channel);
      const codePage = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
      expect(codePage.body).toContain(channel === 'voice' ? 'We are calling +49 ••• 89' : 'We sent a text message with a code to +49 ••• 89');
      expect(codePage.body).toContain(`name="channel" value="${channel}"`);
      const done = await c.post('/sign-in/verify/code', { flow, code: await lastCodeTo(tp.portal, '+4915123456789') });
      expect(done.res.headers.get('location')).toBe('/admin');
      tp.clock.advance!(60 * 60_000);
    }
  });

  it('a channel other than "sms" or "voice", or one the organisation does not allow, is refused and nothing is sent', async () => {
    const mobile = await tp.portal.methods.addContact(alice.id, 'mobile', '+4915123456789');
    await tp.portal.methods.confirm(alice.id, mobile.id);
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    for (const channel of ['email', 'fax', '', ['sms', 'voice']]) {
      const r = await c.post('/sign-in/verify/choose', { flow, method: mobile.id, channel });
      expect(r.status, JSON.stringify(channel)).toBe(400);
      expect(r.body).toContain('Your organisation does not allow this method.');
    }
    expect(await messagesTo(tp.portal, '+4915123456789')).toEqual([]);

    const smsOnly = await createTestPortal({ manualTime: true, config: { methods: { available: ['email', 'mobile_sms'] } } });
    try {
      const bob = await makeUser(smsOnly.portal, { username: 'bob', password: PW });
      const phone = await smsOnly.portal.methods.addContact(bob.id, 'mobile', '+4915123456789');
      await smsOnly.portal.methods.confirm(bob.id, phone.id);
      const b = new TestClient(smsOnly.app);
      const location = (await b.signIn('bob', PW)).res.headers.get('location')!;
      const bobFlow = decodeURIComponent(location.split('flow=')[1]!);
      const page = await b.get(location);
      // Only one way is allowed: one "Use …" button, no choice.
      expect(page.body).toContain('Use Mobile phone +49 ••• 89');
      expect(page.body).not.toContain('value="voice"');
      expect((await b.post('/sign-in/verify/choose', { flow: bobFlow, method: phone.id, channel: 'voice' })).status).toBe(400);
      expect(await messagesTo(smsOnly.portal, '+4915123456789')).toEqual([]);
      expect((await b.post('/sign-in/verify/choose', { flow: bobFlow, method: phone.id, channel: 'sms' })).status).toBe(303);
      expect((await messagesTo(smsOnly.portal, '+4915123456789')).map((m) => m.channel)).toEqual(['sms']);
    } finally {
      await smsOnly.cleanup();
    }
  });

  it('a sign-in flow cannot be continued from another browser', async () => {
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    const thief = new TestClient(tp.app);
    const r = await thief.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    expect(r.status).toBe(410);
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    await thief.get('/sign-in');
    expect((await thief.post('/sign-in/verify/choose', { flow, method: method.id })).status).toBe(410);
  });

  it('a finished sign-in flow cannot be replayed, and 20 parallel submissions of one code give one session, without blocking the user', async () => {
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    await c.post('/sign-in/verify/choose', { flow, method: method.id });
    const code = await lastCodeTo(tp.portal, 'alice@example.com');
    const results = await Promise.all(Array.from({ length: 20 }, () => c.post('/sign-in/verify/code', { flow, code })));
    expect(results.filter((r) => r.status === 303)).toHaveLength(1);
    expect(await tp.portal.sessions.countForUser(alice.id)).toBe(1);
    expect(await tp.portal.securityInfo.blockedFor(alice.id)).toBe(false);
    await c.get('/account'); // fresh CSRF token for the rotated browser id
    expect((await c.post('/sign-in/verify/code', { flow, code })).status).toBe(410);
  });

  it('an expired sign-in flow sends the user back to sign in with a message', async () => {
    const c = new TestClient(tp.app);
    const flow = await passwordStep(c);
    tp.clock.advance!(11 * 60_000);
    const r = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    expect(r.status).toBe(410);
    expect(r.body).toContain('The sign-in took too long. Sign in again.');
  });

  it('users without a registered method sign in with the password alone', async () => {
    await makeUser(tp.portal, { username: 'bob', password: PW });
    const c = new TestClient(tp.app);
    const r = await c.signIn('bob', PW);
    expect(r.res.headers.get('location')).toBe('/account');
  });
});

describe('registration interrupt', () => {
  let tp: TestPortal;
  afterEach(() => tp.cleanup());

  it('leads a user without enough methods to register before anything else', async () => {
    tp = await createTestPortal({ manualTime: true, config: { methods: { registrationRequired: true } } });
    await makeUser(tp.portal, { username: 'carol', password: PW, email: 'carol@corp.example' });
    const c = new TestClient(tp.app);
    await c.signIn('carol', PW);
    const r = await c.get('/account');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/account/security-info?register=1');
    const page = await c.get('/account/security-info?register=1');
    expect(page.body).toContain('Register your security info');
    expect(page.body).toContain('0 of 1 registered.');
    await c.get('/account/security-info/add/email');
    const add = await c.post('/account/security-info/add/email', { email: 'carol@example.com' });
    await c.post(add.res.headers.get('location')!, { code: await lastCodeTo(tp.portal, 'carol@example.com') });
    expect((await c.get('/account')).status).toBe(200);
  });

  it('administrators must register two methods', async () => {
    tp = await createTestPortal({ manualTime: true, config: { methods: { registrationRequired: true } } });
    const admin = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    const m = await tp.portal.methods.addContact(admin.id, 'email', 'root@example.com');
    await tp.portal.methods.confirm(admin.id, m.id);
    await tp.portal.users.markSecurityInfoConfirmed(admin.id);
    const c = new TestClient(tp.app);
    const flow = decodeURIComponent((await c.signIn('root', PW)).res.headers.get('location')!.split('flow=')[1]!);
    await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
    await c.post('/sign-in/verify/choose', { flow, method: m.id });
    await c.post('/sign-in/verify/code', { flow, code: await lastCodeTo(tp.portal, 'root@example.com') });
    const r = await c.get('/admin');
    expect(r.res.headers.get('location')).toBe('/account/security-info?register=1');
    expect((await c.get('/account/security-info?register=1')).body).toContain('1 of 2 registered.');
    // The outbox stays reachable so an administrator can read a registration code.
    expect((await c.get('/admin/outbox')).status).toBe(200);
  });

  it('asks to re-confirm security info after the configured number of days', async () => {
    tp = await createTestPortal({ manualTime: true, config: { methods: { registrationRequired: true, reconfirmDays: 180, available: ['email', 'questions'] } } });
    const dave = await makeUser(tp.portal, { username: 'dave', password: PW });
    await tp.portal.questions.register(dave.id, [
      { questionId: 'q.firstPet', answer: 'rex' },
      { questionId: 'q.birthCity', answer: 'york' },
      { questionId: 'q.firstCar', answer: 'beetle' },
    ]);
    await tp.portal.users.markSecurityInfoConfirmed(dave.id);
    tp.clock.advance!(181 * 86_400_000);
    const c = new TestClient(tp.app);
    // dave has only questions, which are not a sign-in method, so the password is enough.
    await tp.portal.store.db.updateTable('users').set({ security_info_confirmed_at: tp.clock.now() - 181 * 86_400_000 }).where('id', '=', dave.id).execute();
    await c.signIn('dave', PW);
    const r = await c.get('/account');
    expect(r.res.headers.get('location')).toBe('/account/security-info/reconfirm');
    await c.get('/account/security-info/reconfirm');
    expect((await c.post('/account/security-info/reconfirm', {})).status).toBe(303);
    expect((await c.get('/account')).status).toBe(200);
  });
});
