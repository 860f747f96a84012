import { describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { chooseEmail, flowOf, registered, resetPortals, startReset } from '../../test/helpers/reset-flow.js';
import { formatDateTime } from '../http/ui/dates.js';
import { supportViewJsonSchema } from '../api/support-json.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { hashToken } from '../shared/crypto.js';
import type { TestPortal } from '../../test/helpers/test-portal.js';

/**
 * One user's support page (/admin/users/{username}) and its JSON twin, driven over HTTP against
 * a real portal: what the helpdesk sees of a user who blocked themselves, and what it never sees.
 */

const ADMIN_PW = 'Quiet-Harbour-Lamp-93';
const portal = resetPortals();

async function adminClient(tp: TestPortal): Promise<TestClient> {
  await makeUser(tp.portal, { username: 'root', password: ADMIN_PW, roles: ['administrator'], displayName: 'Root Admin' });
  const admin = new TestClient(tp.app);
  expect((await admin.signIn('root', ADMIN_PW)).status).toBe(303);
  return admin;
}

async function apiToken(tp: TestPortal): Promise<string> {
  const root = (await tp.portal.users.byUsername('root'))!;
  const r = await tp.portal.apiTokens.create({ id: root.id, name: 'root' }, { name: 'support-desk', scope: 'read' });
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.value.token;
}

const api = (tp: TestPortal, path: string, token?: string) => tp.app.request(`http://portal.test/api/v1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('the support page', () => {
  it('the helpdesk never sees a full address or number: the page and the API show only masked values', async () => {
    const tp = await portal();
    const admin = await adminClient(tp);
    const { user, email } = await registered(tp.portal, 'mira', { mobile: '+4915112345678', totp: true, questions: true });
    const full = [email, '+4915112345678', '15112345678', user.email!];

    const page = await admin.get('/admin/users/mira');
    expect(page.status).toBe(200);
    for (const secret of full) expect(page.body).not.toContain(secret);
    expect(page.body).toContain('m•••@mail.test');
    expect(page.body).toContain('+49 •••• ••78');
    expect(page.body).toContain('m•••@corp.test');
    expect(page.body).toContain('Authenticator app');
    expect(page.body).toContain('Security questions');

    const token = await apiToken(tp);
    const res = await api(tp, '/users/mira/support', token);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of full) expect(text).not.toContain(secret);
    const json = supportViewJsonSchema.parse(JSON.parse(text));
    expect(json.user.email).toBe('m•••@corp.test');
    // Methods registered in the same millisecond have no set order among themselves: compare sorted.
    expect(json.methods.map((m) => [m.type, m.masked, m.canReceive]).sort()).toEqual(
      [
        ['email', 'm•••@mail.test', true],
        ['totp', 'Phone', false],
        ['mobile', '+49 •••• ••78', true],
        ['questions', '', false],
      ].sort(),
    );
  });

  it('shows the self-service block after 5 wrong codes, with the until-time and the count; sessions and the last events listed', async () => {
    const tp = await portal();
    const admin = await adminClient(tp);
    const { user, email } = await registered(tp.portal, 'nils');
    // The user is signed in somewhere (a session the helpdesk should see: never its token), then blocks self-service.
    const { token: sessionToken } = await tp.portal.sessions.create(user.id, { ip: '203.0.113.9', userAgent: 'Firefox/140.0 (support test)', amr: ['pwd', 'otp'] });
    const c = new TestClient(tp.app);
    const flow = flowOf(await startReset(c, 'nils'));
    await chooseEmail(c, flow, email);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await c.post('/reset/verify/code', { flow, code: `2222222${i}` })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    const counter = await tp.portal.throttle.get(throttleKeys.verifyFailures(user.id));
    expect(counter.lockedUntil).toBeGreaterThan(tp.clock.now());

    const page = await admin.get('/admin/users/nils');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Self-service blocked until ${formatDateTime(counter.lockedUntil, 'minute')} (5 wrong codes or answers)`);
    expect(page.body).toContain('5 of 5 (self-service is blocked at 5)');
    expect(page.body).toContain('Firefox/140.0 (support test)');
    expect(page.body).toMatch(/Password reset<\/td><td>Blocked/);
    expect(page.body).toContain('203.0.113.9');
    expect(page.body).not.toContain(sessionToken);
    expect(page.body).not.toContain(hashToken(sessionToken));
    expect(page.body).toMatch(/Code or answer checked<\/td><td>Failed/);
    expect(page.body).not.toContain('password_reset');

    const token = await apiToken(tp);
    const json = supportViewJsonSchema.parse(await (await api(tp, '/users/nils/support', token)).json());
    expect(json.selfService).toMatchObject({ blockedUntil: new Date(counter.lockedUntil).toISOString(), blockedBy: 'wrong_codes', failedAttempts: 5, threshold: 5 });
    expect(json.selfService.codesSent.email).toBe(1);
    // The delivery log's view: the one reset code sent by email in the last hour (the address was registered directly in the store).
    expect(json.selfService.codesLastHour).toEqual({ email: 1, phone: 0 });
    expect(json.sessions).toHaveLength(1);
    expect(json.sessions[0]).toEqual({ createdAt: expect.any(String), lastSeenAt: expect.any(String), ip: '203.0.113.9', userAgent: 'Firefox/140.0 (support test)' });
    expect(json.recentEvents[0]).toMatchObject({ event: 'password_reset', outcome: 'blocked' });
    expect(json.recentEvents.map((e) => e.at)).toEqual([...json.recentEvents.map((e) => e.at)].sort().reverse());
  });

  it('is found by username and by id; an unknown user is 404 on the page and the API, and the API needs a token (401)', async () => {
    const tp = await portal();
    const admin = await adminClient(tp);
    const { user } = await registered(tp.portal, 'olga');
    expect((await admin.get(`/admin/users/${user.id}`)).body).toContain('(olga)');
    expect((await admin.get('/admin/users/olga')).body).toContain('(olga)');
    expect((await admin.get('/admin/users')).body).toContain('href="/admin/users/olga"');
    expect((await admin.get('/admin/users/no.such.person')).status).toBe(404);

    const token = await apiToken(tp);
    const unknown = await api(tp, '/users/no.such.person/support', token);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const anonymous = await api(tp, '/users/olga/support');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('olga');
  });

  it('a cloud user has no Active Directory section; a hybrid user without an agent is told so in plain words, and nothing changes', async () => {
    const tp = await portal();
    const admin = await adminClient(tp);
    await registered(tp.portal, 'petra');
    expect((await admin.get('/admin/users/petra')).body).not.toContain('<h2>Active Directory</h2>');
    await tp.portal.users.create({ username: 'quinn', displayName: 'Quinn', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: '5f0c7d1e-8a8b-4c59-9f5e-2b7b8f2f4c11' });
    const before = await tp.store.db.selectFrom('writeback_jobs').selectAll().execute();
    const page = await admin.get('/admin/users/quinn');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2>Active Directory</h2>');
    expect(page.body).toContain('No on-premises agent is connected; AD state is not shown. Nothing was changed.');
    expect(page.body).not.toContain('no_agent');
    expect(await tp.store.db.selectFrom('writeback_jobs').selectAll().execute()).toEqual(before);
  });

  it('the administrator-only forms are shown to administrators; the set-password form goes when temporary passwords are off in the policy', async () => {
    const tp = await portal();
    const admin = await adminClient(tp);
    const { user } = await registered(tp.portal, 'rosa');
    const on = await admin.get('/admin/users/rosa');
    expect(on.body).toContain(`action="/admin/users/${user.id}/password"`);
    expect(on.body).toContain(`action="/admin/users/${user.id}/roles"`);
    const root = (await tp.portal.users.byUsername('root'))!;
    const saved = await tp.portal.policy.update({ id: root.id, name: 'root' }, { helpdesk: { temporaryPasswords: false } });
    expect(saved.ok).toBe(true);
    const off = await admin.get('/admin/users/rosa');
    expect(off.body).not.toContain(`action="/admin/users/${user.id}/password"`);
    expect(off.body).toContain('Setting a password here is switched off in the policy');
    expect(off.body).toContain(`action="/admin/users/${user.id}/roles"`);
  });
});
