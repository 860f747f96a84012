import { describe, expect, it } from 'vitest';
import { logCapture } from '../../test/helpers/test-portal.js';
import { createLogger, redactPaths } from './logger.js';

/** Every field name a secret travels under in this code base (forms, jobs, headers, LDAP). */
const SECRET_FIELDS = ['password', 'newPassword', 'currentPassword', 'confirmPassword', 'code', 'token', 'secret', 'key', 'answer', 'otp', 'cookie', 'authorization', 'set-cookie', 'unicodePwd'];

function logged(write: (log: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
  const out = logCapture();
  const log = createLogger('debug', out.stream);
  write(log);
  return out
    .text()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger redaction', () => {
  it('covers every secret field name, at the top and one and two levels down', () => {
    for (const name of SECRET_FIELDS) {
      const a = /^[A-Za-z_]\w*$/.test(name) ? `.${name}` : `["${name}"]`;
      expect(redactPaths, name).toEqual(expect.arrayContaining([a.startsWith('.') ? name : a, `*${a}`, `*.*${a}`]));
    }
  });

  it('replaces each secret field with [redacted] wherever it is logged, and keeps every other field as it was', () => {
    for (const name of SECRET_FIELDS) {
      const secret = `S3cret-${name}-value`;
      const [top, one, two] = logged((log) => {
        log.info({ [name]: secret, user: 'alice' }, 'top');
        log.info({ body: { [name]: secret, user: 'alice' } }, 'one level');
        log.info({ req: { headers: { [name]: secret, host: 'portal.test' } } }, 'two levels');
      });
      expect(top, name).toMatchObject({ [name]: '[redacted]', user: 'alice', msg: 'top' });
      expect(one, name).toMatchObject({ body: { [name]: '[redacted]', user: 'alice' } });
      expect(two, name).toMatchObject({ req: { headers: { [name]: '[redacted]', host: 'portal.test' } } });
      expect(JSON.stringify([top, one, two]), name).not.toContain(secret);
    }
  });

  it('redacts a secret in a child logger and in an error object too', () => {
    const lines = logged((log) => {
      log.child({ component: 'reset' }).warn({ password: 'Child-Secret-1', flow: 'f1' }, 'child');
      const err = Object.assign(new Error('boom'), { token: 'Err-Secret-2' });
      log.error({ err, token: 'Err-Secret-3' }, 'failed');
    });
    expect(lines[0]).toMatchObject({ component: 'reset', password: '[redacted]', flow: 'f1' });
    expect(lines[1]).toMatchObject({ token: '[redacted]', err: { token: '[redacted]', message: 'boom' } });
    expect(JSON.stringify(lines)).not.toMatch(/Child-Secret-1|Err-Secret-2|Err-Secret-3/);
  });
});
