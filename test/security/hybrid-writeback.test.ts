import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdExecutor } from '../../src/agent/ad-executor.js';
import { AgentClient, type AgentState } from '../../src/agent/agent-client.js';
import { Journal } from '../../src/agent/journal.js';
import { registerAgent } from '../../src/agent/state.js';
import type { User } from '../../src/directory/users.js';
import { createLogger } from '../../src/logging/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { adConnector, adOptions, bindsAs } from '../helpers/ad-connector.js';
import { TestClient } from '../helpers/http-client.js';
import { lastCodeTo, messagesTo } from '../helpers/outbox.js';
import { flowOf, solveCaptcha } from '../helpers/reset-flow.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../helpers/samba-dc.js';
import { createTestPortal, logCapture, type TestPortal } from '../helpers/test-portal.js';

/**
 * Against a real Samba AD DC, through the real portal server and a real agent:
 * - the request step (naming the user, choosing a method, wrong codes, the block) never changes
 *   anything on the AD account: no bad-password count, no lockout, no new password;
 * - a job delivered twice to the agent is applied once, the second time answered from its journal.
 */
let dc: SambaDc;
let tp: TestPortal;
let server: RunningServer;
let dir: string;
let agent: AgentClient;
let resetsApplied = 0;
const agentLogs = logCapture();

/** The account's attributes that any bind, lockout or password write would move (samba-tool reads them from the DC's own database). */
async function adState(sam: SambaUser): Promise<Record<string, string>> {
  const attrs = ['badPwdCount', 'badPasswordTime', 'lockoutTime', 'pwdLastSet', 'uSNChanged', 'whenChanged', 'userAccountControl'];
  const out = await dc.samba(['user', 'show', sam.name, `--attributes=${attrs.join(',')}`]);
  const state: Record<string, string> = Object.fromEntries(attrs.map((a) => [a, '(none)']));
  for (const line of out.split('\n')) {
    const m = /^(\w+): (.*)$/.exec(line.trim());
    if (m && attrs.includes(m[1]!)) state[m[1]!] = m[2]!;
  }
  return state;
}

