import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { adConnector, adOptions } from '../../test/helpers/ad-connector.js';
import { inProcessAgents } from '../../test/helpers/agents-in-process.js';
import type { User } from '../directory/users.js';
import { startServer, type RunningServer } from '../server.js';
import type { AgentState, JobExecutor } from '../agent/agent-client.js';
import { AdExecutor } from '../agent/ad-executor.js';
import { fileTimeToDate } from '../ad/ad-time.js';
import { formatDateTime } from '../http/ui/dates.js';
import { supportViewJsonSchema } from '../api/support-json.js';

/**
 * The support page's Active Directory section end to end: the real portal server, an agent
 * connected over a real WebSocket, a real Samba AD DC. What the page shows is what AD says now.
 */

const ADMIN_PW = 'Quiet-Harbour-Lamp-93';
const DAY = 86_400_000;
let dc: SambaDc;
let tp: TestPortal;
let server: RunningServer;
let dir: string;
let admin: TestClient;
let agent: AgentState;
const agents = inProcessAgents(() => ({ tp, server, dir }));
const newAgent = agents.register;
const run = agents.run;

const hybrid = (sam: SambaUser): Promise<User> => tp.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });

/** What AD itself says of the user (samba-tool reads the DC's database, not through the agent): FILETIMEs in ms. */
async function adSays(name: string): Promise<{ lockoutTime: number | null; pwdLastSet: number | null; expires: number | null }> {
  const ldif = await dc.samba(['user', 'show', name, '--attributes=lockoutTime,pwdLastSet,msDS-UserPasswordExpiryTimeComputed']);
  const at = (attribute: string) => fileTimeToDate(new RegExp(`^${attribute}: (.*)$`, 'mi').exec(ldif)?.[1]?.trim())?.getTime() ?? null;
  return { lockoutTime: at('lockoutTime'), pwdLastSet: at('pwdLastSet'), expires: at('msDS-UserPasswordExpiryTimeComputed') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-support-ad-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0', '--max-pwd-age=42', '--account-lockout-threshold=3']);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, writeback: { jobSeconds: 3, answerSeconds: 3 } } });
  server = await startServer(tp.portal);
  await makeUser(tp.portal, { username: 'root', password: ADMIN_PW, roles: ['administrator'] });
  admin = new TestClient(tp.app);
  expect((await admin.signIn('root', ADMIN_PW)).status).toBe(303);
  agent = await newAgent('dc-agent-support');
  await run(agent, new AdExecutor(adConnector(dc), null, 500, adOptions(dc)));
}, 180_000);

