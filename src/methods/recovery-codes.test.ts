import { describe, expect, it } from 'vitest';
import type { User } from '../directory/users.js';
import { NEW_PASSWORD, PASSWORD, flowOf, resetPortals, shape, signInWorks, startReset } from '../../test/helpers/reset-flow.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { activityReport, periodEnding, registrationCoverage } from '../reports/report-queries.js';
import { registrationStatus } from './registration.js';

/**
 * Saved recovery codes end to end over HTTP, in-process on a real store: set up in My security
 * info (shown once, downloadable only right after, in that session), spent in a reset and at
 * sign-in, made anew, throttled like every other code, and told to the user by email.
 */

const BASE = '/account/security-info';
const CODE = /\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b/g;
const config = { methods: { available: ['email', 'totp', 'recovery_code'] as Array<'email' | 'totp' | 'recovery_code'> } };

const codesIn = (body: string) => [...new Set(body.match(CODE) ?? [])];
const revealIn = (body: string) => /name="reveal" value="([^"]+)"/.exec(body)?.[1] ?? '';

async function signedIn(tp: TestPortal, username: string): Promise<{ user: User; client: TestClient }> {
  const user = await makeUser(tp.portal, { username, password: PASSWORD, email: `${username}@corp.test` });
  const client = new TestClient(tp.app);
  expect((await client.signIn(username, PASSWORD)).status).toBe(303);
  await client.get(BASE);
  return { user, client };
}

/** Sets up a set through the pages and says it is saved; returns the codes as shown. */
async function setUp(client: TestClient): Promise<string[]> {
  const shown = await client.post(`${BASE}/add/recovery-codes`, {});
  expect(shown.status).toBe(200);
  const codes = codesIn(shown.body);
  expect((await client.post(`${BASE}/recovery-codes/done`, { reveal: revealIn(shown.body) })).status).toBe(303);
  return codes;
}

const noticesTo = async (tp: TestPortal, to: string) => (await messagesTo(tp.portal, to)).filter((m) => m.kind === 'notify:method-changed').map((m) => m.body ?? '');

