import type { MessageKey } from '../i18n/en.js';
import { bannedListFor, normalise, personalTerms, scoreBanned, type BannedScore, type BannedTerm } from './banned.js';
import type { BreachedAnswer, BreachedRules } from './breached.js';
import { COMMON_WARNINGS, estimateStrength, isCommonPassword, type Score } from './estimate.js';
import { codePointLength } from './rules.js';
import { inThreadEstimator, type StrengthEstimator, type StrengthResult } from './strength-pool.js';

/**
 * The password rules: one verdict with every reason a password is refused, cheapest check first.
 *
 *   1. empty · control characters · too long · too short     (a 1 MB string is refused by its
 *      UTF-16 length before anything scans it; longer than the maximum stops here)
 *   2. banned-password scoring (banned.ts: global + custom list, names, organisation)
 *   3. one of the most common passwords (@zxcvbn-ts common-password list, or its warning)
 *   4. strength estimate below `minScore` (zxcvbn 0–4, the user's names as known words)
 *   5. breached: seen in a data breach (breached.ts: only a 5-character SHA-1 prefix leaves the
 *      portal) — after the local checks, as it may cost a request
 *   6. reused: one of the user's last passwords — only when 1–5 found nothing, since it costs
 *      an argon2 verification per remembered password and a refused password is not kept anyway
 *
 * Names (2) are refused two ways: the Entra scoring counts a name as one point of five, and the
 * names rule (`refuseNames`, on by default) refuses any password holding the username, a part
 * of the display name or email of 4+ characters, or the organisation's name — after the same
 * normalisation (case, look-alikes), so the pages' promise "must not contain your name, username
 * or the organisation name" holds.
 *
 * Each reason is a catalogue key with its values, so a page can list all of them.
 */

export interface PasswordReason {
  key: MessageKey;
  values?: Record<string, string | number>;
}

export interface PasswordContext {
  minLength: number;
  maxLength: number;
  /** Lowest acceptable zxcvbn score, 0–4 (default 3; 0 turns the estimate off). */
  minScore?: number;
  /** Refuse the most common passwords (default true). */
  checkCommon?: boolean;
  /** Who the password is for: username, display name, email — see userInputsOf(). */
  userInputs?: readonly string[];
  organisationName?: string | null;
  /** The organisation's banned terms (validated: ≤ 1,000 terms of 4–64 characters). Pass the same array each time: it is compiled once. */
  customBanned?: readonly string[];
  /** Where the strength estimate comes from in checkPassword() (default: this thread). */
  estimator?: StrengthEstimator;
  /** Refuse any password containing the user's names or the organisation's (default true). */
  refuseNames?: boolean;
  /** The breached-password check; absent or mode `off`: not checked. */
  breached?: {
    rules: BreachedRules;
    lookup: { count(password: string, rules: BreachedRules): Promise<BreachedAnswer> };
    /** Told when the range could not be had (never with the password or its hash), to count and log it. */
    onFailure?: (problem: string, failureMode: BreachedRules['failureMode']) => void;
  };
  /** The user's password history; checked last (see above). */
  history?: { isReused(password: string): Promise<boolean> };
}

export interface PasswordVerdict {
  ok: boolean;
  /** Every reason it is refused, in the order above; empty when ok. */
  reasons: PasswordReason[];
  /** Banned-password points (null when not scored because the password was empty or too long). */
  banned: Pick<BannedScore, 'points' | 'required' | 'found'> | null;
  /** zxcvbn score 0–4 (null when not estimated). */
  score: Score | null;
  /** Times seen in data breaches (null when not checked or the check failed). */
  breachCount?: number | null;
  /** The estimator's feedback in plain English, for a page to show under the reasons. */
  feedback: { warning: string | null; suggestions: string[] };
}

export const DEFAULT_MIN_SCORE = 3;

// C0 and C1 control characters (tab, newline, NUL, DEL, …).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const noFeedback = (): PasswordVerdict['feedback'] => ({ warning: null, suggestions: [] });

function verdict(reasons: PasswordReason[], rest: Partial<PasswordVerdict> = {}): PasswordVerdict {
  return { ok: reasons.length === 0, reasons, banned: null, score: null, feedback: noFeedback(), ...rest };
}

/** The user inputs for a user: username, display name, email address (their parts are split out later). */
export function userInputsOf(user: { username?: string | null; displayName?: string | null; email?: string | null }): string[] {
  const out: string[] = [];
  if (user.username) out.push(user.username);
  if (user.displayName) out.push(user.displayName);
  if (user.email) out.push(user.email.split('@')[0] ?? '');
  return out.filter((s) => s.length > 0);
}

