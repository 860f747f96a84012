import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { ConfigInput } from '../config/schema.js';

const SID = 'AC0123456789abcdef';
const TOKEN = 'twilio-auth-token-Secret-77';
const WEBHOOK_TOKEN = 'webhook-bearer-token-0123456789';
const FROM = '+15005550006';
const TO = '+4915112345678';
const CODE = '48213907';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on loopback; `answer` decides each response (or never answers). */
async function startHttp(answer: (req: Seen, res: ServerResponse, n: number) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const s = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      answer(s, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** Speaks the part of Twilio's REST API we use: Basic auth, form bodies, 201 with JSON. */
function twilioApi(req: Seen, res: ServerResponse) {
  const expected = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
  if (req.headers.authorization !== expected) return json(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
  if (req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return json(res, 400, { code: 20001, status: 400 });
  const m = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.path);
  if (!m || m[1] !== SID) return json(res, 404, { code: 20404, status: 404 });
  const form = new URLSearchParams(req.body);
  if (!form.get('To') || !form.get('From') || !(form.get(m[2] === 'Messages' ? 'Body' : 'Twiml'))) return json(res, 400, { code: 21604, status: 400 });
  return json(res, 201, { sid: m[2] === 'Messages' ? 'SM0001' : 'CA0001', status: 'queued' });
}

function twilioConfig(baseUrl: string, extra: { token?: string; timeoutMs?: number } = {}): ConfigInput {
  return {
    delivery: {
      phone: { provider: 'twilio', twilio: { accountSid: SID, authToken: extra.token ?? TOKEN, from: FROM, baseUrl }, timeoutMs: extra.timeoutMs ?? 5000 },
      retries: { attempts: 3, backoffMs: 10 },
    },
  };
}

async function logRows(tp: TestPortal) {
  return tp.store.db.selectFrom('delivery_log').selectAll().orderBy('id').execute();
}

describe('SMS and voice through a Twilio-compatible API', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function setup(answer: Parameters<typeof startHttp>[0], extra: { token?: string; timeoutMs?: number } = {}) {
    const api = await startHttp(answer);
    cleanups.push(api.close);
    const tp = await createTestPortal({ config: twilioConfig(api.url, extra) });
    cleanups.push(tp.cleanup);
    return { api, tp };
  }

  it('sends an SMS as a form with To, From and Body, authenticated with the account sid and token', async () => {
    const { api, tp } = await setup(twilioApi);
    const result = await tp.portal.delivery.sms({ to: '+49 151 1234 5678', text: `${CODE} is your code`, kind: 'code', userId: null });
    expect(result).toEqual({ ok: true, value: undefined });
    expect(api.seen).toHaveLength(1);
    const req = api.seen[0]!;
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ To: TO, From: FROM, Body: `${CODE} is your code` });
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ channel: 'sms', provider: 'twilio', status: 'sent', attempts: 1, destination_hint: '+49 •••• ••78' });
    expect(JSON.stringify(row)).not.toContain('5112345678');
    // no message text (it carries the code) and no token in the logs
    expect(tp.logs()).toContain('message sent');
    expect(tp.logs()).not.toContain(CODE);
    expect(tp.logs()).not.toContain(TOKEN);
  });

  it('places a voice call whose TwiML says the text twice with a pause, XML-escaped', async () => {
    const { api, tp } = await setup(twilioApi);
    const say = 'Your code is 4, 8, 2. <Play>http://evil.example/x.mp3</Play> & "bye"';
    const result = await tp.portal.delivery.voice({ to: TO, say, kind: 'code' });
    expect(result).toEqual({ ok: true, value: undefined });
    const req = api.seen[0]!;
    expect(req.path).toBe(`/2010-04-01/Accounts/${SID}/Calls.json`);
    const form = new URLSearchParams(req.body);
    expect(form.get('To')).toBe(TO);
    expect(form.get('From')).toBe(FROM);
    const escaped = 'Your code is 4, 8, 2. &lt;Play&gt;http://evil.example/x.mp3&lt;/Play&gt; &amp; &quot;bye&quot;';
    expect(form.get('Twiml')).toBe(`<Response><Say language="en-US">${escaped}</Say><Pause length="1"/><Say language="en-US">${escaped}</Say></Response>`);
    expect(form.get('Twiml')).not.toContain('<Play>');
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ channel: 'voice', provider: 'twilio', status: 'sent' });
  });

  it('retries a provider error (500) with the same idempotency token, then reports failed', async () => {
    const { api, tp } = await setup((_req, res) => json(res, 500, { code: 20500, message: `Internal error for ${TO}` }));
    const result = await tp.portal.delivery.sms({ to: TO, text: `${CODE} is your code`, kind: 'code' });
    expect(result).toEqual({ ok: false, reason: 'failed', detail: 'HTTP 500 (provider code 20500)' });
    expect(api.seen).toHaveLength(3);
    const tokens = new Set(api.seen.map((s) => s.headers['i-twilio-idempotency-token']));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, error: 'HTTP 500 (provider code 20500)' });
    expect(tp.logs()).toContain('message not sent: delivery failed');
  });

  it('succeeds on a later try after a transient provider error', async () => {
    const { api, tp } = await setup((req, res, n) => (n === 1 ? json(res, 503, {}) : twilioApi(req, res)));
    expect(await tp.portal.delivery.sms({ to: TO, text: 'hello', kind: 'test' })).toEqual({ ok: true, value: undefined });
    expect(api.seen).toHaveLength(2);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('does not retry an answer that cannot change (401, wrong credentials)', async () => {
    const { api, tp } = await setup(twilioApi, { token: 'wrong-token-value' });
    const result = await tp.portal.delivery.sms({ to: TO, text: 'hello', kind: 'test' });
    expect(result).toEqual({ ok: false, reason: 'failed', detail: 'HTTP 401 (provider code 20003)' });
    expect(api.seen).toHaveLength(1);
    expect(tp.logs()).not.toContain('wrong-token-value');
  });

  it('gives up on a provider that does not answer within timeoutMs, on every try', async () => {
    const { api, tp } = await setup(() => undefined, { timeoutMs: 200 });
    const started = performance.now();
    const result = await tp.portal.delivery.sms({ to: TO, text: 'hello', kind: 'test' });
    const elapsed = performance.now() - started;
    expect(result).toEqual({ ok: false, reason: 'failed', detail: 'timed out after 200 ms' });
    expect(api.seen).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 200 - 20);
    expect(elapsed).toBeLessThan(3000);
  });

  it('retries when the provider cannot be reached, then reports a network error', async () => {
    const api = await startHttp(twilioApi);
    await api.close();
    const tp = await createTestPortal({ config: twilioConfig(api.url) });
    cleanups.push(tp.cleanup);
    const result = await tp.portal.delivery.voice({ to: TO, say: 'hello', kind: 'test' });
    expect(result).toMatchObject({ ok: false, reason: 'failed', detail: 'network error: ECONNREFUSED' });
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('refuses a number that is not E.164 before anything is sent', async () => {
    const { api, tp } = await setup(twilioApi);
    const result = await tp.portal.delivery.sms({ to: '0151 1234', text: 'hello', kind: 'test' });
    expect(result).toMatchObject({ ok: false, reason: 'failed' });
    expect(api.seen).toHaveLength(0);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 0 });
    expect(row!.error).toMatch(/E\.164/);
  });
});

