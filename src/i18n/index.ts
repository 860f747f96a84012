import { TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { readFileSync } from 'node:fs';
import { en, type MessageKey } from './en.js';
import { LANGUAGE_CODES, PSEUDO_LOCALE } from './languages.js';

export type { MessageKey };
export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

/** `locales/<code>.json`, beside src/ and dist/ (both two levels above this file). */
export function localeFile(code: string): URL {
  return new URL(`../../locales/${code}.json`, import.meta.url);
}

/**
 * Every catalogue, read once at start. A file that cannot be read or parsed leaves its language
 * falling back to English key by key (the catalogue test fails long before that reaches a user).
 */
function loadCatalogues(): Record<string, Partial<Record<MessageKey, string>>> {
  const loaded: Record<string, Partial<Record<MessageKey, string>>> = { en };
  for (const code of LANGUAGE_CODES) {
    if (code === 'en') continue;
    try {
      loaded[code] = JSON.parse(readFileSync(localeFile(code), 'utf8')) as Partial<Record<MessageKey, string>>;
    } catch {
      loaded[code] = {};
    }
  }
  loaded[PSEUDO_LOCALE] = Object.fromEntries(Object.entries(en).map(([key, text]) => [key, `⟦${text}⟧`])) as Record<MessageKey, string>;
  return loaded;
}

const catalogues = loadCatalogues();

/** A message as the catalogue of `lang` writes it (ICU source, placeholders and plurals as such), English when it has none. */
export function sourceText(lang: string, key: MessageKey): string {
  return catalogues[lang]?.[key] ?? en[key];
}

export function isMessageKey(k: string): k is MessageKey {
  return Object.hasOwn(en, k);
}

/**
 * Messages are ICU MessageFormat (FormatJS's `intl-messageformat`): `{name}` placeholders,
 * `{n, plural, one {# day} other {# days}}`, `{kind, select, …}`, numbers and dates by locale.
 * Each message is parsed once per language and kept; formatting is then a walk of the parsed form.
 */
interface Compiled {
  format: IntlMessageFormat;
  /** Placeholders the message reads as numbers (plural, selectordinal, number): a numeric string given for one is passed as a number. */
  numeric: Set<string>;
  /** Every placeholder the message reads. */
  names: Set<string>;
}

function collect(nodes: MessageFormatElement[], names: Set<string>, numeric: Set<string>): void {
  for (const node of nodes) {
    if (node.type === TYPE.literal || node.type === TYPE.pound) continue;
    if (node.type === TYPE.tag) {
      collect(node.children, names, numeric);
      continue;
    }
    names.add(node.value);
    if (node.type === TYPE.number || node.type === TYPE.plural) numeric.add(node.value);
    if (node.type === TYPE.plural || node.type === TYPE.select) for (const option of Object.values(node.options)) collect(option.value, names, numeric);
  }
}

function compile(text: string, lang: string): Compiled {
  // ignoreTag: `<b>` in a message is text, not a rich-text tag; pages escape what they render.
  const format = new IntlMessageFormat(text, lang, undefined, { ignoreTag: true });
  const names = new Set<string>();
  const numeric = new Set<string>();
  collect(format.getAst(), names, numeric);
  return { format, names, numeric };
}

const translators = new Map<string, Translate>();

/** A translator for one language (one per language, its parsed messages kept); unknown languages fall back to English. */
export function translator(lang = 'en'): Translate {
  const code = catalogues[lang] ? lang : 'en';
  let found = translators.get(code);
  if (!found) {
    found = build(code);
    translators.set(code, found);
  }
  return found;
}

/**
 * The catalogue of `lang` with some messages replaced (the administrators' own wording,
 * src/wording/, validated there as ICU). A new translator each time: the caller keeps it.
 */
export function translatorWith(lang: string, overrides: Readonly<Record<string, string>>): Translate {
  const code = catalogues[lang] ? lang : 'en';
  if (Object.keys(overrides).length === 0) return translator(code);
  return build(code, { ...catalogues[code], ...overrides } as Partial<Record<MessageKey, string>>);
}

function build(lang: string, messages?: Partial<Record<MessageKey, string>>): Translate {
  const cat = messages ?? catalogues[lang] ?? en;
  const compiled = new Map<MessageKey, Compiled | null>();
  return (key, vars) => {
    const text = cat[key] ?? en[key] ?? key;
    let message = compiled.get(key);
    if (message === undefined) {
      try {
        message = compile(text, lang);
      } catch {
        message = null; // not valid ICU: the catalogue test names it; the raw text is better than nothing
      }
      compiled.set(key, message);
    }
    if (message === null) return text;
    if (message.names.size === 0) return message.format.format() as string;
    const values: Record<string, string | number> = {};
    for (const name of message.names) {
      const given = vars?.[name];
      if (given === undefined) {
        // A missing value shows as its placeholder rather than throwing in the middle of a page;
        // a count that is missing cannot choose a plural form, so the raw message stands.
        if (message.numeric.has(name)) return text;
        values[name] = `{${name}}`;
      } else if (message.numeric.has(name) && typeof given === 'string' && given.trim() !== '' && Number.isFinite(Number(given))) {
        values[name] = Number(given);
      } else {
        values[name] = given;
      }
    }
    try {
      return String(message.format.format(values));
    } catch {
      // e.g. a plural given a value that is not a number: fill the plain placeholders as before
      return text.replace(/\{(\w+)\}/g, (m, name: string) => (vars && name in vars ? String(vars[name]) : m));
    }
  };
}
