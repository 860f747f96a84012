import { describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../../test/helpers/http-client.js';
import { messagesTo } from '../../../test/helpers/outbox.js';
import { NEW_PASSWORD, PASSWORD, flowOf, passEmail, registered, resetPortals, signInWorks, startReset } from '../../../test/helpers/reset-flow.js';
import { currentTotp } from '../../methods/totp.js';

/** The last step, once every gate is passed: the new password, the unlock, and who is told. */

const portal = resetPortals();

describe('password reset (HTTP, real store)', () => {
  it('hybrid users are told the on-premises service is unavailable, nothing changes, and the flow is not used up', async () => {
    const t = await portal();
    const user = await t.portal.users.create({ username: 'hy.brid', displayName: 'Hy Brid', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'guid-1' });
    const m = await t.portal.methods.addContact(user.id, 'email', 'hy@mail.test');
    await t.portal.methods.confirm(user.id, m.id);
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'hy.brid'));
    await passEmail(t, c, flow, 'hy@mail.test');
    const r = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(r.status).toBe(503);
    expect(r.body).toContain('Nothing was changed');
    const again = await c.get(`/reset/verify?flow=${flow}`);
    expect(again.body).toContain('Choose a new password');
    const audit = await t.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'password_reset').execute();
    expect(audit.map((a) => [a.outcome, JSON.parse(a.details).reason])).toEqual([['failure', 'onprem_unavailable']]);
  });

  it("the new-password page of a hybrid user promises AD's password history only where AD checks it on resets, and says plainly where it does not", async () => {
    const t = await portal();
    const user = await t.portal.users.create({ username: 'hy.story', displayName: 'Hy Story', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'guid-2' });
    const m = await t.portal.methods.addContact(user.id, 'email', 'hs@mail.test');
    await t.portal.methods.confirm(user.id, m.id);
    const policy = { minLength: 7, complexity: true, historyLength: 24, minAgeMs: 0, maxAgeMs: null, lockoutThreshold: 0, lockoutDurationMs: null };
    // What an agent reported with its hello (used while no agent answers a look-up for this user).
    const reported = (p: object, seenAt: number) =>
      t.store.db
        .insertInto('agents')
        .values({ id: `agent-${Math.random()}`, name: 'dc-agent', signing_key: 'k', sealing_key: 'k', version: '1', domain: 'corp.test', domain_policy: JSON.stringify(p), rights_report: null, registered_at: 1, last_seen_at: seenAt, revoked_at: null })
        .execute();
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'hy.story'));
    await passEmail(t, c, flow, 'hs@mail.test');
    const note = 'does not check your earlier passwords when you reset';
    await reported({ ...policy, resetHistory: true }, t.clock.now() - 60_000);
    let page = (await c.get(`/reset/verify?flow=${flow}`)).body;
    expect(page).toContain('not one of your last 24 passwords');
    expect(page).not.toContain(note);
    await reported({ ...policy, resetHistory: false }, t.clock.now());
    page = (await c.get(`/reset/verify?flow=${flow}`)).body;
    expect(page).not.toContain('not one of your last 24 passwords');
    expect(page).toContain(note);
  });

  it('unlocks a cloud user locked by sign-in failures without changing the password', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'mona');
    for (let i = 0; i < 10; i++) await new TestClient(t.app).signIn('mona', 'wrong-password');
    expect((await new TestClient(t.app).signIn('mona', PASSWORD)).status).toBe(429);
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'mona', 'unlock'));
    await passEmail(t, c, flow, email);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Unlock my account');
    expect((await c.post('/reset/unlock', { flow })).status).toBe(303);
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Your account is unlocked');
    expect(await signInWorks(t, 'mona', PASSWORD)).toBe(true);
    expect((await messagesTo(t.portal, email)).some((m) => m.subject?.includes('account was unlocked'))).toBe(true);
  });

  it('unlock is refused when the policy does not allow it', async () => {
    const t = await portal();
    await t.portal.policy.update({ id: null, name: 'test' }, { onPremises: { allowUnlock: false } });
    const c = new TestClient(t.app);
    const page = await c.get('/unlock');
    expect(page.body).toContain('not switched on');
    const r = await startReset(c, 'anyone', 'unlock');
    expect(r.status).toBe(403);
  });

  it('notifies all other administrators when an administrator resets', async () => {
    const t = await portal({}, true);
    const { email, secret } = await registered(t.portal, 'ada.admin', { roles: ['administrator'], totp: true });
    await makeUser(t.portal, { username: 'bea.admin', roles: ['administrator'], email: 'bea@corp.test', password: PASSWORD });
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'ada.admin'));
    await passEmail(t, c, flow, email);
    await c.post('/reset/verify/choose', { flow, choice: 'totp' });
    await c.post('/reset/verify/code', { flow, code: currentTotp(secret!, t.clock.now()) });
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    const bea = await messagesTo(t.portal, 'bea@corp.test');
    expect(bea.map((m) => m.subject)).toEqual([expect.stringContaining('An administrator reset their password')]);
    expect((await messagesTo(t.portal, 'ada.admin@corp.test')).some((m) => m.subject?.includes('An administrator reset'))).toBe(false);
  });

  it('a refused new password lists every reason and the proof stays valid', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'nora');
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'nora'));
    await passEmail(t, c, flow, email);
    const weak = await c.post('/reset/password', { flow, password: 'nora2024', confirm: 'nora2024' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('Choose a new password');
    const check = await c.request('/reset/password/check', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://portal.test', 'x-csrf-token': c.csrf }, body: JSON.stringify({ flow, password: 'password' }) });
    const verdict = (await check.json()) as { ok: boolean; reasons: string[]; score: number };
    expect(verdict.ok).toBe(false);
    expect(verdict.reasons.length).toBeGreaterThan(0);
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
  });
});
