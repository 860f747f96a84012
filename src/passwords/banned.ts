import { globalBannedTerms } from './banned-global.js';

/**
 * Banned-password scoring the way Microsoft Entra Password Protection describes it
 * (learn.microsoft.com, "Eliminate bad passwords … — How are passwords evaluated"):
 *
 * 1. Normalise the password: lower-case, then undo the usual look-alike substitutions.
 * 2. Find the banned terms in it: terms of the global and the custom list by *fuzzy* match
 *    (edit distance at most 1: one character changed, added or removed), the user's names and
 *    the organisation's name by plain substring match. Terms shorter than 4 characters are not
 *    matched at all (Entra's rule for names; our lists refuse such terms).
 * 3. Score: every banned term found is 1 point, every other character is 1 point.
 * 4. At least 5 points are needed.
 *
 * Two details the documentation leaves open, decided here and covered by tests:
 * - Where terms overlap or could be read in several ways, the score is the *lowest* any reading
 *   gives (the weakest interpretation of the password is the one an attacker tries first).
 * - Where a term occurs exactly, the occurrence with one more character is not a fuzzy match
 *   of it: "contosoblankf9!" holds "blank", and "blankf" (one letter added) does not swallow the
 *   f. This reproduces Microsoft's worked examples exactly (contosoblank12 → 4 points, refused;
 *   contosoblankf9! → 5 points, accepted). A fuzzy match *inside* an exact occurrence still
 *   counts, for overlapping words: "monkeyellow" is monke(y) + yellow, 2 points.
 */

/** Points a password needs (Entra: 5). */
export const BANNED_POINTS_REQUIRED = 5;
/** Shortest term that is matched at all (Entra: 4). */
export const BANNED_TERM_MIN = 4;
/** Longest custom term, and most custom terms (Entra: 64 characters, 1,000 terms). */
export const BANNED_TERM_MAX = 64;
export const CUSTOM_BANNED_MAX = 1000;

/**
 * Look-alike substitutions undone by normalisation. Microsoft documents the first four
 * (0→o, 1→l, $→s, @→a); the rest are the next most common leetspeak and are our addition.
 */
export const substitutions: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'l',
  $: 's',
  '@': 'a',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '!': 'i',
  '|': 'l',
};

/** NFKC (full-width and ligature forms become plain letters), lower-case, then substitutions. */
export function normalise(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC').toLowerCase()) out += substitutions[ch] ?? ch;
  return out;
}

/** Whether two strings are at most one edit apart (Levenshtein, counted in code points). */
export function withinOneEdit(a: string, b: string): boolean {
  const x = Array.from(a);
  const y = Array.from(b);
  return windowWithinOneEdit(x, 0, x.length, y);
}

/** `chars[start, start+len)` against `term`: equal but for at most one change, insertion or deletion. */
function windowWithinOneEdit(chars: readonly string[], start: number, len: number, term: readonly string[]): boolean {
  const m = term.length;
  if (Math.abs(len - m) > 1) return false;
  let i = 0;
  while (i < len && i < m && chars[start + i] === term[i]) i++;
  if (i === len && i === m) return true; // identical
  // After the first difference the rest must match exactly, shifted by the kind of edit.
  const [skipWindow, skipTerm] = len === m ? [1, 1] : len > m ? [1, 0] : [0, 1];
  let a = i + skipWindow;
  let b = i + skipTerm;
  while (a < len && b < m) {
    if (chars[start + a] !== term[b]) return false;
    a++;
    b++;
  }
  return a === len && b === m;
}

export type TermKind = 'global' | 'custom' | 'name' | 'organisation';

export interface BannedTerm {
  /** As listed or given (shown to the user for list terms). */
  readonly display: string;
  readonly kind: TermKind;
  /** Normalised. */
  readonly text: string;
  readonly chars: readonly string[];
  /** Fuzzy (edit distance 1) for list terms, exact substring for names. */
  readonly fuzzy: boolean;
  /** The two halves used to find fuzzy candidates (one of them survives any single edit). */
  readonly head: string;
  readonly tail: string;
}

