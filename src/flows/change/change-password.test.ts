import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../../test/helpers/http-client.js';
import { messagesTo } from '../../../test/helpers/outbox.js';
import type { User } from '../../directory/users.js';

const PW = 'correct horse battery';
const NEW = 'violet tractor marmalade';
const PATH = '/account/change-password';

describe('change password (signed in)', () => {
  let tp: TestPortal;
  let alice: User;
  let browser: TestClient;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    alice = await makeUser(tp.portal, { username: 'alice', password: PW, email: 'alice@corp.example', displayName: 'Alice Andersen' });
    browser = new TestClient(tp.app);
    await browser.signIn('alice', PW);
    await browser.get(PATH);
  });
  afterEach(() => tp.cleanup());

  it('changes the password with the current one, keeps this session and ends the others', async () => {
    const phone = new TestClient(tp.app);
    await phone.signIn('alice', PW);
    const r = await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/account?done=change.done');
    const account = await browser.get(r.res.headers.get('location')!);
    expect(account.status).toBe(200);
    expect(account.body).toContain('Your password is changed.');
    expect((await phone.get('/account')).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('alice', NEW)).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(401);
  });

  it('tells the user by email, without the password', async () => {
    await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    const [mail] = await messagesTo(tp.portal, 'alice@corp.example');
    expect(mail!.body).toContain('The password of your account alice was just changed.');
    expect(mail!.body).not.toContain(NEW);
    expect(mail!.body).toContain('http://portal.test/sign-in');
  });

  it('a wrong current password changes nothing and counts towards the sign-in lockout', async () => {
    const r = await browser.post(PATH, { current: 'not it', password: NEW, confirm: NEW });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Your current password is not correct.');
    expect((await tp.portal.throttle.get('signin:user:alice')).failures).toBe(1);
    for (let i = 0; i < 9; i++) await browser.post(PATH, { current: `wrong ${i}`, password: NEW, confirm: NEW });
    const locked = await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many wrong passwords.');
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(429);
  });

  it('the new password must pass the rules, every refusal says why, and nothing changes', async () => {
    const weak = await browser.post(PATH, { current: PW, password: 'Password1', confirm: 'Password1' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('This is one of the most common passwords.');
    const same = await browser.post(PATH, { current: PW, password: PW, confirm: PW });
    expect(same.body).toContain('The new password must be different from the current one.');
    const mismatch = await browser.post(PATH, { current: PW, password: NEW, confirm: 'something else' });
    expect(mismatch.body).toContain('The two passwords are not the same.');
    const huge = await browser.post(PATH, { current: PW, password: 'x'.repeat(300), confirm: 'x'.repeat(300) });
    expect(huge.body).toContain('A password can be at most 256 characters.');
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(303);
  });

  it('refuses a recently used password (history)', async () => {
    await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    await browser.get(PATH);
    const back = await browser.post(PATH, { current: NEW, password: PW, confirm: PW });
    expect(back.status).toBe(400);
    expect(back.body).toContain('You used this password recently.');
  });

  it('a hybrid user is told the on-premises service is unavailable and nothing changes', async () => {
    await tp.store.db.updateTable('users').set({ source: 'onprem', anchor: 'guid-1' }).where('id', '=', alice.id).execute();
    const r = await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    expect(r.status).toBe(422);
    expect(r.body).toContain('Nothing was changed.');
    expect((await new TestClient(tp.app).signIn('alice', PW)).status).toBe(303);
  });

  it('is only for signed-in users and needs the CSRF token', async () => {
    const anon = new TestClient(tp.app);
    expect((await anon.get(PATH)).status).toBe(303);
    const forged = await browser.post(PATH, { _csrf: 'forged', current: PW, password: NEW, confirm: NEW });
    expect(forged.status).toBe(403);
  });

  it('records the change in the audit log', async () => {
    await browser.post(PATH, { current: PW, password: NEW, confirm: NEW });
    const e = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'password_changed').execute();
    expect(e).toHaveLength(1);
    expect(e[0]!.actor_name).toBe('alice');
  });
});
