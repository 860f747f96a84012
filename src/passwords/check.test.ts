import { describe, expect, it, vi } from 'vitest';
import { generatePassword } from '../shared/crypto.js';
import { checkPassword, checkPasswordRules, fieldErrorKey, userInputsOf, type PasswordContext } from './check.js';
import { ESTIMATE_MAX_CHARS, firstCodePoints, isCommonPassword } from './estimate.js';

const rules: PasswordContext = { minLength: 8, maxLength: 256 };
const keys = (password: string, ctx: Partial<PasswordContext> = {}) => checkPasswordRules(password, { ...rules, ...ctx }).reasons.map((r) => r.key);
const kingsley = { userInputs: userInputsOf({ username: 'kingsley', displayName: 'Kingsley Arbuthnot', email: 'k.arbuthnot@example.com' }) };

describe('every reason at once', () => {
  it('reports all reasons in order, cheapest first, each a catalogue key with its values', () => {
    const v = checkPasswordRules('qwerty\t', rules);
    expect(v.ok).toBe(false);
    expect(v.reasons).toEqual([
      { key: 'v.password.controlChars' },
      { key: 'v.password.tooShort', values: { min: 8 } },
      { key: 'v.password.bannedWord', values: { words: 'qwerty' } },
      { key: 'v.password.weak' },
    ]);
    expect(keys('Password')).toEqual(['v.password.bannedWord', 'v.password.common', 'v.password.weak']);
    expect(keys('kingsleyarbuthnot', kingsley)).toEqual(['v.password.name', 'v.password.weak']);
    // The Entra scoring alone lets Contoso#2026 pass (5 points); the names rule does not.
    expect(keys('Contoso#2026', { organisationName: 'Contoso Ltd', refuseNames: false })).toEqual(['v.password.weak']);
    expect(keys('Contoso#2026', { organisationName: 'Contoso Ltd' })).toEqual(['v.password.organisation', 'v.password.weak']);
    expect(keys('Contoso#26', { organisationName: 'Contoso Ltd' })).toEqual(['v.password.organisation', 'v.password.weak']);
  });

  it('lists every banned word found, and the estimator feedback as text', () => {
    const v = checkPasswordRules('Qwerty123', rules);
    expect(v.reasons[0]).toEqual({ key: 'v.password.bannedWord', values: { words: 'qwerty, 1234' } });
    expect(v.banned).toMatchObject({ points: 2, required: 5 });
    expect(v.feedback.warning).toBe('This is a commonly used password.');
    expect(v.feedback.suggestions).toContain('Add more words that are less common.');
  });

  it('gives forms that show one message per field a key that needs no values', () => {
    expect(fieldErrorKey(checkPasswordRules('Password', rules).reasons)).toBe('v.password.banned');
    expect(fieldErrorKey(checkPasswordRules('short', rules).reasons)).toBe('v.password.tooShort');
    expect(fieldErrorKey([])).toBeNull();
  });
});

describe('length, counted in code points and bounded first', () => {
  it('refuses a 1 MB password as too long, and nothing else looks at it', () => {
    const v = checkPasswordRules('a'.repeat(1024 * 1024), rules);
    expect(v).toMatchObject({ ok: false, reasons: [{ key: 'v.password.tooLong', values: { max: 256 } }], banned: null, score: null });
  });

  it('refuses by UTF-16 length before scanning: control characters in an over-long string are not even looked for', () => {
    expect(keys('a\n'.repeat(300))).toEqual(['v.password.tooLong']);
    // Within the bound they are reported, and an over-long password is not estimated.
    expect(checkPasswordRules('\n' + 'é'.repeat(256), rules)).toMatchObject({ reasons: [{ key: 'v.password.controlChars' }, { key: 'v.password.tooLong' }], score: null });
  });

  it('counts an emoji as one character: 7 are too short, 8 are long enough', () => {
    expect(keys('🦊🐢🍵🎩🐇⏰🃏')).toContain('v.password.tooShort');
    expect(checkPasswordRules('🦊🐢🍵🎩🐇⏰🃏🌹', rules)).toMatchObject({ ok: true, reasons: [] });
  });

  it('accepts exactly the maximum and refuses one more', () => {
    const max = 'correct horse battery staple '.repeat(9).slice(0, 256);
    expect(checkPasswordRules(max, rules).reasons.map((r) => r.key)).not.toContain('v.password.tooLong');
    expect(keys(max + 'x')).toEqual(['v.password.tooLong']);
  });

  it('refuses an empty password with that reason alone', () => {
    expect(checkPasswordRules('', rules).reasons).toEqual([{ key: 'v.password.empty' }]);
  });
});

describe('common passwords', () => {
  it('refuses the most common passwords, whatever their case', () => {
    for (const p of ['password1', 'iloveyou', 'sunshine', 'Football', 'QWERTY123', 'dragon12']) {
      expect(keys(p), p).toContain('v.password.common');
    }
    expect(isCommonPassword('PASSWORD')).toBe(true);
    expect(isCommonPassword('correct horse battery')).toBe(false);
  });

  it('can be turned off (passwords.checkCommon)', () => {
    expect(keys('password1', { checkCommon: false })).not.toContain('v.password.common');
  });
});