describe('SMS and voice through a JSON webhook', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function setup(answer: Parameters<typeof startHttp>[0], token?: string) {
    const hook = await startHttp(answer);
    cleanups.push(hook.close);
    const tp = await createTestPortal({
      config: { delivery: { phone: { provider: 'webhook', webhook: { url: `${hook.url}/hooks/sms`, ...(token ? { token } : {}) }, timeoutMs: 2000 }, retries: { attempts: 2, backoffMs: 10 } } },
    });
    cleanups.push(tp.cleanup);
    return { hook, tp };
  }

  it('posts SMS and voice as JSON with the bearer token', async () => {
    const { hook, tp } = await setup((req, res) => (req.headers.authorization === `Bearer ${WEBHOOK_TOKEN}` ? json(res, 202, { accepted: true }) : json(res, 401, {})), WEBHOOK_TOKEN);
    expect(await tp.portal.delivery.sms({ to: TO, text: `${CODE} is your code`, kind: 'code', userId: 'u1' })).toEqual({ ok: true, value: undefined });
    expect(await tp.portal.delivery.voice({ to: TO, say: 'Your code is 4, 8.', kind: 'code' })).toEqual({ ok: true, value: undefined });
    expect(hook.seen.map((s) => [s.method, s.path, s.headers['content-type']])).toEqual([
      ['POST', '/hooks/sms', 'application/json'],
      ['POST', '/hooks/sms', 'application/json'],
    ]);
    expect(JSON.parse(hook.seen[0]!.body)).toEqual({ channel: 'sms', to: TO, text: `${CODE} is your code`, kind: 'code' });
    expect(JSON.parse(hook.seen[1]!.body)).toEqual({ channel: 'voice', to: TO, say: 'Your code is 4, 8.', kind: 'code', language: 'en' });
    const rows = await logRows(tp);
    expect(rows.map((r) => [r.channel, r.provider, r.status, r.user_id])).toEqual([
      ['sms', 'webhook', 'sent', 'u1'],
      ['voice', 'webhook', 'sent', null],
    ]);
    expect(tp.logs()).not.toContain(WEBHOOK_TOKEN);
    expect(tp.logs()).not.toContain(CODE);
  });

  it('sends no Authorization header when no token is configured', async () => {
    const { hook, tp } = await setup((_req, res) => json(res, 200, {}));
    expect(await tp.portal.delivery.sms({ to: TO, text: 'hi', kind: 'test' })).toEqual({ ok: true, value: undefined });
    expect(hook.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a failing webhook (502), then reports failed', async () => {
    const { hook, tp } = await setup((_req, res) => json(res, 502, { error: 'upstream' }), WEBHOOK_TOKEN);
    const result = await tp.portal.delivery.voice({ to: TO, say: 'hello', kind: 'test' });
    expect(result).toEqual({ ok: false, reason: 'failed', detail: 'HTTP 502' });
    expect(hook.seen).toHaveLength(2);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 2, error: 'HTTP 502', provider: 'webhook' });
  });
});
