import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { lastMessageTo } from '../../test/helpers/outbox.js';
import { codeIn } from '../../test/helpers/codes.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { chooseEmail, flowOf, registered, startReset } from '../../test/helpers/reset-flow.js';

const PW = 'correct horse battery';
const MINUTE = 60_000;

/** Sessions, the codes and the setup link: stored settings changed in the console that apply at their next use. */
describe('stored settings: sessions, codes, setup link', () => {
  let tp: TestPortal | undefined;
  afterEach(async () => {
    await tp?.portal.resets.settled();
    await tp?.cleanup();
    tp = undefined;
  });

  async function admin() {
    tp = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 } }, manualTime: true });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], email: 'root@corp.test' });
    const c = new TestClient(tp.app);
    expect((await c.signIn('root', PW)).status).toBe(303);
    return c;
  }

  it('a shorter idle time set in the console signs out a session already open once it has been idle that long', async () => {
    const c = await admin();
    await makeUser(tp!.portal, { username: 'dana', password: PW });
    const dana = new TestClient(tp!.app);
    expect((await dana.signIn('dana', PW)).status).toBe(303);
    // Idle for 6 minutes under the default 30: still signed in.
    tp!.clock.advance!(6 * MINUTE);
    expect((await dana.get('/account')).status).toBe(200);
    expect((await c.get('/admin/settings/sessions')).body).toContain('Signed out after this long without activity (minutes)');
    const saved = await c.post('/admin/settings/sessions', { expectedVersion: '0', idleMinutes: '5', absoluteHours: '12' });
    expect(saved.status, saved.body).toBe(303);
    tp!.clock.advance!(6 * MINUTE);
    const after = await dana.get('/account');
    expect(after.status).toBe(303);
    expect(after.res.headers.get('location')).toMatch(/^\/sign-in/);
  });

  it('an idle time of one minute never signs out someone who is active: a page every 20 seconds for three minutes keeps the session', async () => {
    const c = await admin();
    await c.get('/admin/settings/sessions');
    expect((await c.post('/admin/settings/sessions', { expectedVersion: '0', idleMinutes: '1', absoluteHours: '12' })).status).toBe(303);
    for (let i = 0; i < 9; i++) {
      tp!.clock.advance!(20_000);
      expect((await c.get('/admin').then((r) => r.status)), `after ${(i + 1) * 20} s`).toBe(200);
    }
    tp!.clock.advance!(61_000);
    expect((await c.get('/admin')).status).toBe(303);
  });

  it('the codes set in the console apply to the next code: 6 digits, valid for the new minutes, refused after the new number of wrong tries', async () => {
    const c = await admin();
    await c.get('/admin/settings/codes');
    const saved = await c.post('/admin/settings/codes', { expectedVersion: '0', codeDigits: '6', codeMinutes: '7', codeAttempts: '2', phoneRegion: 'DE' });
    expect(saved.status, saved.body).toBe(303);
    const { email } = await registered(tp!.portal, 'erin');
    const user = new TestClient(tp!.app);
    const flow = flowOf(await startReset(user, 'erin'));
    await chooseEmail(user, flow, email);
    await tp!.portal.resets.settled();
    const mail = await lastMessageTo(tp!.portal, email);
    expect(mail?.body).toContain('It is valid for 7 minutes.');
    const code = codeIn(mail!.body!);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await user.post('/reset/verify/code', { flow, code: wrong })).status).toBe(400);
    await user.post('/reset/verify/code', { flow, code: wrong });
    // Two wrong tries: the right code no longer works (a right code answers 303 to the next step).
    const late = await user.post('/reset/verify/code', { flow, code });
    expect(late.status).toBe(400);
    expect(late.body).toContain('Too many wrong codes. Send a new code.');
    // Phone numbers typed without a country code are now read as German ones.
    expect((await user.get(`/reset/verify?flow=${flow}`)).status).toBe(200);
    const signedIn = new TestClient(tp!.app);
    await makeUser(tp!.portal, { username: 'finn', password: PW });
    await signedIn.signIn('finn', PW);
    expect((await signedIn.get('/account/security-info/add/mobile')).body).toContain('Numbers without one are taken as DE.');
  });

  it('a region that is not a country code, and a code length out of range, are refused in words, and nothing changes', async () => {
    const c = await admin();
    await c.get('/admin/settings/codes');
    const bad = await c.post('/admin/settings/codes', { expectedVersion: '0', codeDigits: '4', codeMinutes: '5', codeAttempts: '5', phoneRegion: 'germany' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Digits in a code: Must be at least 6.');
    expect(bad.body).toContain('Country of phone numbers typed without a country code: Type a two-letter country code in capitals, such as US or DE.');
    expect(tp!.portal.settings.snapshot().methods.version).toBe(0);
    expect((await tp!.portal.settings.refresh()).methods.values).toEqual({ codeDigits: 8, codeMinutes: 5, codeAttempts: 5, phoneRegion: 'US' });
  });

  it('the sync scope: OUs one per line and a user filter are saved as lists and text; a DN or a filter that is not one is refused in words', async () => {
    const c = await admin();
    await c.get('/admin/settings/sync');
    const form = { expectedVersion: '0', intervalMinutes: '30', usernameFrom: 'userPrincipalName', useContactInfo: 'no' };
    const bad = await c.post('/admin/settings/sync', { ...form, baseDns: 'OU=Sales,DC=corp,DC=example\nSales team', userFilter: 'department=Sales' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Type a distinguished name, such as OU=Staff,DC=corp,DC=example.');
    expect(bad.body).toContain('Type an LDAP filter in parentheses, such as (department=Sales).');
    expect(tp!.portal.settings.snapshot().sync.version).toBe(0);
    const saved = await c.post('/admin/settings/sync', { ...form, baseDns: ' OU=Sales,DC=corp,DC=example \r\n\r\nOU=Staff,DC=corp,DC=example', userFilter: '(department=Sales)' });
    expect(saved.status, saved.body).toBe(303);
    expect((await tp!.portal.settings.refresh()).sync.values).toMatchObject({ baseDns: ['OU=Sales,DC=corp,DC=example', 'OU=Staff,DC=corp,DC=example'], userFilter: '(department=Sales)' });
    expect((await c.get('/admin/settings/sync')).body).toMatch(/<textarea id="f-baseDns" name="baseDns"[^>]*>OU=Sales,DC=corp,DC=example\nOU=Staff,DC=corp,DC=example<\/textarea>/);
  });

  it('the setup link lasts as long as the stored setting says', async () => {
    const c = await admin();
    await c.get('/admin/settings/setup-link');
    expect((await c.post('/admin/settings/setup-link', { expectedVersion: '0', tokenMinutes: '15' })).status).toBe(303);
    await tp!.portal.settings.refresh();
    const { expiresAt } = await tp!.portal.firstRun.issueToken();
    expect(expiresAt - tp!.clock.now()).toBe(15 * MINUTE);
  });
});