function term(display: string, kind: TermKind, fuzzy: boolean): BannedTerm | null {
  const text = normalise(display.trim());
  const chars = Array.from(text);
  if (chars.length < BANNED_TERM_MIN) return null;
  const half = Math.floor(chars.length / 2);
  return { display: display.trim(), kind, text, chars, fuzzy, head: chars.slice(0, half).join(''), tail: chars.slice(half).join('') };
}

/** Problems with a custom list, as sentences for configuration errors (empty when it is fine). */
export function customBannedProblems(terms: readonly unknown[]): string[] {
  const problems: string[] = [];
  if (terms.length > CUSTOM_BANNED_MAX) problems.push(`at most ${CUSTOM_BANNED_MAX} terms (got ${terms.length})`);
  terms.forEach((t, i) => {
    if (typeof t !== 'string') return problems.push(`term ${i + 1}: must be a string`);
    const length = Array.from(t.trim()).length;
    if (length < BANNED_TERM_MIN || length > BANNED_TERM_MAX) problems.push(`term ${i + 1} ("${t.slice(0, 70)}"): must have ${BANNED_TERM_MIN} to ${BANNED_TERM_MAX} characters`);
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f-\u009f]/.test(t)) problems.push(`term ${i + 1}: must not contain control characters`);
    return undefined;
  });
  return problems;
}

/** A compiled list: the global terms plus an organisation's custom terms, normalised once. */
export interface BannedList {
  readonly terms: readonly BannedTerm[];
}

/** Compiles the global list with a custom one; throws on an invalid custom list (config validates it first). */
export function compileBannedList(custom: readonly string[] = [], global: readonly string[] = globalBannedTerms): BannedList {
  const problems = customBannedProblems(custom);
  if (problems.length) throw new Error(`invalid custom banned-password list: ${problems.join('; ')}`);
  const seen = new Set<string>();
  const terms: BannedTerm[] = [];
  for (const [kind, list] of [['custom', custom], ['global', global]] as const) {
    for (const display of list) {
      const t = term(display, kind, true);
      if (!t || seen.has(t.text)) continue;
      seen.add(t.text);
      terms.push(t);
    }
  }
  return { terms };
}

/**
 * Terms from who the user is: the user's names (username, display-name parts, the local part of
 * the email address, whole and split at . _ - +) and the organisation's name (whole and by word).
 * Matched as substrings only; parts shorter than 4 characters are left out (Entra's rule).
 */
