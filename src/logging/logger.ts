import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Secrets never reach a log line: any field with one of these names is replaced, at any of the
 * depths we log at. Tests grep the log output for a known password to keep this true.
 */
const secretNames = [
  'password',
  'newPassword',
  'currentPassword',
  'confirmPassword',
  'code',
  'token',
  'secret',
  'key',
  'answer',
  'otp',
  'cookie',
  'authorization',
  'set-cookie',
  'unicodePwd',
];
const access = (n: string): string => (/^[A-Za-z_]\w*$/.test(n) ? `.${n}` : `["${n}"]`);
export const redactPaths = secretNames.flatMap((n) => {
  const a = access(n);
  return [a.startsWith('.') ? n : a, `*${a}`, `*.*${a}`];
});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'openssspr' },
      redact: { paths: [...new Set(redactPaths)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
