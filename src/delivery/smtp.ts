import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import { SendFailure } from './attempt.js';

type SmtpConfig = NonNullable<Config['delivery']['smtp']>;

export interface SmtpMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Connection errors worth another try: the server may be back in a moment. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EPROTOCOL']);

/**
 * Email over SMTP with nodemailer. TLS is required by default (`requireTls`: STARTTLS or
 * less than that is refused, never a silent downgrade to plain text) and certificates are
 * checked unless `rejectUnauthorized` is turned off. Nothing is read from files or URLs while
 * building a message.
 */
export function smtpSender(smtp: SmtpConfig): (mail: SmtpMail) => Promise<void> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTls,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    tls: { rejectUnauthorized: smtp.rejectUnauthorized, minVersion: 'TLSv1.2' },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  });
  return async (mail) => {
    try {
      await transport.sendMail({
        from: smtp.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // Automatic messages: no vacation replies or read receipts back to the portal.
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    } catch (err) {
      throw classify(err, smtp);
    }
  };
}

function classify(err: unknown, smtp: SmtpConfig): SendFailure {
  const e = (err ?? {}) as { code?: string; responseCode?: number; message?: string; command?: string };
  const message = String(e.message ?? err);
  if (e.code === 'ETLS' || (e.command === 'STARTTLS' && smtp.requireTls)) {
    return new SendFailure(
      smtp.requireTls && !smtp.secure
        ? `TLS is required (delivery.smtp.requireTls) but STARTTLS failed or is not offered by ${smtp.host}:${smtp.port}: ${message}`
        : `TLS with ${smtp.host}:${smtp.port} failed: ${message}`,
      false,
    );
  }
  if (e.code === 'EAUTH') return new SendFailure(`the SMTP server refused the credentials (delivery.smtp.user): ${message}`, false);
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500) return new SendFailure(`rejected by the SMTP server: ${message}`, false);
    if (e.responseCode >= 400) return new SendFailure(`temporarily refused by the SMTP server: ${message}`, true);
  }
  if (e.code && TRANSIENT_CODES.has(e.code)) return new SendFailure(`could not talk to ${smtp.host}:${smtp.port}: ${message}`, true);
  return new SendFailure(`SMTP error: ${message}`, true);
}
