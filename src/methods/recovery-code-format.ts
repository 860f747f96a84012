import { randomBytes } from 'node:crypto';

/**
 * Saved recovery codes as people read, write down and type them: Crockford's base32 (no I, L,
 * O or U, so nothing looks like 1, 0 or V), 16 characters = 80 bits from the CSPRNG (NIST
 * SP 800-63B-4 asks at least 64 for a look-up secret), shown in four groups of four. Typing is
 * forgiving: any case, spaces and dashes ignored, and the look-alikes I/L read as 1 and O as 0.
 */

/** How many codes a set holds. */
export const RECOVERY_CODE_COUNT = 10;
/** Characters of one code, without its dashes. */
export const RECOVERY_CODE_LENGTH = 16;
/** At or below this many unused codes the user is asked to make a new set. */
export const RECOVERY_CODES_LOW = 3;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VALID = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** One new code, canonical (no dashes): 10 random bytes, 5 bits per character. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** A new set of distinct codes. */
export function newRecoveryCodeSet(count = RECOVERY_CODE_COUNT): string[] {
  const set = new Set<string>();
  while (set.size < count) set.add(newRecoveryCode());
  return [...set];
}

/** "7KQ2M9XD4HTRP3BW" → "7KQ2-M9XD-4HTR-P3BW", the way it is shown and downloaded. */
export function formatRecoveryCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

/** What the user typed, as the canonical code; null when it cannot be one (nothing is compared then). */
export function parseRecoveryCode(typed: unknown): string | null {
  if (typeof typed !== 'string' || typed.length > 64) return null;
  const code = typed
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s\-‐‑‒–—]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  return VALID.test(code) ? code : null;
}
