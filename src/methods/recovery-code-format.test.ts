import { describe, expect, it } from 'vitest';
import { formatRecoveryCode, newRecoveryCode, newRecoveryCodeSet, parseRecoveryCode, RECOVERY_CODE_COUNT } from './recovery-code-format.js';

describe('recovery code format', () => {
  it('a code is 16 Crockford base32 characters (80 bits), never one of the look-alikes I, L, O or U', () => {
    for (let i = 0; i < 500; i++) expect(newRecoveryCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
  });

  it('codes come from the CSPRNG: every character of the alphabet turns up and no two of 2,000 codes are equal', () => {
    const codes = Array.from({ length: 2_000 }, () => newRecoveryCode());
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(codes.join('')).size).toBe(32);
  });

  it('a set holds 10 distinct codes', () => {
    const set = newRecoveryCodeSet();
    expect(set).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(set).size).toBe(RECOVERY_CODE_COUNT);
  });

  it('is shown in four groups of four, and what is shown parses back to the code', () => {
    const code = newRecoveryCode();
    const shown = formatRecoveryCode(code);
    expect(shown).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(parseRecoveryCode(shown)).toBe(code);
  });

  it('typing is forgiving: any case, spaces, dashes and the look-alikes I/L for 1 and O for 0', () => {
    expect(parseRecoveryCode('7kq2 m9xd 4htr p3bw')).toBe('7KQ2M9XD4HTRP3BW');
    expect(parseRecoveryCode(' 7KQ2-M9XD-4HTR-P3BW ')).toBe('7KQ2M9XD4HTRP3BW');
    expect(parseRecoveryCode('7KQ2–M9XD—4HTR‐P3BW')).toBe('7KQ2M9XD4HTRP3BW');
    expect(parseRecoveryCode('IOL0-1111-0000-AAAA')).toBe('101011110000AAAA');
  });

  it('anything that cannot be a code is refused before any comparison', () => {
    for (const typed of ['', '123456', '7KQ2-M9XD-4HTR-P3B', '7KQ2-M9XD-4HTR-P3BWX', '7KQ2-M9XD-4HTR-P3BU', '7KQ2-M9XD-4HTR-P3B!', 'x'.repeat(100), null, 42, ['7KQ2M9XD4HTRP3BW'], { code: '7KQ2M9XD4HTRP3BW' }]) {
      expect(parseRecoveryCode(typed)).toBeNull();
    }
  });
});
