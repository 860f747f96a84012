import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc } from '../../test/helpers/samba-dc.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { adConnector, adOptions } from '../../test/helpers/ad-connector.js';
import { inProcessAgents } from '../../test/helpers/agents-in-process.js';
import { startServer, type RunningServer } from '../server.js';
import { AdExecutor } from '../agent/ad-executor.js';

/**
 * The console's and the API's "Test connection" of an agent, end to end: the real portal server,
 * agents connected over real WebSockets, a real Samba AD DC. One agent reaches the DC, one is
 * pointed at an address where no DC listens, one is registered but not running.
 */

const ADMIN_PW = 'Quiet-Harbour-Lamp-93';
let dc: SambaDc;
let tp: TestPortal;
let server: RunningServer;
let dir: string;
let admin: TestClient;
const ids: Record<'good' | 'lost' | 'idle', string> = { good: '', lost: '', idle: '' };
const agents = inProcessAgents(() => ({ tp, server, dir }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-agent-test-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-length=9']);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, writeback: { jobSeconds: 5, answerSeconds: 5 } } });
  server = await startServer(tp.portal);
  await makeUser(tp.portal, { username: 'root', password: ADMIN_PW, roles: ['administrator'] });
  admin = new TestClient(tp.app);
  expect((await admin.signIn('root', ADMIN_PW)).status).toBe(303);
  const good = await agents.register('dc-agent-good');
  const lost = await agents.register('dc-agent-lost');
  const idle = await agents.register('dc-agent-idle');
  Object.assign(ids, { good: good.agentId, lost: lost.agentId, idle: idle.agentId });
  await agents.run(good, new AdExecutor(adConnector(dc), null, 500, adOptions(dc)));
  // Nothing listens on port 9 of the DC's address: every connection is refused.
  const nowhere = { urls: [`ldaps://${dc.host}:9`], timeoutMs: 2000 };
  await agents.run(lost, new AdExecutor(adConnector(dc, nowhere), null, 500, adOptions(dc, nowhere)));
}, 180_000);

afterAll(async () => {
  await agents.stop();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const events = () => tp.store.db.selectFrom('audit_events').select(['event', 'outcome', 'target_name', 'details']).where('event', 'in', ['agent_tested', 'writeback_job']).orderBy('id').execute();

describe('Test connection of an agent (real Samba AD DC, real WebSockets)', () => {
  it('in the console: the agent that reaches the DC says which DC and domain, and the password policy it read; audited', async () => {
    const page = await admin.get('/admin/agents');
    expect(page.body).toContain('aria-label="Test connection of agent dc-agent-good"');
    expect(page.body).toContain('aria-label="Test connection of agent dc-agent-lost"');
    // An agent that is not running has nothing to test.
    expect(page.body).not.toContain('aria-label="Test connection of agent dc-agent-idle"');
    const tested = await admin.post(`/admin/agents/${ids.good}/test`, {});
    expect(tested.status).toBe(200);
    expect(tested.body).toMatch(new RegExp(`Agent dc-agent-good reached ${dc.tlsServerName.replace(/\./g, '\\.')} for the domain ${dc.realm.toLowerCase().replace(/\./g, '\\.')} and read its password policy \\(minimum length 9\\) in \\d+ ms\\. Writeback through this agent works\\.`, 'i'));
    const audit = (await events()).filter((e) => e.event === 'agent_tested');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'success', target_name: 'dc-agent-good' });
    expect(JSON.parse(audit[0]!.details!)).toMatchObject({ server: dc.tlsServerName });
    // A read: no writeback_job event, and the job's row says what it was.
    expect((await events()).some((e) => e.event === 'writeback_job')).toBe(false);
    expect(await tp.store.db.selectFrom('writeback_jobs').select(['kind', 'status', 'user_id']).execute()).toEqual([{ kind: 'check', status: 'applied', user_id: ids.good }]);
  });

  it('in the console: an agent that cannot reach a DC, and one not running, are told in words with what to check', async () => {
    const lost = await admin.post(`/admin/agents/${ids.lost}/test`, {});
    expect(lost.status).toBe(502);
    expect(lost.body).toContain('Agent dc-agent-lost is connected but could not reach a domain controller. Check the addresses in its configuration (agent.ad.urls), the network and the certificate, then run sspr agent doctor on its machine.');
    const idle = await admin.post(`/admin/agents/${ids.idle}/test`, {});
    expect(idle.status).toBe(502);
    expect(idle.body).toContain('Agent dc-agent-idle is not connected, so it cannot be tested. Start it on its machine, then test again.');
    const audit = (await events()).filter((e) => e.event === 'agent_tested' && e.outcome === 'failure').map((e) => [e.target_name, JSON.parse(e.details!).reason]);
    expect(audit).toEqual([
      ['dc-agent-lost', 'dc_unreachable'],
      ['dc-agent-idle', 'not_connected'],
    ]);
    expect((await admin.post('/admin/agents/no-such-agent/test', {})).status).toBe(404);
  });

  it('over the API: POST /agents/{agent}/test by name answers the outcome and its words; a token without agents:write gets 403', async () => {
    const write = await tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'agents-bot', scope: 'read', areas: ['agents:write'] });
    const read = await tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'agents-reader', scope: 'read', areas: ['agents'] });
    if (!write.ok || !read.ok) throw new Error('tokens');
    const call = (name: string, token: string) => tp.app.request(`http://localhost:8080/api/v1/agents/${name}/test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const good = await call('dc-agent-good', write.value.token);
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ agent: 'dc-agent-good', ok: true, server: dc.tlsServerName, minLength: 9, message: expect.stringContaining('Writeback through this agent works.') });
    const lost = await call('dc-agent-lost', write.value.token);
    expect(await lost.json()).toMatchObject({ agent: 'dc-agent-lost', ok: false, reason: 'dc_unreachable', message: expect.stringContaining('could not reach a domain controller') });
    expect((await call('dc-agent-good', read.value.token)).status).toBe(403);
    expect((await call('nobody', write.value.token)).status).toBe(404);
  });
});
