import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { parsedMessages, SMTP_PASSWORD, startSmtp } from '../../test/helpers/smtp-sink.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { chooseEmail, flowOf, registered, startReset } from '../../test/helpers/reset-flow.js';
import type { ConfigInput } from '../config/schema.js';

const PW = 'correct horse battery';
const TWILIO_TOKEN = 'twilio-Secret-Token-5521';

describe('stored settings in the console', () => {
  let tp: TestPortal | undefined;
  let sink: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await tp?.portal.resets.settled();
    await tp?.cleanup();
    await sink?.close();
    tp = undefined;
    sink = undefined;
  });

  async function admin(config: ConfigInput = {}) {
    tp = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 }, ...config }, manualTime: true });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'], email: 'root@corp.test' });
    const c = new TestClient(tp.app);
    expect((await c.signIn('root', PW)).status).toBe(303);
    return c;
  }

  const deliveryForm = (port: number, extra: Record<string, string> = {}) => ({
    expectedVersion: '0',
    mode: 'smtp',
    'smtp-host': '127.0.0.1',
    'smtp-port': String(port),
    'smtp-secure': 'no',
    'smtp-requireTls': 'yes',
    'smtp-rejectUnauthorized': 'no',
    'smtp-user': 'mailer',
    'smtp-password': SMTP_PASSWORD,
    'smtp-from': 'IT Service Desk <it-desk@corp.test>',
    'phone-provider': 'outbox',
    'phone-timeoutMs': '10000',
    'limits-perDestinationPerHour': '5',
    'limits-perDestinationPerDay': '10',
    'limits-globalPerHour': '1000',
    'retries-attempts': '1',
    'retries-backoffMs': '0',
    ...extra,
  });

  it('SMTP set in the console takes effect at once: the test email arrives at the SMTP server from the new sender', async () => {
    sink = await startSmtp();
    const c = await admin();
    expect((await c.get('/admin/settings/delivery')).status).toBe(200);
    const saved = await c.post('/admin/settings/delivery', deliveryForm(sink.port));
    expect(saved.status, saved.body).toBe(303);
    expect(saved.res.headers.get('location')).toBe('/admin/settings/delivery?done=saved');
    const page = await c.get('/admin/settings/delivery?done=saved');
    expect(page.body).toContain('Settings saved.');
    expect(page.body).toContain('Saved. Leave empty to keep it');
    const sent = await c.post('/admin/settings/delivery/test-email', { to: 'ops@corp.test' });
    expect(sent.status, sent.body).toBe(200);
    expect(sent.body).toContain('The test message was handed to SMTP 127.0.0.1');
    const [mail] = await parsedMessages(sink.received);
    expect(sink.received[0]!.from).toBe('it-desk@corp.test');
    expect(sink.received[0]!.to).toEqual(['ops@corp.test']);
    expect(sink.received[0]!.user).toBe('mailer');
    expect(mail!.from?.text).toContain('IT Service Desk');
    expect(mail!.subject).toContain('Test message');
    const audit = await tp!.store.db.selectFrom('audit_events').select(['event', 'outcome', 'details']).where('event', 'in', ['settings_changed', 'settings_test_sent']).orderBy('id').execute();
    expect(audit.map((a) => [a.event, a.outcome])).toEqual([
      ['settings_changed', 'success'],
      ['settings_test_sent', 'success'],
    ]);
    expect(JSON.parse(audit[0]!.details!)).toMatchObject({ section: 'delivery', version: 1 });
    expect(JSON.parse(audit[0]!.details!).changed).toContain('smtp');
  });

  it('a secret is never shown again, nor in the audit log, the API, the store in clear, or the logs; empty keeps it, "remove" removes it', async () => {
    sink = await startSmtp();
    const c = await admin();
    await c.get('/admin/settings/delivery');
    expect((await c.post('/admin/settings/delivery', deliveryForm(sink.port, { 'phone-provider': 'twilio', 'phone-twilio-accountSid': 'AC123', 'phone-twilio-authToken': TWILIO_TOKEN, 'phone-twilio-from': '+15005550006' }))).status).toBe(303);
    // Saved again with the secret fields empty: both kept.
    await c.get('/admin/settings/delivery');
    expect((await c.post('/admin/settings/delivery', deliveryForm(sink.port, { expectedVersion: '1', 'smtp-password': '', 'phone-provider': 'twilio', 'phone-twilio-accountSid': 'AC123', 'phone-twilio-from': '+15005550007' }))).status).toBe(303);
    const values = tp!.portal.settings.snapshot().delivery.values;
    expect(values.smtp?.password).toBe(SMTP_PASSWORD);
    expect(values.phone.twilio?.authToken).toBe(TWILIO_TOKEN);
    expect(values.phone.twilio?.from).toBe('+15005550007');

    const page = (await c.get('/admin/settings/delivery')).body;
    const token = await tp!.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'reader', scope: 'read' });
    if (!token.ok) throw new Error('token');
    const api = await tp!.app.request('http://portal.test/api/v1/settings/delivery', { headers: { authorization: `Bearer ${token.value.token}` } });
    const apiText = await api.text();
    expect(api.status).toBe(200);
    expect(JSON.parse(apiText).settings.smtp.password).toEqual({ set: true });
    const versions = await (await tp!.app.request('http://portal.test/api/v1/settings/delivery/versions', { headers: { authorization: `Bearer ${token.value.token}` } })).text();
    const stored = JSON.stringify(await tp!.store.db.selectFrom('settings_versions').selectAll().execute());
    const audit = JSON.stringify(await tp!.store.db.selectFrom('audit_events').selectAll().execute());
    for (const [where, text] of Object.entries({ page, api: apiText, versions, stored, audit, logs: tp!.logs() })) {
      expect(text, where).not.toContain(SMTP_PASSWORD);
      expect(text, where).not.toContain(TWILIO_TOKEN);
    }

    // "Remove the saved value" removes it.
    expect((await c.post('/admin/settings/delivery', deliveryForm(sink.port, { expectedVersion: '2', 'smtp-password': '', 'smtp-password--remove': 'yes' }))).status).toBe(303);
    expect(tp!.portal.settings.snapshot().delivery.values.smtp?.password).toBeUndefined();
  });

  it('a new throttle number blocks at the new count', async () => {
    const c = await admin();
    await c.get('/admin/settings/throttling');
    const saved = await c.post('/admin/settings/throttling', { expectedVersion: '0', failedVerificationsPerDay: '2', blockHours: '3', phoneOrAppChecksPerHour: '5', emailSendsPer10Minutes: '10' });
    expect(saved.status, saved.body).toBe(303);
    const alice = await registered(tp!.portal, 'alice');
    const user = new TestClient(tp!.app);
    const flow = flowOf(await startReset(user, 'alice'));
    expect((await chooseEmail(user, flow, alice.email)).status).toBe(303);
    await tp!.portal.resets.settled();
    const first = await user.post('/reset/verify/code', { flow, code: '00000001' });
    expect(first.status).toBe(400);
    expect(first.body).toContain('1 attempt left before self-service is blocked for 3 hours.');
    const second = await user.post('/reset/verify/code', { flow, code: '00000001' });
    expect(second.status).toBe(429);
  });

  it('the sign-in lockout and the reset numbers set in the console apply at once: a username locks at the new count, a robot check gets the new difficulty', async () => {
    const c = await admin();
    await c.get('/admin/settings/sign-in');
    const saved = await c.post('/admin/settings/sign-in', { expectedVersion: '0', lockoutThreshold: '2', lockoutSeconds: '120', lockoutGrowth: '1,5', lockoutMaxSeconds: '3600', failureWindowHours: '24', ipFailuresPerHour: '100' });
    expect(saved.status, saved.body).toBe(303);
    expect(tp!.portal.settings.snapshot().signIn.values).toMatchObject({ lockoutThreshold: 2, lockoutGrowth: 1.5 });
    await makeUser(tp!.portal, { username: 'lena', password: PW });
    const attempt = (password: string) => tp!.portal.signIn.attempt({ username: 'lena', password, ip: '192.0.2.9', userAgent: 't', browserId: 'b', next: '/account' });
    expect(await attempt('wrong one')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await attempt('wrong two')).toMatchObject({ ok: false, reason: 'locked' });
    expect(await attempt(PW)).toMatchObject({ ok: false, reason: 'locked' });

    await c.get('/admin/settings/reset');
    expect((await c.post('/admin/settings/reset', { expectedVersion: '0', flowMinutes: '10', captchaMaxNumber: '1234', startsPerIpPerHour: '30' })).status).toBe(303);
    const challenge = JSON.parse((await new TestClient(tp!.app).get('/reset/captcha')).body) as { maxnumber?: number; maxNumber?: number };
    expect(challenge.maxnumber ?? challenge.maxNumber).toBe(1234);
  });

  it('wrong values are refused in words, field by field, and nothing changes; a stale version is a conflict', async () => {
    const c = await admin();
    await c.get('/admin/settings/throttling');
    const bad = await c.post('/admin/settings/throttling', { expectedVersion: '0', failedVerificationsPerDay: '0', blockHours: 'many', phoneOrAppChecksPerHour: '5', emailSendsPer10Minutes: '1000' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Must be at least 1.');
    expect(bad.body).toContain('Enter a number.');
    expect(bad.body).toContain('Must be at most 100.');
    expect(bad.body).toContain('href="#f-failedVerificationsPerDay"');
    expect(bad.body).toContain('aria-invalid="true"');
    await c.get('/admin/settings/delivery');
    const noSmtp = await c.post('/admin/settings/delivery', { expectedVersion: '0', mode: 'smtp', 'phone-provider': 'outbox' });
    expect(noSmtp.status).toBe(400);
    expect(noSmtp.body).toContain('Fill in the SMTP server to send email through it.');
    expect(noSmtp.body).toContain('href="#f-smtp-host"');
    const stale = await c.post('/admin/settings/throttling', { expectedVersion: '4', failedVerificationsPerDay: '3', blockHours: '1', phoneOrAppChecksPerHour: '5', emailSendsPer10Minutes: '10' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('Someone else saved these settings');
    const all = await tp!.portal.settings.refresh();
    expect([all.throttling.version, all.delivery.version]).toEqual([0, 0]);
    expect(await tp!.store.db.selectFrom('audit_events').select('id').where('event', '=', 'settings_changed').execute()).toEqual([]);
  });

  it('a value fixed by the file is shown disabled with its reason, kept on save, and refused over the API when changed', async () => {
    const c = await admin({ throttling: { blockHours: 6 }, fixedSettings: ['throttling.blockHours'] });
    const page = await c.get('/admin/settings/throttling');
    expect(page.body).toMatch(/<input id="f-blockHours"[^>]*disabled/);
    expect(page.body).toContain('Fixed in the server’s configuration');
    const saved = await c.post('/admin/settings/throttling', { expectedVersion: '0', failedVerificationsPerDay: '4', phoneOrAppChecksPerHour: '5', emailSendsPer10Minutes: '10' });
    expect(saved.status, saved.body).toBe(303);
    expect(tp!.portal.settings.snapshot().throttling.values).toMatchObject({ failedVerificationsPerDay: 4, blockHours: 6 });
    const token = await tp!.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'writer', scope: 'write' });
    if (!token.ok) throw new Error('token');
    const put = (settings: unknown) =>
      tp!.app.request('http://portal.test/api/v1/settings/throttling', { method: 'PATCH', headers: { authorization: `Bearer ${token.value.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ settings }) });
    const refused = await put({ blockHours: 1 });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('throttling.blockHours');
    const same = await put({ blockHours: 6, emailSendsPer10Minutes: 7 });
    expect(same.status).toBe(200);
    expect(((await same.json()) as { version: number; fixed: string[] })).toMatchObject({ version: 2, fixed: ['blockHours'] });
  });
});
