import { createRequire } from 'node:module';
import type * as Core from '@zxcvbn-ts/core';
import type * as Common from '@zxcvbn-ts/language-common';
import type * as English from '@zxcvbn-ts/language-en';

/**
 * Strength estimate and common-password list, from @zxcvbn-ts (the maintained TypeScript port of
 * Dropbox's zxcvbn) with its common-password and English dictionaries.
 *
 * Cost: loading the dictionaries takes a few hundred milliseconds and about 26 MiB of memory, so
 * it happens once, on the first check — not at import: the packages are required then, so a
 * thread that never checks a password itself (the portal's main thread: its checks go to the
 * worker pool, strength-pool.ts) never holds a copy. zxcvbn's matchers are super-linear on long,
 * repetitive or symbol-heavy input — measured with @zxcvbn-ts/core 4.2: a 256-character repeated pattern takes
 * seconds, a 64-character one tens of milliseconds — so:
 * - only the first ESTIMATE_MAX_CHARS code points are estimated. That errs on the side of
 *   caution: a password whose first 64 characters are strong is strong, and one whose first 64
 *   are weak ("aaaa…" followed by something) is refused even if its tail is good;
 * - the l33t matcher tries at most 4 substitutions (its default, 100, explodes on symbol-heavy
 *   input). Look-alike substitutions are undone by the banned-password normalisation anyway.
 */
export const ESTIMATE_MAX_CHARS = 64;

export type Score = 0 | 1 | 2 | 3 | 4;

export interface Estimate {
  score: Score;
  /** zxcvbn's warning key, e.g. 'topTen', 'common', 'userInputs', or null. */
  warningKey: string | null;
  /** Plain-English warning and suggestions (from @zxcvbn-ts/language-en). */
  warning: string | null;
  suggestions: string[];
}

interface Engine {
  zxcvbn: Core.ZxcvbnFactory;
  common: Set<string>;
  warnings: Record<string, string>;
  suggestions: Record<string, string>;
}

let engine: Engine | null = null;
const require = createRequire(import.meta.url);

function load(): Engine {
  const core = require('@zxcvbn-ts/core') as typeof Core;
  const common = require('@zxcvbn-ts/language-common') as typeof Common;
  const english = require('@zxcvbn-ts/language-en') as typeof English;
  // No translations in the factory: feedback comes back as keys, which we both inspect and translate.
  const zxcvbn = new core.ZxcvbnFactory({
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...english.dictionary },
    l33tMaxSubstitutions: 4,
  });
  return {
    zxcvbn,
    common: new Set(common.dictionary['passwords-common'].map((p) => p.toLowerCase())),
    warnings: english.translations.warnings as Record<string, string>,
    suggestions: english.translations.suggestions as Record<string, string>,
  };
}

/** Loads the dictionaries now (otherwise the first check does); returns how many common passwords are known. */
export function warmUpEstimator(): number {
  engine ??= load();
  return engine.common.size;
}

/** Whether the password, lower-cased, is one of the ~49,000 most common passwords of @zxcvbn-ts/language-common. */
export function isCommonPassword(password: string): boolean {
  engine ??= load();
  return engine.common.has(password.toLowerCase());
}

/** The first `max` code points of a string. */
export function firstCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

/** Strength 0–4 with feedback; `userInputs` (names, organisation) count as known words. */
export function estimateStrength(password: string, userInputs: readonly string[] = []): Estimate {
  engine ??= load();
  const { warnings, suggestions } = engine;
  const result = engine.zxcvbn.check(firstCodePoints(password, ESTIMATE_MAX_CHARS), [...userInputs]);
  const warningKey = result.feedback.warning || null;
  return {
    score: result.score,
    warningKey,
    warning: warningKey ? (warnings[warningKey] ?? warningKey) : null,
    suggestions: result.feedback.suggestions.map((s) => suggestions[s] ?? s),
  };
}

/** zxcvbn warnings that mean "this is one of the most common passwords". */
export const COMMON_WARNINGS: ReadonlySet<string> = new Set(['topTen', 'topHundred', 'common']);