afterAll(async () => {
  await agents.stop();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the support page against a real Samba AD DC', { timeout: 60_000 }, () => {
  it("the support page shows a hybrid user's real lockout and expiry, as AD computed them", async () => {
    const sam = await dc.addUser('sd.locked', 'Tall!Birch#Road7');
    const user = await hybrid(sam);
    const ad = adConnector(dc);
    try {
      for (let i = 0; i < 3; i++) expect(await ad.bindAsUser(sam.guid, `Wrong!Guess#${i}`)).toMatchObject({ ok: false });
    } finally {
      await ad.close();
    }
    const truth = await adSays(sam.name);
    expect(truth.lockoutTime).not.toBeNull();
    expect(truth.pwdLastSet).not.toBeNull();
    // Samba computes the expiry from pwdLastSet and the domain's maxPwdAge (42 days).
    expect(truth.expires).toBe(truth.pwdLastSet! + 42 * DAY);

    const page = await admin.get(`/admin/users/${sam.name}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2>Active Directory</h2>');
    expect(page.body).toContain(`Locked out since ${formatDateTime(truth.lockoutTime!, 'minute')}`);
    expect(page.body).toMatch(/data-state="ad-summary"><span class="badge off">Locked out in Active Directory</);
    expect(page.body).toMatch(new RegExp(`Password last set</dt><dd>${formatDateTime(truth.pwdLastSet!, 'minute')}</dd>`));
    expect(page.body).toMatch(new RegExp(`Password expires</dt><dd>${formatDateTime(truth.expires!, 'minute')}</dd>`));
    expect(page.body).toMatch(/Must change the password at the next sign-in<\/dt><dd>No<\/dd>/);

    const r = await tp.portal.apiTokens.create({ id: null, name: 'test' }, { name: 'support-ad', scope: 'read' });
    if (!r.ok) throw new Error('token');
    const res = await tp.app.request(`http://portal.test/api/v1/users/${sam.name}/support`, { headers: { authorization: `Bearer ${r.value.token}` } });
    const json = supportViewJsonSchema.parse(await res.json());
    expect(json.ad).toMatchObject({
      ok: true,
      enabled: true,
      lockedOut: true,
      lockedAt: new Date(truth.lockoutTime!).toISOString(),
      passwordLastSet: new Date(truth.pwdLastSet!).toISOString(),
      passwordExpiresAt: new Date(truth.expires!).toISOString(),
      mustChangeAtNextLogon: false,
      protectedAccount: false,
    });

    // A read, not a write: the agent journalled nothing and the audit log has no writeback_job for it.
    const jobs = await tp.store.db.selectFrom('writeback_jobs').select(['kind', 'status']).where('user_id', '=', user.id).execute();
    expect(jobs).toEqual([
      { kind: 'read_account', status: 'applied' },
      { kind: 'read_account', status: 'applied' },
    ]);
    const journal = join(dir, `${agent.name}-journal.json`);
    expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').not.toContain('read_account');
    expect(await tp.store.db.selectFrom('audit_events').select('event').where('event', '=', 'writeback_job').execute()).toEqual([]);
  });

  it('must change at next logon and a protected account are shown as AD has them', async () => {
    const sam = await dc.addUser('sd.admin', 'Quiet!Fern#Lake4');
    const ad = adConnector(dc);
    try {
      expect(await ad.setMustChange(sam.guid, true)).toEqual({ ok: true });
    } finally {
      await ad.close();
    }
    // Protected from here on: the agent no longer writes to it, but it still reads it.
    await dc.samba(['group', 'addmembers', 'Domain Admins', sam.name]);
    await hybrid(sam);
    const page = await admin.get(`/admin/users/${sam.name}`);
    expect(page.body).toMatch(/Must change the password at the next sign-in<\/dt><dd>Yes<\/dd>/);
    expect(page.body).toContain('Yes: an administrator or a member of a protected group');
    expect(page.body).toMatch(/Password last set<\/dt><dd>Not set<\/dd>/);
    expect(page.body).toMatch(/Password expires<\/dt><dd>Already: it must be changed at the next sign-in<\/dd>/);
    expect(page.body).toContain('Not locked out');
  });

  it('an agent that does not answer: the page says so in plain words within seconds, and nothing was changed', async () => {
    await agents.stop();
    const real = new AdExecutor(adConnector(dc), null, 500, adOptions(dc));
    const silent: JobExecutor = {
      reset: (a, p, o) => real.reset(a, p, o),
      change: (a, c, p) => real.change(a, c, p),
      unlock: (a) => real.unlock(a),
      mustChange: (a, on) => real.mustChange(a, on),
      reconcile: (e) => real.reconcile(e),
      policyFor: (a) => real.policyFor(a),
      bind: (a, p) => real.bind(a, p),
      domain: () => real.domain(),
      policy: () => real.policy(),
      readAccount: () => new Promise(() => undefined),
    };
    await run(await newAgent('dc-agent-silent'), silent);
    const sam = await dc.addUser('sd.silent', 'Brisk!Otter#Moss5');
    await hybrid(sam);
    const started = Date.now();
    const page = await admin.get(`/admin/users/${sam.name}`);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(page.status).toBe(200);
    expect(page.body).toContain('The on-premises agent did not answer; AD state is not shown. Nothing was changed.');
    expect(page.body).not.toContain('timeout');
  });
});
