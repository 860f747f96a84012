import { describe, expect, it } from 'vitest';
import { expectError, useApiSandbox } from '../../test/helpers/api-sandbox.js';
import { newAgentKeys } from '../agent-protocol/index.js';

const SECRET = 'webhook-Token-0042-abcdefgh';

/** The stored settings, agents, sync, reports and the delivery log over the JSON API. */
describe('JSON API: settings', () => {
  const { call, current: sb } = useApiSandbox();

  it('reads a section with its version as ETag, patches it on top of that version, and lists the versions', async () => {
    const index = await call('GET', '/settings', { token: sb().readToken });
    expect(index.status).toBe(200);
    expect(index.json.items.map((i: { section: string }) => i.section)).toEqual(['delivery', 'throttling', 'signIn', 'sessions', 'setup', 'methods', 'reset', 'reminders', 'sync', 'writeback']);
    const got = await call('GET', '/settings/throttling', { token: sb().readToken });
    expect(got.status).toBe(200);
    expect(got.res.headers.get('etag')).toBe('"0"');
    expect(got.json).toMatchObject({ section: 'throttling', version: 0, settings: { failedVerificationsPerDay: 5, blockHours: 24 }, fixed: [] });
    const patched = await call('PATCH', '/settings/throttling', { token: sb().writeToken, headers: { 'If-Match': '"0"' }, body: { settings: { blockHours: 2 }, comment: 'pilot' } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ version: 1, changedBy: 'api:ci-sync', comment: 'pilot', settings: { failedVerificationsPerDay: 5, blockHours: 2 } });
    expect(sb().tp.portal.settings.snapshot().throttling.values.blockHours).toBe(2);
    // Based on a version that is no longer current: 412 with If-Match, 409 with expectedVersion; nothing saved.
    expectError(await call('PATCH', '/settings/throttling', { token: sb().writeToken, headers: { 'If-Match': '"0"' }, body: { settings: { blockHours: 5 } } }), 412, 'precondition_failed');
    expectError(await call('PUT', '/settings/throttling', { token: sb().writeToken, body: { settings: {}, expectedVersion: 0 } }), 409, 'conflict');
    const versions = await call('GET', '/settings/throttling/versions', { token: sb().readToken });
    expect(versions.json.items.map((v: { version: number }) => v.version)).toEqual([1]);
    const audit = await sb().tp.store.db.selectFrom('audit_events').select(['actor_name', 'details']).where('event', '=', 'settings_changed').execute();
    expect(audit.map((a) => [a.actor_name, JSON.parse(a.details!)])).toEqual([['api:ci-sync', { section: 'throttling', version: 1, changed: 'blockHours', comment: 'pilot' }]]);
  });

  it('refuses in words and saves nothing: a value out of range, an unknown key, an unknown section, a read token', async () => {
    const range = await call('PATCH', '/settings/sync', { token: sb().writeToken, body: { settings: { intervalMinutes: 5000 } } });
    expectError(range, 400, 'invalid_input');
    expect(range.json.error.fields).toEqual({ 'settings.intervalMinutes': 'Must be at most 1440.' });
    const unknown = await call('PATCH', '/settings/sync', { token: sb().writeToken, body: { settings: { everyMinutes: 5 } } });
    expectError(unknown, 400, 'invalid_input');
    expect(unknown.json.error.fields['settings']).toBe('Not a setting: everyMinutes.');
    expectError(await call('GET', '/settings/colours', { token: sb().readToken }), 404, 'not_found');
    expectError(await call('PATCH', '/settings/sync', { token: sb().readToken, body: { settings: { intervalMinutes: 5 } } }), 403, 'forbidden');
    expect((await sb().tp.portal.settings.refresh()).sync.version).toBe(0);
  });

  it('a secret is written, never read back: { "set": true } keeps it, a text replaces it, null removes it', async () => {
    const set = await call('PATCH', '/settings/delivery', { token: sb().writeToken, body: { settings: { phone: { provider: 'webhook', webhook: { url: 'https://sms.corp.test/send', token: SECRET } } } } });
    expect(set.status, set.text).toBe(200);
    expect(set.json.settings.phone.webhook).toEqual({ url: 'https://sms.corp.test/send', token: { set: true } });
    expect(set.text).not.toContain(SECRET);
    // GET and PUT back what was read: the secret stays.
    const read = await call('GET', '/settings/delivery', { token: sb().readToken });
    const put = await call('PUT', '/settings/delivery', { token: sb().writeToken, body: { settings: { ...read.json.settings, limits: { ...read.json.settings.limits, globalPerHour: 200 } } } });
    expect(put.status, put.text).toBe(200);
    expect(sb().tp.portal.settings.snapshot().delivery.values.phone.webhook?.token).toBe(SECRET);
    expect(JSON.stringify(await sb().tp.store.db.selectFrom('audit_events').selectAll().execute())).not.toContain(SECRET);
    expect(JSON.stringify(await sb().tp.store.db.selectFrom('settings_versions').selectAll().execute())).not.toContain(SECRET);
    expect(sb().tp.logs()).not.toContain(SECRET);
    const removed = await call('PATCH', '/settings/delivery', { token: sb().writeToken, body: { settings: { phone: { provider: 'outbox', webhook: { token: null } } } } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json.settings.phone.webhook).toEqual({ url: 'https://sms.corp.test/send' });
  });
});

describe('JSON API: agents, sync, reports, delivery', () => {
  const { call, current: sb } = useApiSandbox();

  it('agents: a registration token with its command, the list, revoking by name; each audited', async () => {
    const created = await call('POST', '/agents/registration-tokens', { token: sb().writeToken });
    expect(created.status, created.text).toBe(201);
    expect(created.json.command).toBe(`sspr agent register --portal http://portal.test --token ${created.json.token}`);
    const keys = newAgentKeys();
    const agent = await sb().tp.portal.agents.register({ token: created.json.token, name: 'dc-site-a', version: '1.0.0', signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }, { ip: '127.0.0.1' });
    expect(agent.ok).toBe(true);
    const list = await call('GET', '/agents', { token: sb().readToken });
    expect(list.json.items).toMatchObject([{ name: 'dc-site-a', version: '1.0.0', connected: false, revokedAt: null }]);
    const revoked = await call('DELETE', '/agents/dc-site-a', { token: sb().writeToken });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json.revokedAt).not.toBeNull();
    expectError(await call('DELETE', '/agents/no-such-agent', { token: sb().writeToken }), 404, 'not_found');
    const events = await sb().tp.store.db.selectFrom('audit_events').select(['event', 'actor_name']).where('event', 'in', ['agent_token_created', 'agent_revoked']).orderBy('id').execute();
    expect(events).toEqual([
      { event: 'agent_token_created', actor_name: 'api:ci-sync' },
      { event: 'agent_revoked', actor_name: 'api:ci-sync' },
    ]);
  });

  it('sync: the status with the interval in force, a run asked for, the runs', async () => {
    expect((await call('GET', '/sync', { token: sb().readToken })).json).toEqual({ lastRun: null, intervalMinutes: 30, agentsConnected: 0 });
    const asked = await call('POST', '/sync/run', { token: sb().writeToken, body: { full: true } });
    expect(asked.status, asked.text).toBe(202);
    expect(asked.json.full).toBe(true);
    expect(await sb().tp.portal.sync.takeRequest()).toEqual({ full: true });
    expect((await call('GET', '/sync/runs', { token: sb().readToken })).json).toEqual({ items: [] });
    expectError(await call('GET', '/sync/runs?limit=0', { token: sb().readToken }), 400, 'invalid_input');
    expectError(await call('POST', '/sync/run', { token: sb().writeToken, body: { full: 'yes' } }), 400, 'invalid_input');
  });

  it('reports: coverage and activity as JSON, activity as CSV; a period that is not offered is refused', async () => {
    const coverage = await call('GET', '/reports/coverage', { token: sb().readToken });
    expect(coverage.status).toBe(200);
    expect(coverage.json).toMatchObject({ inScope: 2, registered: 0, notRegistered: 2 });
    const activity = await call('GET', '/reports/activity?days=7', { token: sb().readToken });
    expect(activity.json.days).toHaveLength(7);
    expect(activity.json.totals.reset).toEqual({ success: 0, failure: 0, blocked: 0 });
    const csv = await call('GET', '/reports/activity?days=7&format=csv', { token: sb().readToken });
    expect(csv.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[0]).toBe('date,reset_success,reset_failure,reset_blocked,unlock_success,unlock_failure,unlock_blocked,change_success,change_failure,change_blocked');
    const bad = await call('GET', '/reports/activity?days=5', { token: sb().readToken });
    expectError(bad, 400, 'invalid_input');
    expect(bad.json.error.fields.days).toBe('Give days as one of: 7, 30, 90.');
  });

  it('delivery: every attempt with the destination masked, filtered by status', async () => {
    const sent = await sb().tp.portal.delivery.email({ to: 'alice@example.com', subject: 'S', text: 'code 12345678', html: '<p>code</p>', kind: 'code' });
    expect(sent.ok).toBe(true);
    const page = await call('GET', '/delivery/attempts?status=sent', { token: sb().readToken });
    expect(page.status).toBe(200);
    expect(page.json).toMatchObject({ total: 1, page: 1, items: [{ channel: 'email', kind: 'code', status: 'sent', provider: 'outbox' }] });
    expect(page.text).not.toContain('alice@example.com');
    expect(page.text).not.toContain('12345678');
    expectError(await call('GET', '/delivery/attempts?status=lost', { token: sb().readToken }), 400, 'invalid_input');
  });
});

