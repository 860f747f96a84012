import { describe, expect, it } from 'vitest';
import type { TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, chooseEmail, flowOf, passEmail, registered, resetPortals, signInWorks, startReset } from '../../test/helpers/reset-flow.js';
import { dumpStore } from '../../test/helpers/store-dump.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { nameKey } from '../directory/names.js';
import { SUPPORT_EVENTS, type SupportActionName } from './support-actions.js';
import { ACTION_PATHS } from './actions-ui.js';
import { ADMIN_VIEWER } from './access.js';

/**
 * The support desk's actions over HTTP against the real app and a real SQLite store: each is
 * confirmed, needs a typed reason, is audited with the actor and the reason and told to the user
 * (messages read from the outbox); the reset link works once, for an hour, and the helpdesk never
 * sees it, the address or the password.
 */

const portal = resetPortals();
const HOUR = 3_600_000;
const MOBILE = '+4915112345678';
const LINK = /http:\/\/portal\.test\/reset\/link\/([A-Za-z0-9_-]+)/;

async function setUp(options: { manualTime?: boolean; verification?: boolean } = {}) {
  const t = await portal({ delivery: { limits: { perDestinationPerHour: 100, perDestinationPerDay: 100 } }, methods: { available: ['email', 'mobile_sms', 'questions'] } }, options.manualTime);
  if (!options.verification) expect((await t.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { requireVerification: false } })).ok).toBe(true);
  const alice = await registered(t.portal, 'alice', { mobile: MOBILE, questions: true });
  const root = await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'], email: 'root@corp.test' });
  const admin = new TestClient(t.app);
  expect((await admin.signIn('root', PASSWORD)).status).toBe(303);
  return { t, alice, root, admin };
}

const methodOf = async (t: TestPortal, userId: string, type: string) => (await t.portal.methods.list(userId)).find((m) => m.type === type)!;

/** Both steps of an action through the console: the confirmation page, then `confirm=1`. */
async function act(admin: TestClient, userId: string, action: SupportActionName, fields: Record<string, string>) {
  await admin.get(`/admin/users/${userId}`);
  const path = `/admin/users/${userId}/support/${ACTION_PATHS[action]}`;
  const confirm = await admin.post(path, fields);
  const done = await admin.post(path, { ...fields, confirm: '1' });
  return { confirm, done };
}

