import { describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../../test/helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, chooseEmail, flowOf, passEmail, registered, resetPortals, shape, signInWorks, startReset } from '../../../test/helpers/reset-flow.js';
import { currentTotp } from '../../methods/totp.js';

/** Proving who you are: the methods, the decoys, the gates, the block and the expiry. */

const portal = resetPortals();

describe('password reset (HTTP, real store)', () => {
  it('resets with one method: the email code passes, the new password works, the old one does not, and the user is told', async () => {
    const t = await portal();
    const { user, email } = await registered(t.portal, 'alice');
    const browser = new TestClient(t.app);
    const other = new TestClient(t.app);
    expect((await other.signIn('alice', PASSWORD)).status).toBe(303);

    const started = await startReset(browser, 'alice');
    expect(started.status).toBe(303);
    const flow = flowOf(started);
    const passed = await passEmail(t, browser, flow, email);
    expect(passed.status).toBe(303);
    const page = await browser.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Choose a new password');
    const done = await browser.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect((await browser.get(`/reset/verify?flow=${flow}`)).body).toContain('Your password was reset');

    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(true);
    expect(await signInWorks(t, 'alice', PASSWORD)).toBe(false);
    // Other sessions end; no automatic sign-in in the resetting browser.
    expect((await other.get('/account')).status).toBe(303);
    expect(browser.cookies.has('sspr_session')).toBe(false);
    // Notified on every address, without any secret.
    for (const to of [email, 'alice@corp.test']) {
      const notices = (await messagesTo(t.portal, to)).filter((m) => m.subject?.includes('password was reset'));
      expect(notices, to).toHaveLength(1);
      expect(notices[0]!.body).not.toContain(NEW_PASSWORD);
    }
    const audit = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'password_reset').execute();
    expect(audit.map((a) => [a.outcome, a.target_id, JSON.parse(a.details).method])).toEqual([['success', user.id, 'email']]);
  });

  it('does not reveal whether the user exists: unknown, disabled, out-of-scope and unregistered users, and one who must use an authenticator app, get the same pages as a registered one', async () => {
    const t = await portal();
    const real = await registered(t.portal, 'real.user');
    // Held to "never weaker than sign-in": nothing of it shows before the proof.
    await registered(t.portal, 'strong.user', { totp: true });
    await makeUser(t.portal, { username: 'nobody.registered', password: PASSWORD });
    const disabled = await registered(t.portal, 'gone.user');
    await t.portal.directory.setEnabled({ id: null, name: 'test' }, disabled.user.id, false);
    const outside = await registered(t.portal, 'outside.user');
    const pilot = await t.portal.directory.createGroup({ id: null, name: 'test' }, { name: 'Pilot' });
    if (!pilot.ok) throw new Error('group');
    await t.portal.directory.addMember({ id: null, name: 'test' }, pilot.value.id, { type: 'user', name: 'real.user' });
    await t.portal.directory.addMember({ id: null, name: 'test' }, pilot.value.id, { type: 'user', name: 'strong.user' });
    expect((await t.portal.policy.update({ id: null, name: 'test' }, { enabledFor: 'selected', groups: [pilot.value.id] })).ok).toBe(true);

    const journey = async (username: string) => {
      const c = new TestClient(t.app);
      const start = await startReset(c, username);
      const flow = flowOf(start);
      const verify = await c.get(`/reset/verify?flow=${flow}`);
      // A wrong address: nothing is sent, and the answer is the same as for a right one.
      // (One per name: each typed address has its budget of codes, a wrong one too.)
      const choose = await c.post('/reset/verify/choose', { flow, choice: 'email', contact: `someone.${username}@else.test` });
      const codePage = await c.get(`/reset/verify?flow=${flow}`);
      const wrong = await c.post('/reset/verify/code', { flow, code: '12345678' });
      return [start, verify, choose, codePage, wrong].map(shape);
    };
    const baseline = await journey('real.user');
    for (const name of ['no.such.user', 'nobody.registered', 'gone.user', 'outside.user', 'strong.user']) {
      expect(await journey(name), name).toEqual(baseline);
    }
    // And a registered user typing their real address sees the same words as everyone else.
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'real.user'));
    const right = shape(await chooseEmail(c, flow, real.email));
    expect(right).toEqual(baseline[2]);
    expect(await messagesTo(t.portal, 'someone@else.test')).toEqual([]);
    expect(await messagesTo(t.portal, outside.email)).toEqual([]);
    expect(await messagesTo(t.portal, disabled.email)).toEqual([]);
  });

  it('does not reveal who has security questions: a stranger choosing them sees questions and the same refusal', async () => {
    const t = await portal({ methods: { available: ['email', 'questions'] } });
    await registered(t.portal, 'quinn', { questions: true });
    const ask = async (username: string) => {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, username));
      await c.get(`/reset/verify?flow=${flow}`);
      const chose = await c.post('/reset/verify/choose', { flow, choice: 'questions' });
      const page = await c.get(`/reset/verify?flow=${flow}`);
      const wrong = await c.post('/reset/verify/questions', { flow, answer: ['a wrong one', 'another', 'third'] });
      const questions = [...page.body.matchAll(/<label for="f-answer\d">([^<]+)</g)].map((m) => m[1]);
      return { chose: chose.status, page: page.status, questions: questions.length, wrong: wrong.status, says: wrong.body.includes('One or more answers are not right') };
    };
    const real = await ask('quinn');
    expect(real).toEqual({ chose: 303, page: 200, questions: 3, wrong: 400, says: true });
    for (const name of ['nobody.here', 'someone.else', 'x', 'a.b.c']) expect(await ask(name), name).toEqual(real);
    // A stranger sees the same questions for the same name every time.
    const again = async () => {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, 'nobody.here'));
      await c.post('/reset/verify/choose', { flow, choice: 'questions' });
      return [...(await c.get(`/reset/verify?flow=${flow}`)).body.matchAll(/<label for="f-answer\d">([^<]+)</g)].map((m) => m[1]);
    };
    expect(await again()).toEqual(await again());
  });

  it('never takes contact details from the request: a code goes only to the registered address', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'bob');
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'bob'));
    await chooseEmail(c, flow, 'attacker@evil.test');
    await t.portal.resets.settled();
    expect(await messagesTo(t.portal, 'attacker@evil.test')).toEqual([]);
    expect(await messagesTo(t.portal, email)).toEqual([]);
    // Whatever is typed, the step cannot pass.
    expect((await c.post('/reset/verify/code', { flow, code: '00000000' })).status).toBe(400);
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'bob', PASSWORD)).toBe(true);
  });

  it('builds links from the configured URL whatever the Host header says', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'carol');
    const c = new TestClient(t.app, 'http://portal.test', { host: 'evil.test', 'x-forwarded-host': 'evil.test' });
    const flow = flowOf(await startReset(c, 'carol'));
    await passEmail(t, c, flow, email);
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    const notice = (await messagesTo(t.portal, email)).find((m) => m.subject?.includes('password was reset'));
    expect(notice?.body).toContain('http://portal.test/sign-in');
    expect(notice?.body).not.toContain('evil.test');
  });

  it('20 parallel submissions of one code pass one gate, and 20 parallel new passwords change it once', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'dave');
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'dave'));
    await chooseEmail(c, flow, email);
    await t.portal.resets.settled();
    const code = await lastCodeTo(t.portal, email);
    const codes = await Promise.all(Array.from({ length: 20 }, () => c.post('/reset/verify/code', { flow, code })));
    expect(codes.filter((r) => r.status === 303).length).toBeGreaterThanOrEqual(1);
    const passwords = await Promise.all(Array.from({ length: 20 }, (_, i) => c.post('/reset/password', { flow, password: `${NEW_PASSWORD}-${i}`, confirm: `${NEW_PASSWORD}-${i}` })));
    const winners = passwords.map((r, i) => (r.status === 303 && r.res.headers.get('location')?.includes('/reset/verify') ? i : -1)).filter((i) => i >= 0);
    const successes = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'password_reset').where('outcome', '=', 'success').execute();
    expect(successes).toHaveLength(1);
    const changed = await t.store.db.selectFrom('audit_events').select('id').where('event', '=', 'password_set_by_reset').execute();
    expect(changed).toHaveLength(1);
    // Exactly one of the twenty passwords works now.
    const working = [];
    for (const i of winners) if (await signInWorks(t, 'dave', `${NEW_PASSWORD}-${i}`)) working.push(i);
    expect(working).toHaveLength(1);
  });

  it('binds codes and flows to one user and one browser', async () => {
    const t = await portal();
    const a = await registered(t.portal, 'erin');
    await registered(t.portal, 'frank');
    const ca = new TestClient(t.app);
    const fa = flowOf(await startReset(ca, 'erin'));
    await chooseEmail(ca, fa, a.email);
    await t.portal.resets.settled();
    const erinsCode = await lastCodeTo(t.portal, a.email);
    // Frank's flow, where the attacker "chose" Erin's address: the code of Erin's flow does not pass.
    const cf = new TestClient(t.app);
    const ff = flowOf(await startReset(cf, 'frank'));
    await chooseEmail(cf, ff, a.email);
    expect((await cf.post('/reset/verify/code', { flow: ff, code: erinsCode })).status).toBe(400);
    // Another browser cannot use Erin's flow at all.
    const thief = new TestClient(t.app);
    await thief.get('/reset');
    const stolen = await thief.post('/reset/verify/code', { flow: fa, code: erinsCode });
    expect(stolen.status).toBe(303);
    expect(stolen.res.headers.get('location')).toBe('/reset?m=expired');
    // The code still works in Erin's own flow.
    expect((await ca.post('/reset/verify/code', { flow: fa, code: erinsCode })).status).toBe(303);
  });

  it('steps cannot be skipped: no new password before every gate is passed', async () => {
    const t = await portal({ methods: { required: 2, available: ['email', 'totp'] } });
    const { email } = await registered(t.portal, 'gina', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'gina'));
    const early = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(early.res.headers.get('location')).toBe('/reset?m=expired');
    await passEmail(t, c, flow, email);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('a second check is needed');
    expect(page.body).not.toContain('Email me a code');
    const half = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(half.res.headers.get('location')).toBe('/reset?m=expired');
    expect(await signInWorks(t, 'gina', PASSWORD)).toBe(true);
  });

  it('resets with two methods: email and the authenticator app', async () => {
    const t = await portal({ methods: { required: 2, available: ['email', 'totp'] } }, true);
    const { email, secret } = await registered(t.portal, 'hugo', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'hugo'));
    await passEmail(t, c, flow, email);
    await c.get(`/reset/verify?flow=${flow}`);
    expect((await c.post('/reset/verify/choose', { flow, choice: 'totp' })).status).toBe(303);
    expect((await c.post('/reset/verify/code', { flow, code: currentTotp(secret!, t.clock.now()) })).status).toBe(303);
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'hugo', NEW_PASSWORD)).toBe(true);
  });

  it('security questions are never enough on their own when two methods are required, and pass as one of two', async () => {
    const t = await portal({ methods: { required: 2, available: ['email', 'questions'] } });
    const { email } = await registered(t.portal, 'ivy', { questions: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'ivy'));
    await c.get(`/reset/verify?flow=${flow}`);
    await c.post('/reset/verify/choose', { flow, choice: 'questions' });
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Your security questions');
    // Registered question ids sort as birthCity, firstPet, firstSchool.
    expect((await c.post('/reset/verify/questions', { flow, answer: ['lisbon', 'REX THE DOG', 'hill primary'] })).status).toBe(303);
    const after = await c.get(`/reset/verify?flow=${flow}`);
    expect(after.body).toContain('a second check is needed');
    expect(after.body).not.toContain('Answer my security questions');
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).res.headers.get('location')).toBe('/reset?m=expired');
    await passEmail(t, c, flow, email);
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'ivy', NEW_PASSWORD)).toBe(true);
  });

  it('administrators need two methods and never pass with security questions', async () => {
    const t = await portal({ methods: { required: 1, available: ['email', 'totp', 'questions'] } }, true);
    const { email, secret } = await registered(t.portal, 'root.admin', { totp: true, questions: true, roles: ['administrator'] });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'root.admin'));
    await c.get(`/reset/verify?flow=${flow}`);
    await c.post('/reset/verify/choose', { flow, choice: 'questions' });
    expect((await c.post('/reset/verify/questions', { flow, answer: ['Lisbon', 'Rex the dog', 'Hill Primary'] })).status).toBe(400);
    await c.post('/reset/verify/another', { flow });
    await passEmail(t, c, flow, email);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('a second check is needed');
    await c.post('/reset/verify/choose', { flow, choice: 'totp' });
    expect((await c.post('/reset/verify/code', { flow, code: currentTotp(secret!, t.clock.now()) })).status).toBe(303);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
  });

  it('blocks after five wrong codes, for a real user and a stranger alike', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'jack');
    const run = async (username: string, address: string) => {
      const c = new TestClient(t.app);
      const flow = flowOf(await startReset(c, username));
      await chooseEmail(c, flow, address);
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await c.post('/reset/verify/code', { flow, code: `1111111${i}` })).status);
      const page = await c.get(`/reset/verify?flow=${flow}`);
      return { statuses, page: page.status, blocked: page.body.includes('Too many attempts') };
    };
    const real = await run('jack', email);
    const stranger = await run('no.such.person', 'x@y.test');
    expect(real).toEqual({ statuses: [400, 400, 400, 400, 429], page: 429, blocked: true });
    expect(stranger).toEqual(real);
    const blocked = await t.store.db.selectFrom('audit_events').select('outcome').where('event', '=', 'password_reset').execute();
    expect(blocked.map((b) => b.outcome)).toEqual(['blocked', 'blocked']);
  });

  it('an expired flow restarts with a message, and nothing can be done with it', async () => {
    const t = await portal({}, true);
    const { email } = await registered(t.portal, 'kate');
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'kate'));
    await passEmail(t, c, flow, email);
    t.clock.advance!(16 * 60_000);
    const late = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(late.res.headers.get('location')).toBe('/reset?m=expired');
    const page = await c.get('/reset?m=expired');
    expect(page.body).toContain('took too long');
    expect(await signInWorks(t, 'kate', PASSWORD)).toBe(true);
  });
});
