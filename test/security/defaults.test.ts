import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { initialPolicy } from '../../src/policy/policy.js';
import { TestClient, makeUser } from '../helpers/http-client.js';
import { createTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { flowOf, registered, resetPortals, startReset } from '../helpers/reset-flow.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const portal = resetPortals();

describe('secure defaults', () => {
  let own: TestPortal | undefined;
  afterEach(async () => {
    await own?.cleanup();
    own = undefined;
  });

  it("the throttle defaults are Entra's numbers: 15-minute flows, 5-minute codes, 5 failed verifications in 24 h block for 24 h, 5 phone or app checks an hour, 10 email sends in 10 minutes", () => {
    const c = configSchema.parse({});
    expect(c.throttling).toEqual({ failedVerificationsPerDay: 5, blockHours: 24, phoneOrAppChecksPerHour: 5, emailSendsPer10Minutes: 10 });
    expect(c.reset.flowMinutes).toBe(15);
    expect(c.methods.codeMinutes).toBe(5);
    expect(c.methods.codeDigits).toBeGreaterThanOrEqual(6);
    expect(c.methods.codeDigits).toBeLessThanOrEqual(8);
    // The portal's own limits beside Entra's (Entra publishes no number for these).
    expect(c.reset.startsPerIpPerHour).toBe(30);
    expect(c.delivery.limits).toEqual({ perDestinationPerHour: 5, perDestinationPerDay: 10, globalPerHour: 1000 });
  });

  it('at the default limit, the 31st reset start from one address within the hour is refused with 429 and Retry-After, and nothing is started', async () => {
    const t = await portal();
    expect(t.config.reset.startsPerIpPerHour).toBe(30);
    const c = new TestClient(t.app, 'http://portal.test');
    for (let i = 0; i < 30; i++) expect((await startReset(c, `name.${i}`)).status, `start ${i + 1}`).toBe(303);
    const refused = await startReset(c, 'name.30');
    expect(refused.status).toBe(429);
    expect(refused.res.headers.get('retry-after')).toBe('3600');
    expect(refused.body).toContain('Too many password resets');
    expect(await t.store.db.selectFrom('flows').select('id_hash').where('kind', '=', 'reset').execute()).toHaveLength(30);
  });

  it('at the default limits, one destination gets 5 messages an hour and 10 a day, and the whole portal 1,000 an hour', async () => {
    own = await createTestPortal({ manualTime: true });
    const d = own.portal.delivery;
    const sms = (to: string) => d.sms({ to, text: 'Your code is 12345678', kind: 'code' });
    const A = '+4915112345678';
    for (let i = 0; i < 5; i++) expect(await sms(A)).toEqual({ ok: true, value: undefined });
    expect(await sms(A)).toMatchObject({ ok: false, reason: 'rate_limited', detail: 'limit reached: 5 messages per destination per hour' });
    own.clock.advance!(HOUR + MINUTE);
    for (let i = 0; i < 5; i++) expect(await sms(A)).toEqual({ ok: true, value: undefined });
    own.clock.advance!(HOUR + MINUTE);
    // A new hour, but the tenth of the day was the last.
    expect(await sms(A)).toMatchObject({ ok: false, reason: 'rate_limited' });
    // A fresh hour for the portal: 1,000 messages to 1,000 numbers, and the next one is refused.
    own.clock.advance!(HOUR + MINUTE);
    for (let i = 0; i < 1000; i++) {
      const r = await sms(`+1415555${String(i).padStart(4, '0')}`);
      if (!r.ok) throw new Error(`message ${i + 1} refused: ${JSON.stringify(r)}`);
    }
    expect(await sms('+14155559999')).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  it('security questions are off by default: not in the configuration or the initial policy, refused when registered anyway, not offered in a reset even to a user who has answers stored', async () => {
    const c = configSchema.parse({});
    expect(c.methods.available).not.toContain('questions');
    expect(initialPolicy(c).methodsAvailable).not.toContain('questions');
    const t = await portal();
    expect((await t.portal.policy.current()).policy.methodsAvailable).not.toContain('questions');
    // The security info page offers no questions, and their form is not there.
    await makeUser(t.portal, { username: 'fresh', password: 'Plain-Garden-Walk-12' });
    const b = new TestClient(t.app);
    expect((await b.signIn('fresh', 'Plain-Garden-Walk-12')).status).toBe(303);
    const info = await b.get('/account/security-info');
    expect(info.status).toBe(200);
    expect(info.body).toContain('Add an email address');
    expect(info.body).not.toContain('Set up security questions');
    expect(info.body).not.toContain('/add/questions');
    // Posting the form anyway is refused in plain words and stores nothing.
    await b.get('/account/security-info/add/questions');
    const posted = await b.post('/account/security-info/add/questions', { question0: 'q.firstPet', answer0: 'Rex', question1: 'q.birthCity', answer1: 'Lisbon', question2: 'q.firstCar', answer2: 'Beetle' });
    expect(posted.status).toBe(400);
    expect(posted.body).toContain('Your organisation does not allow this method.');
    expect(await t.store.db.selectFrom('security_answers').select('user_id').execute()).toEqual([]);
    // A user with answers stored (from before the method was turned off) is not asked them.
    await registered(t.portal, 'olde', { questions: true });
    const r = new TestClient(t.app);
    const flow = flowOf(await startReset(r, 'olde'));
    const methods = await r.get(`/reset/verify?flow=${flow}`);
    expect(methods.body).not.toMatch(/security questions/i);
    await r.post('/reset/verify/choose', { flow, choice: 'questions' });
    const after = await r.get(`/reset/verify?flow=${flow}`);
    expect(after.body).not.toMatch(/Your security questions/i);
    expect((await r.post('/reset/verify/questions', { flow, answer: ['Lisbon', 'Rex the dog', 'Hill Primary'] })).status).not.toBe(303);
    expect((await r.get(`/reset/verify?flow=${flow}`)).body).not.toContain('Choose a new password');
  });
});
