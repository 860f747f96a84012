import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { renderEmail } from './templates.js';

const PW = 'correct horse battery';
const CODE = '48213907';
const ADDRESS = 'alice.wonder@example.com';
const NUMBER = '+4915112345678';
/** These tests are about the delivery pages: the security-info registration interrupt after sign-in is off. */
const signInOnly = { methods: { registrationRequired: false } };

async function sendSome(tp: TestPortal) {
  const mail = renderEmail(tp.config.branding, { title: 'Your verification code', paragraphs: ['Use this code within five minutes.'], code: CODE });
  expect(await tp.portal.delivery.email({ to: ADDRESS, kind: 'code', userId: null, ...mail })).toEqual({ ok: true, value: undefined });
  expect(await tp.portal.delivery.sms({ to: NUMBER, text: `${CODE} is your verification code`, kind: 'code' })).toEqual({ ok: true, value: undefined });
  expect(await tp.portal.delivery.voice({ to: NUMBER, say: 'Your code is 4, 8, 2, 1, 3, 9, 0, 7.', kind: 'code' })).toEqual({ ok: true, value: undefined });
}

describe('outbox delivery', () => {
  let tp: TestPortal;
  afterEach(() => tp.cleanup());

  it('keeps messages sealed: the raw tables hold no address, number, subject or text', async () => {
    tp = await createTestPortal({ config: signInOnly });
    await sendSome(tp);
    const outbox = await tp.store.db.selectFrom('outbox_messages').selectAll().orderBy('id').execute();
    expect(outbox.map((r) => r.channel)).toEqual(['email', 'sms', 'voice']);
    const raw = JSON.stringify(outbox);
    for (const secret of [ADDRESS, 'alice', 'example.com', NUMBER, '5112345678', CODE, 'verification code', 'Your code is']) expect(raw).not.toContain(secret);
    for (const r of outbox) {
      expect(r.destination).toMatch(/^v1\./);
      expect(r.body).toMatch(/^v1\./);
    }
    // sealed to their column: a value moved to another column does not open
    expect(tp.portal.cipher.open(outbox[0]!.destination, 'outbox:destination')).toBe(ADDRESS);
    expect(() => tp.portal.cipher.open(outbox[0]!.destination, 'outbox:body')).toThrow();

    const log = await tp.store.db.selectFrom('delivery_log').selectAll().orderBy('id').execute();
    expect(log.map((r) => [r.channel, r.provider, r.status, r.destination_hint])).toEqual([
      ['email', 'outbox', 'sent', 'a•••@example.com'],
      ['sms', 'outbox', 'sent', '+49 •••• ••78'],
      ['voice', 'outbox', 'sent', '+49 •••• ••78'],
    ]);
    // one number, one hash, whatever the channel; nothing readable
    expect(log[1]!.destination_hash).toBe(log[2]!.destination_hash);
    expect(log[0]!.destination_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const secret of [ADDRESS, NUMBER, '5112345678', CODE]) expect(JSON.stringify(log)).not.toContain(secret);
    expect(tp.logs()).not.toContain(CODE);
  });

  it('shows the outbox decrypted, newest first, to an administrator, with the not-for-production banner', async () => {
    tp = await createTestPortal({ config: signInOnly });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    await sendSome(tp);
    expect((await tp.portal.delivery.sms({ to: '+4915100000001', text: '<script>alert(1)</script> & co', kind: 'test' })).ok).toBe(true);
    const admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
    const page = await admin.get('/admin/outbox');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Outbox delivery: messages are not sent. Not for production.');
    expect(page.body).toContain(ADDRESS);
    expect(page.body).toContain('Your verification code · OpenSSPR');
    expect(page.body).toContain(`${CODE} is your verification code`);
    expect(page.body).toContain(`Your code: ${CODE}`);
    expect(page.body).toContain('<pre class="message">');
    expect(page.body).toContain(NUMBER);
    // values are escaped, never markup
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(page.body).not.toContain('<script>alert(1)');
    // newest first: test sms, voice, sms, email
    const order = ['alert(1)', 'Your code is 4, 8', `${CODE} is your verification code`, 'Your code: '].map((s) => page.body.indexOf(s));
    expect(order.every((n) => n > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // the admin navigation has both pages
    expect(page.body).toContain('href="/admin/outbox"');
    expect(page.body).toContain('href="/admin/delivery"');
  });

  it('pages through a long outbox', async () => {
    tp = await createTestPortal({ config: signInOnly });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    for (let i = 1; i <= 25; i++) expect((await tp.portal.delivery.sms({ to: `+44770090${String(i).padStart(4, '0')}`, text: `message number ${i}.`, kind: 'test' })).ok).toBe(true);
    const admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
    const first = await admin.get('/admin/outbox');
    expect(first.body).toContain('25 messages');
    expect(first.body).toContain('message number 25.');
    expect(first.body).toContain('message number 6.');
    expect(first.body).not.toContain('message number 5.');
    expect(first.body).toContain('href="/admin/outbox?page=2"');
    const second = await admin.get('/admin/outbox?page=2');
    expect(second.body).toContain('message number 5.');
    expect(second.body).toContain('message number 1.');
    expect(second.body).not.toContain('message number 6.');
    expect(second.body).toContain('Page 2 of 2');
    // a page past the end shows the last page, not an error
    expect((await admin.get('/admin/outbox?page=99')).body).toContain('Page 2 of 2');
  });

  it('shows delivery attempts with failures, refusals and the counts of the last 24 hours', async () => {
    tp = await createTestPortal({ config: { ...signInOnly, delivery: { limits: { perDestinationPerHour: 1 } } } });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    expect((await tp.portal.delivery.sms({ to: NUMBER, text: 'one', kind: 'code' })).ok).toBe(true);
    expect(await tp.portal.delivery.sms({ to: NUMBER, text: 'two', kind: 'code' })).toMatchObject({ reason: 'rate_limited' });
    expect(await tp.portal.delivery.sms({ to: '0151-not-a-number', text: 'three', kind: 'code' })).toMatchObject({ reason: 'failed' });
    const admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
    const page = await admin.get('/admin/delivery');
    expect(page.status).toBe(200);
    expect(page.body).toContain('3 attempts');
    expect(page.body).toMatch(/<span class="n">1<\/span>Sent/);
    expect(page.body).toMatch(/<span class="n">1<\/span>Failed/);
    expect(page.body).toMatch(/<span class="n">1<\/span>Rate-limited/);
    expect(page.body).toContain('Not sent: the limit of 1 message an hour to this address or number was reached.');
    expect(page.body).toContain('Not sent: the number is not in international form');
    expect(page.body).toContain('<span title="code">Code</span>');
    // The provider in words, its code as the tooltip.
    expect(page.body).toContain('<span title="outbox">Outbox</span>');
    expect(page.body).not.toContain('<td>outbox</td>');
    expect(page.body).toContain('+49 •••• ••78');
    expect(page.body).not.toContain(NUMBER);
    const failed = await admin.get('/admin/delivery?status=failed');
    expect(failed.body).toContain('1 attempt<');
    expect(failed.body).toContain('the number is not in international form');
    expect(failed.body).not.toContain('the limit of');
    // "Not sent": every message that did not leave, whatever the reason.
    const notSent = await admin.get('/admin/delivery?status=not_sent');
    expect(notSent.body).toContain('2 attempts');
    expect(notSent.body).toContain('the limit of 1 message an hour');
    expect(notSent.body).toContain('the number is not in international form');
    expect(notSent.body).toMatch(/aria-current="page"[^>]*>Not sent</);
  });

  it('refuses the outbox and delivery pages to anyone without the administrator role', async () => {
    tp = await createTestPortal({ config: signInOnly });
    await sendSome(tp);
    await makeUser(tp.portal, { username: 'alice', password: PW });
    await makeUser(tp.portal, { username: 'helpdesk', password: PW, roles: ['password_administrator'] });
    for (const name of ['alice', 'helpdesk']) {
      const user = new TestClient(tp.app);
      await user.signIn(name, PW);
      for (const path of ['/admin/outbox', '/admin/delivery']) {
        const page = await user.get(path);
        expect(page.status).toBe(403);
        expect(page.body).not.toContain(ADDRESS);
        expect(page.body).not.toContain(CODE);
      }
    }
    const anon = await new TestClient(tp.app).get('/admin/outbox');
    expect(anon.status).toBe(303);
    expect(anon.res.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Foutbox');
  });
});
