import { en, type MessageKey } from '../i18n/en.js';
import { messageIssues } from '../i18n/check.js';
import { CONFIGURABLE_LANGUAGES, LANGUAGE_CODES } from '../i18n/languages.js';

/**
 * What administrators set about languages: which are offered (the footer's switch, the
 * browser's choice, My account), the default, and their own wording of any message in any
 * language — "call the service desk on 1234" instead of the catalogue's words. An override is a
 * whole ICU message, checked like a translation: the same placeholders as the English message,
 * only the plural forms the language has.
 */
export interface Wording {
  languages: string[];
  defaultLanguage: string;
  /** language → message key → the administrators' text. */
  overrides: Record<string, Record<string, string>>;
}

export interface WordingProblem {
  key: MessageKey;
  vars?: Record<string, string>;
}

export const MAX_OVERRIDE_LENGTH = 2000;

const isConfigurable = (code: unknown): code is string => typeof code === 'string' && (CONFIGURABLE_LANGUAGES as readonly string[]).includes(code);

/** The problem of one override, in words (null: it can be saved). */
export function overrideProblem(lang: string, key: string, text: string): WordingProblem | null {
  if (!(LANGUAGE_CODES as readonly string[]).includes(lang)) return { key: 'wording.v.language' };
  if (!Object.hasOwn(en, key)) return { key: 'wording.v.key' };
  if (text.trim() === '') return { key: 'wording.v.empty' };
  if (text.length > MAX_OVERRIDE_LENGTH) return { key: 'wording.v.tooLong', vars: { max: String(MAX_OVERRIDE_LENGTH) } };
  const issue = messageIssues(lang, text, en[key as MessageKey])[0];
  if (!issue) return null;
  switch (issue.kind) {
    case 'invalid':
      return { key: 'wording.v.invalid' };
    case 'placeholderMissing':
      return { key: 'wording.v.placeholderMissing', vars: { name: `{${issue.name}}` } };
    case 'placeholderExtra':
      return { key: 'wording.v.placeholderExtra', vars: { name: `{${issue.name}}` } };
    case 'placeholderKind':
      return { key: 'wording.v.placeholderMissing', vars: { name: `{${issue.name}}` } };
    case 'select':
      return { key: 'wording.v.select', vars: { name: `{${issue.name}}` } };
    default:
      return { key: 'wording.v.plural', vars: { name: `{${issue.name}}` } };
  }
}

/** Validates a whole document (every read of a stored version too). */
export function validateWording(input: { languages?: unknown; defaultLanguage?: unknown; overrides?: unknown }): { ok: true; value: Wording } | { ok: false; errors: Record<string, WordingProblem> } {
  const errors: Record<string, WordingProblem> = {};
  const raw = Array.isArray(input.languages) ? input.languages : [];
  const languages = CONFIGURABLE_LANGUAGES.filter((code) => raw.includes(code));
  if (languages.length === 0) errors['languages'] = { key: 'wording.v.noLanguage' };
  else if (raw.some((code) => !isConfigurable(code))) errors['languages'] = { key: 'wording.v.language' };
  const defaultLanguage = typeof input.defaultLanguage === 'string' ? input.defaultLanguage : '';
  if (!errors['languages'] && !languages.includes(defaultLanguage as (typeof languages)[number])) errors['defaultLanguage'] = { key: 'wording.v.defaultNotOffered' };
  const overrides: Wording['overrides'] = {};
  const given = typeof input.overrides === 'object' && input.overrides !== null ? (input.overrides as Record<string, unknown>) : {};
  for (const [lang, messages] of Object.entries(given)) {
    if (typeof messages !== 'object' || messages === null) continue;
    for (const [key, text] of Object.entries(messages as Record<string, unknown>)) {
      const problem = typeof text === 'string' ? overrideProblem(lang, key, text) : { key: 'wording.v.empty' as const };
      if (problem) errors[`override.${lang}.${key}`] = problem;
      else (overrides[lang] ??= {})[key] = text as string;
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { languages: [...languages], defaultLanguage, overrides } };
}
