import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { User } from '../directory/users.js';
import { startServer, type RunningServer } from '../server.js';
import type { AgentClient, AgentState, JobExecutor } from './agent-client.js';
import { AdExecutor } from './ad-executor.js';
import { adConnector, adOptions, bindsAs, pwdLastSetOf } from '../../test/helpers/ad-connector.js';
import { inProcessAgents } from '../../test/helpers/agents-in-process.js';
import { Journal } from './journal.js';

/** The journal as an agent starting now would read it from its file. */
const onDisk = (path: string) => new Journal(path).all();

/**
 * Password writeback end to end: the real portal server, agents connected over real
 * WebSockets, and a real Samba AD DC. Every verdict here is AD's own answer.
 */

let dc: SambaDc;
let tp: TestPortal;
let server: RunningServer;
let dir: string;
const agentLogs: string[] = [];

function executor(): AdExecutor {
  return new AdExecutor(adConnector(dc), null, 500, adOptions(dc));
}

const logStream = new Writable({
  write(chunk: Buffer, _e, cb) {
    agentLogs.push(chunk.toString());
    cb();
  },
});

const agents = inProcessAgents(() => ({ tp, server, dir, log: logStream }));
const newAgent = agents.register;
const run = (state: AgentState, jobs: JobExecutor = executor(), journalFile?: string): Promise<AgentClient> => agents.run(state, jobs, journalFile);

async function hybrid(sam: SambaUser): Promise<User> {
  return tp.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
}

const binds = (sam: SambaUser, password: string) => bindsAs(dc, sam.guid, password);

const pwdLastSet = (sam: SambaUser) => pwdLastSetOf(dc, sam.guid);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-writeback-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0', '--account-lockout-threshold=3']);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, writeback: { jobSeconds: 3, answerSeconds: 3 }, reset: { captchaMaxNumber: 200 } } });
  server = await startServer(tp.portal);
}, 180_000);

