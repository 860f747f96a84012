import { describe, expect, it } from 'vitest';
import { dateToFileTime, fileTimeToDate, intervalToMs } from './ad-time.js';
import { domainPolicyFromEntry, type PasswordPolicy } from './domain-policy.js';
import { complexityCategories, meetsComplexity, nameInPassword, passwordRuleViolations } from './password-rules.js';

const policy: PasswordPolicy = {
  minLength: 7,
  complexity: true,
  historyLength: 24,
  minAgeMs: 86_400_000,
  maxAgeMs: 42 * 86_400_000,
  lockoutThreshold: 0,
  lockoutDurationMs: 30 * 60_000,
  source: { kind: 'domain', dn: 'DC=corp,DC=example,DC=test' },
};
const now = Date.UTC(2026, 5, 1, 12);
const subject = { sAMAccountName: 'jsmith', displayName: 'Smith, John-Paul O.', pwdLastSet: new Date(now - 2 * 86_400_000) };

describe('AD complexity rule (three of five categories)', () => {
  it('counts upper, lower, digits, the listed symbols and other letters', () => {
    expect(complexityCategories('abc')).toBe(1);
    expect(complexityCategories('abcABC')).toBe(2);
    expect(complexityCategories('abcABC1')).toBe(3);
    expect(complexityCategories('aB1!')).toBe(4);
    expect(complexityCategories('aB1!漢')).toBe(5);
    // Greek and Cyrillic capitals and small letters count as upper and lower case.
    expect(complexityCategories('ΩПαд')).toBe(2);
  });

  it('does not count currency signs or spaces as symbols', () => {
    expect(meetsComplexity('abcdef€£ 1')).toBe(false);
    expect(meetsComplexity('abcdef#1')).toBe(true);
  });
});

describe('the user\'s name in the password', () => {
  it('finds the whole account name, case-insensitively', () => {
    expect(nameInPassword('xxJSMITH99!', subject)).toBe('jsmith');
  });

  it('finds display-name tokens of three or more characters, split at , . - _ # space tab', () => {
    expect(nameInPassword('Paul2026!!', subject)).toBe('Paul');
    expect(nameInPassword('smith#1A', subject)).toBe('Smith');
    expect(nameInPassword('John!!Zz1', subject)).toBe('John');
  });

  it('ignores short tokens, short account names, and partial tokens', () => {
    expect(nameInPassword('O.O.O.Zz1!', subject)).toBeNull();
    expect(nameInPassword('Smit1!Zz', subject)).toBeNull();
    expect(nameInPassword('xoX1!Zz', { sAMAccountName: 'xo', displayName: null })).toBeNull();
  });
});

describe('rules checked before AD is asked', () => {
  const opts = { now, minAge: true };

  it('passes a good password', () => {
    expect(passwordRuleViolations(subject, 'Tr4vel!Lamp', policy, opts)).toEqual([]);
  });

  it('lists every broken rule, most specific first', () => {
    expect(passwordRuleViolations(subject, 'smith', policy, opts)).toEqual(['too_short', 'contains_name', 'not_complex']);
    expect(passwordRuleViolations(subject, 'alllowercase', policy, opts)).toEqual(['not_complex']);
  });

  it('applies complexity and the name rule only when the policy asks for complexity', () => {
    expect(passwordRuleViolations(subject, 'smithsmith', { ...policy, complexity: false }, opts)).toEqual([]);
  });

  it('counts length in code points', () => {
    expect(passwordRuleViolations(subject, 'Aa1!😀😀', policy, opts)).toEqual(['too_short']);
  });

  it('refuses a change before the minimum age, from pwdLastSet', () => {
    const recent = { ...subject, pwdLastSet: new Date(now - 3_600_000) };
    expect(passwordRuleViolations(recent, 'Tr4vel!Lamp', policy, opts)).toEqual(['too_young']);
    expect(passwordRuleViolations(recent, 'Tr4vel!Lamp', policy, { now, minAge: false })).toEqual([]);
    expect(passwordRuleViolations(recent, 'Tr4vel!Lamp', { ...policy, minAgeMs: 0 }, opts)).toEqual([]);
    // pwdLastSet 0 ("must change") has no age.
    expect(passwordRuleViolations({ ...subject, pwdLastSet: null }, 'Tr4vel!Lamp', policy, opts)).toEqual([]);
  });
});

describe('AD time values', () => {
  it('reads FILETIME points in time', () => {
    const d = new Date('2026-11-25T17:33:00.000Z');
    expect(fileTimeToDate(dateToFileTime(d))?.toISOString()).toBe(d.toISOString());
    expect(fileTimeToDate('0')).toBeNull();
    expect(fileTimeToDate('9223372036854775807')).toBeNull();
    expect(fileTimeToDate('not a number')).toBeNull();
  });

  it('reads negative intervals, with the minimum int64 meaning never', () => {
    expect(intervalToMs('-864000000000')).toBe(86_400_000);
    expect(intervalToMs('-18000000000')).toBe(30 * 60_000);
    expect(intervalToMs('-9223372036854775808')).toBeNull();
  });

  it('reads the domain object as Samba provisions it', () => {
    const p = domainPolicyFromEntry({
      dn: 'DC=corp,DC=example,DC=test',
      lockoutDuration: '-18000000000',
      lockoutThreshold: '0',
      maxPwdAge: '-36288000000000',
      minPwdAge: '-864000000000',
      minPwdLength: '7',
      pwdProperties: '1',
      pwdHistoryLength: '24',
    });
    expect(p).toEqual({ ...policy, source: { kind: 'domain', dn: 'DC=corp,DC=example,DC=test' } });
    expect(domainPolicyFromEntry({ dn: 'x', maxPwdAge: '-9223372036854775808', lockoutDuration: '0', pwdProperties: '0' })).toMatchObject({ maxAgeMs: null, lockoutDurationMs: null, complexity: false });
  });
});
