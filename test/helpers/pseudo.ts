import { en } from '../../src/i18n/en.js';
import { CONFIGURABLE_LANGUAGES, languageName } from '../../src/i18n/languages.js';

/** The footer's language switch names each language in itself: data, in every language. */
const LANGUAGE_NAMES = CONFIGURABLE_LANGUAGES.map(languageName);

/**
 * The pseudo-locale check (issue 15): a page rendered in `en-XA` shows every catalogue message
 * inside ⟦ ⟧, so an English word of the catalogue left outside the brackets — and outside the data
 * a page shows (names, addresses, dates) — is text that bypassed the catalogue.
 */

let words: Set<string> | null = null;

/** Every word the English catalogue uses (placeholders and ICU syntax aside). */
export function catalogueWords(): Set<string> {
  if (words) return words;
  words = new Set<string>();
  for (const text of Object.values(en)) for (const w of text.replace(/\{[^{}]*\}/g, ' ').match(/[A-Za-z][A-Za-z']{2,}/g) ?? []) words.add(w.toLowerCase());
  return words;
}

/** The catalogue's English words in a page's text (in the pseudo-locale) that are not inside a ⟦ ⟧ message nor data (names, groups, the organisation). */
export function unwrappedWords(text: string, data: readonly string[] = []): string[] {
  let rest = text;
  // Innermost first: a message may carry another (a label inside a sentence).
  for (let before = ''; before !== rest; ) {
    before = rest;
    rest = rest.replace(/⟦[^⟦⟧]*⟧/g, ' ');
  }
  for (const d of [...data, ...LANGUAGE_NAMES].sort((a, b) => b.length - a.length)) rest = rest.split(d).join(' ');
  // Dates, web addresses and (masked) email addresses are data too.
  rest = rest
    .replace(/\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?( UTC)?/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\S*@\S+/g, ' ')
    .replace(/Mozilla\/5\.0[^\t\n]*/g, ' ');
  const known = catalogueWords();
  return [...new Set((rest.match(/[A-Za-z][A-Za-z']{2,}/g) ?? []).filter((w) => known.has(w.toLowerCase())))];
}
