import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../../test/helpers/outbox.js';
import { currentTotp } from './totp.js';
import type { User } from '../directory/users.js';

const PW = 'correct horse battery';
const BASE = '/account/security-info';

describe('my security info', () => {
  let tp: TestPortal;
  let alice: User;
  let browser: TestClient;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true, config: { methods: { available: ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions'] } } });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW, email: 'alice@corp.example' });
    browser = new TestClient(tp.app);
    await browser.signIn('alice', PW);
    await browser.get(BASE);
  });
  afterEach(() => tp.cleanup());

  async function addEmail(address: string) {
    await browser.get(`${BASE}/add/email`);
    const r = await browser.post(`${BASE}/add/email`, { email: address });
    expect(r.status).toBe(303);
    const confirm = r.res.headers.get('location')!;
    await browser.get(confirm);
    return confirm;
  }

  it('registers an email address once the code sent to it is entered', async () => {
    const confirm = await addEmail('Alice.Private@Example.com');
    expect((await tp.portal.methods.list(alice.id, { confirmedOnly: true })).length).toBe(0);
    const code = await lastCodeTo(tp.portal, 'alice.private@example.com');
    expect(code).toMatch(/^\d{8}$/);
    const r = await browser.post(confirm, { code });
    expect(r.status).toBe(303);
    const page = await browser.get(r.res.headers.get('location')!);
    expect(page.body).toContain('is registered.');
    const methods = await tp.portal.methods.list(alice.id, { confirmedOnly: true });
    expect(methods.map((m) => [m.type, m.contact, m.isDefault])).toEqual([['email', 'alice.private@example.com', true]]);
  });

  it('codes are single use', async () => {
    const confirm = await addEmail('a2@example.com');
    const code = await lastCodeTo(tp.portal, 'a2@example.com');
    expect((await browser.post(confirm, { code })).status).toBe(303);
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    expect(await tp.portal.codes.verify(alice.id, method.id, 'register', code)).toEqual({ ok: false, reason: 'no_code' });
  });

  it('codes expire after 5 minutes', async () => {
    const confirm = await addEmail('a3@example.com');
    const code = await lastCodeTo(tp.portal, 'a3@example.com');
    tp.clock.advance!(5 * 60_000 + 1);
    const r = await browser.post(confirm, { code });
    expect(r.status).toBe(400);
    expect(r.body).toContain('That code has expired.');
  });

  it('codes allow a limited number of tries, then the code is void', async () => {
    const confirm = await addEmail('a4@example.com');
    const code = await lastCodeTo(tp.portal, 'a4@example.com');
    const wrong = code === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 4; i++) expect((await browser.post(confirm, { code: wrong })).body).toContain('That code is not right.');
    const fifth = await browser.post(confirm, { code: wrong });
    expect(fifth.body).toMatch(/Too many wrong codes|verification is blocked/);
    const right = await browser.post(confirm, { code });
    expect(right.status).not.toBe(303);
  });

  it('a newer code voids the older one', async () => {
    const confirm = await addEmail('a5@example.com');
    const first = await lastCodeTo(tp.portal, 'a5@example.com');
    const id = confirm.split('/').pop()!;
    await browser.post(`${BASE}/resend/${id}`, {});
    const second = await lastCodeTo(tp.portal, 'a5@example.com');
    if (first !== second) expect((await browser.post(confirm, { code: first })).status).toBe(400);
    expect((await browser.post(confirm, { code: second })).status).toBe(303);
  });

  it('codes are bound to their user and method', async () => {
    const confirm = await addEmail('a6@example.com');
    const code = await lastCodeTo(tp.portal, 'a6@example.com');
    const bob = await makeUser(tp.portal, { username: 'bob', password: PW });
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    expect(await tp.portal.codes.verify(bob.id, method.id, 'register', code)).toEqual({ ok: false, reason: 'no_code' });
    expect(await tp.portal.codes.verify(alice.id, method.id, 'sign-in', code)).toEqual({ ok: false, reason: 'no_code' });
    expect((await browser.post(confirm, { code })).status).toBe(303);
  });

  it('registers a mobile phone by SMS and by voice call, normalised to E.164', async () => {
    await browser.get(`${BASE}/add/mobile`);
    const r = await browser.post(`${BASE}/add/mobile`, { phone: '+49 (151) 2345-6789', via: 'sms' });
    expect(r.status).toBe(303);
    const sms = (await messagesTo(tp.portal, '+4915123456789'))[0]!;
    expect(sms.channel).toBe('sms');
    expect((await browser.post(r.res.headers.get('location')!, { code: await lastCodeTo(tp.portal, '+4915123456789') })).status).toBe(303);

    await browser.get(`${BASE}/add/office`);
    const o = await browser.post(`${BASE}/add/office`, { phone: '+44 20 7946 0958' });
    expect(o.status).toBe(303);
    const call = (await messagesTo(tp.portal, '+442079460958'))[0]!;
    expect(call.channel).toBe('voice');
    expect(call.body).toMatch(/code is: (\d, ){7}\d/);
    expect((await browser.post(o.res.headers.get('location')!, { code: await lastCodeTo(tp.portal, '+442079460958') })).status).toBe(303);
    const types = (await tp.portal.methods.list(alice.id, { confirmedOnly: true })).map((m) => [m.type, m.contact]).sort();
    expect(types).toEqual([
      ['mobile', '+4915123456789'],
      ['office', '+442079460958'],
    ]);
  });

  it('refuses malformed phone numbers, email addresses and wrong code formats with a clear message', async () => {
    await browser.get(`${BASE}/add/mobile`);
    for (const phone of ['12', 'call me maybe', '+1 555', '9'.repeat(50)]) {
      const r = await browser.post(`${BASE}/add/mobile`, { phone });
      expect(r.status).toBe(400);
      expect(r.body).toMatch(/Enter a valid phone number|at most 40 characters/);
    }
    const e = await browser.post(`${BASE}/add/email`, { email: 'not an email' });
    expect(e.status).toBe(400);
    expect(e.body).toContain('Enter a valid email address');
    expect(await tp.portal.methods.list(alice.id)).toEqual([]);
    const confirm = await addEmail('a7@example.com');
    const bad = await browser.post(confirm, { code: 'abc<script>' });
    expect(bad.status).toBe(400);
    expect(bad.body).not.toContain('<script>');
  });

  it('refuses to register the same number twice', async () => {
    await browser.get(`${BASE}/add/mobile`);
    const r = await browser.post(`${BASE}/add/mobile`, { phone: '+4915123456789' });
    await browser.post(r.res.headers.get('location')!, { code: await lastCodeTo(tp.portal, '+4915123456789') });
    const again = await browser.post(`${BASE}/add/mobile`, { phone: '+49 151 2345 6789' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('You have already registered this.');
  });

  it('registers an authenticator app (TOTP), refuses the same code twice, and accepts one step of clock skew', async () => {
    const start = await browser.post(`${BASE}/add/totp`, {});
    expect(start.status).toBe(303);
    const confirm = start.res.headers.get('location')!;
    const page = await browser.get(confirm);
    expect(page.body).toContain('<svg');
    const key = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page.body)![1]!.replace(/ /g, '');
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    expect(await tp.portal.methods.totpSecret(alice.id, method.id)).toBe(key);
    const earlier = currentTotp(key, tp.clock.now() - 30_000);
    expect((await browser.post(confirm, { code: earlier })).status).toBe(303);
    // Replay inside the window: refused.
    expect(await tp.portal.securityInfo.verifyCode(alice, (await tp.portal.methods.list(alice.id))[0]!, 'test', earlier)).toEqual({ ok: false, reason: 'methods.codeWrong' });
    // Two steps of skew: refused.
    tp.clock.advance!(31_000);
    const stale = currentTotp(key, tp.clock.now() - 90_000);
    expect((await tp.portal.securityInfo.verifyCode(alice, method, 'test', stale)).ok).toBe(false);
    expect((await tp.portal.securityInfo.verifyCode(alice, method, 'test', currentTotp(key, tp.clock.now()))).ok).toBe(true);
  });

  it('registers security questions: duplicates and bad lengths refused, answers normalised and hashed', async () => {
    await browser.get(`${BASE}/add/questions`);
    const bad = await browser.post(`${BASE}/add/questions`, { question0: 'q.firstPet', answer0: 'Rex', question1: 'q.firstPet', answer1: 'Paris', question2: 'q.birthCity', answer2: 'x'.repeat(41) });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Choose a different question for each answer.');
    expect(bad.body).toContain('An answer has 3 to 40 characters.');
    const dup = await browser.post(`${BASE}/add/questions`, { question0: 'q.firstPet', answer0: 'Rex', question1: 'q.birthCity', answer1: ' rex ', question2: 'q.firstCar', answer2: 'Beetle' });
    expect(dup.body).toContain('Give a different answer to each question.');
    const ok = await browser.post(`${BASE}/add/questions`, { question0: 'q.firstPet', answer0: 'Rex', question1: 'q.birthCity', answer1: 'New  York', question2: 'q.firstCar', answer2: 'VW Beetle' });
    expect(ok.status).toBe(303);
    expect(await tp.portal.questions.checkAnswers(alice.id, [{ questionId: 'q.birthCity', answer: 'ｎｅｗ york' }])).toBe(true);
    expect(await tp.portal.questions.checkAnswers(alice.id, [{ questionId: 'q.birthCity', answer: 'Boston' }])).toBe(false);
    const rows = await tp.store.db.selectFrom('security_answers').selectAll().execute();
    expect(JSON.stringify(rows).toLowerCase()).not.toContain('york');
  });

  it('tests security questions: right answers pass, a wrong one is refused and counts as a failed verification', async () => {
    await browser.get(`${BASE}/add/questions`);
    await browser.post(`${BASE}/add/questions`, { question0: 'q.firstPet', answer0: 'Rex', question1: 'q.birthCity', answer1: 'New York', question2: 'q.firstCar', answer2: 'VW Beetle' });
    const page = await browser.get(`${BASE}/test-questions`);
    expect(page.body).toContain('What was the name of your first pet?');
    const ids = [...page.body.matchAll(/name="question(\d)" value="([^"]+)"/g)].map((m) => m[2]!);
    const answerFor: Record<string, string> = { 'q.firstPet': 'rex', 'q.birthCity': 'new york', 'q.firstCar': 'vw beetle' };
    const fields = (wrongLast: boolean) => Object.fromEntries(ids.flatMap((id, i) => [[`question${i}`, id], [`answer${i}`, wrongLast && i === ids.length - 1 ? 'nope nope' : answerFor[id]!]]));
    const wrong = await browser.post(`${BASE}/test-questions`, fields(true));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('One or more answers are not right.');
    expect((await tp.portal.throttle.get(`methods:verify-failures:${alice.id}`)).failures).toBe(1);
    const right = await browser.post(`${BASE}/test-questions`, fields(false));
    expect(right.status).toBe(303);
    expect(decodeURIComponent(right.res.headers.get('location')!)).toContain('methods.done.tested');
    // Someone else's question ids cannot be slipped in.
    const forged = await browser.post(`${BASE}/test-questions`, { question0: 'q.firstJob', answer0: 'x', question1: 'q.firstPet', answer1: 'rex', question2: 'q.birthCity', answer2: 'new york' });
    expect(forged.status).toBe(303);
    expect(forged.res.headers.get('location')).toBe(BASE);
  });

  it('keeps contact data unreadable in a raw dump of the store', async () => {
    const confirm = await addEmail('secret.person@example.com');
    await browser.post(confirm, { code: await lastCodeTo(tp.portal, 'secret.person@example.com') });
    await browser.post(`${BASE}/add/mobile`, { phone: '+4915199887766' });
    await browser.post(`${BASE}/add/totp`, {});
    const totp = (await tp.portal.methods.list(alice.id)).find((m) => m.type === 'totp')!;
    const secret = (await tp.portal.methods.totpSecret(alice.id, totp.id))!;
    for (const table of ['auth_methods', 'outbox_messages', 'delivery_log', 'verification_codes', 'audit_events']) {
      const dump = JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(tp.store.db)).rows);
      for (const needle of ['secret.person', '15199887766', secret]) expect(dump).not.toContain(needle);
    }
  });

  it('never writes codes or secrets to the logs', async () => {
    const confirm = await addEmail('logcheck@example.com');
    const code = await lastCodeTo(tp.portal, 'logcheck@example.com');
    await browser.post(confirm, { code: '12345678' });
    await browser.post(confirm, { code });
    expect(tp.logs()).not.toContain(code);
    expect(tp.logs()).not.toContain('logcheck@example.com');
  });

  it('removing a method and adding one notify the user on their other channels, without secrets', async () => {
    await tp.portal.users.updateProfile(alice.id, { email: 'alice@corp.example' });
    const confirm = await addEmail('second@example.com');
    const code = await lastCodeTo(tp.portal, 'second@example.com');
    await browser.post(confirm, { code });
    const added = (await messagesTo(tp.portal, 'alice@corp.example'))[0]!;
    expect(added.body).toContain('This was added to your security info: Email s•••@example.com.');
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    expect((await browser.post(`${BASE}/remove/${method.id}`, {})).status).toBe(303);
    const removed = (await messagesTo(tp.portal, 'alice@corp.example'))[0]!;
    expect(removed.body).toContain('This was removed from your security info');
    expect(await tp.portal.methods.list(alice.id)).toEqual([]);
  });

  it('asks to verify again before a change when the last proof is older than 10 minutes', async () => {
    tp.clock.advance!(11 * 60_000);
    const r = await browser.get(`${BASE}/add/email`);
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe(`${BASE}/verify?next=%2Faccount%2Fsecurity-info%2Fadd%2Femail`);
    const verify = await browser.get(r.res.headers.get('location')!);
    expect(verify.body).toContain('Verify it is you');
    const wrong = await browser.post(`${BASE}/verify/password`, { password: 'nope', next: `${BASE}/add/email` });
    expect(wrong.status).toBe(400);
    const ok = await browser.post(`${BASE}/verify/password`, { password: PW, next: `${BASE}/add/email` });
    expect(ok.status).toBe(303);
    expect(ok.res.headers.get('location')).toBe(`${BASE}/add/email`);
    expect((await browser.get(`${BASE}/add/email`)).status).toBe(200);
  });

  it('tests a registered method without changing anything', async () => {
    const confirm = await addEmail('test-me@example.com');
    await browser.post(confirm, { code: await lastCodeTo(tp.portal, 'test-me@example.com') });
    const method = (await tp.portal.methods.list(alice.id))[0]!;
    const send = await browser.post(`${BASE}/test/${method.id}`, {});
    expect(send.status).toBe(303);
    await browser.get(`${BASE}/test/${method.id}`);
    const r = await browser.post(`${BASE}/test/${method.id}/check`, { code: await lastCodeTo(tp.portal, 'test-me@example.com') });
    expect(r.status).toBe(303);
    expect(decodeURIComponent(r.res.headers.get('location')!)).toContain('methods.done.tested');
  });

  it('blocks verification for 24 hours after 5 failed verifications in a day', async () => {
    const confirm = await addEmail('block@example.com');
    for (let i = 0; i < 4; i++) await browser.post(confirm, { code: '00000001' });
    const fifth = await browser.post(confirm, { code: '00000001' });
    expect(fifth.status).toBe(429);
    expect(fifth.body).toContain('verification is blocked for 24 hours');
    expect(await tp.portal.securityInfo.blockedFor(alice.id)).toBe(true);
    tp.clock.advance!(24 * 3_600_000 + 1000);
    expect(await tp.portal.securityInfo.blockedFor(alice.id)).toBe(false);
  });

  it('limits email sends to 10 in 10 minutes', async () => {
    // A portal whose per-destination delivery limit is out of the way, to see the per-user limit.
    await tp.cleanup();
    tp = await createTestPortal({ manualTime: true, config: { delivery: { limits: { perDestinationPerHour: 100, perDestinationPerDay: 100 } } } });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW });
    browser = new TestClient(tp.app);
    await browser.signIn('alice', PW);
    const confirm = await addEmail('limit@example.com');
    const id = confirm.split('/').pop()!;
    for (let i = 0; i < 9; i++) expect((await browser.post(`${BASE}/resend/${id}`, {})).status).toBe(303);
    const eleventh = await browser.post(`${BASE}/resend/${id}`, {});
    expect(eleventh.status).toBe(429);
    expect(eleventh.body).toContain('Too many codes were requested.');
    expect((await messagesTo(tp.portal, 'limit@example.com')).length).toBe(10);
  });

  it('limits phone codes to 5 an hour', async () => {
    await browser.get(`${BASE}/add/mobile`);
    const r = await browser.post(`${BASE}/add/mobile`, { phone: '+4915100000001' });
    const id = r.res.headers.get('location')!.split('/').pop()!.split('?')[0]!;
    for (let i = 0; i < 4; i++) await browser.post(`${BASE}/resend/${id}`, { via: 'sms' });
    const sixth = await browser.post(`${BASE}/resend/${id}`, { via: 'sms' });
    expect(sixth.status).toBe(429);
    expect((await messagesTo(tp.portal, '+4915100000001')).length).toBe(5);
  });
});
