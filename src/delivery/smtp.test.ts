import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser, type AddressObject } from 'mailparser';
import type { SMTPServerOptions } from 'smtp-server';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import type { ConfigInput } from '../config/schema.js';
import { renderEmail } from './templates.js';
import { SMTP_PASSWORD, startSmtp } from '../../test/helpers/smtp-sink.js';

const CODE = '48213907';

function smtpConfig(port: number, smtp: Record<string, unknown> = {}): ConfigInput {
  return {
    delivery: {
      mode: 'smtp',
      smtp: { host: '127.0.0.1', port, from: 'Example Portal <portal@example.org>', rejectUnauthorized: false, ...smtp },
      retries: { attempts: 3, backoffMs: 10 },
    },
  };
}

const message = (tp: TestPortal, to = 'alice@example.com') => {
  const mail = renderEmail(tp.config.branding, { title: 'Your verification code', paragraphs: ['Use this code to verify it is you.'], code: CODE });
  return { to, kind: 'code', userId: null, ...mail };
};

async function logRows(tp: TestPortal) {
  return tp.store.db.selectFrom('delivery_log').selectAll().orderBy('id').execute();
}

describe('email over SMTP', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function setup(serverOptions: Partial<SMTPServerOptions>, smtp: Record<string, unknown> = {}) {
    const server = await startSmtp(serverOptions);
    cleanups.push(server.close);
    const tp = await createTestPortal({ config: smtpConfig(server.port, smtp) });
    cleanups.push(tp.cleanup);
    return { server, tp };
  }

  it('arrives over STARTTLS with authentication, with subject, text and HTML parts and From from the config', async () => {
    const { server, tp } = await setup({ authOptional: false }, { user: 'mailer', password: SMTP_PASSWORD });
    const result = await tp.portal.delivery.email(message(tp));
    expect(result).toEqual({ ok: true });
    expect(server.received).toHaveLength(1);
    const got = server.received[0]!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe('mailer');
    expect(got.from).toBe('portal@example.org');
    expect(got.to).toEqual(['alice@example.com']);

    const parsed = await simpleParser(got.raw);
    expect(parsed.subject).toBe('Your verification code · OpenSSPR');
    expect(parsed.from?.value[0]).toMatchObject({ name: 'Example Portal', address: 'portal@example.org' });
    expect((parsed.to as AddressObject).value[0]?.address).toBe('alice@example.com');
    expect(parsed.text).toContain(`Your code: ${CODE}`);
    expect(parsed.text).toContain('Use this code to verify it is you.');
    expect(parsed.html).toContain(CODE);
    expect(parsed.html).toContain('<h1');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');

    const rows = await logRows(tp);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'email', kind: 'code', provider: 'smtp', status: 'sent', attempts: 1, error: null, destination_hint: 'a•••@example.com' });
    expect(JSON.stringify(rows)).not.toContain('alice@example.com');
    // neither the code nor the SMTP password reaches the logs
    expect(tp.logs()).toContain('message sent');
    expect(tp.logs()).not.toContain(CODE);
    expect(tp.logs()).not.toContain(SMTP_PASSWORD);
  });

  it('retries a transient refusal (451) and the message then goes through', async () => {
    let refusals = 0;
    const { server, tp } = await setup({
      onRcptTo(_address, _session, cb) {
        if (refusals++ === 0) cb(Object.assign(new Error('Greylisted, try again later'), { responseCode: 451 }));
        else cb();
      },
    });
    const result = await tp.portal.delivery.email(message(tp));
    expect(result).toEqual({ ok: true });
    expect(server.calls.rcptTo).toBe(2);
    expect(server.received).toHaveLength(1);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'sent', attempts: 2, error: null });
  });

  it('a permanent refusal (550) is not retried, ends as failed in delivery_log and returns failed', async () => {
    const { server, tp } = await setup({
      onRcptTo(address, _session, cb) {
        cb(Object.assign(new Error(`<${address.address}>: Recipient address rejected: no such user`), { responseCode: 550 }));
      },
    });
    const result = await tp.portal.delivery.email(message(tp, 'bob@example.com'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('failed');
    expect(result.detail).toMatch(/550/);
    expect(server.calls.rcptTo).toBe(1);
    expect(server.received).toHaveLength(0);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, provider: 'smtp' });
    expect(row!.error).toMatch(/rejected by the SMTP server.*550/);
    // the address the server echoed is masked in the log row and in the logs
    expect(row!.error).not.toContain('bob@example.com');
    expect(row!.error).toContain('b•••@example.com');
    expect(tp.logs()).toContain('message not sent: delivery failed');
    expect(tp.logs()).not.toContain('bob@example.com');
  });

  it('refuses to send when STARTTLS is required but not offered: nothing goes out in plain text, failed with a clear error', async () => {
    const { server, tp } = await setup({ disabledCommands: ['STARTTLS'] }, { user: 'mailer', password: SMTP_PASSWORD });
    const result = await tp.portal.delivery.email(message(tp));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('failed');
    expect(result.detail).toMatch(/TLS is required \(delivery\.smtp\.requireTls\) but STARTTLS failed or is not offered/);
    expect(server.calls.auth).toBe(0);
    expect(server.calls.mailFrom).toBe(0);
    expect(server.received).toHaveLength(0);
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(tp.logs()).not.toContain(SMTP_PASSWORD);
  });

  it('refuses an untrusted certificate while rejectUnauthorized is on (the default)', async () => {
    const { server, tp } = await setup({}, { rejectUnauthorized: true });
    const result = await tp.portal.delivery.email(message(tp));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.detail).toMatch(/certificate/i);
    expect(server.calls.mailFrom).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it('retries while the server cannot be reached, then reports failed', async () => {
    const server = await startSmtp();
    const port = server.port;
    await server.close(); // nothing listens there any more
    const tp = await createTestPortal({ config: smtpConfig(port) });
    cleanups.push(tp.cleanup);
    const result = await tp.portal.delivery.email(message(tp));
    expect(result).toMatchObject({ ok: false, reason: 'failed' });
    const [row] = await logRows(tp);
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row!.error).toMatch(/could not talk to 127\.0\.0\.1/);
  });
});