describe('JSON API: an administrator resets a password', () => {
  const { call, current: sb } = useApiSandbox();
  const signsIn = async (password: string) => {
    const r = await sb().tp.portal.signIn.attempt({ username: 'alice', password, ip: '192.0.2.1', userAgent: 'test', browserId: 'b', next: '/account' });
    return r.ok && (r.value.kind === 'signed_in' || r.value.kind === 'second_factor_required');
  };

  it("a cloud user's password, given or generated (answered once); her sessions end; audited", async () => {
    const given = await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: { password: 'Fresh meadow lantern 42' } });
    expect(given.status, given.text).toBe(200);
    expect(given.json).toEqual({ user: expect.objectContaining({ username: 'alice' }) });
    expect(await signsIn('Fresh meadow lantern 42')).toBe(true);
    const generated = await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: { generate: true } });
    expect(generated.status, generated.text).toBe(200);
    expect(typeof generated.json.password).toBe('string');
    expect(await signsIn(generated.json.password)).toBe(true);
    expect(await signsIn('Fresh meadow lantern 42')).toBe(false);
    const audit = await sb().tp.store.db.selectFrom('audit_events').select(['actor_name']).where('event', '=', 'password_set_by_admin').execute();
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(await sb().tp.store.db.selectFrom('audit_events').selectAll().execute())).not.toContain(generated.json.password);
  });

  it('refused in words and nothing changed: both or neither of password and generate, a weak password, must-change for a cloud user, an unknown user', async () => {
    const both = await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: { password: 'Fresh meadow lantern 42', generate: true } });
    expectError(both, 400, 'invalid_input');
    expect(both.json.error.fields.password).toBe('Give a password, or generate: true, not both.');
    expectError(await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: {} }), 400, 'invalid_input');
    const weak = await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: { password: 'short' } });
    expectError(weak, 400, 'invalid_input');
    const cloudMustChange = await call('POST', '/users/alice/reset-password', { token: sb().writeToken, body: { password: 'Fresh meadow lantern 42', mustChange: true } });
    expectError(cloudMustChange, 422, 'refused');
    expect(cloudMustChange.json.error.message).toContain('Only a user from Active Directory can be made to change the password at the next sign-in.');
    expectError(await call('POST', '/users/nobody/reset-password', { token: sb().writeToken, body: { generate: true } }), 404, 'not_found');
    expect(await signsIn('correct horse battery')).toBe(true);
  });
});
