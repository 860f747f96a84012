import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { BANNED_TERM_MAX, BANNED_TERM_MIN, CUSTOM_BANNED_MAX } from '../passwords/banned.js';
import { breachedFailureModes, breachedModes } from '../passwords/breached.js';
import { HISTORY_MAX } from '../passwords/history.js';

/**
 * The password rules as a section of the stored policy (`passwords`): stored, versioned, audited
 * and edited with the rest of the policy (policy-service.ts), in the console, the API and the
 * CLI. The configuration file's `passwords.*` are only the starting values (version 0, and any
 * stored version saved before this section existed); once saved here, the stored rules win.
 */

const rangeUrl = z
  .string('v.policy.passwords.url')
  .trim()
  .max(300, 'v.policy.passwords.url')
  .refine((v) => /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(v), 'v.policy.passwords.url');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const bannedTerm = z
  .string('v.policy.passwords.bannedTerm')
  .trim()
  .refine((t) => {
    const n = Array.from(t).length;
    return n >= BANNED_TERM_MIN && n <= BANNED_TERM_MAX && !CONTROL.test(t);
  }, 'v.policy.passwords.bannedTerm');

const whole = (key: string, min: number, max: number) => z.number(key).int(key).min(min, key).max(max, key);

export const passwordRulesSchema = z
  .strictObject({
    minLength: whole('v.policy.passwords.minLength', 8, 256),
    maxLength: whole('v.policy.passwords.maxLength', 16, 256),
    /** zxcvbn score 0–4 a new password needs (0 turns the estimate off). */
    minScore: whole('v.policy.passwords.minScore', 0, 4),
    checkCommon: z.boolean('v.policy.boolean'),
    /** Refuse passwords holding the username, a 4+ character part of the display name, or the organisation's name. */
    refuseNames: z.boolean('v.policy.boolean'),
    /** Passwords remembered per cloud user (the current one included); 0 = no history. */
    historyCount: whole('v.policy.passwords.historyCount', 0, HISTORY_MAX),
    bannedCustom: z.array(bannedTerm, 'v.policy.passwords.bannedTerm').max(CUSTOM_BANNED_MAX, 'v.policy.passwords.bannedTooMany'),
    breached: z.strictObject({
      mode: z.enum(breachedModes, 'v.policy.passwords.breachedMode'),
      minCount: whole('v.policy.passwords.minCount', 1, 1_000_000_000),
      failureMode: z.enum(breachedFailureModes, 'v.policy.passwords.failureMode'),
      timeoutMs: whole('v.policy.passwords.timeoutMs', 200, 30_000),
      hibpUrl: rangeUrl,
      localFolder: z.string('v.policy.passwords.localFolder').trim().min(1, 'v.policy.passwords.localFolder').max(500, 'v.policy.passwords.localFolder').nullable(),
      localUrl: rangeUrl.nullable(),
    }),
  });

export type PasswordRulesPolicy = z.output<typeof passwordRulesSchema>;

/**
 * The rules across fields, as issues under `passwords.` (on the policy's own refinement: a
 * refined object could not be made partial for PATCH).
 */
export function passwordRulesIssues(p: PasswordRulesPolicy): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  if (p.minLength > p.maxLength) issues.push({ path: ['passwords', 'minLength'], message: 'v.policy.passwords.minAboveMax' });
  const b = p.breached;
  if (b.mode === 'local' && !b.localFolder && !b.localUrl) issues.push({ path: ['passwords', 'breached', 'localFolder'], message: 'v.policy.passwords.localSource' });
  if (b.localFolder && b.localUrl) issues.push({ path: ['passwords', 'breached', 'localUrl'], message: 'v.policy.passwords.localBoth' });
  return issues;
}

/** The rules a new installation starts with: the configuration's `passwords.*`. */
export function initialPasswordRules(passwords: Config['passwords']): PasswordRulesPolicy {
  const b = passwords.breached;
  return {
    minLength: passwords.minLength,
    maxLength: passwords.maxLength,
    minScore: passwords.minScore,
    checkCommon: passwords.checkCommon,
    refuseNames: passwords.refuseNames,
    historyCount: passwords.historyCount,
    bannedCustom: [...passwords.bannedCustom],
    breached: { mode: b.mode, minCount: b.minCount, failureMode: b.failureMode, timeoutMs: b.timeoutMs, hibpUrl: b.hibpUrl, localFolder: b.localFolder ?? null, localUrl: b.localUrl ?? null },
  };
}

/** A text file's words: one per line, blank lines left out; null when it is not UTF-8 text. */
export function wordsOfFile(bytes: Uint8Array): string[] | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  if (text.includes('\u0000')) return null;
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