async function eventsOf(t: TestPortal, event: string) {
  const rows = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', event).orderBy('id').execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

/** Every message to the user's addresses and number, bodies and subjects joined. */
async function allMail(t: TestPortal, email: string) {
  return [...(await messagesTo(t.portal, email)), ...(await messagesTo(t.portal, 'alice@corp.test')), ...(await messagesTo(t.portal, MOBILE))];
}

describe('support actions (HTTP, real store)', () => {
  it('every support action is audited with the actor and the typed reason, and notified to the user', async () => {
    const { t, alice, root, admin } = await setUp();
    const mobile = await methodOf(t, alice.user.id, 'mobile');
    const email = await methodOf(t, alice.user.id, 'email');
    const cases: Array<{ action: SupportActionName; fields: Record<string, string>; title: string }> = [
      { action: 'unblock', fields: {}, title: 'The helpdesk unblocked self-service for your account' },
      { action: 'clearLockout', fields: {}, title: 'The helpdesk cleared your sign-in lockout' },
      { action: 'removeMethod', fields: { methodId: mobile.id }, title: 'The helpdesk removed a method from your security info' },
      { action: 'removeMethod', fields: { methodId: 'questions' }, title: 'The helpdesk removed a method from your security info' },
      { action: 'requireRegistration', fields: {}, title: 'The helpdesk asked you to register your security info again' },
      { action: 'endSessions', fields: {}, title: 'The helpdesk signed you out everywhere' },
      { action: 'resetLink', fields: { methodId: email.id }, title: 'The helpdesk sent you a reset link' },
    ];
    for (const [i, k] of cases.entries()) {
      const reason = `Caller ticket INC-${1000 + i} (${k.action})`;
      const before = (await messagesTo(t.portal, 'alice@corp.test')).length;
      const { confirm, done } = await act(admin, alice.user.id, k.action, { ...k.fields, reason });
      expect(confirm.status, k.action).toBe(200);
      expect(confirm.body, k.action).toContain(`Reason: ${reason}`);
      expect(done.status, k.action).toBe(303);
      expect(done.res.headers.get('location'), k.action).toBe(`/admin/users/${alice.user.id}?done=support.done.${k.action}`);
      const [event] = (await eventsOf(t, SUPPORT_EVENTS[k.action])).filter((e) => e.details['note'] === reason);
      expect(event, k.action).toMatchObject({ outcome: 'success', actor_id: root.id, actor_name: 'root', target_id: alice.user.id, target_name: 'alice' });
      // The notice, on the account's own address too, with its "this wasn't me" link.
      const notices = (await messagesTo(t.portal, 'alice@corp.test')).slice(0, (await messagesTo(t.portal, 'alice@corp.test')).length - before);
      const notice = notices.find((m) => m.subject?.includes(k.title));
      expect(notice, `${k.action}: ${notices.map((m) => m.subject).join(' | ')}`).toBeDefined();
      expect(notice!.body, k.action).toMatch(/http:\/\/portal\.test\/not-me\?token=/);
    }
    // What was done is in the audit, never the address or number.
    const audit = JSON.stringify(await t.store.db.selectFrom('audit_events').select('details').execute());
    expect(audit).not.toContain(alice.email);
    expect(audit).not.toContain(MOBILE);
  });

  it('a support action without a reason changes nothing', async () => {
    const { t, alice, admin } = await setUp();
    const mobile = await methodOf(t, alice.user.id, 'mobile');
    const email = await methodOf(t, alice.user.id, 'email');
    // Something to unblock and end: a lockout counter and a session.
    await t.portal.throttle.recordFailure(throttleKeys.verifyFailures(alice.user.id), t.portal.securityInfoLimits.verifyFailures);
    const { token } = await t.portal.sessions.create(alice.user.id, { ip: '127.0.0.1', userAgent: 'test', amr: ['password'] });
    const before = await dumpStore(t.store);
    const mailBefore = (await allMail(t, alice.email)).length;
    for (const [action, fields] of [
      ['unblock', {}],
      ['clearLockout', {}],
      ['removeMethod', { methodId: mobile.id }],
      ['requireRegistration', {}],
      ['endSessions', {}],
      ['resetLink', { methodId: email.id }],
    ] as Array<[SupportActionName, Record<string, string>]>) {
      for (const reason of ['', '  ', 'ok', 'x'.repeat(201), 'line one\nline two']) {
        const { confirm, done } = await act(admin, alice.user.id, action, { ...fields, reason });
        expect(confirm.status, `${action} ${JSON.stringify(reason)}`).toBe(400);
        expect(done.status, `${action} ${JSON.stringify(reason)}`).toBe(400);
        expect(done.body).toMatch(/Type a reason|at most 200 characters|control characters/);
      }
      // The service refuses it the same way (the API and the CLI take this door).
      const r = await t.portal.supportActions.run(action, { id: null, name: 'api' }, ADMIN_VIEWER, alice.user, { ...fields, reason: '' });
      expect(r).toMatchObject({ ok: false, reason: 'invalid' });
    }
    expect(await dumpStore(t.store)).toBe(before);
    expect(await t.portal.sessions.validate(token)).not.toBeNull();
    expect((await allMail(t, alice.email)).length).toBe(mailBefore);
  });

  it('the helpdesk never chooses or sees the new password: the user completes the reset from the link', async () => {
    const { t, alice, admin } = await setUp();
    const email = await methodOf(t, alice.user.id, 'email');
    const reason = 'Caller verified on the phone';
    const { confirm, done } = await act(admin, alice.user.id, 'resetLink', { methodId: email.id, reason });
    expect(done.status).toBe(303);
    const page = await admin.get(done.res.headers.get('location')!);
    const link = await messagesTo(t.portal, alice.email).then((ms) => ms.find((m) => m.kind === 'support:reset-link')!);
    const token = LINK.exec(link.body!)![1]!;
    // Nothing the helpdesk sees holds the link or the full address.
    for (const body of [confirm.body, done.body, page.body]) {
      expect(body).not.toContain(token);
      expect(body).not.toContain(alice.email);
    }
    expect(confirm.body).toContain('a•••@mail.test');
    // The link only goes to the chosen address; the notice to every address of the account.
    expect((await messagesTo(t.portal, 'alice@corp.test')).some((m) => m.kind === 'support:reset-link')).toBe(false);

    const user = new TestClient(t.app);
    const landing = await user.get(`/reset/link/${token}`);
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('Continue to set a new password');
    const started = await user.post(`/reset/link/${token}`, {});
    expect(started.status).toBe(303);
    const flow = flowOf(started);
    // One method required: the link's method is the proof, the next page asks for the new password.
    const next = await user.get(`/reset/verify?flow=${flow}`);
    expect(next.body).toContain('name="password"');
    expect((await user.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(true);
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(false);
    // The link's token is never logged (the access log names the route, not the path).
    expect(t.logs()).toContain('/reset/link/:token');
    expect(t.logs()).not.toContain(token);
    const used = await eventsOf(t, 'reset_link_used');
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({ outcome: 'success', target_id: alice.user.id });
    // The password nowhere in the audit or the admin's pages.
    expect(JSON.stringify(await t.store.db.selectFrom('audit_events').selectAll().execute())).not.toContain(NEW_PASSWORD);
    expect((await admin.get(`/admin/users/${alice.user.id}`)).body).not.toContain(NEW_PASSWORD);
  });

  it('a reset link works once and expires after an hour', async () => {
    const { t, alice, admin } = await setUp({ manualTime: true });
    const email = await methodOf(t, alice.user.id, 'email');
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await act(admin, alice.user.id, 'resetLink', { methodId: email.id, reason: `Link number ${i}` })).done.status).toBe(303);
      const links = (await messagesTo(t.portal, alice.email)).filter((m) => m.kind === 'support:reset-link');
      tokens.push(LINK.exec(links[0]!.body!)![1]!);
    }
    const [first, second, third] = tokens as [string, string, string];
    const user = new TestClient(t.app);
    await user.get('/reset');
    // A new link replaced the previous unused ones.
    expect((await user.get(`/reset/link/${first}`)).status).toBe(410);
    expect((await user.post(`/reset/link/${second}`, {})).status).toBe(410);
    // Opening it (a mail scanner) spends nothing; the first POST does, a second use fails.
    expect((await user.get(`/reset/link/${third}`)).status).toBe(200);
    expect((await user.get(`/reset/link/${third}`)).status).toBe(200);
    expect((await user.post(`/reset/link/${third}`, {})).status).toBe(303);
    const again = await user.post(`/reset/link/${third}`, {});
    expect(again.status).toBe(410);
    expect(again.body).toContain('This link cannot be used');
    expect(again.body).toContain('contact your helpdesk again');

    // A fresh link dies after an hour.
    expect((await act(admin, alice.user.id, 'resetLink', { methodId: email.id, reason: 'One more link' })).done.status).toBe(303);
    const latest = LINK.exec((await messagesTo(t.portal, alice.email)).find((m) => m.kind === 'support:reset-link')!.body!)![1]!;
    t.clock.advance!(HOUR - 1000);
    expect((await user.get(`/reset/link/${latest}`)).status).toBe(200);
    t.clock.advance!(2000);
    expect((await user.get(`/reset/link/${latest}`)).status).toBe(410);
    expect((await user.post(`/reset/link/${latest}`, {})).status).toBe(410);
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(true);
  });

  it('a reset link is never weaker than sign-in: with two methods required the user still proves one more', async () => {
    const { t, alice, admin } = await setUp();
    expect((await t.portal.policy.update({ id: null, name: 'test' }, { methodsRequired: 2 })).ok).toBe(true);
    const email = await methodOf(t, alice.user.id, 'email');
    expect((await act(admin, alice.user.id, 'resetLink', { methodId: email.id, reason: 'Two methods needed' })).done.status).toBe(303);
    const token = LINK.exec((await messagesTo(t.portal, alice.email)).find((m) => m.kind === 'support:reset-link')!.body!)![1]!;
    const user = new TestClient(t.app);
    await user.get(`/reset/link/${token}`);
    const flow = flowOf(await user.post(`/reset/link/${token}`, {}));
    const page = await user.get(`/reset/verify?flow=${flow}`);
    expect(page.body).not.toContain('name="password"');
    await user.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    // Email is already proven here: it is not offered again.
    expect(page.body).not.toContain('value="email"');
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(false);
  });

  it('with requireVerification on, the reset link and the AD unlock are refused until the caller is verified, and nothing changes', async () => {
    const { t, alice, admin } = await setUp({ verification: true });
    const email = await methodOf(t, alice.user.id, 'email');
    const before = await dumpStore(t.store);
    const mail = (await allMail(t, alice.email)).length;
    for (const [action, fields] of [
      ['resetLink', { methodId: email.id }],
      ['unlockAd', {}],
    ] as Array<[SupportActionName, Record<string, string>]>) {
      const { done } = await act(admin, alice.user.id, action, { ...fields, reason: 'Caller on the line' });
      expect(done.status, action).toBe(422);
      expect(done.body, action).toContain('Verify the caller first');
      // An API token or the CLI: no caller to verify, and said so.
      const r = await t.portal.supportActions.run(action, { id: null, name: 'api-token' }, ADMIN_VIEWER, alice.user, { ...fields, reason: 'Caller on the line' });
      expect(r).toMatchObject({ ok: false, reason: 'refused', message: 'support.refuse.verifyNoCaller' });
    }
    expect(await dumpStore(t.store)).toBe(before);
    expect((await allMail(t, alice.email)).length).toBe(mail);
    // The other actions need no verification.
    expect((await act(admin, alice.user.id, 'clearLockout', { reason: 'Caller locked out' })).done.status).toBe(303);
  });

  it('unblock clears the counters and lifts a "this wasn\'t me" block; clear lockout lets the user sign in again', async () => {
    const { t, alice, admin } = await setUp();
    const limits = t.portal.securityInfoLimits;
    for (let i = 0; i < 10; i++) await t.portal.throttle.recordFailure(throttleKeys.verifyFailures(alice.user.id), limits.verifyFailures);
    await t.portal.throttle.recordFailure(throttleKeys.emailSends(alice.user.id), limits.emailSends);
    await t.portal.selfServiceBlocks.block(alice.user.id, { event: 'password_reset', eventAt: t.clock.now() });
    expect(await t.portal.securityInfo.blockedFor(alice.user.id)).toBe(true);
    expect((await act(admin, alice.user.id, 'unblock', { reason: 'Caller blocked themselves' })).done.status).toBe(303);
    expect(await t.portal.securityInfo.blockedFor(alice.user.id)).toBe(false);
    expect(await t.portal.selfServiceBlocks.isBlocked(alice.user.id)).toBe(false);
    for (const key of [throttleKeys.verifyFailures(alice.user.id), throttleKeys.emailSends(alice.user.id), throttleKeys.phoneChecks(alice.user.id)]) expect((await t.portal.throttle.get(key)).failures).toBe(0);
    const [event] = await eventsOf(t, SUPPORT_EVENTS.unblock);
    expect(event!.details).toMatchObject({ note: 'Caller blocked themselves', notMeBlockLifted: true });
    // A reset goes through again.
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'alice'));
    expect((await passEmail(t, c, flow, alice.email)).status).toBe(303);

    for (let i = 0; i < 12; i++) await new TestClient(t.app).signIn('alice', 'Wrong-Password-Guess-1');
    expect((await new TestClient(t.app).signIn('alice', PASSWORD)).status).toBe(429);
    expect((await act(admin, alice.user.id, 'clearLockout', { reason: 'Locked after typos' })).done.status).toBe(303);
    expect((await t.portal.throttle.get(throttleKeys.signInUser(nameKey('alice')))).failures).toBe(0);
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(true);
  });

  it('end all sessions signs the user out everywhere and ends their open resets', async () => {
    const { t, alice, admin } = await setUp();
    const { token } = await t.portal.sessions.create(alice.user.id, { ip: '127.0.0.1', userAgent: 'test', amr: ['password'] });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'alice'));
    expect((await passEmail(t, c, flow, alice.email)).status).toBe(303);
    expect((await act(admin, alice.user.id, 'endSessions', { reason: 'Laptop stolen' })).done.status).toBe(303);
    expect(await t.portal.sessions.validate(token)).toBeNull();
    const ended = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(ended.status).toBe(410);
    expect(ended.body).toContain('ended by your helpdesk');
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(false);
  });

  it('a user the viewer cannot see is not found, and an unknown action or method changes nothing', async () => {
    const { t, alice, admin } = await setUp();
    await admin.get(`/admin/users/${alice.user.id}`);
    expect((await admin.post('/admin/users/nobody-here/support/unblock', { reason: 'Valid reason', confirm: '1' })).status).toBe(404);
    expect((await admin.post(`/admin/users/${alice.user.id}/support/delete-everything`, { reason: 'Valid reason', confirm: '1' })).status).toBe(404);
    const before = await t.portal.methods.list(alice.user.id);
    const bad = await admin.post(`/admin/users/${alice.user.id}/support/remove-method`, { reason: 'Valid reason', methodId: 'no-such-method', confirm: '1' });
    expect(bad.status).toBe(404);
    expect(bad.body).toContain('not registered for this user');
    expect(await t.portal.methods.list(alice.user.id)).toEqual(before);
    // Without the CSRF token nothing happens.
    expect((await admin.post(`/admin/users/${alice.user.id}/support/end-sessions`, { _csrf: 'forged', reason: 'Valid reason', confirm: '1' })).status).toBe(403);
    expect(await eventsOf(t, SUPPORT_EVENTS.endSessions)).toEqual([]);
  });

  it('a removed method can no longer be used', async () => {
    const { t, alice, admin } = await setUp({ manualTime: true });
    const mobile = await methodOf(t, alice.user.id, 'mobile');
    // A reset that already chose the phone cannot go on with it.
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'alice'));
    await c.get(`/reset/verify?flow=${flow}`);
    expect((await c.post('/reset/verify/choose', { flow, choice: 'mobile_sms', contact: MOBILE })).status).toBe(303);
    await t.portal.resets.settled();
    const code = await lastCodeTo(t.portal, MOBILE);
    expect((await act(admin, alice.user.id, 'removeMethod', { methodId: mobile.id, reason: 'Phone lost on a train' })).done.status).toBe(303);
    expect(await t.portal.methods.get(alice.user.id, mobile.id)).toBeNull();
    const late = await c.post('/reset/verify/code', { flow, code });
    expect(late.status).not.toBe(303);
    // A new reset: the number no longer gets a code.
    const d = new TestClient(t.app);
    const again = flowOf(await startReset(d, 'alice'));
    await d.get(`/reset/verify?flow=${again}`);
    const sentBefore = (await messagesTo(t.portal, MOBILE)).length;
    await d.post('/reset/verify/choose', { flow: again, choice: 'mobile_sms', contact: MOBILE });
    await t.portal.resets.settled();
    expect((await messagesTo(t.portal, MOBILE)).length).toBe(sentBefore);
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(false);
  });

  it('after require-registration the next sign-in removes every method and leads to registration', async () => {
    const { t, alice, admin } = await setUp();
    const recovery = await t.portal.methods.addRecoveryCodes(alice.user.id);
    await t.portal.methods.confirm(alice.user.id, recovery.id);
    await t.store.db.insertInto('recovery_codes').values({ id: '00000000-0000-4000-8000-00000000c0de', user_id: alice.user.id, method_id: recovery.id, code_hash: 'h'.repeat(64), created_at: t.clock.now(), used_at: null }).execute();
    expect((await act(admin, alice.user.id, 'requireRegistration', { reason: 'Phone lost, re-enrol' })).done.status).toBe(303);
    // Nothing is removed before the user signs in.
    expect((await t.portal.methods.list(alice.user.id)).length).toBeGreaterThan(0);
    expect(await t.portal.reregistrations.get(alice.user.id)).toMatchObject({ requiredBy: 'root', methodsRemovedAt: null });

    const c = new TestClient(t.app);
    const r = await c.signIn('alice', PASSWORD);
    // Straight in after the password: no second factor with a method that is gone.
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).not.toContain('/sign-in/verify');
    expect(await t.portal.methods.list(alice.user.id)).toEqual([]);
    expect(await t.portal.questions.registeredQuestionIds(alice.user.id)).toEqual([]);
    expect(await t.store.db.selectFrom('recovery_codes').selectAll().where('user_id', '=', alice.user.id).execute()).toEqual([]);
    const [applied] = await eventsOf(t, 'reregistration_applied');
    expect(applied).toMatchObject({ target_id: alice.user.id });
    // The portal leads to registration, though the policy does not require it.
    const account = await c.get('/account');
    expect(account.status).toBe(303);
    expect(account.res.headers.get('location')).toBe('/account/security-info?register=1');
    // Registering a method again ends the request.
    await c.get('/account/security-info/add/email');
    const added = await c.post('/account/security-info/add/email', { email: 'alice.new@mail.test' });
    const confirmPath = added.res.headers.get('location')!;
    await c.get(confirmPath);
    expect((await c.post(confirmPath, { code: await lastCodeTo(t.portal, 'alice.new@mail.test') })).status).toBe(303);
    expect((await c.get('/account')).status).toBe(200);
    expect(await t.portal.reregistrations.get(alice.user.id)).toBeNull();
  });
  it('a reset link to a mobile phone goes by text message; an office phone or an authenticator app cannot get one', async () => {
    const { t, alice, admin } = await setUp();
    const mobile = await methodOf(t, alice.user.id, 'mobile');
    expect((await act(admin, alice.user.id, 'resetLink', { methodId: mobile.id, reason: 'Caller has only the phone' })).done.status).toBe(303);
    const [sms] = (await messagesTo(t.portal, MOBILE)).filter((m) => m.kind === 'support:reset-link');
    expect(sms!.channel).toBe('sms');
    const token = LINK.exec(sms!.body!)![1]!;
    const user = new TestClient(t.app);
    await user.get(`/reset/link/${token}`);
    expect((await user.post(`/reset/link/${token}`, {})).status).toBe(303);
    const totp = await t.portal.methods.addTotp(alice.user.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'Phone app');
    await t.portal.methods.confirm(alice.user.id, totp.id);
    const refused = await act(admin, alice.user.id, 'resetLink', { methodId: totp.id, reason: 'Not a place to send to' });
    expect(refused.done.status).toBe(422);
    expect(refused.done.body).toContain('can only be sent to an email address or a mobile phone');
  });
  it('while re-registration is pending, the old methods cannot reset the password: the reset is a decoy until the user signs in', async () => {
    const { t, alice, admin } = await setUp();
    expect((await act(admin, alice.user.id, 'requireRegistration', { reason: 'Phone stolen with the mailbox app' })).done.status).toBe(303);
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'alice'));
    const before = (await messagesTo(t.portal, alice.email)).length;
    expect((await chooseEmail(c, flow, alice.email)).status).toBe(303);
    await t.portal.resets.settled();
    // No code went to the old address.
    expect((await messagesTo(t.portal, alice.email)).length).toBe(before);
    const [started] = await eventsOf(t, 'reset_started');
    expect(started!.details).toMatchObject({ eligible: false });
    // The helpdesk's own link still works (the helpdesk chose the method, after checking the caller).
    const email = await methodOf(t, alice.user.id, 'email');
    expect((await act(admin, alice.user.id, 'resetLink', { methodId: email.id, reason: 'Caller verified by phone' })).done.status).toBe(303);
    // Once the user signed in (methods removed), what they register anew counts again.
    const user = new TestClient(t.app);
    expect((await user.signIn('alice', PASSWORD)).status).toBe(303);
    expect(await t.portal.methods.list(alice.user.id)).toEqual([]);
    const fresh = await t.portal.methods.addContact(alice.user.id, 'email', 'alice.fresh@mail.test');
    await t.portal.methods.confirm(alice.user.id, fresh.id);
    const d = new TestClient(t.app);
    const again = flowOf(await startReset(d, 'alice'));
    expect((await passEmail(t, d, again, 'alice.fresh@mail.test')).status).toBe(303);
  });
});
