import { describe, expect, it } from 'vitest';
import { checkPasswordLength, codePointLength } from './rules.js';
import { createPasswordHasher } from './password-hash.js';
import { configSchema } from '../config/schema.js';

const rules = { minLength: 8, maxLength: 256 };

describe('password length rules', () => {
  it('counts code points, not UTF-16 units: four emoji are four characters', () => {
    expect(codePointLength('😀😀😀😀')).toBe(4);
    expect(checkPasswordLength('😀😀😀😀😀😀😀', rules)).toMatchObject({ ok: false, reason: 'too_short' });
    expect(checkPasswordLength('😀😀😀😀😀😀😀😀', rules)).toEqual({ ok: true });
  });

  it('refuses a 1 MB password as too long instead of truncating it', () => {
    expect(checkPasswordLength('a'.repeat(1024 * 1024), rules)).toMatchObject({ ok: false, reason: 'too_long' });
  });

  it('accepts exactly the maximum and refuses one more', () => {
    expect(checkPasswordLength('é'.repeat(256), rules)).toEqual({ ok: true });
    expect(checkPasswordLength('é'.repeat(257), rules)).toMatchObject({ ok: false, reason: 'too_long' });
  });

  it('refuses control characters and empty passwords', () => {
    expect(checkPasswordLength('abc\ndefgh', rules)).toMatchObject({ ok: false, reason: 'control_chars' });
    expect(checkPasswordLength('', rules)).toMatchObject({ ok: false, reason: 'empty' });
  });
});

describe('password hashing', () => {
  it('uses argon2id with OWASP parameters by default', async () => {
    const cfg = configSchema.parse({});
    const hasher = createPasswordHasher(cfg.passwordHashing);
    const hash = await hasher.hash('a password');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await hasher.verify(hash, 'a password')).toBe(true);
    expect(await hasher.verify(hash, 'A password')).toBe(false);
    expect(await hasher.verify('not a hash', 'a password')).toBe(false);
    expect(await hasher.verifyNothing('a password')).toBe(false);
  });
});
