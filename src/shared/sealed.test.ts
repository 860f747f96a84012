import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFieldCipher } from './sealed.js';

describe('field encryption at rest', () => {
  const cipher = createFieldCipher(randomBytes(32));

  it('round-trips and never shows the plaintext', () => {
    const sealed = cipher.seal('+4915112345678', 'method:1:phone');
    expect(sealed).not.toContain('4915112345678');
    expect(cipher.open(sealed, 'method:1:phone')).toBe('+4915112345678');
  });

  it('gives a different ciphertext each time (random IV)', () => {
    expect(cipher.seal('a@example.com', 'x')).not.toBe(cipher.seal('a@example.com', 'x'));
  });

  it('refuses a value moved to another row (associated data) or tampered with', () => {
    const sealed = cipher.seal('secret', 'method:1:totp');
    expect(() => cipher.open(sealed, 'method:2:totp')).toThrow();
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => cipher.open(`${v}.${iv}.${flipped.toString('base64url')}`, 'method:1:totp')).toThrow();
  });

  it('cannot be opened with another key', () => {
    const sealed = cipher.seal('secret', 'a');
    expect(() => createFieldCipher(randomBytes(32)).open(sealed, 'a')).toThrow();
  });
});
