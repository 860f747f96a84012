export interface LengthRules {
  minLength: number;
  maxLength: number;
}

export type LengthVerdict = { ok: true } | { ok: false; reason: 'too_short' | 'too_long' | 'empty' | 'control_chars'; message: string };

/** Length in Unicode code points, as NIST 800-63B counts it; an emoji is one character. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * The cheap checks alone, first problem only: a 1 MB password is refused here by its UTF-16
 * length before even counting code points. The full rules (every reason, banned list, common
 * passwords, strength, history) are checkPassword() in check.ts, which starts the same way;
 * this stays as the benchmark's baseline and for callers that only need the length.
 */
export function checkPasswordLength(password: string, rules: LengthRules): LengthVerdict {
  if (password.length === 0) return { ok: false, reason: 'empty', message: 'Enter a password.' };
  if (password.length > rules.maxLength * 2 || codePointLength(password) > rules.maxLength) {
    return { ok: false, reason: 'too_long', message: `A password can be at most ${rules.maxLength} characters.` };
  }
  if (codePointLength(password) < rules.minLength) {
    return { ok: false, reason: 'too_short', message: `Use at least ${rules.minLength} characters.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) {
    return { ok: false, reason: 'control_chars', message: 'A password cannot contain control characters such as tab or newline.' };
  }
  return { ok: true };
}