describe('strength estimate', () => {
  it('accepts strong passphrases and random passwords', () => {
    for (const p of ['correct horse battery', 'correct horse battery staple', 'mad hatter tea 1', 'Grüße aus dem Hinterhof', generatePassword()]) {
      const v = checkPasswordRules(p, { ...rules, ...kingsley, organisationName: 'Example Organisation' });
      expect(v.reasons, p).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.score).toBeGreaterThanOrEqual(3);
    }
  });

  it("counts the user's names and the organisation as known words: they lower the score", () => {
    const stranger = checkPasswordRules('kingsleyarbuthnot', rules);
    const own = checkPasswordRules('kingsleyarbuthnot', { ...rules, ...kingsley });
    expect(stranger.ok).toBe(true);
    expect(own.score!).toBeLessThan(stranger.score!);
    expect(own.reasons.map((r) => r.key)).toContain('v.password.weak');
    expect(checkPasswordRules('Contoso#2026', { ...rules, organisationName: 'Contoso Ltd' }).score!).toBeLessThan(checkPasswordRules('Contoso#2026', rules).score!);
  });

  it('refuses what the banned list lets through but is still easy to guess', () => {
    // 6 banned-list points (summer + 2026!), but a season and a year.
    expect(checkPasswordRules('Summer2026!', rules)).toMatchObject({ ok: false, banned: { points: 6 }, reasons: [{ key: 'v.password.weak' }] });
    // Poll at Contoso: 5 points under the banned-list scoring, too weak once the estimator knows the name.
    expect(keys('p0LL23fb', { userInputs: ['Poll'], organisationName: 'Contoso', refuseNames: false })).toEqual(['v.password.weak']);
  });

  it('uses passwords.minScore, and 0 turns the estimate off', () => {
    expect(keys('Summer2026!', { minScore: 2 })).toEqual([]);
    expect(checkPasswordRules('Summer2026!', { ...rules, minScore: 0, checkCommon: false })).toMatchObject({ ok: true, score: null });
  });

  it(`estimates only the first ${ESTIMATE_MAX_CHARS} characters of a long password, so a weak start is refused`, () => {
    expect(firstCodePoints('😀'.repeat(100), ESTIMATE_MAX_CHARS)).toBe('😀'.repeat(ESTIMATE_MAX_CHARS));
    expect(keys('a'.repeat(64) + 'Zq8#mW2!vR5$kT9@'.repeat(12))).toEqual(['v.password.weak']);
    expect(keys('x7'.repeat(128))).toEqual(['v.password.weak']);
    expect(keys('correct horse battery staple '.repeat(8))).toEqual([]);
  });
});

describe('names rule', () => {
  const strong = { minScore: 0, checkCommon: false };
  const ada = { userInputs: userInputsOf({ username: 'adalovelace', displayName: 'Ada Lovelace', email: 'ada.lovelace@example.com' }), organisationName: 'Probecorp' };

  it('refuses a password containing the organisation name, which the Entra scoring lets through as one point', () => {
    const v = checkPasswordRules('Probecorp#2025x', { ...rules, ...ada });
    expect(v.reasons).toEqual([{ key: 'v.password.organisation' }]);
    expect(v.banned).toMatchObject({ points: 7, required: 5 });
    expect(checkPasswordRules('Probecorp#2025x', { ...rules, ...ada, refuseNames: false }).ok).toBe(true);
  });

  it('refuses a password containing the username, even with a strong rest', () => {
    expect(keys('adalovelace28Zq8#k2', { ...ada, ...strong })).toEqual(['v.password.name']);
    expect(checkPasswordRules('adalovelace28Zq8#k2', { ...rules, ...ada, refuseNames: false }).ok).toBe(true);
  });

  it('refuses a part of the display name of 4 or more characters, after normalising case and look-alikes', () => {
    expect(keys('L0VEL4CE-horse-battery', { ...ada, ...strong })).toEqual(['v.password.name']);
    expect(keys('staple-PR0BEC0RP-horse', { ...ada, ...strong })).toEqual(['v.password.organisation']);
  });

  it('accepts a password that merely shares 3 letters with a name', () => {
    // "ada" (3 letters) and "pro" are too short to be matched; nothing here is a 4+ part of a name.
    expect(checkPasswordRules('ada-Zq8#mW2!vR5$kT9', { ...rules, ...ada })).toMatchObject({ ok: true, reasons: [] });
    expect(checkPasswordRules('proLove-Zq8#mW2!vR5', { ...rules, ...ada })).toMatchObject({ ok: true, reasons: [] });
  });
});

describe('history', () => {
  it('is checked last, only when every other rule passes, and refuses a reused password with that reason alone', async () => {
    const isReused = vi.fn(async (pw: string) => pw === 'correct horse battery');
    expect(await checkPassword('correct horse battery', { ...rules, history: { isReused } })).toMatchObject({ ok: false, reasons: [{ key: 'v.password.reused' }] });
    expect(await checkPassword('mad hatter tea 1', { ...rules, history: { isReused } })).toMatchObject({ ok: true, reasons: [] });
    expect(isReused).toHaveBeenCalledTimes(2);
    expect(await checkPassword('Password', { ...rules, history: { isReused } })).toMatchObject({ ok: false });
    expect(isReused).toHaveBeenCalledTimes(2);
  });
});

describe('user inputs', () => {
  it('are the username, the display name and the local part of the email address', () => {
    expect(userInputsOf({ username: 'kingsley', displayName: 'Kingsley Arbuthnot', email: 'k.arbuthnot@example.com' })).toEqual(['kingsley', 'Kingsley Arbuthnot', 'k.arbuthnot']);
    expect(userInputsOf({ username: 'bob', displayName: null, email: '' })).toEqual(['bob']);
  });
});