afterAll(async () => {
  await agents.stop();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('writeback through the agent to a real Samba AD DC', { timeout: 60_000 }, () => {
  let agentA: AgentState;

  it('a reset reaches AD: the user binds with the new password', async () => {
    agentA = await newAgent('agent-a');
    await run(agentA);
    const sam = await dc.addUser('wb.reset', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const r = await tp.portal.writeback.reset(user, 'Brand-New!Pass#77');
    expect(r).toEqual({ ok: true, value: { historyEnforced: false } });
    expect(await binds(sam, 'Brand-New!Pass#77')).toBe(true);
    const jobs = await tp.store.db.selectFrom('writeback_jobs').selectAll().where('user_id', '=', user.id).execute();
    expect(jobs.map((j) => [j.kind, j.status, j.verdict])).toEqual([['reset', 'applied', 'applied']]);
  });

  it("AD's refusals come back through the agent as verdicts (too short, not complex) and nothing changes", async () => {
    const sam = await dc.addUser('wb.verdicts', 'Start!Pass#2024', { displayName: 'Verdict Tester' });
    const user = await hybrid(sam);
    expect(await tp.portal.writeback.reset(user, 'Ab1!')).toMatchObject({ ok: false, reason: 'too_short' });
    expect(await tp.portal.writeback.reset(user, 'alllowercaseletters')).toMatchObject({ ok: false, reason: 'not_complex' });
    expect(await binds(sam, 'Start!Pass#2024')).toBe(true);
  });

  it('a change is bound as the user: a wrong current password is refused, the history is enforced, a right one applies', async () => {
    const sam = await dc.addUser('wb.change', 'Start!Pass#2024');
    const user = await hybrid(sam);
    expect(await tp.portal.writeback.change(user, 'Wrong!Pass#1', 'Next!Pass#2025')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect(await tp.portal.writeback.change(user, 'Start!Pass#2024', 'Next!Pass#2025')).toMatchObject({ ok: true });
    expect(await binds(sam, 'Next!Pass#2025')).toBe(true);
    expect(await tp.portal.writeback.change(user, 'Next!Pass#2025', 'Start!Pass#2024')).toMatchObject({ ok: false, reason: 'in_history' });
  });

  it('a user locked out by wrong binds is unlocked through the portal', async () => {
    const sam = await dc.addUser('wb.locked', 'Start!Pass#2024');
    const user = await hybrid(sam);
    for (let i = 0; i < 3; i++) expect(await binds(sam, `Wrong!Pass#${i}`)).toBe(false);
    const ad = adConnector(dc);
    expect(await ad.bindAsUser(sam.guid, 'Start!Pass#2024')).toMatchObject({ ok: false, reason: 'locked' });
    await ad.close();
    expect(await tp.portal.writeback.unlock(user)).toEqual({ ok: true, value: {} });
    expect(await binds(sam, 'Start!Pass#2024')).toBe(true);
  });

  it('a protected account is refused up front, and nothing changes', async () => {
    const sam = await dc.addUser('wb.admin', 'Start!Pass#2024');
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'wb.admin']);
    const user = await hybrid(sam);
    const before = await pwdLastSet(sam);
    expect(await tp.portal.writeback.reset(user, 'Brand-New!Pass#77')).toMatchObject({ ok: false, reason: 'protected_account' });
    expect(await pwdLastSet(sam)).toBe(before);
  });

  it('an agent offline past the expiry: the job is refused at once and never applied when the agent comes back', async () => {
    await agents.stop();
    const sam = await dc.addUser('wb.offline', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const before = await pwdLastSet(sam);
    expect(await tp.portal.writeback.reset(user, 'Late!Pass#2025')).toEqual({ ok: false, reason: 'unavailable' });
    await run(agentA);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pwdLastSet(sam)).toBe(before);
    expect(await binds(sam, 'Start!Pass#2024')).toBe(true);
    const job = await tp.store.db.selectFrom('writeback_jobs').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    expect([job.status, job.verdict]).toEqual(['expired', 'no_agent']);
  });

  it('an agent killed between AD and its answer: the user is told it is not confirmed, and the restarted agent reconciles the job from AD', async () => {
    await agents.stop();
    const journalFile = join(dir, 'crash-journal.json');
    const real = new AdExecutor(adConnector(dc));
    let victim: AgentClient | null = null;
    // Applies the reset in AD, then the process "dies" before it can record or send AD's answer.
    const crashing: JobExecutor = {
      ...real,
      domain: () => real.domain(),
      policy: () => real.policy(),
      policyFor: (anchor) => real.policyFor(anchor),
      readAccount: (anchor) => real.readAccount(anchor),
      bind: (anchor, password, options) => real.bind(anchor, password, options),
      reconcile: (e) => real.reconcile(e),
      change: (anchor, current, password, options) => real.change(anchor, current, password, options),
      unlock: (anchor, options) => real.unlock(anchor, options),
      mustChange: (anchor, on, options) => real.mustChange(anchor, on, options),
      reset: async (anchor, password, options) => {
        await real.reset(anchor, password, options);
        await victim!.stop();
        return new Promise(() => undefined);
      },
    };
    victim = await run(agentA, crashing, journalFile);
    const sam = await dc.addUser('wb.crash', 'Start!Pass#2024');
    const user = await hybrid(sam);
    expect(await tp.portal.writeback.reset(user, 'Crash!Pass#2025')).toEqual({ ok: false, reason: 'unconfirmed' });
    const journal = { entries: onDisk(journalFile) };
    expect(journal.entries).toHaveLength(1);
    expect(journal.entries[0]!.verdict).toBeUndefined();
    // The restarted agent reads its journal, asks AD, and reports what happened.
    await run(agentA, executor(), journalFile);
    await expect.poll(async () => (await tp.store.db.selectFrom('writeback_jobs').select('status').where('user_id', '=', user.id).executeTakeFirstOrThrow()).status, { timeout: 10_000 }).toBe('applied');
    expect(await binds(sam, 'Crash!Pass#2025')).toBe(true);
    await expect.poll(() => onDisk(journalFile).length, { timeout: 5000 }).toBe(0);
  });

  it('the claim is on disk (the journal file re-read) before the job touches AD, and AD\'s answer before the portal has it', async () => {
    await agents.stop();
    const journalFile = join(dir, 'order-journal.json');
    const real = executor();
    const claimsOnDisk: unknown[] = [];
    const watching: JobExecutor = Object.assign(Object.create(real) as AdExecutor, {
      // The connector writes AD once the go-ahead resolves (src/ad/ad-connector.test.ts): the file is read at that moment.
      reset: async (anchor: string, password: string, options: { mustChange?: boolean; ready?: Promise<boolean> }) => {
        expect(options.ready).toBeInstanceOf(Promise);
        const ready = options.ready!.then((granted) => {
          claimsOnDisk.push(onDisk(journalFile).find((e) => e.anchor === anchor));
          return granted;
        });
        return real.reset(anchor, password, { ...options, ready });
      },
    });
    await run(agentA, watching, journalFile);
    const sams = await Promise.all([0, 1, 2, 3].map((i) => dc.addUser(`wb.order${i}`, 'Start!Pass#2024')));
    const users = await Promise.all(sams.map((sam) => hybrid(sam)));
    // Four at once: their claims and verdicts share journal writes.
    const results = await Promise.all(users.map((user, i) => tp.portal.writeback.reset(user, `Order!Pass#202${i}`)));
    expect(results).toEqual(users.map(() => ({ ok: true, value: { historyEnforced: false } })));
    // Each job found its own claim, without a verdict yet, in the file when it went to AD.
    const claims = claimsOnDisk as Array<{ kind: string; anchor: string; verdict?: unknown } | undefined>;
    expect(claims.map((c) => c?.anchor).sort()).toEqual(sams.map((sam) => sam.guid).sort());
    for (const claim of claims) {
      expect(claim?.kind).toBe('reset');
      expect(claim?.verdict).toBeUndefined();
    }
    // Answered: each entry on disk has its verdict, or is gone once the portal acknowledged it.
    const now = onDisk(journalFile);
    for (const e of now) expect(e.verdict).toEqual({ ok: true, historyEnforced: false });
    await expect.poll(() => onDisk(journalFile).length, { timeout: 5000 }).toBe(0);
  });

  it('with two agents connected, any can take a job, each job applies once, and when one goes the other takes over', async () => {
    await agents.stop();
    const agentB = await newAgent('agent-b');
    const a = await run(agentA);
    await run(agentB);
    expect(tp.portal.agentHub.connected()).toHaveLength(2);
    const sams = await Promise.all([0, 1, 2, 3].map((i) => dc.addUser(`wb.two${i}`, 'Start!Pass#2024')));
    const users = await Promise.all(sams.map(hybrid));
    const results = await Promise.all(users.map((u, i) => tp.portal.writeback.reset(u, `Two!Agents#${i}x`)));
    expect(results.every((r) => r.ok)).toBe(true);
    const jobs = await tp.store.db.selectFrom('writeback_jobs').selectAll().where('user_id', 'in', users.map((u) => u.id)).execute();
    expect(jobs.every((j) => j.status === 'applied')).toBe(true);
    expect(new Set(jobs.map((j) => j.agent_id)).size).toBe(2);
    await a.stop();
    await expect.poll(() => tp.portal.agentHub.connected().length).toBe(1);
    const r = await tp.portal.writeback.reset(users[0]!, 'After!Failover#9');
    expect(r.ok).toBe(true);
    expect(await binds(sams[0]!, 'After!Failover#9')).toBe(true);
  });

  it('hybrid users sign in with their AD password (pass-through): wrong, locked and must-change are told apart', async () => {
    const sam = await dc.addUser('wb.signin', 'Start!Pass#2024');
    await hybrid(sam);
    const { TestClient } = await import('../../test/helpers/http-client.js');
    expect((await new TestClient(tp.app).signIn('wb.signin', 'Start!Pass#2024')).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('wb.signin', 'Wrong!Pass#1')).status).toBe(401);
    const ad = adConnector(dc);
    expect(await ad.setMustChange(sam.guid, true)).toEqual({ ok: true });
    const expired = await new TestClient(tp.app).signIn('wb.signin', 'Start!Pass#2024');
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('has expired');
    expect(await ad.setMustChange(sam.guid, false)).toEqual({ ok: true });
    await ad.close();
    for (let i = 0; i < 3; i++) await binds(sam, `Wrong!Pass#${i}`);
    const locked = await new TestClient(tp.app).signIn('wb.signin', 'Start!Pass#2024');
    expect(locked.status).toBe(423);
    expect(locked.body).toContain('Account locked?');
  });

  it('a hybrid user\'s sign-in brings the user\'s AD policy along: the change page after it sends the agent no job of its own', async () => {
    const sam = await dc.addUser('wb.carried', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const jobsOf = async () => (await tp.store.db.selectFrom('writeback_jobs').select('kind').where('user_id', '=', user.id).execute()).map((j) => j.kind);
    const { TestClient } = await import('../../test/helpers/http-client.js');
    const c = new TestClient(tp.app);
    expect((await c.signIn('wb.carried', 'Start!Pass#2024')).status).toBe(303);
    expect(await jobsOf()).toEqual(['bind']);
    const page = await c.get('/account/change-password');
    expect(page.status).toBe(200);
    // The domain's rules as AD has them (Samba's defaults: 7 characters, complexity), from the bind's answer.
    expect(page.body).toContain('network also requires');
    expect(page.body).toMatch(/\b7\b/);
    expect(await jobsOf()).toEqual(['bind']);
  });

  it('the policy AD applies to the user is checked in the portal before any password job is sent', async () => {
    expect(await tp.portal.agents.domainPolicy()).toMatchObject({ minLength: 7, complexity: true, historyLength: 24 });
    const sam = await dc.addUser('wb.precheck', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const passwordJobs = async () => (await tp.store.db.selectFrom('writeback_jobs').select('id').where('kind', '!=', 'policy').execute()).length;
    const jobsBefore = await passwordJobs();
    const r = await tp.portal.changePassword.change(user, { current: 'Start!Pass#2024', password: 'only small letters here', confirm: 'only small letters here' }, { idHash: 'x', ip: '127.0.0.1', userAgent: 'test' });
    expect(r).toMatchObject({ ok: false, reason: 'invalid', errors: { password: 'writeback.not_complex' } });
    // The user's own policy was asked for (a read), but no password job was sent.
    expect(await passwordJobs()).toBe(jobsBefore);
    // A read changes nothing in AD and is not an audit event of its own.
    const policyJobs = (await tp.store.db.selectFrom('writeback_jobs').select('id').where('kind', '=', 'policy').where('status', '=', 'applied').execute()).map((j) => j.id);
    expect(policyJobs.length).toBeGreaterThan(0);
    const audited = (await tp.store.db.selectFrom('audit_events').select('details').where('event', '=', 'writeback_job').execute()).map((e) => e.details);
    expect(audited.length).toBeGreaterThan(0);
    for (const id of policyJobs) expect(audited.some((d) => d.includes(id))).toBe(false);
  });

  it('password hash sync: on, a hash is kept and sign-in works while no agent answers; off, no hash is kept', async () => {
    const sam = await dc.addUser('wb.hashsync', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const { TestClient } = await import('../../test/helpers/http-client.js');
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { onPremises: { passwordHashSync: true } })).ok).toBe(true);
    expect((await tp.portal.changePassword.change(user, { current: 'Start!Pass#2024', password: 'Synced!Pass#2025', confirm: 'Synced!Pass#2025' }, { idHash: 'x', ip: '127.0.0.1', userAgent: 'test' })).ok).toBe(true);
    expect(await tp.portal.users.passwordHash(user.id)).toMatch(/^\$argon2id\$/);
    await agents.stop();
    await expect.poll(() => tp.portal.agentHub.connected().length).toBe(0);
    expect((await new TestClient(tp.app).signIn('wb.hashsync', 'Synced!Pass#2025')).status).toBe(303);
    expect((await new TestClient(tp.app).signIn('wb.hashsync', 'Start!Pass#2024')).status).toBe(401);
    // Without hash sync and without an agent, the portal says so instead of guessing.
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { onPremises: { passwordHashSync: false } })).ok).toBe(true);
    const other = await hybrid(await dc.addUser('wb.nohash', 'Start!Pass#2024'));
    expect(await tp.portal.users.passwordHash(other.id)).toBeNull();
    const unavailable = await new TestClient(tp.app).signIn('wb.nohash', 'Start!Pass#2024');
    expect(unavailable.status).toBe(503);
    await run(agentA);
    expect((await tp.portal.changePassword.change(user, { current: 'Synced!Pass#2025', password: 'Unsynced!Pass#26', confirm: 'Unsynced!Pass#26' }, { idHash: 'x', ip: '127.0.0.1', userAgent: 'test' })).ok).toBe(true);
    expect(await tp.portal.users.passwordHash(user.id)).toBeNull();
  });

  it('an administrator sets a hybrid user\'s password in AD from the console, to be changed at the next sign-in; unlock and require-change work too', async () => {
    const { TestClient, makeUser } = await import('../../test/helpers/http-client.js');
    await makeUser(tp.portal, { username: 'console.admin', password: 'Quartz-Lighthouse-Pass-1', roles: ['administrator'] });
    const admin = new TestClient(tp.app);
    expect((await admin.signIn('console.admin', 'Quartz-Lighthouse-Pass-1')).status).toBe(303);
    const sam = await dc.addUser('wb.console', 'Start!Pass#2024');
    const user = await hybrid(sam);
    const page = await admin.get(`/admin/users/${user.id}`);
    expect(page.body).toContain('Set the password in Active Directory');
    const set = await admin.post(`/admin/users/${user.id}/ad/password`, { password: 'Helpdesk!Set#2025', confirm: 'Helpdesk!Set#2025', mustChange: '1' });
    expect(set.status).toBe(303);
    const ad = adConnector(dc);
    expect(await ad.bindAsUser(sam.guid, 'Helpdesk!Set#2025')).toMatchObject({ ok: false, reason: 'must_change' });
    expect(await ad.setMustChange(sam.guid, false)).toEqual({ ok: true });
    expect((await admin.post(`/admin/users/${user.id}/ad/must-change`, {})).status).toBe(303);
    expect(await ad.bindAsUser(sam.guid, 'Helpdesk!Set#2025')).toMatchObject({ ok: false, reason: 'must_change' });
    expect(await ad.setMustChange(sam.guid, false)).toEqual({ ok: true });
    for (let i = 0; i < 3; i++) await binds(sam, `Wrong!Pass#${i}`);
    expect(await ad.bindAsUser(sam.guid, 'Helpdesk!Set#2025')).toMatchObject({ ok: false, reason: 'locked' });
    expect((await admin.post(`/admin/users/${user.id}/ad/unlock`, {})).status).toBe(303);
    expect(await ad.bindAsUser(sam.guid, 'Helpdesk!Set#2025')).toEqual({ ok: true });
    await ad.close();
    // The agent's own rights check reached the console: this test's agent binds as the domain administrator.
    await expect.poll(async () => (await tp.portal.agents.byId(agentA.agentId))?.rightsReport?.verdict, { timeout: 15_000 }).toBe('over_privileged');
    expect((await admin.get('/admin/agents')).body).toContain('far more rights than it needs');
    // AD's refusal is shown in plain words, and nothing changed.
    const weak = await admin.post(`/admin/users/${user.id}/ad/password`, { password: 'only small letters here', confirm: 'only small letters here' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('three of');
    const events = await tp.store.db.selectFrom('audit_events').select(['event', 'outcome']).where('target_id', '=', user.id).execute();
    expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual(expect.arrayContaining(['password_set_by_admin:success', 'must_change_set_by_admin:success', 'account_unlocked_by_admin:success']));
  });

  it('the support desk unlocks a hybrid user in AD: confirmed with a reason, AD\'s own lockout cleared, audited and told to the user', async () => {
    const { TestClient, makeUser } = await import('../../test/helpers/http-client.js');
    const { messagesTo } = await import('../../test/helpers/outbox.js');
    expect((await tp.portal.policy.update({ id: null, name: 'test' }, { helpdesk: { requireVerification: false } })).ok).toBe(true);
    await makeUser(tp.portal, { username: 'support.admin', password: 'Copper-Meadow-Lantern-4', roles: ['administrator'] });
    const admin = new TestClient(tp.app);
    expect((await admin.signIn('support.admin', 'Copper-Meadow-Lantern-4')).status).toBe(303);
    const sam = await dc.addUser('wb.support', 'Start!Pass#2024');
    const user = await tp.portal.users.create({ username: sam.name, displayName: sam.name, email: 'wb.support@corp.test', roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
    for (let i = 0; i < 3; i++) await binds(sam, `Wrong!Pass#${i}`);
    const ad = adConnector(dc);
    expect(await ad.bindAsUser(sam.guid, 'Start!Pass#2024')).toMatchObject({ ok: false, reason: 'locked' });
    await admin.get(`/admin/users/${user.id}`);
    const path = `/admin/users/${user.id}/support/unlock-ad`;
    const confirm = await admin.post(path, { reason: 'Locked out after holiday' });
    expect(confirm.status).toBe(200);
    // Nothing happens before the confirmation.
    expect(await ad.bindAsUser(sam.guid, 'Start!Pass#2024')).toMatchObject({ ok: false, reason: 'locked' });
    expect((await admin.post(path, { reason: 'Locked out after holiday', confirm: '1' })).status).toBe(303);
    expect(await ad.bindAsUser(sam.guid, 'Start!Pass#2024')).toEqual({ ok: true });
    await ad.close();
    const events = await tp.store.db.selectFrom('audit_events').select(['event', 'outcome', 'actor_name', 'details']).where('target_id', '=', user.id).execute();
    expect(events.find((e) => e.event === 'support_ad_unlocked')).toMatchObject({ outcome: 'success', actor_name: 'support.admin' });
    expect(JSON.parse(events.find((e) => e.event === 'support_ad_unlocked')!.details)).toEqual({ note: 'Locked out after holiday' });
    expect(events.map((e) => `${e.event}:${e.outcome}`)).toContain('account_unlocked_by_admin:success');
    expect((await messagesTo(tp.portal, 'wb.support@corp.test')).map((m) => m.subject ?? '').some((x) => x.includes('The helpdesk unlocked your account'))).toBe(true);
  });

  it('a hybrid user\'s reset, change and administrator reset through AD each void the user\'s other open flows (the change also ends the other sessions): the parked sign-in and the verified reset elsewhere cannot go on', async () => {
    const { TestClient, makeUser } = await import('../../test/helpers/http-client.js');
    const { flowOf, passEmail, startReset } = await import('../../test/helpers/reset-flow.js');
    const sam = await dc.addUser('wb.voids', 'Start!Pass#2024');
    const user = await hybrid(sam);
    // Two registered addresses, so that no address gets more than the 5 messages an hour it may.
    const [address, second] = ['wb.voids@mail.test', 'wb.voids.2@mail.test'];
    for (const to of [address, second]) {
      const email = await tp.portal.methods.addContact(user.id, 'email', to);
      await tp.portal.methods.confirm(user.id, email.id);
    }
    const elsewhere = 'browser-elsewhere-0123456789abcdef0123';
    /** Another browser that passed the password step (bound through the agent) and waits at the second factor. */
    const parked = async (password: string) => {
      const r = await tp.portal.signIn.attempt({ username: sam.name, password, ip: '192.0.2.20', userAgent: 'elsewhere', browserId: elsewhere, next: '' });
      if (!r.ok || r.value.kind !== 'second_factor_required') return expect.fail(`sign-in gave ${r.ok ? r.value.kind : r.reason}`);
      return r.value.flowId;
    };
    /** Another browser whose reset passed its check. */
    const verified = async (to = address) => {
      const z = new TestClient(tp.app);
      const flow = flowOf(await startReset(z, sam.name));
      await passEmail(tp, z, flow, to);
      expect((await z.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
      return { z, flow };
    };
    const ended = async (signInFlow: string, reset: { z: InstanceType<typeof TestClient>; flow: string }) => {
      expect((await tp.portal.secondFactor.view(signInFlow, elsewhere)).kind).toBe('voided');
      const tried = await reset.z.post('/reset/password', { flow: reset.flow, password: 'Elsewhere!Pass#99', confirm: 'Elsewhere!Pass#99' });
      expect(tried.status).toBe(410);
      expect(tried.body).toContain('the password of this account was just changed');
      expect(await binds(sam, 'Elsewhere!Pass#99')).toBe(false);
    };

    // A change through AD (bound as the user).
    let signInFlow = await parked('Start!Pass#2024');
    let reset = await verified();
    // The user is signed in in two browsers and changes the password in one: the other session ends, theirs stays.
    const own = await tp.portal.sessions.create(user.id, { ip: '127.0.0.1', userAgent: 'test', amr: ['pwd'] });
    const other = await tp.portal.sessions.create(user.id, { ip: '127.0.0.1', userAgent: 'other', amr: ['pwd'] });
    const changed = await tp.portal.changePassword.change(user, { current: 'Start!Pass#2024', password: 'Void!Change#2025', confirm: 'Void!Change#2025' }, { idHash: own.session.idHash, ip: '127.0.0.1', userAgent: 'test' });
    expect(changed.ok).toBe(true);
    expect(await tp.portal.sessions.validate(other.token)).toBeNull();
    expect(await tp.portal.sessions.validate(own.token)).not.toBeNull();
    await ended(signInFlow, reset);

    // A reset through AD in a third browser.
    signInFlow = await parked('Void!Change#2025');
    reset = await verified();
    const y = new TestClient(tp.app);
    const yFlow = flowOf(await startReset(y, sam.name));
    await passEmail(tp, y, yFlow, second);
    expect((await y.post('/reset/password', { flow: yFlow, password: 'Void!Reset#2026', confirm: 'Void!Reset#2026' })).status).toBe(303);
    expect(await binds(sam, 'Void!Reset#2026')).toBe(true);
    await ended(signInFlow, reset);

    // An administrator sets the password in AD from the console.
    signInFlow = await parked('Void!Reset#2026');
    reset = await verified(second);
    await makeUser(tp.portal, { username: 'void.admin', password: 'Lantern-Harbour-Pass-2', roles: ['administrator'] });
    const admin = new TestClient(tp.app);
    expect((await admin.signIn('void.admin', 'Lantern-Harbour-Pass-2')).status).toBe(303);
    await admin.get(`/admin/users/${user.id}`);
    expect((await admin.post(`/admin/users/${user.id}/ad/password`, { password: 'Void!Admin#2027', confirm: 'Void!Admin#2027' })).status).toBe(303);
    expect(await binds(sam, 'Void!Admin#2027')).toBe(true);
    await ended(signInFlow, reset);
  });

  it('no password appears in any table, log or journal afterwards', async () => {
    const secrets = ['Brand-New!Pass#77', 'Next!Pass#2025', 'Crash!Pass#2025', 'After!Failover#9', 'Late!Pass#2025', 'Two!Agents#0x', 'Synced!Pass#2025', 'Unsynced!Pass#26', 'Helpdesk!Set#2025', 'Quartz-Lighthouse-Pass-1', 'Void!Change#2025', 'Void!Reset#2026', 'Void!Admin#2027', 'Lantern-Harbour-Pass-2'];
    const tables = ['writeback_jobs', 'audit_events', 'agents', 'agent_registrations', 'flows'] as const;
    let dump = '';
    for (const t of tables) dump += JSON.stringify(await tp.store.db.selectFrom(t).selectAll().execute());
    const journals = ['agent-a-journal.json', 'agent-b-journal.json', 'crash-journal.json'].map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f, 'utf8'));
    const text = dump + tp.logs() + agentLogs.join('') + journals.join('');
    for (const s of secrets) expect(text, s).not.toContain(s);
    expect(dump.length).toBeGreaterThan(100);
  });
});
