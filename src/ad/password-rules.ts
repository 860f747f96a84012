import type { PasswordPolicy } from './domain-policy.js';

/**
 * AD's password rules as Microsoft documents them ("Password must meet complexity
 * requirements", minimum length and age), checked on our side so most refusals happen before
 * a job reaches AD, and so that AD's one-size constraint violation (19 / 0000052D) can be
 * explained in plain words afterwards.
 */

export type PasswordRuleReason = 'too_short' | 'contains_name' | 'not_complex' | 'too_young';

/** What the rules need to know about the account. */
export interface PasswordSubject {
  sAMAccountName: string;
  displayName: string | null;
  /** When the password was last set; null when never or when the user must change it (pwdLastSet 0). */
  pwdLastSet: Date | null;
}

/** `~!@#$%^&*_-+=`|\(){}[]:;"'<>,.?/` — the only characters AD counts as "special" (not currency signs). */
const SPECIAL = new Set([...'~!@#$%^&*_-+=`|\\(){}[]:;"\'<>,.?/']);

/**
 * The character categories of AD's complexity rule present in `password`: European upper-case
 * letters, lower-case letters, base-10 digits, the listed special characters, and other
 * alphabetic characters (letters that are neither upper- nor lower-case, e.g. Asian scripts).
 */
export function complexityCategories(password: string): number {
  let upper = false;
  let lower = false;
  let digit = false;
  let special = false;
  let otherLetter = false;
  for (const c of password) {
    if (/\p{Lu}/u.test(c)) upper = true;
    else if (/\p{Ll}/u.test(c)) lower = true;
    else if (c >= '0' && c <= '9') digit = true;
    else if (SPECIAL.has(c)) special = true;
    else if (/\p{L}/u.test(c)) otherLetter = true;
  }
  return [upper, lower, digit, special, otherLetter].filter(Boolean).length;
}

/** Three of the five categories. */
export function meetsComplexity(password: string): boolean {
  return complexityCategories(password) >= 3;
}

/** displayName is cut at commas, periods, hyphens, underscores, spaces, pound signs and tabs. */
const NAME_DELIMITERS = /[,.\-_ #\t]+/;

/**
 * The part of the user's name the password contains, if any, by AD's definition: the whole
 * sAMAccountName when it has 3 or more characters, and every displayName token of 3 or more
 * characters; case-insensitive, no partial tokens.
 */
export function nameInPassword(password: string, subject: Pick<PasswordSubject, 'sAMAccountName' | 'displayName'>): string | null {
  const haystack = password.toLowerCase();
  const candidates: string[] = [];
  if ([...subject.sAMAccountName].length >= 3) candidates.push(subject.sAMAccountName);
  for (const token of (subject.displayName ?? '').split(NAME_DELIMITERS)) {
    if ([...token].length >= 3) candidates.push(token);
  }
  return candidates.find((c) => haystack.includes(c.toLowerCase())) ?? null;
}

export interface PasswordRuleOptions {
  /** Milliseconds since the epoch. */
  now: number;
  /** Whether the minimum age applies (a change always; a reset only when AD enforces it, with policy hints). */
  minAge: boolean;
}

/**
 * Every rule `password` breaks, most specific first: too short, contains the name, not complex
 * (the last two only when the policy asks for complexity, as in AD), too young. Length is
 * counted in code points, as everywhere in this project.
 */
export function passwordRuleViolations(subject: PasswordSubject, password: string, policy: PasswordPolicy, options: PasswordRuleOptions): PasswordRuleReason[] {
  const reasons: PasswordRuleReason[] = [];
  if ([...password].length < policy.minLength) reasons.push('too_short');
  if (policy.complexity) {
    if (nameInPassword(password, subject) !== null) reasons.push('contains_name');
    if (!meetsComplexity(password)) reasons.push('not_complex');
  }
  if (options.minAge && policy.minAgeMs > 0 && subject.pwdLastSet !== null && subject.pwdLastSet.getTime() + policy.minAgeMs > options.now) {
    reasons.push('too_young');
  }
  return reasons;
}