async function hybridWithEmail(sam: SambaUser, address: string): Promise<User> {
  const user = await tp.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
  const m = await tp.portal.methods.addContact(user.id, 'email', address);
  await tp.portal.methods.confirm(user.id, m.id);
  return user;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-hybrid-security-'));
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0', '--account-lockout-threshold=3']);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, reset: { captchaMaxNumber: 200 }, writeback: { jobSeconds: 5, answerSeconds: 10 } } });
  server = await startServer(tp.portal);
  const { token } = await tp.portal.agents.createRegistrationToken({ id: null, name: 'test' });
  const r = await registerAgent({ portalUrl: server.url, token, name: 'agent-untouched', version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  const state: AgentState = { ...r.value, portalUrl: tp.config.publicUrl };
  // The real executor; only its password writes are counted.
  const real = new AdExecutor(adConnector(dc), null, 500, adOptions(dc));
  const counted = Object.create(real) as AdExecutor;
  counted.reset = (...args: Parameters<AdExecutor['reset']>) => {
    resetsApplied++;
    return real.reset(...args);
  };
  agent = new AgentClient({ state, executor: counted, journal: new Journal(join(dir, 'journal.json')), logger: createLogger('debug', agentLogs.stream), version: '0.1.0', connectUrl: server.url, backoffMs: { first: 50, max: 200 } });
  agent.start();
  await agent.waitConnected();
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await tp?.portal.resets.settled().catch(() => undefined);
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a hybrid user against a real AD DC', { timeout: 120_000 }, () => {
  it('the request step on /reset and /unlock (naming the user, choosing a method, five wrong codes across both, the block that follows) changes nothing on the AD account: bad-password count, lockout, pwdLastSet and uSNChanged stay', async () => {
    const sam = await dc.addUser('req.untouched', 'Start!Pass#2024');
    await hybridWithEmail(sam, 'req.untouched@mail.test');
    const before = await adState(sam);
    expect(before['pwdLastSet']).not.toBe('(none)');
    expect(before['uSNChanged']).not.toBe('(none)');

    // Unlock first with two wrong codes, then reset with three: the fifth failure of the day blocks.
    for (const [intent, wrongTries] of [['unlock', 2], ['reset', 3]] as const) {
      const c = new TestClient(tp.app);
      await c.get(`/${intent}`);
      const flow = flowOf(await c.post(`/${intent}`, { username: 'req.untouched', captcha: await solveCaptcha(c) }));
      await c.get(`/reset/verify?flow=${flow}`);
      expect((await c.post('/reset/verify/choose', { flow, choice: 'email', contact: 'req.untouched@mail.test' })).status, intent).toBe(303);
      await tp.portal.resets.settled();
      const code = await lastCodeTo(tp.portal, 'req.untouched@mail.test');
      const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, '0');
      const statuses: number[] = [];
      for (let i = 0; i < wrongTries; i++) statuses.push((await c.post('/reset/verify/code', { flow, code: wrong })).status);
      expect(statuses.slice(0, -1).every((s) => s === 400)).toBe(true);
      if (intent === 'reset') {
        expect(statuses.at(-1)).toBe(429);
        // Blocked now: even the right code does not pass.
        await c.post('/reset/verify/code', { flow, code });
        expect((await c.get(`/reset/verify?flow=${flow}`)).body).not.toContain('Choose a new password');
      }
      expect(await adState(sam), intent).toEqual(before);
    }
    // The block holds for a new unlock too, and still nothing reaches AD.
    const again = new TestClient(tp.app);
    await again.get('/unlock');
    const blockedFlow = flowOf(await again.post('/unlock', { username: 'req.untouched', captcha: await solveCaptcha(again) }));
    await again.get(`/reset/verify?flow=${blockedFlow}`);
    expect((await again.post('/reset/verify/choose', { flow: blockedFlow, choice: 'email', contact: 'req.untouched@mail.test' })).status).toBe(429);
    expect(await adState(sam)).toEqual(before);
    // The portal's block stops the reset, not the account: the AD password still signs in.
    expect(await bindsAs(dc, sam.guid, 'Start!Pass#2024')).toBe(true);
    expect((await messagesTo(tp.portal, 'req.untouched@mail.test')).length).toBeGreaterThan(0);
    // The attributes do move when AD is touched: one wrong bind counts.
    expect(await bindsAs(dc, sam.guid, 'Wrong!Pass#1')).toBe(false);
    const after = await adState(sam);
    expect(Number(after['badPwdCount'])).toBe(Number(before['badPwdCount'] === '(none)' ? 0 : before['badPwdCount']) + 1);
  });

  it('a reset job delivered twice to the agent is applied once: the second delivery is answered from the journal, with the same verdict', async () => {
    const sam = await dc.addUser('wb.twice', 'Start!Pass#2024');
    const user = await tp.portal.users.create({ username: sam.name, displayName: sam.name, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: sam.guid });
    // The portal's end of the agent's WebSocket: every job it sends is sent again just before
    // its acknowledgement, as a doubled delivery would (the agent still holds the verdict then).
    const hub = tp.portal.agentHub as unknown as { connections: { sessions(): Array<{ ws: { send(data: string): void; on(event: 'message', f: (raw: Buffer) => void): void } }> } };
    const [session] = hub.connections.sessions();
    expect(session).toBeDefined();
    const ws = session!.ws;
    const realSend = ws.send.bind(ws);
    const sentJobs = new Map<string, string>();
    const redelivered: string[] = [];
    const results: Array<{ id: string; verdict: unknown }> = [];
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { t: string; id?: string; verdict?: unknown };
      if (m.t === 'result') results.push({ id: m.id!, verdict: m.verdict });
    });
    ws.send = (data: string) => {
      const m = JSON.parse(data) as { t: string; id?: string; job?: { id: string } };
      if (m.t === 'job') sentJobs.set(m.job!.id, data);
      if (m.t === 'ack' && sentJobs.has(m.id!)) {
        realSend(sentJobs.get(m.id!)!);
        sentJobs.delete(m.id!);
        redelivered.push(m.id!);
      }
      realSend(data);
    };
    try {
      const before = await adState(sam);
      resetsApplied = 0;
      expect(await tp.portal.writeback.reset(user, 'Twice-Sent!Pass#31')).toEqual({ ok: true, value: { historyEnforced: false } });
      const job = (await tp.store.db.selectFrom('writeback_jobs').selectAll().where('user_id', '=', user.id).execute())[0]!;
      // Wait for the answer to the second delivery.
      for (let i = 0; i < 100 && results.filter((r) => r.id === job.id).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(redelivered).toEqual([job.id]);
      const answers = results.filter((r) => r.id === job.id);
      expect(answers).toHaveLength(2);
      expect(answers[1]!.verdict).toEqual(answers[0]!.verdict);
      expect(answers[0]!.verdict).toMatchObject({ ok: true });
      // AD got the password once.
      expect(resetsApplied).toBe(1);
      const after = await adState(sam);
      expect(after['pwdLastSet']).not.toBe(before['pwdLastSet']);
      expect(await bindsAs(dc, sam.guid, 'Twice-Sent!Pass#31')).toBe(true);
      expect(await tp.store.db.selectFrom('writeback_jobs').select(['status', 'verdict']).where('id', '=', job.id).execute()).toEqual([{ status: 'applied', verdict: 'applied' }]);
      // Nothing is applied later either: the password AD has stays, and pwdLastSet does not move again.
      await new Promise((r) => setTimeout(r, 500));
      expect((await adState(sam))['pwdLastSet']).toBe(after['pwdLastSet']);
      expect(resetsApplied).toBe(1);
    } finally {
      ws.send = realSend;
    }
  });
});
