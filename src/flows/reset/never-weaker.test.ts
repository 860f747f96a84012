import { describe, expect, it } from 'vitest';
import { TestClient } from '../../../test/helpers/http-client.js';
import { lastCodeTo } from '../../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, flowOf, passEmail, registered, resetPortals, shape, signInWorks, startReset } from '../../../test/helpers/reset-flow.js';
import type { ConfigInput } from '../../config/schema.js';
import type { TestPortal } from '../../../test/helpers/test-portal.js';
import { currentTotp } from '../../methods/totp.js';

/**
 * A reset is never weaker than sign-in (OWASP ASVS 5.0 6.4.3, NIST SP 800-63B-4 §4.2): whoever
 * registered an authenticator app or a passkey must pass one of them, or two other methods —
 * even where the policy asks for one method. `reset.neverWeakerThanSignIn`, on by default.
 */

const portal = resetPortals();
const ONE_METHOD: ConfigInput = { methods: { required: 1, available: ['email', 'mobile_sms', 'totp', 'passkey', 'questions'] } };
const admin = { id: null, name: 'test' };

async function newPasswordWorks(t: TestPortal, c: TestClient, flow: string, username: string): Promise<boolean> {
  const r = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
  return r.status === 303 && r.res.headers.get('location')?.includes('/reset/verify') === true && (await signInWorks(t, username, NEW_PASSWORD));
}

