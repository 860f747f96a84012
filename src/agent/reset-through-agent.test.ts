import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adConnector, adOptions, bindsAs, pwdLastSetOf, withConnector } from '../../test/helpers/ad-connector.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { flowOf, passEmail, startReset } from '../../test/helpers/reset-flow.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { User } from '../directory/users.js';
import { createLogger } from '../logging/logger.js';
import { startServer, type RunningServer } from '../server.js';
import { AdExecutor } from './ad-executor.js';
import { AgentClient } from './agent-client.js';
import { Journal } from './journal.js';
import { registerAgent } from './state.js';

/**
 * The reset flow of hybrid users with what the agent learns from AD: a protected account is told
 * right after the proof, a DC without the policy-hints control is named on the reset page and the
 * Agents page, and a frozen agent (connected, but nothing gets through: a hung network, a paused
 * VM) answers the user within `writeback.userWaitSeconds` — not the job's 10 s plus AD's 20 s —
 * and the job it receives late is never applied. The agent is real, connected to the real portal
 * server through a TCP proxy (which can stop forwarding), and talks to a real Samba AD DC.
 */

const WAIT_SECONDS = 3;
const OLD = 'Start!Pass#2024';
const NEW = 'Fresh-Meadow-Lantern-42';

let dc: SambaDc;
let tp: TestPortal;
let server: RunningServer;
let proxy: TcpProxy;
let agent: AgentClient;
let dir: string;
let admin: TestClient;
const ADMIN_PASSWORD = 'correct horse battery';

/** A user in AD and the same person as a hybrid user in the portal, with a confirmed email address. */
async function hybridUser(name: string): Promise<{ sam: SambaUser; user: User; email: string }> {
  const sam = await dc.addUser(name, OLD);
  const user = await tp.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
  const email = `${name}@mail.test`;
  const m = await tp.portal.methods.addContact(user.id, 'email', email);
  await tp.portal.methods.confirm(user.id, m.id);
  return { sam, user, email };
}

/** The page's text as a reader sees it (the HTML escapes apostrophes). */
const text = (body: string) => body.replace(/&#39;/g, "'").replace(/\s+/g, ' ');

const pwdLastSet = (sam: SambaUser) => pwdLastSetOf(dc, sam.guid);
const withAd = <T>(use: Parameters<typeof withConnector<T>>[1]) => withConnector(adOptions(dc), use);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-frozen-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  // jobSeconds and answerSeconds at their defaults (10 and 20): the user's wait caps them.
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, reset: { captchaMaxNumber: 200 }, writeback: { userWaitSeconds: WAIT_SECONDS } } });
  server = await startServer(tp.portal);
  proxy = await startTcpProxy(server.port);
  const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: server.url, token, name: 'dc-agent', version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  agent = new AgentClient({
    state: { ...r.value, portalUrl: tp.config.publicUrl },
    executor: new AdExecutor(adConnector(dc), null, 500, adOptions(dc)),
    journal: new Journal(join(dir, 'journal.json')),
    logger: createLogger('silent'),
    version: '0.1.0',
    connectUrl: proxy.url,
    backoffMs: { first: 50, max: 200 },
  });
  agent.start();
  await agent.waitConnected();
  await makeUser(tp.portal, { username: 'root', password: ADMIN_PASSWORD, roles: ['administrator'] });
  admin = new TestClient(tp.app);
  expect((await admin.signIn('root', ADMIN_PASSWORD)).status).toBe(303);
}, 180_000);

afterAll(async () => {
  proxy?.release();
  await agent?.stop();
  await proxy?.close();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('what the agent learns from AD reaches the user before any password is typed', { timeout: 60_000 }, () => {
  it('on a domain controller without the policy-hints control (Samba), the agent says so, and the Agents page and the reset page say that AD does not check the history on resets', async () => {
    const reported = await tp.portal.agents.domainPolicy();
    expect(reported).toMatchObject({ resetHistory: false, historyLength: 24 });
    const agents = text((await admin.get('/admin/agents')).body);
    expect(agents).toContain('Password history on resets</dt><dd>Not checked by Active Directory</dd>');
    expect(agents).toContain('Active Directory does not check the password history (or the minimum password age) when a password is reset here: the domain controller used by dc-agent does not offer the password-policy hints control');

    const { user, email } = await hybridUser('hints.user');
    expect(await tp.portal.writeback.policyFor(user)).toMatchObject({ resetHistory: false });
    const c = new TestClient(tp.app);
    const flow = flowOf(await startReset(c, 'hints.user'));
    await passEmail(tp, c, flow, email);
    const page = text((await c.get(`/reset/verify?flow=${flow}`)).body);
    expect(page).toContain('Choose a new password');
    expect(page).toContain("Your organisation's network does not check your earlier passwords when you reset (only when you change your password), so please choose one you have not used before.");
    // Nothing promised that AD does not do on a reset.
    expect(page).not.toContain('not one of your last 24 passwords');
  });

  it('a protected AD account (a member of Domain Admins) is told right after identity is proven, before the new-password page, and AD is asked to change nothing', async () => {
    const { sam, user, email } = await hybridUser('protected.user');
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'protected.user']);
    const before = await pwdLastSet(sam);
    const c = new TestClient(tp.app);
    const flow = flowOf(await startReset(c, 'protected.user'));
    // Before the proof, the same pages as anyone's.
    expect(text((await c.get(`/reset/verify?flow=${flow}`)).body)).toContain('How do you want to prove it is you?');
    expect((await passEmail(tp, c, flow, email)).status).toBe(303);
    const page = await c.get(`/reset/verify?flow=${flow}`);
    expect(page.status).toBe(200);
    const words = text(page.body);
    expect(words).toContain('<h1>This password cannot be reset here</h1>');
    expect(words).toContain("Your account has administrator rights in your organisation's network, so for safety its password cannot be reset or unlocked through this page. Nothing was changed.");
    expect(words).toContain('Contact your IT helpdesk or administrator.');
    expect(words).not.toContain('name="password"');
    // A password posted all the same is refused by AD's rule and changes nothing.
    const posted = await c.post('/reset/password', { flow, password: NEW, confirm: NEW });
    expect(posted.status).toBe(422);
    expect(text(posted.body)).toContain('This password cannot be reset here');
    expect(await bindsAs(dc, sam.guid, OLD)).toBe(true);
    expect(await pwdLastSet(sam)).toBe(before);
    const jobs = await tp.store.db.selectFrom('writeback_jobs').select(['kind', 'status', 'verdict']).where('user_id', '=', user.id).where('kind', '!=', 'policy').execute();
    expect(jobs).toEqual([{ kind: 'reset', status: 'failed', verdict: 'protected_account' }]);
  });
});