export function personalTerms(userInputs: readonly string[], organisationName?: string | null): BannedTerm[] {
  const out: BannedTerm[] = [];
  const seen = new Set<string>();
  const add = (display: string, kind: TermKind) => {
    const t = term(display, kind, false);
    if (!t || seen.has(t.text)) return;
    seen.add(t.text);
    out.push(t);
  };
  for (const input of userInputs) {
    add(input, 'name');
    for (const part of input.split(/[\s._+\-@,;:/\\()'"]+/u)) add(part, 'name');
  }
  if (organisationName) {
    add(organisationName.replace(/\s+/gu, ''), 'organisation');
    for (const part of organisationName.split(/[\s.,&()'"/-]+/u)) add(part, 'organisation');
  }
  return out;
}

export interface FoundTerm {
  term: string;
  kind: TermKind;
  /** Code-point positions in the normalised password, end exclusive. */
  start: number;
  end: number;
  /** True when the term was found by edit distance 1 rather than exactly. */
  fuzzy: boolean;
}

export interface BannedScore {
  points: number;
  required: number;
  ok: boolean;
  /** The terms that make up the lowest-scoring reading, in order of position. */
  found: FoundTerm[];
  normalised: string;
}

interface Span {
  start: number;
  end: number;
  term: BannedTerm;
  fuzzy: boolean;
}

/** All start offsets (UTF-16) of `needle` in `haystack`, overlapping ones included. */
function occurrences(haystack: string, needle: string): number[] {
  const out: number[] = [];
  if (!needle) return out;
  for (let p = haystack.indexOf(needle); p !== -1; p = haystack.indexOf(needle, p + 1)) out.push(p);
  return out;
}

function findSpans(norm: string, chars: readonly string[], indexAt: Int32Array, t: BannedTerm): Span[] {
  const L = t.chars.length;
  const exact = occurrences(norm, t.text).map((p) => indexAt[p]!);
  const spans: Span[] = exact.map((start) => ({ start, end: start + L, term: t, fuzzy: false }));
  if (!t.fuzzy) return spans;
  // One edit leaves either the first half intact at the start of the window or the second half
  // intact at its end, so exact searches for the halves find every candidate window.
  const n = chars.length;
  const seen = new Set<number>();
  const tryWindow = (start: number, len: number) => {
    if (start < 0 || len < 1 || start + len > n) return;
    const key = start * 4096 + len;
    if (seen.has(key)) return;
    seen.add(key);
    const end = start + len;
    // The term itself with a character more is not a cheaper reading of it ("blankf" holds "blank").
    if (exact.some((s) => start <= s && s + L <= end)) return;
    if (windowWithinOneEdit(chars, start, len, t.chars)) spans.push({ start, end, term: t, fuzzy: true });
  };
  const headLength = Array.from(t.head).length;
  for (const p of occurrences(norm, t.head)) for (const len of [L - 1, L, L + 1]) tryWindow(indexAt[p]!, len);
  for (const p of occurrences(norm, t.tail)) {
    const end = indexAt[p]! + (L - headLength);
    for (const len of [L - 1, L, L + 1]) tryWindow(end - len, len);
  }
  return spans;
}

/**
 * Scores a password against banned terms (see the top of this file). `password` should already
 * be length-bounded: this runs in time proportional to its length times the number of terms.
 */
export function scoreBanned(password: string, list: BannedList, personal: readonly BannedTerm[] = []): BannedScore {
  const norm = normalise(password);
  const chars = Array.from(norm);
  const n = chars.length;
  // UTF-16 offset → code-point index, for turning indexOf results into positions.
  const indexAt = new Int32Array(norm.length + 1);
  for (let i = 0, offset = 0; i <= n; i++) {
    indexAt[offset] = i;
    offset += chars[i]?.length ?? 1;
  }

  const endingAt: Span[][] = Array.from({ length: n + 1 }, () => []);
  for (const t of [...personal, ...list.terms]) {
    if (t.chars.length > n + 1) continue;
    for (const s of findSpans(norm, chars, indexAt, t)) endingAt[s.end]!.push(s);
  }

  // Lowest score over all readings: best[i] is the fewest points for the first i characters.
  const best = new Int32Array(n + 1);
  const via: Array<Span | null> = new Array<Span | null>(n + 1).fill(null);
  for (let i = 1; i <= n; i++) {
    best[i] = best[i - 1]! + 1;
    for (const s of endingAt[i]!) {
      const points = best[s.start]! + 1;
      // On a tie prefer the reading that names a term, and the longer term.
      if (points < best[i]! || (points === best[i]! && (via[i] === null || s.end - s.start > via[i]!.end - via[i]!.start))) {
        best[i] = points;
        via[i] = s;
      }
    }
  }
  const found: FoundTerm[] = [];
  for (let i = n; i > 0; ) {
    const s = via[i];
    if (s) {
      found.push({ term: s.term.kind === 'global' || s.term.kind === 'custom' ? s.term.display.toLowerCase() : s.term.display, kind: s.term.kind, start: s.start, end: s.end, fuzzy: s.fuzzy });
      i = s.start;
    } else i--;
  }
  found.reverse();
  const points = best[n]!;
  return { points, required: BANNED_POINTS_REQUIRED, ok: points >= BANNED_POINTS_REQUIRED, found, normalised: norm };
}

let globalOnly: BannedList | null = null;
const compiled = new WeakMap<readonly string[], BannedList>();

/** The compiled list for a custom list (compiled once per array: pass the same, frozen config array). */
export function bannedListFor(custom: readonly string[] | undefined): BannedList {
  if (!custom || custom.length === 0) return (globalOnly ??= compileBannedList([]));
  let list = compiled.get(custom);
  if (!list) {
    list = compileBannedList(custom);
    compiled.set(custom, list);
  }
  return list;
}
