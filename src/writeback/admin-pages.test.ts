import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { newAgentKeys } from '../agent-protocol/index.js';
import type { WritebackJobKind, WritebackJobStatus } from '../store/schema.js';
import type { User } from '../directory/users.js';
import { agentAdminMessages } from './admin-messages.en.js';
import { writebackMessages } from './messages.en.js';

/**
 * The agents console in-process over a real SQLite store: the writeback status an administrator
 * checks first, the one-time registration token (shown once, registers one agent), revoking,
 * and recent jobs in plain words; only administrators with a valid CSRF token get in.
 */

const PW = 'correct horse battery';

/** The page's text as a reader sees it (the HTML escapes apostrophes and quotes). */
function text(body: string): string {
  return body.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function tokenOf(body: string): string {
  return /<input id="agent-token"[^>]*? value="([^"]+)"/.exec(body)?.[1] ?? '';
}

describe('agents console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let root: User;
  beforeEach(async () => {
    tp = await createTestPortal();
    root = await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    admin = new TestClient(tp.app);
    const signedIn = await admin.signIn('root', PW);
    expect(signedIn.status).toBe(303);
  });
  afterEach(() => tp.cleanup());

  /** What `sspr agent register` sends. */
  function registerAgent(token: string, name = 'dc-agent-1') {
    const keys = newAgentKeys();
    return tp.app.request('http://portal.test/agent/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, name, version: '1.2.3', signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }),
    });
  }

  /** Creates a token through the console and registers an agent with it; returns the agent's id. */
  async function newAgent(name = 'dc-agent-1'): Promise<string> {
    await admin.get('/admin/agents');
    const created = await admin.post('/admin/agents/register', {});
    const res = await registerAgent(tokenOf(created.body), name);
    expect(res.status).toBe(201);
    return ((await res.json()) as { agentId: string }).agentId;
  }

  let seq = 0;
  /** A job row as the hub writes it; `at` is when it finished (or was created, while unfinished). */
  async function insertJob(job: { user: User; kind?: WritebackJobKind; status: WritebackJobStatus; verdict?: string | null; detail?: string | null; agentId?: string | null; at: number }) {
    await tp.store.db
      .insertInto('writeback_jobs')
      .values({
        id: `job-${++seq}`,
        kind: job.kind ?? 'reset',
        user_id: job.user.id,
        status: job.status,
        agent_id: job.agentId ?? null,
        created_at: job.at - 500,
        expires_at: job.at + 10_000,
        taken_at: job.agentId ? job.at - 400 : null,
        finished_at: job.status === 'pending' || job.status === 'taken' ? null : job.at,
        verdict: job.verdict ?? null,
        detail: job.detail ?? null,
      })
      .execute();
  }

  it('is in the console navigation, with the status first and a labelled page', async () => {
    const page = await admin.get('/admin/agents');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<a href="/admin/agents" aria-current="page">On-premises agents</a>');
    const body = text(page.body);
    expect(body.indexOf('Writeback status')).toBeLessThan(body.indexOf('Registered agents'));
    expect(body.indexOf('Registered agents')).toBeLessThan(body.indexOf('Recent writeback jobs'));
    expect(body).toContain('No agent is registered yet.');
    expect(body).toContain('No writeback job yet.');
    expect(page.body).toMatch(/<form method="post" action="\/admin\/agents\/register"[^>]*><input type="hidden" name="_csrf" value="[^"]+"/);
  });

  it('shows the registration token once with the exact command; it registers one agent and is refused the second time', async () => {
    await admin.get('/admin/agents');
    const created = await admin.post('/admin/agents/register', {});
    expect(created.status).toBe(200);
    expect(created.res.headers.get('cache-control')).toBe('no-store');
    const token = tokenOf(created.body);
    expect(token).toMatch(/^sspr_agent_[A-Za-z0-9_-]+$/);
    const body = text(created.body);
    expect(body).toContain(`sspr agent register --portal http://portal.test --token ${token}`);
    expect(body).toContain('Copy the token now. It is shown only this once');
    const expiresAt = (await tp.store.db.selectFrom('agent_registrations').select('expires_at').executeTakeFirstOrThrow()).expires_at;
    expect(body).toContain(`The token expires at ${new Date(Number(expiresAt)).toISOString().replace('T', ' ').slice(0, 19)} UTC.`);
    expect(created.body).toContain('<label for="agent-token">Registration token</label>');

    // Never again: not on the next GET, not in the store, not in the logs.
    const again = await admin.get('/admin/agents');
    expect(again.body).not.toContain(token);
    expect(JSON.stringify(await tp.store.db.selectFrom('agent_registrations').selectAll().execute())).not.toContain(token);
    expect(tp.logs()).not.toContain(token);

    const first = await registerAgent(token);
    expect(first.status).toBe(201);
    const { agentId } = (await first.json()) as { agentId: string };
    expect(agentId).toBeTruthy();
    const second = await registerAgent(token, 'dc-agent-2');
    expect(second.status).toBe(401);
    expect((await tp.portal.agents.list()).map((a) => a.name)).toEqual(['dc-agent-1']);
  });

  it('lists a registered agent that never connected as offline, with its version and registration time', async () => {
    const id = await newAgent('dc-agent-1');
    const agent = (await tp.portal.agents.byId(id))!;
    const page = text((await admin.get('/admin/agents')).body);
    expect(page).toContain('<th scope="row">dc-agent-1</th>');
    expect(page).toContain('Offline');
    expect(page).not.toContain('Connected now');
    expect(page).toContain('1.2.3');
    expect(page).toContain(new Date(agent.registeredAt).toISOString().replace('T', ' ').slice(0, 19));
    expect(page).toContain('aria-label="Revoke agent dc-agent-1"');
  });

  it('shows the last heartbeat as relative and exact time, and the domain the agent serves', async () => {
    const id = await newAgent();
    const seenAt = tp.clock.now() - 5 * 60_000;
    await tp.store.db.updateTable('agents').set({ last_seen_at: seenAt, domain: 'corp.example.com' }).where('id', '=', id).execute();
    const page = text((await admin.get('/admin/agents')).body);
    expect(page).toMatch(/<time datetime="[^"]+">5 minutes ago<\/time>/);
    expect(page).toContain(`(${new Date(seenAt).toISOString().replace('T', ' ').slice(0, 19)} UTC)`);
    expect(page).toContain('corp.example.com');
    expect(page).toContain('Offline');
  });

  it('says whether AD checks the password history on resets, as the agents reported it: not yet, checked, or not checked (naming the agents whose DC lacks policy hints)', async () => {
    const policy = { minLength: 7, complexity: true, historyLength: 24, minAgeMs: 0, maxAgeMs: null, lockoutThreshold: 0, lockoutDurationMs: null };
    const a = await newAgent('dc-agent-a');
    const b = await newAgent('dc-agent-b');
    const report = (id: string, p: object) => tp.store.db.updateTable('agents').set({ domain_policy: JSON.stringify(p) }).where('id', '=', id).execute();
    // An agent that does not say (an older release): unknown.
    await report(a, policy);
    let page = text((await admin.get('/admin/agents')).body);
    expect(page).toContain('<dt>Password history on resets</dt><dd>Not reported yet</dd>');
    await report(a, { ...policy, resetHistory: true });
    page = text((await admin.get('/admin/agents')).body);
    expect(page).toContain('<dt>Password history on resets</dt><dd>Checked by Active Directory</dd>');
    expect(page).not.toContain('password-policy hints');
    await report(b, { ...policy, resetHistory: false });
    page = text((await admin.get('/admin/agents')).body);
    expect(page).toContain('<dt>Password history on resets</dt><dd>Not checked by Active Directory</dd>');
    expect(page).toContain('the domain controller used by dc-agent-b does not offer the password-policy hints control');
    expect(page).not.toContain('used by dc-agent-a');
    // A revoked agent no longer counts.
    await tp.store.db.updateTable('agents').set({ revoked_at: tp.clock.now() }).where('id', '=', b).execute();
    expect(text((await admin.get('/admin/agents')).body)).toContain('<dd>Checked by Active Directory</dd>');
  });

  it('revokes an agent: audited, disconnected, marked revoked, and a second revoke is refused', async () => {
    const id = await newAgent();
    const disconnect = vi.spyOn(tp.portal.agentHub, 'disconnect');
    await admin.get('/admin/agents');
    const r = await admin.post(`/admin/agents/${id}/revoke`, {});
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/admin/agents?done=agents.done.revoked');
    expect(disconnect).toHaveBeenCalledWith(id);
    expect((await tp.portal.agents.byId(id))?.revokedAt).not.toBeNull();
    const events = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'agent_revoked').execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actor_id: root.id, actor_name: 'root', target_id: id });

    const after = await admin.get(r.res.headers.get('location')!);
    expect(after.body).toContain(agentAdminMessages['agents.done.revoked']);
    expect(after.body).toContain('Revoked');
    expect(after.body).not.toContain('aria-label="Revoke agent dc-agent-1"');

    const twice = await admin.post(`/admin/agents/${id}/revoke`, {});
    expect(twice.res.headers.get('location')).toBe('/admin/agents?refused=agents.refuse.alreadyRevoked');
    expect(await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'agent_revoked').execute()).toHaveLength(1);

    const unknown = await admin.post('/admin/agents/no-such-agent/revoke', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('There is no such agent.');
  });

  it('refuses a revoke without a valid CSRF token, and revokes nothing', async () => {
    const id = await newAgent();
    const forged = await admin.post(`/admin/agents/${id}/revoke`, { _csrf: 'forged' });
    expect(forged.status).toBe(403);
    const missing = await admin.request(`/admin/agents/${id}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://portal.test' }, body: '' });
    expect(missing.status).toBe(403);
    const token = await admin.post('/admin/agents/register', { _csrf: 'forged' });
    expect(token.status).toBe(403);
    expect((await tp.portal.agents.byId(id))?.revokedAt).toBeNull();
    expect(await tp.store.db.selectFrom('agent_registrations').selectAll().execute()).toHaveLength(1);
  });

  it('refuses non-administrators: no page, no token, no revoke', async () => {
    const id = await newAgent();
    await makeUser(tp.portal, { username: 'alice', password: PW });
    await makeUser(tp.portal, { username: 'helpdesk', password: PW, roles: ['password_administrator'] });
    for (const name of ['alice', 'helpdesk']) {
      const user = new TestClient(tp.app);
      await user.signIn(name, PW);
      await user.get('/account');
      expect((await user.get('/admin/agents')).status).toBe(403);
      expect((await user.post('/admin/agents/register', {})).status).toBe(403);
      expect((await user.post(`/admin/agents/${id}/revoke`, {})).status).toBe(403);
    }
    const anon = new TestClient(tp.app);
    const r = await anon.get('/admin/agents');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Fagents');
    expect(await tp.store.db.selectFrom('agent_registrations').selectAll().execute()).toHaveLength(1);
    expect((await tp.portal.agents.byId(id))?.revokedAt).toBeNull();
  });

  describe('writeback status', () => {
    const hybridUser = () => tp.portal.users.create({ username: 'ada', displayName: 'Ada', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'anchor-ada' });
    it('says writeback is switched off in the policy, and links to the switch', async () => {
      await hybridUser();
      const r = await tp.portal.policy.update({ id: root.id, name: 'root' }, { onPremises: { writeback: false } });
      expect(r.ok).toBe(true);
      await tp.portal.policy.refresh();
      const page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain('Writeback is switched off in the policy');
      expect(page).toContain('<a href="/admin/policy/on-premises">');
      expect(page).toMatch(/Writeback in the policy<\/dt><dd><span class="badge off">Switched off/);
    });

    it('a cloud-only portal (no Active Directory users, no agent) is told calmly that no agent is needed', async () => {
      const body = (await admin.get('/admin/agents')).body;
      expect(text(body)).toContain('Not needed: you have no Active Directory users.');
      expect(body).not.toContain('hybrid users cannot reset');
      expect(body).not.toContain('role="alert"');
    });

    it('says no agent is connected when none is, even with agents registered', async () => {
      await hybridUser();
      let page = text((await admin.get('/admin/agents')).body);
      expect(page).not.toContain('Not needed');
      expect(page).toContain('No agent is connected: hybrid users cannot reset their password.');
      await newAgent();
      page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain('No agent is connected: hybrid users cannot reset their password.');
      expect(page).toMatch(/Agents connected now<\/dt><dd>0<\/dd>/);
      expect(page).toMatch(/Writeback in the policy<\/dt><dd><span class="badge on">Switched on/);
    });

    it('says writeback is working with an agent connected to this instance', async () => {
      const id = await newAgent();
      const agent = (await tp.portal.agents.byId(id))!;
      vi.spyOn(tp.portal.agentHub, 'connected').mockReturnValue([{ agent, connectedAt: tp.clock.now() }]);
      const page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain('Writeback is working: 1 agent connected.');
      expect(page).toContain('Connected now');
      expect(page).toMatch(/Agents connected now<\/dt><dd>1<\/dd>/);
    });

    it('counts an agent with a recent heartbeat as connected (to another portal instance); a revoked one never', async () => {
      await hybridUser();
      const id = await newAgent('a1');
      await tp.store.db.updateTable('agents').set({ last_seen_at: tp.clock.now() - 5_000 }).where('id', '=', id).execute();
      let page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain('Connected (to another portal instance)');
      expect(page).toContain('Writeback is working: 1 agent connected.');
      await admin.post(`/admin/agents/${id}/revoke`, {});
      page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain('No agent is connected');
    });

    it('shows the last successful and the last failed job, and warns when the writeback itself is failing', async () => {
      const alice = await makeUser(tp.portal, { username: 'alice' });
      const bob = await makeUser(tp.portal, { username: 'bob' });
      const id = await newAgent();
      await tp.store.db.updateTable('agents').set({ last_seen_at: tp.clock.now() }).where('id', '=', id).execute();
      const now = tp.clock.now();
      await insertJob({ user: alice, status: 'applied', verdict: 'applied', agentId: id, at: now - 60 * 60_000 });
      await insertJob({ user: bob, kind: 'change', status: 'failed', verdict: 'too_short', agentId: id, at: now - 30 * 60_000 });
      let page = text((await admin.get('/admin/agents')).body);
      expect(page).toMatch(/Last successful job<\/dt><dd>Password reset for alice, 1 hour ago/);
      expect(page).toMatch(/Last failed job<\/dt><dd>Password change for bob, 30 minutes ago/);
      expect(page).toContain(writebackMessages['writeback.too_short']);
      // AD refusing a short password is writeback working as it should.
      expect(page).toContain('Writeback is working');

      await insertJob({ user: bob, status: 'failed', verdict: 'insufficient_rights', agentId: id, at: now - 60_000 });
      page = text((await admin.get('/admin/agents')).body);
      expect(page).toContain(`An agent is connected, but the last job failed and none has succeeded since: ${writebackMessages['writeback.insufficient_rights']}`);
      expect(page).toContain('sspr agent doctor');
      expect(page).not.toContain('Writeback is working');
    });

    it('says "none yet" before any job', async () => {
      const page = text((await admin.get('/admin/agents')).body);
      expect(page).toMatch(/Last successful job<\/dt><dd>None yet<\/dd>/);
      expect(page).toMatch(/Last failed job<\/dt><dd>None yet<\/dd>/);
    });
  });

  it('lists recent jobs with user, kind, status, the verdict in plain words (raw code when unknown) and the agent', async () => {
    const alice = await makeUser(tp.portal, { username: 'alice' });
    const bob = await makeUser(tp.portal, { username: 'bob' });
    const id = await newAgent('dc-agent-1');
    const now = tp.clock.now();
    await insertJob({ user: alice, kind: 'reset', status: 'applied', verdict: 'applied', agentId: id, at: now - 5000 });
    await insertJob({ user: bob, kind: 'change', status: 'failed', verdict: 'in_history', agentId: id, at: now - 4000 });
    await insertJob({ user: alice, kind: 'unlock', status: 'expired', verdict: 'no_agent', at: now - 3000 });
    await insertJob({ user: bob, kind: 'must_change', status: 'failed', verdict: 'weird_new_code', detail: 'LDAP 0x35', agentId: id, at: now - 2000 });
    await insertJob({ user: alice, kind: 'reset', status: 'pending', at: now - 1000 });
    const page = text((await admin.get('/admin/agents')).body);
    const table = page.slice(page.indexOf('Recent writeback jobs'));
    for (const s of [
      'Active Directory accepted the change.',
      writebackMessages['writeback.in_history'],
      'No agent took the job before it expired. Nothing was changed.',
      'weird_new_code',
      '(LDAP 0x35)',
      'Password reset',
      'Password change',
      'Account unlock',
      'Must change password at next sign-in',
      'Waiting for an agent',
      'Expired',
      `<a href="/admin/users/${alice.id}">alice</a>`,
      `<a href="/admin/users/${bob.id}">bob</a>`,
      '<td>dc-agent-1</td>',
    ])
      expect(table).toContain(s);
    // Newest first.
    const rows = [...table.matchAll(/<tr><td><time datetime="([^"]+)"/g)].map((m) => Date.parse(m[1]!));
    expect(rows).toHaveLength(5);
    expect(rows).toEqual([...rows].sort((a, b) => b - a));
  });

  it('shows only the last 20 jobs', async () => {
    const alice = await makeUser(tp.portal, { username: 'alice' });
    const now = tp.clock.now();
    for (let i = 0; i < 25; i++) await insertJob({ user: alice, status: 'applied', verdict: 'applied', at: now - (25 - i) * 1000 });
    const page = (await admin.get('/admin/agents')).body;
    expect([...page.matchAll(/<tr><td><time datetime=/g)]).toHaveLength(20);
  });
});