describe("an administrator's reset over the API", { timeout: 60_000 }, () => {
  it('POST /users/{username}/reset-password writes a hybrid user\'s password to AD through the agent, to be changed at the next sign-in', async () => {
    const { sam } = await hybridUser('api.reset');
    const created = await tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'helpdesk-bot', scope: 'write' });
    if (!created.ok) throw new Error('token');
    const res = await tp.app.request(`http://portal.test/api/v1/users/${sam.name}/reset-password`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.value.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: NEW, mustChange: true }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { user: { username: string } }).user.username).toBe(sam.name);
    expect(await bindsAs(dc, sam.guid, OLD)).toBe(false);
    // AD holds the new password, and the user must change it at the next sign-in (pwdLastSet 0).
    const found = await withAd((ad) => ad.findUserByGuid(sam.guid));
    expect(found).toMatchObject({ ok: true, value: { mustChange: true, pwdLastSet: null } });
    const audit = await tp.store.db.selectFrom('audit_events').select(['outcome', 'actor_name', 'details']).where('event', '=', 'password_set_by_admin').execute();
    expect(audit.map((a) => [a.outcome, a.actor_name])).toEqual([['success', 'api:helpdesk-bot']]);
    expect(JSON.stringify(audit)).not.toContain(NEW);
  });
});

describe('a frozen agent', { timeout: 90_000 }, () => {
  it('answers the user within writeback.userWaitSeconds that nothing was changed, and never applies the password when it comes back', async () => {
    const { sam, user, email } = await hybridUser('frozen.user');

    const c = new TestClient(tp.app);
    const flow = flowOf(await startReset(c, sam.name));
    expect((await passEmail(tp, c, flow, email)).status).toBe(303);
    // The new-password page reads AD's policy through the agent while it still answers.
    expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Choose a new password');
    const before = await pwdLastSet(sam);

    proxy.hold();
    const started = Date.now();
    const r = await c.post('/reset/password', { flow, password: NEW, confirm: NEW });
    const waited = Date.now() - started;
    expect(r.status).toBe(503);
    expect(r.body).toContain('Nothing was changed.');
    // Within the user's wait (not 10 s for the job plus 20 s for AD), and not before it.
    expect(waited).toBeGreaterThanOrEqual(WAIT_SECONDS * 1000 - 250);
    expect(waited).toBeLessThan(WAIT_SECONDS * 1000 + 1500);
    const jobs = () => tp.store.db.selectFrom('writeback_jobs').select(['status', 'verdict', 'expires_at', 'created_at']).where('user_id', '=', user.id).where('kind', '=', 'reset').execute();
    const [job] = await jobs();
    expect(job).toMatchObject({ status: 'expired', verdict: 'no_agent' });
    // The job's expiry is no later than the user's wait: the agent can never claim it after.
    expect(Number(job!.expires_at) - Number(job!.created_at)).toBeLessThanOrEqual(WAIT_SECONDS * 1000);

    // The agent is heard from again and gets the job late: it is refused, AD is not touched.
    proxy.release();
    // A look-up sent after it on the same connection: once it is answered, the late job was seen.
    expect(await tp.portal.writeback.policyFor(user)).not.toBeNull();
    expect(await bindsAs(dc, sam.guid, NEW)).toBe(false);
    expect(await bindsAs(dc, sam.guid, OLD)).toBe(true);
    expect(await pwdLastSet(sam)).toBe(before);
    expect((await jobs()).map((j) => j.status)).toEqual(['expired']);

    // Nothing was used up: with the agent answering again, the same flow sets the password.
    const again = await c.post('/reset/password', { flow, password: NEW, confirm: NEW });
    expect(again.status, again.body).toBe(303);
    expect(await bindsAs(dc, sam.guid, NEW)).toBe(true);
  });
});
