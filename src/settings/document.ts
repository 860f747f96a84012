import type { z } from 'zod';
import { STORED_SECTIONS, type StoredSection } from '../config/stored-sections.js';
import type { MessageKey } from '../i18n/index.js';
import { setAt, valueAt } from '../policy/settings.js';
import type { FieldCipher } from '../shared/sealed.js';
import { secretPaths } from './fields.js';

/** The values of each stored section, as the file's schema gives them. */
export type SectionValues = { [S in StoredSection]: z.output<(typeof STORED_SECTIONS)[S]> };

/** A problem with one setting, in words: the catalogue key and what fills it. */
export interface SettingProblem {
  key: MessageKey;
  vars?: Record<string, string | number>;
}
export type SettingProblems = Record<string, SettingProblem>;

/** How a saved secret appears anywhere outside the store: that there is one, never what it is. */
export const SECRET_SET = Object.freeze({ set: true });
export const isSecretMarker = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)['set'] === true && Object.keys(v).length === 1;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of a JSON document. */
export const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function deleteAt(doc: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  let target: unknown = doc;
  for (const k of keys.slice(0, -1)) target = isPlainObject(target) ? target[k] : undefined;
  if (isPlainObject(target)) delete target[keys.at(-1)!];
}

/** JSON Merge Patch (RFC 7396): objects key by key, null removes a key, anything else replaces. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = isSecretMarker(v) ? v : mergePatch(out[k], v);
  }
  return out;
}

const aad = (section: StoredSection, path: string) => `settings:${section}:${path}`;

/** The document as stored: each secret sealed with the store key, bound to its section and path. */
export function sealSecrets(section: StoredSection, values: Record<string, unknown>, cipher: FieldCipher): Record<string, unknown> {
  const out = copy(values);
  for (const path of secretPaths(section)) {
    const v = valueAt(out, path);
    if (typeof v === 'string') setAt(out, path, { sealed: cipher.seal(v, aad(section, path)) });
  }
  return out;
}

export function openSecrets(section: StoredSection, stored: Record<string, unknown>, cipher: FieldCipher): Record<string, unknown> {
  const out = copy(stored);
  for (const path of secretPaths(section)) {
    const v = valueAt(out, path);
    if (isPlainObject(v) && typeof v['sealed'] === 'string') setAt(out, path, cipher.open(v['sealed'], aad(section, path)));
  }
  return out;
}

/** The section as anyone may see it (console, API, CLI, exports): each secret that is set becomes `{ "set": true }`. */
export function publicView(section: StoredSection, values: object): Record<string, unknown> {
  const out = copy(values) as Record<string, unknown>;
  for (const path of secretPaths(section)) if (typeof valueAt(out, path) === 'string') setAt(out, path, { ...SECRET_SET });
  return out;
}

type Issue = z.core.$ZodIssue;

/** The words for what the file's schema found wrong: generic enough for every setting, with its numbers. */
export function problemOf(issue: Issue): SettingProblem {
  const i = issue as Issue & { origin?: string; minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean; expected?: string; format?: string; keys?: string[] };
  // Every number here is whole: "more than 0" is "at least 1".
  const min = Number(i.minimum) + (i.inclusive === false ? 1 : 0);
  const max = Number(i.maximum) - (i.inclusive === false ? 1 : 0);
  switch (i.code) {
    case 'too_small':
      if (i.origin === 'number') return { key: 'v.settings.atLeast', vars: { min } };
      if (i.origin === 'string' && min > 1) return { key: 'v.settings.tooShort', vars: { min } };
      return { key: 'v.settings.required' };
    case 'too_big':
      if (i.origin === 'number') return { key: 'v.settings.atMost', vars: { max } };
      if (i.origin === 'array') return { key: 'v.settings.tooMany', vars: { max } };
      return { key: 'v.settings.tooLong', vars: { max } };
    case 'invalid_type':
      if (i.expected === 'int') return { key: 'v.settings.whole' };
      if (i.expected === 'number') return { key: 'v.settings.number' };
      if (i.expected === 'boolean') return { key: 'v.settings.yesno' };
      return { key: 'v.settings.required' };
    case 'invalid_format':
      if (/two-letter country code/.test(i.message)) return { key: 'v.settings.countryCode' };
      if (/distinguished name/.test(i.message)) return { key: 'v.settings.dn' };
      return { key: i.format === 'url' ? 'v.settings.url' : 'v.settings.format' };
    case 'invalid_value':
      return { key: 'v.settings.choice' };
    case 'unrecognized_keys':
      return { key: 'v.settings.unknown', vars: { keys: (i.keys ?? []).join(', ') } };
    case 'custom':
      if (/delivery\.mode is smtp/.test(i.message)) return { key: 'v.settings.smtpNeeded' };
      if (/provider is twilio/.test(i.message)) return { key: 'v.settings.twilioNeeded' };
      if (/provider is webhook/.test(i.message)) return { key: 'v.settings.webhookNeeded' };
      if (/LDAP filter/.test(i.message)) return { key: 'v.settings.ldapFilter' };
      return { key: 'v.settings.invalid' };
    default:
      return { key: 'v.settings.invalid' };
  }
}

/** Validates a whole section with the file's schema; problems by dotted path (first problem of each wins). */
export function validateSection<S extends StoredSection>(section: S, doc: unknown): { ok: true; value: SectionValues[S] } | { ok: false; errors: SettingProblems } {
  const r = (STORED_SECTIONS[section] as z.ZodType).safeParse(doc);
  if (r.success) return { ok: true, value: r.data as SectionValues[S] };
  const errors: SettingProblems = {};
  for (const issue of r.error.issues) errors[issue.path.map(String).join('.') || '_form'] ??= problemOf(issue);
  return { ok: false, errors };
}
