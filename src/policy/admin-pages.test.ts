import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import type { Group } from '../directory/groups.js';

/**
 * The policy console in-process over a real SQLite store: each section's form saves through
 * PolicyService, bad input and concurrent edits are shown and change nothing, and only
 * administrators with a valid CSRF token get in.
 */

const PW = 'correct horse battery';

/** The value of the hidden expectedVersion field on a page. */
function expectedVersionOf(body: string): string {
  return /name="expectedVersion" value="(\d+)"/.exec(body)?.[1] ?? '';
}

describe('policy console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let pilot: Group;
  let helpdesk: Group;
  beforeEach(async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    pilot = await tp.portal.groups.create({ name: 'Pilot' });
    helpdesk = await tp.portal.groups.create({ name: 'Helpdesk' });
    await tp.portal.groups.create({ name: 'Staff' });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
  });
  afterEach(() => tp.cleanup());

  const stored = async () => (await tp.portal.policy.refresh()).policy;
  const version = async () => (await tp.portal.policy.refresh()).version;

  /** Opens a section, posts its form with these fields (plus the page's expectedVersion) and checks the redirect. */
  async function save(slug: string, fields: Record<string, string | string[]>) {
    const page = await admin.get(`/admin/policy/${slug}`);
    expect(page.status).toBe(200);
    const r = await admin.post(`/admin/policy/${slug}`, { expectedVersion: expectedVersionOf(page.body), ...fields });
    expect(r.status, r.body).toBe(303);
    expect(r.res.headers.get('location')).toBe(`/admin/policy/${slug}?done=policy.done.saved`);
    const after = await admin.get(r.res.headers.get('location')!);
    expect(after.body).toContain('The policy is saved.');
    return after;
  }

  it('/admin/policy opens the Properties section', async () => {
    const r = await admin.get('/admin/policy');
    expect(r.status).toBe(302);
    expect(r.res.headers.get('location')).toBe('/admin/policy/properties');
  });

  it('each section page has the sub-navigation, the version, the form with CSRF and expectedVersion, and labelled controls', async () => {
    for (const [slug, heading] of [
      ['properties', 'Properties'],
      ['methods', 'Authentication methods'],
      ['registration', 'Registration'],
      ['notifications', 'Notifications'],
      ['customization', 'Customization'],
      ['on-premises', 'On-premises integration'],
    ] as const) {
      const r = await admin.get(`/admin/policy/${slug}`);
      expect(r.status).toBe(200);
      expect(r.body).toContain(`<h2>${heading}</h2>`);
      expect(r.body).toContain('<nav aria-label="Policy sections">');
      expect(r.body).toContain(`<a href="/admin/policy/${slug}" aria-current="page">`);
      expect(r.body).toContain('href="/admin/policy/history"');
      expect(r.body).toContain('Version 0: the starting policy from the configuration file.');
      expect(r.body).toContain('name="_csrf"');
      expect(r.body).toContain('name="expectedVersion" value="0"');
      expect(r.body).toContain('<label for="f-comment">Comment (optional)</label>');
      expect(r.body).toContain(`<form method="post" action="/admin/policy/${slug}"`);
      // Every id a label points at exists.
      for (const m of r.body.matchAll(/<label for="([^"]+)"/g)) expect(r.body).toContain(`id="${m[1]}"`);
      const twoGate = r.body.includes('Administrators always use the stricter two-gate policy');
      expect(twoGate, slug).toBe(slug === 'properties' || slug === 'methods');
    }
    const props = await admin.get('/admin/policy/properties');
    for (const g of ['Pilot', 'Helpdesk', 'Staff']) expect(props.body).toContain(g);
    expect(props.body).toContain('<legend>Self-service password reset enabled for</legend>');
    expect(props.body).toMatch(/<input type="radio" name="enabledFor" value="all" checked/);
    const onprem = await admin.get('/admin/policy/on-premises');
    for (const text of ['Write back passwords to your on-premises directory', 'Allow users to unlock accounts without resetting their password', 'Password hash sync', 'the on-premises agent sets the same password in Active Directory']) expect(onprem.body).toContain(text);
  });

  it('every section saved through its form changes the stored policy, one version each, and the history lists them', async () => {
    await save('properties', { enabledFor: 'selected', groups: [pilot.id, helpdesk.id], comment: 'pilot first' });
    expect(await stored()).toMatchObject({ enabledFor: 'selected', groups: [pilot.id, helpdesk.id] });
    const props = await admin.get('/admin/policy/properties');
    expect(props.body).toContain('Version 1, saved by root on');
    expect(props.body).toContain('Comment: pilot first');
    expect(props.body).toContain(`name="groups" value="${pilot.id}" checked`);

    await save('methods', {
      methodsRequired: '2',
      methodsAvailable: ['email', 'totp', 'questions', 'recovery_code'],
      'questions-toRegister': '5',
      'questions-toAnswer': '4',
      'questions-custom': 'What was your first team?\r\n\r\n  Which city did you first fly to?  \r\n',
    });
    expect(await stored()).toMatchObject({ methodsRequired: 2, methodsAvailable: ['email', 'totp', 'questions', 'recovery_code'], questions: { toRegister: 5, toAnswer: 4, custom: ['What was your first team?', 'Which city did you first fly to?'] } });

    await save('registration', { 'registration-required': 'no', 'registration-reconfirmDays': '90' });
    expect((await stored()).registration).toEqual({ required: false, reconfirmDays: 90 });

    await save('notifications', { 'notifications-usersOnReset': 'no', 'notifications-adminsOnAdminReset': 'no' });
    expect((await stored()).notifications).toEqual({ usersOnReset: false, adminsOnAdminReset: false });

    await save('customization', { 'customization-helpdesk': ' https://help.example.com/sspr ' });
    expect((await stored()).customization).toEqual({ helpdesk: 'https://help.example.com/sspr' });

    await save('on-premises', { 'onPremises-writeback': 'no', 'onPremises-allowUnlock': 'no', 'onPremises-passwordHashSync': 'yes' });
    expect((await stored()).onPremises).toEqual({ writeback: false, allowUnlock: false, passwordHashSync: true });

    // An empty helpdesk means none.
    await save('customization', { 'customization-helpdesk': '' });
    expect((await stored()).customization).toEqual({ helpdesk: null });
    expect(await version()).toBe(7);

    const history = await admin.get('/admin/policy/history');
    expect(history.status).toBe(200);
    for (let v = 0; v <= 7; v++) expect(history.body).toContain(`<a href="/admin/policy/history/${v}">Policy version ${v}</a>`);
    expect(history.body).toContain('pilot first');
    // Each change in words, before → after, the setting's path as a tooltip.
    for (const change of ['Number of methods required to reset: 1 → 2', 'Number of questions required to reset: 3 → 4', 'Password hash sync: No → Yes', 'Notify users on password resets: Yes → No', 'Days before users are asked to re-confirm their security info: 180 → 90', 'Helpdesk link or email address: https://help.example.com/sspr → none'])
      expect(history.body).toContain(change);
    expect(history.body).toContain('<li title="methodsRequired">');
    expect(history.body).toMatch(/Groups that may reset[^<]*: none → Pilot, Helpdesk/);
    expect(history.body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);

    const v2 = await admin.get('/admin/policy/history/2');
    expect(v2.status).toBe(200);
    expect(v2.body).toContain('Changed from version 1');
    expect(v2.body).toContain('<li title="questions.custom">Custom security questions: none → What was your first team?');
    // Every setting in words, the document itself folded away.
    expect(v2.body).toMatch(/<dt title="methodsRequired">Number of methods required to reset<\/dt><dd>2<\/dd>/);
    expect(v2.body).toContain('&quot;methodsRequired&quot;: 2');
    const v0 = await admin.get('/admin/policy/history/0');
    expect(v0.body).toContain('&quot;methodsRequired&quot;: 1');
    expect((await admin.get('/admin/policy/history/8')).status).toBe(404);
    expect((await admin.get('/admin/policy/history/x')).status).toBe(404);
  });

  it('"a reset is never weaker than sign-in" is on by default, explained on the methods page, saved off through the form and listed in the history', async () => {
    expect((await stored()).reset).toEqual({ neverWeakerThanSignIn: true, showRegisteredHints: false });
    const page = await admin.get('/admin/policy/methods');
    expect(page.body).toContain('<legend>A reset is never weaker than sign-in</legend>');
    expect(page.body).toContain('Users who set up an authenticator app or a passkey must use it to reset their password or unlock their account');
    expect(page.body).toMatch(/<input type="radio" name="reset-neverWeakerThanSignIn" value="yes" checked/);
    const fields = { methodsRequired: '1', methodsAvailable: ['email', 'totp'], 'questions-toRegister': '3', 'questions-toAnswer': '3', 'questions-custom': '' };
    await save('methods', { ...fields, 'reset-neverWeakerThanSignIn': 'no' });
    expect((await stored()).reset).toEqual({ neverWeakerThanSignIn: false, showRegisteredHints: false });
    const again = await admin.get('/admin/policy/methods');
    expect(again.body).toMatch(/<input type="radio" name="reset-neverWeakerThanSignIn" value="no" checked/);
    const history = await admin.get('/admin/policy/history');
    expect(history.body).toContain('A reset is never weaker than sign-in');
    // Anything but yes or no is refused and changes nothing.
    const bad = await admin.post('/admin/policy/methods', { expectedVersion: expectedVersionOf(again.body), ...fields, 'reset-neverWeakerThanSignIn': 'maybe' });
    expect(bad.status).toBe(400);
    expect((await stored()).reset).toEqual({ neverWeakerThanSignIn: false, showRegisteredHints: false });
  });

  it('"show hints of the registered methods" is off by default, explained as a trade-off against enumeration on the methods page, and saved on through the form', async () => {
    const page = await admin.get('/admin/policy/methods');
    expect(page.body).toContain('<legend>Show hints of the registered methods during a reset</legend>');
    expect(page.body).toContain('tells anyone who types a username whether the account exists and which methods it has');
    expect(page.body).toMatch(/<input type="radio" name="reset-showRegisteredHints" value="no" checked/);
    const fields = { methodsRequired: '1', methodsAvailable: ['email', 'totp'], 'questions-toRegister': '3', 'questions-toAnswer': '3', 'questions-custom': '', 'reset-neverWeakerThanSignIn': 'yes' };
    await save('methods', { ...fields, 'reset-showRegisteredHints': 'yes' });
    expect((await stored()).reset).toEqual({ neverWeakerThanSignIn: true, showRegisteredHints: true });
    const bad = await admin.post('/admin/policy/methods', { expectedVersion: expectedVersionOf((await admin.get('/admin/policy/methods')).body), ...fields, 'reset-showRegisteredHints': 'perhaps' });
    expect(bad.status).toBe(400);
    expect((await stored()).reset.showRegisteredHints).toBe(true);
  });

  it('requiring registration takes effect at once: an administrator without two methods is then led to security info', async () => {
    await admin.get('/admin/policy/registration');
    const r = await admin.post('/admin/policy/registration', { expectedVersion: '0', 'registration-required': 'yes', 'registration-reconfirmDays': '180' });
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/admin/policy/registration?done=policy.done.saved');
    expect((await stored()).registration.required).toBe(true);
    const next = await admin.get('/admin/policy/registration?done=policy.done.saved');
    expect(next.status).toBe(303);
    expect(next.res.headers.get('location')).toBe('/account/security-info?register=1');
  });

  it('saving a form without changing anything stores no version and says so', async () => {
    const page = await admin.get('/admin/policy/notifications');
    const r = await admin.post('/admin/policy/notifications', { expectedVersion: '0', 'notifications-usersOnReset': 'yes', 'notifications-adminsOnAdminReset': 'yes' });
    expect(page.status).toBe(200);
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/admin/policy/notifications?done=policy.done.unchanged');
    expect((await admin.get(r.res.headers.get('location')!)).body).toContain('Nothing changed');
    expect(await version()).toBe(0);
  });

  it('a bad value shows the field error next to the field, keeps what was typed, and changes nothing', async () => {
    const before = await stored();
    await admin.get('/admin/policy/registration');
    const r = await admin.post('/admin/policy/registration', { expectedVersion: '0', 'registration-required': 'no', 'registration-reconfirmDays': '1000', comment: 'longer' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('There is a problem with what you entered.');
    expect(r.body).toContain('<a href="#f-registration-reconfirmDays">Days before users are asked to re-confirm their security info: Enter a whole number of days from 0 to 730 (0 means never).</a>');
    expect(r.body).toContain('<p class="field-error" id="f-registration-reconfirmDays-error">');
    expect(r.body).toMatch(/id="f-registration-reconfirmDays" name="registration-reconfirmDays" type="text" value="1000"/);
    expect(r.body).toContain('aria-invalid="true"');
    expect(r.body).toMatch(/name="registration-required" value="no" checked/);
    expect(r.body).toContain('value="longer"');

    await admin.get('/admin/policy/methods');
    const m = await admin.post('/admin/policy/methods', { expectedVersion: '0', methodsRequired: '2', methodsAvailable: ['mobile_sms', 'mobile_voice'], 'questions-toRegister': '3', 'questions-toAnswer': '5', 'questions-custom': '' });
    expect(m.status).toBe(400);
    expect(m.body).toContain('make at least two different kinds of method available');
    expect(m.body).toContain('Users cannot be asked to answer more questions than they register');
    expect(m.body).toContain('<fieldset id="f-methodsAvailable"');

    await admin.get('/admin/policy/properties');
    const p = await admin.post('/admin/policy/properties', { expectedVersion: '0', enabledFor: 'selected' });
    expect(p.status).toBe(400);
    expect(p.body).toContain('Choose at least one group, or choose another option for who may reset.');

    await admin.get('/admin/policy/customization');
    const h = await admin.post('/admin/policy/customization', { expectedVersion: '0', 'customization-helpdesk': 'call Bob' });
    expect(h.status).toBe(400);
    expect(h.body).toContain('Enter a web address starting with https://');
    expect(h.body).toContain('value="call Bob"');

    await admin.get('/admin/policy/on-premises');
    const o = await admin.post('/admin/policy/on-premises', { expectedVersion: '0', 'onPremises-writeback': 'maybe', 'onPremises-allowUnlock': 'yes' });
    expect(o.status).toBe(400);
    expect(o.body).toContain('<a href="#f-onPremises-writeback">');
    expect(o.body).toContain('<a href="#f-onPremises-passwordHashSync">');
    expect(o.body).toContain('Choose yes or no.');

    expect(await version()).toBe(0);
    expect(await stored()).toEqual(before);
  });

  it('a save based on a version someone else has replaced gives 409, keeps their change and shows the current settings', async () => {
    const other = new TestClient(tp.app);
    await other.signIn('root', PW);
    const mine = await admin.get('/admin/policy/registration');
    const theirs = await other.get('/admin/policy/registration');
    expect(expectedVersionOf(mine.body)).toBe('0');
    const first = await other.post('/admin/policy/registration', { expectedVersion: expectedVersionOf(theirs.body), 'registration-required': 'no', 'registration-reconfirmDays': '30' });
    expect(first.status).toBe(303);

    const late = await admin.post('/admin/policy/registration', { expectedVersion: expectedVersionOf(mine.body), 'registration-required': 'no', 'registration-reconfirmDays': '365' });
    expect(late.status).toBe(409);
    expect(late.body).toContain('Someone else changed the policy since you loaded it. Nothing was saved');
    expect((await stored()).registration.reconfirmDays).toBe(30);
    expect(await version()).toBe(1);
    // The form now shows what is stored, based on the new version.
    expect(late.body).toMatch(/name="registration-reconfirmDays" type="text" value="30"/);
    expect(expectedVersionOf(late.body)).toBe('1');

    const again = await admin.post('/admin/policy/registration', { expectedVersion: expectedVersionOf(late.body), 'registration-required': 'no', 'registration-reconfirmDays': '365' });
    expect(again.status).toBe(303);
    expect((await stored()).registration.reconfirmDays).toBe(365);
  });

  it('only administrators see or change the policy: users and password administrators get 403', async () => {
    await makeUser(tp.portal, { username: 'alice', password: PW });
    await makeUser(tp.portal, { username: 'bob', password: PW, roles: ['password_administrator'] });
    for (const name of ['alice', 'bob']) {
      const c = new TestClient(tp.app);
      await c.signIn(name, PW);
      for (const path of ['/admin/policy', '/admin/policy/properties', '/admin/policy/methods', '/admin/policy/history', '/admin/policy/history/0']) expect((await c.get(path)).status, path).toBe(403);
      const post = await c.post('/admin/policy/properties', { expectedVersion: '0', enabledFor: 'none' });
      expect(post.status).toBe(403);
    }
    const anon = new TestClient(tp.app);
    const r = await anon.get('/admin/policy/methods');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Fpolicy%2Fmethods');
    expect(await version()).toBe(0);
  });

  it('a form without the CSRF token (or with another browser’s) is refused with 403 and changes nothing', async () => {
    await admin.get('/admin/policy/properties');
    const missing = await admin.post('/admin/policy/properties', { _csrf: '', expectedVersion: '0', enabledFor: 'none' });
    expect(missing.status).toBe(403);
    expect(missing.body).toContain('Your form expired');
    const other = new TestClient(tp.app);
    await other.get('/sign-in');
    const foreign = await admin.post('/admin/policy/properties', { _csrf: other.csrf, expectedVersion: '0', enabledFor: 'none' });
    expect(foreign.status).toBe(403);
    const crossSite = await admin.post('/admin/policy/properties', { expectedVersion: '0', enabledFor: 'none' }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(await version()).toBe(0);
    expect((await stored()).enabledFor).toBe('all');
  });

  it('a chosen group that no longer exists is named on any section’s save', async () => {
    await save('properties', { enabledFor: 'selected', groups: [pilot.id] });
    // The group disappears behind the console's back (as a directory sync would remove it).
    await tp.store.db.deleteFrom('groups').where('id', '=', pilot.id).execute();
    await admin.get('/admin/policy/notifications');
    const r = await admin.post('/admin/policy/notifications', { expectedVersion: '1', 'notifications-usersOnReset': 'no', 'notifications-adminsOnAdminReset': 'yes' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Groups that may reset (used when');
    expect(r.body).toContain('A chosen group does not exist (any more).');
    const props = await admin.get('/admin/policy/properties');
    expect(props.body).toContain(`Group that no longer exists (${pilot.id})`);
    await admin.post('/admin/policy/properties', { expectedVersion: '1', enabledFor: 'all' });
    expect((await stored()).groups).toEqual([]);
  });
});