describe('a reset is never weaker than sign-in', () => {
  it('a user with an authenticator app cannot reset with an email code alone, even when one method is required', async () => {
    const t = await portal(ONE_METHOD);
    const { email } = await registered(t.portal, 'alma', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'alma'));
    expect((await passEmail(t, c, flow, email)).status).toBe(303);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Because you set up an authenticator app, use it now, or verify one more way.');
    expect(page.body).not.toContain('Choose a new password');
    expect(page.body).not.toContain('Email me a code');
    // The app the page asks for is the first choice offered.
    const offered = [...page.body.matchAll(/<input type="radio" name="choice" value="[a-z_]+"(?: checked="")?\/><span>([^<]+)</g)].map((m) => m[1]);
    expect(offered[0]).toBe('Enter a code from my authenticator app');
    expect(offered).toContain('Text me a code');
    const early = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(early.res.headers.get('location')).toBe('/reset?m=expired');
    expect(await signInWorks(t, 'alma', NEW_PASSWORD)).toBe(false);
    expect(await signInWorks(t, 'alma', PASSWORD)).toBe(true);
  });

  it('the authenticator app on its own is enough for a user who set it up', async () => {
    const t = await portal(ONE_METHOD, true);
    const { secret } = await registered(t.portal, 'bruno', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'bruno'));
    await c.get(`/reset/verify?flow=${flow}`);
    expect((await c.post('/reset/verify/choose', { flow, choice: 'totp' })).status).toBe(303);
    expect((await c.post('/reset/verify/code', { flow, code: currentTotp(secret!, t.clock.now()) })).status).toBe(303);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
    expect(await newPasswordWorks(t, c, flow, 'bruno')).toBe(true);
  });

  it('without the app to hand, email and a second other method (a text message) let the user reset', async () => {
    const t = await portal(ONE_METHOD);
    const mobile = '+4915123457101';
    const { email } = await registered(t.portal, 'carla', { totp: true, mobile });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'carla'));
    await passEmail(t, c, flow, email);
    expect((await c.post('/reset/verify/choose', { flow, choice: 'mobile_sms', contact: mobile })).status).toBe(303);
    await t.portal.resets.settled();
    expect((await c.post('/reset/verify/code', { flow, code: await lastCodeTo(t.portal, mobile) })).status).toBe(303);
    expect(await newPasswordWorks(t, c, flow, 'carla')).toBe(true);
    const audit = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'password_reset').where('outcome', '=', 'success').execute();
    expect(JSON.parse(audit[0]!.details).method).toBe('email,mobile');
  });

  it('where the reset does not offer the authenticator app, a user who set one up needs two other methods, and is told one more check is needed', async () => {
    const t = await portal({ methods: { required: 1, available: ['email', 'mobile_sms'] } });
    const mobile = '+4915123457102';
    const { email } = await registered(t.portal, 'cyril', { totp: true, mobile });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'cyril'));
    await passEmail(t, c, flow, email);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Because your account is protected by an authenticator app or a passkey, one more check is needed.');
    expect(page.body).toContain('Text me a code');
    expect(page.body).not.toContain('Enter a code from my authenticator app');
    await c.post('/reset/verify/choose', { flow, choice: 'mobile_sms', contact: mobile });
    await t.portal.resets.settled();
    expect((await c.post('/reset/verify/code', { flow, code: await lastCodeTo(t.portal, mobile) })).status).toBe(303);
    expect(await newPasswordWorks(t, c, flow, 'cyril')).toBe(true);
  });

  it('a user with a passkey cannot reset with an email code alone, and is told to use the passkey or verify one more way', async () => {
    const t = await portal(ONE_METHOD);
    const { user, email } = await registered(t.portal, 'dora');
    await t.portal.methods.addPasskey(user.id, 'Laptop', { credentialId: 'Y3JlZC1kb3Jh', publicKey: 'cHVibGljLWtleQ', signCount: 0, transports: ['internal'] });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'dora'));
    await passEmail(t, c, flow, email);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Because you set up a passkey, use it now, or verify one more way.');
    expect(page.body).toContain('Use my passkey');
    expect(await newPasswordWorks(t, c, flow, 'dora')).toBe(false);
  });

  it('unlock is held to the same rule: the email code alone does not reach the unlock button of a user with an authenticator app', async () => {
    const t = await portal(ONE_METHOD);
    const { email } = await registered(t.portal, 'emil', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'emil', 'unlock'));
    await passEmail(t, c, flow, email);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.body).toContain('Because you set up an authenticator app');
    expect(page.body).not.toContain('Unlock my account');
    expect((await c.post('/reset/unlock', { flow })).res.headers.get('location')).toBe('/reset?m=expired');
  });

  it('users without an authenticator app or a passkey keep one-method resets', async () => {
    const t = await portal(ONE_METHOD);
    const { email } = await registered(t.portal, 'fritz', { questions: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'fritz'));
    await passEmail(t, c, flow, email);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
    expect(await newPasswordWorks(t, c, flow, 'fritz')).toBe(true);
  });

  it('with the setting switched off, an email code alone is enough again for a user with an authenticator app', async () => {
    const t = await portal(ONE_METHOD);
    expect((await t.portal.policy.update(admin, { reset: { neverWeakerThanSignIn: false } })).ok).toBe(true);
    const { email } = await registered(t.portal, 'greta', { totp: true });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'greta'));
    await passEmail(t, c, flow, email);
    expect(await newPasswordWorks(t, c, flow, 'greta')).toBe(true);
  });

  it('before identity is proven, a user with an authenticator app, one without, and a name that matches nobody get the same pages', async () => {
    const t = await portal(ONE_METHOD);
    await registered(t.portal, 'strong.user', { totp: true });
    await registered(t.portal, 'plain.user');
    const journey = async (username: string) => {
      const c = new TestClient(t.app);
      const start = await startReset(c, username);
      const flow = flowOf(start);
      const verify = await c.get(`/reset/verify?flow=${flow}`);
      const choose = await c.post('/reset/verify/choose', { flow, choice: 'email', contact: 'someone@else.test' });
      const codePage = await c.get(`/reset/verify?flow=${flow}`);
      const wrong = await c.post('/reset/verify/code', { flow, code: '12345678' });
      const another = await c.post('/reset/verify/another', { flow });
      const totp = await c.post('/reset/verify/choose', { flow, choice: 'totp' });
      const totpPage = await c.get(`/reset/verify?flow=${flow}`);
      const wrongTotp = await c.post('/reset/verify/code', { flow, code: '000000' });
      return [start, verify, choose, codePage, wrong, another, totp, totpPage, wrongTotp].map(shape);
    };
    const baseline = await journey('plain.user');
    expect(await journey('strong.user')).toEqual(baseline);
    expect(await journey('no.such.user')).toEqual(baseline);
  });
});