/** The user's names and the organisation's, whole and in words, as known words for the estimator. */
function knownWords(inputs: readonly string[], organisationName?: string | null): string[] {
  const words = new Set<string>();
  for (const input of organisationName ? [...inputs, organisationName] : inputs) {
    words.add(input);
    for (const part of input.split(/[\s._+\-@,;:/\\()'"&]+/u)) if (Array.from(part).length >= 3) words.add(part);
  }
  return [...words];
}

/** The names rule: whether the normalised password holds one of the user's names or the organisation's (4+ characters each). */
function namesIn(password: string, personal: readonly BannedTerm[]): { name: boolean; organisation: boolean } {
  const norm = normalise(password);
  const has = (kind: BannedTerm['kind']) => personal.some((t) => t.kind === kind && norm.includes(t.text));
  return { name: has('name'), organisation: has('organisation') };
}

/** What the rules found before the strength estimate; `done` when nothing more is looked at. */
type Precheck = { done: PasswordVerdict } | { done: null; reasons: PasswordReason[]; banned: BannedScore; knownWords: string[] | null };

function precheck(password: string, ctx: PasswordContext): Precheck {
  const { minLength: min, maxLength: max } = ctx;
  if (password.length === 0) return { done: verdict([{ key: 'v.password.empty' }]) };
  // Bounded before anything looks at the characters: a code point is at most 2 UTF-16 units.
  if (password.length > max * 2) return { done: verdict([{ key: 'v.password.tooLong', values: { max } }]) };

  const reasons: PasswordReason[] = [];
  if (CONTROL.test(password)) reasons.push({ key: 'v.password.controlChars' });
  const length = codePointLength(password);
  if (length > max) return { done: verdict([...reasons, { key: 'v.password.tooLong', values: { max } }]) };
  if (length < min) reasons.push({ key: 'v.password.tooShort', values: { min } });

  const inputs = ctx.userInputs ?? [];
  const personal = personalTerms(inputs, ctx.organisationName);
  const banned = scoreBanned(password, bannedListFor(ctx.customBanned), personal);
  const names = ctx.refuseNames ?? true ? namesIn(password, personal) : { name: false, organisation: false };
  if (!banned.ok) {
    const words = [...new Set(banned.found.filter((f) => f.kind === 'global' || f.kind === 'custom').map((f) => f.term))];
    if (words.length) reasons.push({ key: 'v.password.bannedWord', values: { words: words.join(', ') } });
    // Under 5 points with no term found: fewer than 5 characters (already "too short" with any real minimum).
    if (banned.found.length === 0 && length >= min) reasons.push({ key: 'v.password.banned' });
  }
  if (names.name || (!banned.ok && banned.found.some((f) => f.kind === 'name'))) reasons.push({ key: 'v.password.name' });
  if (names.organisation || (!banned.ok && banned.found.some((f) => f.kind === 'organisation'))) reasons.push({ key: 'v.password.organisation' });
  const estimated = (ctx.minScore ?? DEFAULT_MIN_SCORE) > 0 || (ctx.checkCommon ?? true);
  return { done: null, reasons, banned, knownWords: estimated ? knownWords(inputs, ctx.organisationName) : null };
}

/** The verdict from the precheck and, when one was wanted, the strength estimate. */
function conclude(pre: Extract<Precheck, { done: null }>, strength: StrengthResult | null, ctx: PasswordContext): PasswordVerdict {
  const { reasons, banned } = pre;
  let score: Score | null = null;
  let feedback = noFeedback();
  if (strength) {
    const minScore = ctx.minScore ?? DEFAULT_MIN_SCORE;
    const { estimate } = strength;
    score = estimate.score;
    feedback = { warning: estimate.warning, suggestions: estimate.suggestions };
    if ((ctx.checkCommon ?? true) && (strength.common || (estimate.warningKey !== null && COMMON_WARNINGS.has(estimate.warningKey)))) {
      reasons.push({ key: 'v.password.common' });
    }
    if (estimate.score < minScore) reasons.push({ key: 'v.password.weak' });
  }
  return verdict(reasons, { banned: { points: banned.points, required: banned.required, found: banned.found }, score, feedback });
}

/** Everything but the history check, synchronously and on this thread (tests, benchmarks). */
export function checkPasswordRules(password: string, ctx: PasswordContext): PasswordVerdict {
  const pre = precheck(password, ctx);
  if (pre.done) return pre.done;
  const strength = pre.knownWords ? { estimate: estimateStrength(password, pre.knownWords), common: isCommonPassword(password) } : null;
  return conclude(pre, strength, ctx);
}

/** The full check, history included; the estimate from `ctx.estimator` (the portal's worker pool). */
export async function checkPassword(password: string, ctx: PasswordContext): Promise<PasswordVerdict> {
  const pre = precheck(password, ctx);
  if (pre.done) return pre.done;
  const strength = pre.knownWords ? await (ctx.estimator ?? inThreadEstimator).estimate(password, pre.knownWords) : null;
  const result = conclude(pre, strength, ctx);
  const breach = await breachedReason(password, ctx);
  if (breach) {
    result.breachCount = breach.count;
    if (breach.reason) {
      result.reasons.push(breach.reason);
      result.ok = false;
    }
  }
  if (!result.ok || !ctx.history) return result;
  if (await ctx.history.isReused(password)) return { ...result, ok: false, reasons: [{ key: 'v.password.reused' }] };
  return result;
}

const countFormat = new Intl.NumberFormat('en');

/** The breached check's reason (a count at or above the minimum, or a failed check when failures refuse). */
async function breachedReason(password: string, ctx: PasswordContext): Promise<{ count: number | null; reason: PasswordReason | null } | null> {
  const b = ctx.breached;
  if (!b || b.rules.mode === 'off') return null;
  const answer = await b.lookup.count(password, b.rules);
  if (!answer.ok) {
    b.onFailure?.(answer.problem, b.rules.failureMode);
    return { count: null, reason: b.rules.failureMode === 'closed' ? { key: 'v.password.breachedUnknown' } : null };
  }
  if (answer.count < b.rules.minCount) return { count: answer.count, reason: null };
  return { count: answer.count, reason: answer.count === 1 ? { key: 'v.password.breachedOnce' } : { key: 'v.password.breached', values: { count: countFormat.format(answer.count) } } };
}

/**
 * The key for a single field error (forms that show one message per field, with only {min} and
 * {max} filled in): the first reason, or its value-free form.
 */
export function fieldErrorKey(reasons: readonly PasswordReason[]): MessageKey | null {
  const first = reasons[0];
  if (!first) return null;
  if (first.key === 'v.password.breached' || first.key === 'v.password.breachedOnce') return 'v.password.breachedAny';
  return first.key === 'v.password.bannedWord' ? 'v.password.banned' : first.key;
}
