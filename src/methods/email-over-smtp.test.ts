import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { parsedMessages, startSmtp } from '../../test/helpers/smtp-sink.js';
import { codeIn } from '../../test/helpers/codes.js';

describe('email codes over a real SMTP server', () => {
  let tp: TestPortal;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  afterEach(async () => {
    await tp.cleanup();
    await smtp.close();
  });

  it('the code email arrives over SMTP with text and HTML parts, and its code registers the address', async () => {
    smtp = await startSmtp();
    tp = await createTestPortal({
      config: { delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port: smtp.port, from: 'Portal <portal@example.org>', rejectUnauthorized: false } }, branding: { productName: 'Acme Reset' } },
    });
    const alice = await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery' });
    const c = new TestClient(tp.app);
    await c.signIn('alice', 'correct horse battery');
    await c.get('/account/security-info/add/email');
    const r = await c.post('/account/security-info/add/email', { email: 'alice@example.com' });
    expect(r.status).toBe(303);

    const [mail] = await parsedMessages(smtp.received);
    expect(smtp.received[0]!.secure).toBe(true);
    expect(mail!.subject).toContain('Acme Reset');
    expect(mail!.subject).not.toMatch(/\d{6,}/);
    const text = mail!.text ?? '';
    const code = codeIn(text);
    expect(mail!.html).toContain(code);
    expect(text).toContain('valid for 5 minutes');

    const confirm = await c.post(r.res.headers.get('location')!, { code });
    expect(confirm.status).toBe(303);
    expect((await tp.portal.methods.list(alice.id, { confirmedOnly: true })).map((m) => m.contact)).toEqual(['alice@example.com']);
  });

  it('an SMTP failure reaches the user as "could not send the code, try another method" and registers nothing', async () => {
    smtp = await startSmtp({
      onRcptTo(_address, _session, cb) {
        cb(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      },
    });
    tp = await createTestPortal({ config: { delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port: smtp.port, rejectUnauthorized: false }, retries: { attempts: 2, backoffMs: 5 } } } });
    const alice = await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery' });
    const c = new TestClient(tp.app);
    await c.signIn('alice', 'correct horse battery');
    await c.get('/account/security-info/add/email');
    const r = await c.post('/account/security-info/add/email', { email: 'alice@example.com' });
    expect(r.status).toBe(502);
    expect(r.body).toContain('We could not send the code. Try again later or use another method.');
    expect(await tp.portal.methods.list(alice.id)).toEqual([]);
    const log = await tp.store.db.selectFrom('delivery_log').selectAll().execute();
    expect(log.map((l) => l.status)).toEqual(['failed']);
  });
});
