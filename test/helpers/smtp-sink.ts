import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export const SMTP_PASSWORD = 'smtp-secret-Pw-9931';

export interface Received {
  raw: Buffer;
  from: string | false;
  to: string[];
  secure: boolean;
  user: unknown;
}

/** A real SMTP server on loopback (smtp-server, STARTTLS with its built-in self-signed certificate unless told otherwise). */
export async function startSmtp(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const calls = { auth: 0, mailFrom: 0, rcptTo: 0 };
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    onAuth(auth, _session, cb) {
      calls.auth++;
      if (auth.username === 'mailer' && auth.password === SMTP_PASSWORD) cb(null, { user: 'mailer' });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, cb) {
      calls.mailFrom++;
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: session.user,
        });
        cb();
      });
    },
    ...options,
  });
  const wrappedRcpt = options.onRcptTo;
  server.onRcptTo = (address, session, cb) => {
    calls.rcptTo++;
    if (wrappedRcpt) wrappedRcpt(address, session, cb);
    else cb();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Parses what the sink received, newest last. */
export async function parsedMessages(received: Received[]): Promise<ParsedMail[]> {
  return Promise.all(received.map((r) => simpleParser(r.raw)));
}
