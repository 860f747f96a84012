import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastCodeTo } from '../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, flowOf, passEmail, registered, signInWorks, startReset } from '../../test/helpers/reset-flow.js';
import { createTestPortal, dialects, type DialectName, type TestPortal } from '../../test/helpers/test-portal.js';
import { currentTotp } from '../methods/totp.js';

/**
 * A finished reset, change or administrator reset voids every other open flow of that user that
 * had proved something (src/state/flow-store.ts `voidFlowsOf`): a second browser that passed the
 * checks cannot set a password afterwards, and a sign-in parked at its second step cannot finish.
 * Run on SQLite and PostgreSQL, through the real HTTP app.
 */

/** What the browser that held flow Z would have set. */
const Z_PASSWORD = 'Stolen-Window-Copper-93';
const VOIDED = 'This request was ended because the password of this account was just changed. Nothing was changed here.';
const SIGN_IN_VOIDED = 'This sign-in was ended because the password of this account was just changed, or your helpdesk ended it.';

describe.each(dialects)('voided flows on %s', (dialect: DialectName) => {
  let tp: TestPortal | undefined;
  afterEach(async () => {
    await tp?.portal.resets.settled();
    await tp?.cleanup();
    tp = undefined;
  });
  const portal = async () => {
    tp = await createTestPortal({ dialect, config: { reset: { captchaMaxNumber: 200 } } });
    return tp;
  };

  /** A browser in which flow Z passed every check and now shows the new-password page. */
  async function verifiedElsewhere(t: TestPortal, username: string, email: string) {
    const z = new TestClient(t.app);
    const flow = flowOf(await startReset(z, username));
    expect((await passEmail(t, z, flow, email)).status).toBe(303);
    expect((await z.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
    return { z, flow };
  }

  /** Z's new-password POST is refused with the plain page, and Z's password never signs in. */
  async function zIsRefused(t: TestPortal, z: TestClient, flow: string, username: string) {
    const tried = await z.post('/reset/password', { flow, password: Z_PASSWORD, confirm: Z_PASSWORD });
    expect(tried.status).toBe(410);
    expect(tried.body).toContain(VOIDED);
    expect(tried.body).toContain('href="/reset"');
    expect(tried.body).not.toContain('Choose a new password');
    const page = await z.get(`/reset/verify?flow=${flow}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain(VOIDED);
    expect((await z.post('/reset/unlock', { flow })).body).toContain(VOIDED);
    expect(await signInWorks(t, username, Z_PASSWORD)).toBe(false);
    const audit = await t.store.db.selectFrom('audit_events').select(['event', 'outcome']).where('event', '=', 'password_reset').where('outcome', '=', 'success').execute();
    return audit.length;
  }

  /** A full sign-in (password, then the email code) of a user whose second factor is their email. */
  async function signedIn(t: TestPortal, username: string, password: string, email: string): Promise<TestClient> {
    const c = new TestClient(t.app);
    const flow = flowOf(await c.signIn(username, password));
    const user = await t.portal.users.byUsername(username);
    const method = (await t.portal.methods.list(user!.id, { confirmedOnly: true })).find((m) => m.type === 'email')!;
    expect((await c.post('/sign-in/verify/choose', { flow, method: method.id })).status).toBe(303);
    expect((await c.post('/sign-in/verify/code', { flow, code: await lastCodeTo(t.portal, email) })).status).toBe(303);
    return c;
  }

  it('a finished reset voids every other open flow of that user: flow Z verified, flow Y completes a reset, Z\'s new-password POST is refused and Z\'s password never signs in', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'alice');
    const { z, flow: zFlow } = await verifiedElsewhere(t, 'alice', email);

    const y = new TestClient(t.app);
    const yFlow = flowOf(await startReset(y, 'alice'));
    await passEmail(t, y, yFlow, email);
    expect((await y.post('/reset/password', { flow: yFlow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    // Y's own page still says it is done.
    expect((await y.get(`/reset/verify?flow=${yFlow}`)).body).toContain('Your password was reset');

    expect(await zIsRefused(t, z, zFlow, 'alice')).toBe(1);
    expect(await signInWorks(t, 'alice', NEW_PASSWORD)).toBe(true);
  });

  it('a finished reset also ends a flow that had passed only the first of two methods', async () => {
    const t = await portal();
    await t.portal.policy.update({ id: null, name: 'test' }, { methodsRequired: 2 });
    const { email, secret } = await registered(t.portal, 'dora', { totp: true });
    const z = new TestClient(t.app);
    const zFlow = flowOf(await startReset(z, 'dora'));
    await passEmail(t, z, zFlow, email);
    expect((await z.get(`/reset/verify?flow=${zFlow}`)).body).toContain('First check passed');

    const y = new TestClient(t.app);
    const yFlow = flowOf(await startReset(y, 'dora'));
    await passEmail(t, y, yFlow, email);
    await y.post('/reset/verify/choose', { flow: yFlow, choice: 'totp' });
    expect((await y.post('/reset/verify/code', { flow: yFlow, code: currentTotp(secret!, t.clock.now()) })).status).toBe(303);
    expect((await y.post('/reset/password', { flow: yFlow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);

    // Z cannot go on to its second method: the passed email check is gone with the flow.
    const next = await z.post('/reset/verify/choose', { flow: zFlow, choice: 'totp' });
    expect(next.status).toBe(410);
    expect(next.body).toContain(VOIDED);
  });

  it('a reset flow that proved nothing is left alone by a reset elsewhere, so its holder learns nothing about the name', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'erin');
    const stranger = new TestClient(t.app);
    const strangerFlow = flowOf(await startReset(stranger, 'erin'));
    const before = await stranger.get(`/reset/verify?flow=${strangerFlow}`);

    const y = new TestClient(t.app);
    const yFlow = flowOf(await startReset(y, 'erin'));
    await passEmail(t, y, yFlow, email);
    expect((await y.post('/reset/password', { flow: yFlow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);

    const after = await stranger.get(`/reset/verify?flow=${strangerFlow}`);
    expect(after.status).toBe(before.status);
    expect(after.body).toContain('How do you want to prove it is you?');
    expect(after.body).not.toContain(VOIDED);
  });

  it('a finished reset ends a sign-in parked at its second-factor step: the authenticator code no longer signs in', async () => {
    const t = await portal();
    const { user, email, secret } = await registered(t.portal, 'fay', { totp: true });
    // An email code alone resets here (this test is about voiding; never-weaker-than-sign-in has its own tests).
    expect((await t.portal.policy.update({ id: null, name: 'test' }, { reset: { neverWeakerThanSignIn: false } })).ok).toBe(true);
    const parked = new TestClient(t.app);
    const signInFlow = flowOf(await parked.signIn('fay', PASSWORD));
    const totp = (await t.portal.methods.list(user.id, { confirmedOnly: true })).find((m) => m.type === 'totp')!;
    expect((await parked.post('/sign-in/verify/choose', { flow: signInFlow, method: totp.id })).status).toBe(303);

    const y = new TestClient(t.app);
    const yFlow = flowOf(await startReset(y, 'fay'));
    await passEmail(t, y, yFlow, email);
    expect((await y.post('/reset/password', { flow: yFlow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);

    const code = await parked.post('/sign-in/verify/code', { flow: signInFlow, code: currentTotp(secret!, t.clock.now()) });
    expect(code.status).toBe(410);
    expect(code.body).toContain(SIGN_IN_VOIDED);
    expect(parked.cookies.has('sspr_session')).toBe(false);
    expect(await t.portal.sessions.countForUser(user.id)).toBe(0);
    const page = await parked.get(`/sign-in/verify?flow=${encodeURIComponent(signInFlow)}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain(SIGN_IN_VOIDED);
  });

  it('a finished password change voids every other open flow of that user: Z\'s new-password POST is refused and Z\'s password never signs in', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'gus');
    const { z, flow: zFlow } = await verifiedElsewhere(t, 'gus', email);

    const owner = await signedIn(t, 'gus', PASSWORD, email);
    await owner.get('/account/change-password');
    const changed = await owner.post('/account/change-password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(changed.status).toBe(303);
    // The session that changed it goes on.
    expect((await owner.get('/account')).status).toBe(200);

    expect(await zIsRefused(t, z, zFlow, 'gus')).toBe(0);
    expect(await signInWorks(t, 'gus', NEW_PASSWORD)).toBe(true);
  });

  it('an administrator\'s reset in the console voids every other open flow of that user: Z\'s new-password POST is refused and Z\'s password never signs in', async () => {
    const t = await portal();
    const { user, email } = await registered(t.portal, 'hal');
    await makeUser(t.portal, { username: 'root', password: PASSWORD, roles: ['administrator'] });
    const { z, flow: zFlow } = await verifiedElsewhere(t, 'hal', email);

    const admin = new TestClient(t.app);
    expect((await admin.signIn('root', PASSWORD)).status).toBe(303);
    await admin.get(`/admin/users/${user.id}`);
    expect((await admin.post(`/admin/users/${user.id}/password`, { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);

    expect(await zIsRefused(t, z, zFlow, 'hal')).toBe(0);
    expect(await signInWorks(t, 'hal', NEW_PASSWORD)).toBe(true);
    const set = await t.store.db.selectFrom('audit_events').select('details').where('event', '=', 'password_set_by_admin').executeTakeFirstOrThrow();
    expect(JSON.parse(set.details)).toMatchObject({ flowsVoided: 1 });
  });

  it('a finished unlock ends the user\'s other open resets (with its own words) but not a sign-in, since the password stands', async () => {
    const t = await portal();
    const { user, email, secret } = await registered(t.portal, 'ivy', { totp: true });
    // An email code alone resets here (this test is about voiding; never-weaker-than-sign-in has its own tests).
    expect((await t.portal.policy.update({ id: null, name: 'test' }, { reset: { neverWeakerThanSignIn: false } })).ok).toBe(true);
    const { z, flow: zFlow } = await verifiedElsewhere(t, 'ivy', email);
    const parked = new TestClient(t.app);
    const signInFlow = flowOf(await parked.signIn('ivy', PASSWORD));
    const totp = (await t.portal.methods.list(user.id, { confirmedOnly: true })).find((m) => m.type === 'totp')!;
    await parked.post('/sign-in/verify/choose', { flow: signInFlow, method: totp.id });

    const y = new TestClient(t.app);
    const yFlow = flowOf(await startReset(y, 'ivy', 'unlock'));
    await passEmail(t, y, yFlow, email);
    expect((await y.post('/reset/unlock', { flow: yFlow })).status).toBe(303);

    const tried = await z.post('/reset/password', { flow: zFlow, password: Z_PASSWORD, confirm: Z_PASSWORD });
    expect(tried.status).toBe(410);
    expect(tried.body).toContain('This request was ended because the account was just unlocked in another browser. Nothing was changed here.');
    expect(await signInWorks(t, 'ivy', Z_PASSWORD)).toBe(false);
    expect((await parked.post('/sign-in/verify/code', { flow: signInFlow, code: currentTotp(secret!, t.clock.now()) })).status).toBe(303);
  });

  it('the flow id the browser holds is never in the database: after a reset and a sign-in were started, no table contains it', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'jo', { totp: true });
    const c = new TestClient(t.app);
    const resetFlow = flowOf(await startReset(c, 'jo'));
    await passEmail(t, c, resetFlow, email);
    const signInFlow = flowOf(await new TestClient(t.app).signIn('jo', PASSWORD));
    expect(await t.store.db.selectFrom('flows').select('id_hash').execute()).toHaveLength(2);
    for (const table of await t.store.db.introspection.getTables()) {
      const rows = await t.store.db.selectFrom(table.name as 'flows').selectAll().execute();
      const dump = JSON.stringify(rows);
      expect(dump, table.name).not.toContain(resetFlow);
      expect(dump, table.name).not.toContain(signInFlow);
    }
  });
});