describe('saved recovery codes', () => {
  const portal = resetPortals();

  it('ten codes are shown once at set-up, and count as one method only once the user says they are saved', async () => {
    const tp = await portal(config);
    const { user, client } = await signedIn(tp, 'alice');
    expect((await client.get(BASE)).body).toContain('Set up recovery codes');

    const shown = await client.post(`${BASE}/add/recovery-codes`, {});
    expect(shown.status).toBe(200);
    expect(shown.res.headers.get('cache-control')).toBe('no-store');
    expect(shown.body).toContain('This is the only time these codes are shown.');
    const codes = codesIn(shown.body);
    expect(codes).toHaveLength(10);
    // Not yet a method: a set nobody saved must not count.
    expect(await tp.portal.methods.list(user.id, { confirmedOnly: true })).toEqual([]);

    const done = await client.post(`${BASE}/recovery-codes/done`, { reveal: revealIn(shown.body) });
    expect(done.status).toBe(303);
    const overview = await client.get(done.res.headers.get('location')!);
    expect(overview.body).toContain('Your recovery codes are registered.');
    expect(overview.body).toContain('10 of 10 codes left');
    expect(codesIn(overview.body)).toEqual([]);
    expect((await tp.portal.methods.list(user.id, { confirmedOnly: true })).map((m) => m.type)).toEqual(['recovery_code']);
    const status = await registrationStatus(user, { methods: tp.portal.methods, questions: tp.portal.questions, policy: { registrationRequired: true, reconfirmDays: 0, required: 1, available: ['recovery_code'], questions: { toRegister: 3 } }, now: tp.clock.now() });
    expect(status).toMatchObject({ have: 1, missing: false });
    expect(await noticesTo(tp, 'alice@corp.test')).toEqual([expect.stringContaining('This was added to your security info: Recovery codes.')]);
    // The notice never carries a code.
    for (const body of await noticesTo(tp, 'alice@corp.test')) expect(codesIn(body)).toEqual([]);
  });

  it('the codes download as a text file right after they are made, in that session only, and never once the user is done', async () => {
    const tp = await portal(config);
    const { client } = await signedIn(tp, 'alice');
    const shown = await client.post(`${BASE}/add/recovery-codes`, {});
    const reveal = revealIn(shown.body);

    const file = await client.post(`${BASE}/recovery-codes/download`, { reveal });
    expect(file.status).toBe(200);
    expect(file.res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(file.res.headers.get('content-disposition')).toBe('attachment; filename="recovery-codes.txt"');
    expect(file.res.headers.get('cache-control')).toBe('no-store');
    expect(file.body).toContain('Recovery codes of alice for OpenSSPR');
    expect(codesIn(file.body)).toEqual(codesIn(shown.body));

    // Another session of the same user (another browser, or a thief's) cannot fetch them.
    const other = new TestClient(tp.app);
    await other.signIn('alice', PASSWORD);
    await other.get(BASE);
    const stolen = await other.post(`${BASE}/recovery-codes/download`, { reveal });
    expect(stolen.status).toBe(410);
    expect(codesIn(stolen.body)).toEqual([]);

    expect((await client.post(`${BASE}/recovery-codes/done`, { reveal })).status).toBe(303);
    const after = await client.post(`${BASE}/recovery-codes/download`, { reveal });
    expect(after.status).toBe(410);
    expect(after.body).toContain('These codes can no longer be shown or downloaded');
    expect(codesIn(after.body)).toEqual([]);
  });

  it('the download ends 15 minutes after the codes were made', async () => {
    const tp = await portal(config, true);
    const { client } = await signedIn(tp, 'alice');
    const shown = await client.post(`${BASE}/add/recovery-codes`, {});
    tp.clock.advance!(15 * 60_000 + 1);
    const late = await client.post(`${BASE}/recovery-codes/download`, { reveal: revealIn(shown.body) });
    expect(late.status).toBe(410);
    expect(codesIn(late.body)).toEqual([]);
  });

  it('making a new set asks first, voids every old code at once and tells the user, without a code in the message', async () => {
    const tp = await portal(config);
    const { user, client } = await signedIn(tp, 'alice');
    const old = await setUp(client);
    const method = (await tp.portal.methods.list(user.id, { confirmedOnly: true }))[0]!;

    // "Set up" again leads to the question, which changes nothing by itself.
    const again = await client.post(`${BASE}/add/recovery-codes`, {});
    expect(again.res.headers.get('location')).toBe(`${BASE}/recovery-codes/regenerate`);
    const ask = await client.get(`${BASE}/recovery-codes/regenerate`);
    expect(ask.body).toContain('Your 10 unused old codes stop working straight away');
    expect(await tp.portal.securityInfo.verifyCode(user, method, 'test', old[0]!)).toEqual({ ok: true, value: undefined });

    const made = await client.post(`${BASE}/recovery-codes/regenerate`, {});
    expect(made.status).toBe(200);
    expect(made.body).toContain('Your old recovery codes stopped working just now.');
    const fresh = codesIn(made.body);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => old.includes(c))).toBe(false);
    for (const code of old.slice(1, 3)) expect(await tp.portal.securityInfo.verifyCode(user, method, 'test', code)).toMatchObject({ ok: false, reason: 'methods.codeWrong' });
    expect(await tp.portal.securityInfo.verifyCode(user, method, 'test', fresh[0]!)).toEqual({ ok: true, value: undefined });

    const notices = await noticesTo(tp, 'alice@corp.test');
    expect(notices.some((b) => b.includes('A new set of 10 recovery codes was made just now. The 9 unused codes of the old set no longer work.'))).toBe(true);
    for (const body of notices) expect(codesIn(body)).toEqual([]);
  });

  it('a reset with one recovery code: it proves it is you, the same code is refused the second time, and the user is told how many are left', async () => {
    const tp = await portal(config);
    const { client: owner } = await signedIn(tp, 'alice');
    const codes = await setUp(owner);

    const browser = new TestClient(tp.app);
    const flow = flowOf(await startReset(browser, 'alice'));
    const choose = await browser.get(`/reset/verify?flow=${flow}`);
    expect(choose.body).toContain('Enter one of my recovery codes');
    expect((await browser.post('/reset/verify/choose', { flow, choice: 'recovery_code' })).status).toBe(303);
    const step = await browser.get(`/reset/verify?flow=${flow}`);
    expect(step.body).toContain('Enter one of your saved recovery codes');
    // Typed the way people type: small letters, spaces instead of dashes.
    const typed = codes[0]!.toLowerCase().replace(/-/g, ' ');
    expect((await browser.post('/reset/verify/code', { flow, code: typed })).status).toBe(303);
    expect((await browser.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
    expect((await browser.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(tp, 'alice', NEW_PASSWORD)).toBe(true);
    // The reports' methods breakdown counts the reset under recovery codes, and coverage lists the set.
    const activity = await activityReport(tp.store, periodEnding(tp.clock.now() + 60_000, 7));
    expect(activity.byMethod.find((m) => m.method === 'recovery_code')).toMatchObject({ reset: 1 });
    const { policy } = await tp.portal.policy.current();
    expect((await registrationCoverage(tp.store, tp.portal.groups, policy)).byMethod.recovery_code).toBe(1);

    const notices = await noticesTo(tp, 'alice@corp.test');
    expect(notices.some((b) => b.includes('One of your recovery codes was used just now to prove it is you. 9 of 10 codes are left.'))).toBe(true);
    for (const body of notices) expect(codesIn(body)).toEqual([]);

    const second = new TestClient(tp.app);
    const flow2 = flowOf(await startReset(second, 'alice'));
    await second.get(`/reset/verify?flow=${flow2}`);
    await second.post('/reset/verify/choose', { flow: flow2, choice: 'recovery_code' });
    await second.get(`/reset/verify?flow=${flow2}`);
    const replay = await second.post('/reset/verify/code', { flow: flow2, code: codes[0]! });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('That recovery code was already used.');
    expect((await second.get(`/reset/verify?flow=${flow2}`)).body).not.toContain('Choose a new password');
    // Another code of the set still works.
    expect((await second.post('/reset/verify/code', { flow: flow2, code: codes[1]! })).status).toBe(303);
    expect((await second.get(`/reset/verify?flow=${flow2}`)).body).toContain('Choose a new password');
  });

  it('a name with no account is asked for a recovery code in the same words, and a wrong code fails the same way', async () => {
    const tp = await portal(config);
    const { client: owner } = await signedIn(tp, 'alice');
    await setUp(owner);
    const journey = async (username: string) => {
      const browser = new TestClient(tp.app);
      const flow = flowOf(await startReset(browser, username));
      await browser.get(`/reset/verify?flow=${flow}`);
      const chosen = await browser.post('/reset/verify/choose', { flow, choice: 'recovery_code' });
      const step = await browser.get(`/reset/verify?flow=${flow}`);
      const wrong = await browser.post('/reset/verify/code', { flow, code: 'ABCD-EFGH-JKMN-PQRS' });
      const malformed = await browser.post('/reset/verify/code', { flow, code: '12345678' });
      return [chosen, step, wrong, malformed].map(shape);
    };
    expect(await journey('nobody.here')).toEqual(await journey('alice'));
  });

  it('something that cannot be a recovery code changes nothing; five wrong codes block verification like any other code', async () => {
    const tp = await portal(config);
    const { user, client: owner } = await signedIn(tp, 'alice');
    const codes = await setUp(owner);
    const browser = new TestClient(tp.app);
    const flow = flowOf(await startReset(browser, 'alice'));
    await browser.get(`/reset/verify?flow=${flow}`);
    await browser.post('/reset/verify/choose', { flow, choice: 'recovery_code' });
    await browser.get(`/reset/verify?flow=${flow}`);

    for (let i = 0; i < 8; i++) expect((await browser.post('/reset/verify/code', { flow, code: '12345678' })).body).toContain('That is not a recovery code.');
    expect(await tp.portal.throttle.get(throttleKeys.verifyFailures(user.id))).toMatchObject({ failures: 0 });

    const wrong = ['ABCD-EFGH-JKMN-PQRS', 'BCDE-FGHJ-KMNP-QRST', 'CDEF-GHJK-MNPQ-RSTV', 'DEFG-HJKM-NPQR-STVW'];
    for (const code of wrong) expect((await browser.post('/reset/verify/code', { flow, code })).body).toContain('That code is not right.');
    const fifth = await browser.post('/reset/verify/code', { flow, code: 'EFGH-JKMN-PQRS-TVWX' });
    expect(fifth.status).toBe(429);
    // Blocked: not even a right code gets through now.
    const after = new TestClient(tp.app);
    const flow2 = flowOf(await startReset(after, 'alice'));
    await after.get(`/reset/verify?flow=${flow2}`);
    await after.post('/reset/verify/choose', { flow: flow2, choice: 'recovery_code' });
    expect((await after.get(`/reset/verify?flow=${flow2}`)).status).toBe(429);
    const method = (await tp.portal.methods.list(user.id, { confirmedOnly: true }))[0]!;
    expect(await tp.portal.securityInfo.verifyCode(user, method, 'test', codes[0]!)).toEqual({ ok: false, reason: 'methods.blocked' });
  });

  it('few codes left: the page and the notice say to make a new set; with the last one spent the set stops counting as a method', async () => {
    // Eleven notices to one address in a few seconds: above the per-destination limit that guards against mail floods.
    const tp = await portal({ ...config, delivery: { limits: { perDestinationPerHour: 50, perDestinationPerDay: 100 } } });
    const { user, client } = await signedIn(tp, 'alice');
    const codes = await setUp(client);
    const method = (await tp.portal.methods.list(user.id, { confirmedOnly: true }))[0]!;
    const spend = async (code: string) => {
      // Not about the hourly check limit (tested above): each use as if an hour apart.
      await tp.portal.throttle.reset(throttleKeys.phoneChecks(user.id));
      expect(await tp.portal.securityInfo.verifyCode(user, method, 'sign-in', code)).toEqual({ ok: true, value: undefined });
    };
    for (const code of codes.slice(0, 7)) await spend(code);
    const page = await client.get(BASE);
    expect(page.body).toContain('Only 3 of your recovery codes are left. Make a new set before you run out.');
    expect(page.body).toContain('3 of 10 codes left');
    expect((await noticesTo(tp, 'alice@corp.test')).some((b) => b.includes('Only 3 of 10 codes are left: make a new set in My security info.'))).toBe(true);

    for (const code of codes.slice(7)) await spend(code);
    expect(await tp.portal.methods.list(user.id, { confirmedOnly: true })).toEqual([]);
    expect(await tp.portal.recoveryCodes.status(user.id)).toBeNull();
    expect((await client.get(BASE)).body).toContain('Set up recovery codes');
    expect((await noticesTo(tp, 'alice@corp.test')).some((b) => b.includes('The last of your recovery codes was used just now'))).toBe(true);
    // A new set replaces the used-up one and counts again once saved.
    await setUp(client);
    expect((await tp.portal.methods.list(user.id, { confirmedOnly: true })).map((m) => m.type)).toEqual(['recovery_code']);
    expect(await tp.portal.recoveryCodes.status(user.id)).toMatchObject({ left: 10, total: 10 });
  });

  it('a recovery code is a second factor at sign-in, once', async () => {
    const tp = await portal(config);
    const { user, client: owner } = await signedIn(tp, 'alice');
    const codes = await setUp(owner);
    const method = (await tp.portal.methods.list(user.id, { confirmedOnly: true }))[0]!;
    const signIn = async (code: string) => {
      const c = new TestClient(tp.app);
      const r = await c.signIn('alice', PASSWORD);
      const flow = decodeURIComponent((r.res.headers.get('location') ?? '').split('flow=')[1] ?? '');
      const page = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
      expect(page.body).toContain('Recovery codes');
      expect((await c.post('/sign-in/verify/choose', { flow, method: method.id })).status).toBe(303);
      const codePage = await c.get(`/sign-in/verify?flow=${encodeURIComponent(flow)}`);
      expect(codePage.body).toContain('Enter one of your saved recovery codes');
      expect(codePage.body).not.toContain('Send a new code');
      return c.post('/sign-in/verify/code', { flow, code });
    };
    const first = await signIn(codes[2]!);
    expect(first.status).toBe(303);
    expect(first.res.headers.get('location')).toBe('/account');
    const replay = await signIn(codes[2]!);
    expect(replay.status).not.toBe(303);
    expect(replay.body).toContain('That recovery code was already used.');
  });

  it('not offered, not made and not accepted when the policy does not allow recovery codes', async () => {
    const tp = await portal({ methods: { available: ['email', 'totp'] } });
    const { client } = await signedIn(tp, 'alice');
    expect((await client.get(BASE)).body).not.toContain('Set up recovery codes');
    const refused = await client.post(`${BASE}/add/recovery-codes`, {});
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('Your organisation does not allow this method.');
    expect(codesIn(refused.body)).toEqual([]);
    expect(await tp.store.db.selectFrom('recovery_codes').selectAll().execute()).toEqual([]);
  });
});
