import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { isMessageKey, translator, type MessageKey, type Translate, type Vars } from '../i18n/index.js';
import { LANGUAGE_CODES, fromAcceptLanguage } from '../i18n/languages.js';
import { currentLocale, inLocale } from '../i18n/locale-context.js';
import type { FieldErrors } from '../shared/validation.js';

/**
 * The one error shape of the JSON API: `{ error: { code, message, fields? } }`. `code` is stable
 * for programs, `message` is plain words for people, `fields` names each wrong field (dotted
 * path, e.g. "policy.questions.toAnswer") with what to change.
 */
export const apiErrorCodes = {
  invalid_json: 400,
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  refused: 422,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ApiErrorCode = keyof typeof apiErrorCodes;

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; fields?: Record<string, string> };
}

/**
 * The API's language: what `Accept-Language` asks for among the eight catalogues, else English —
 * never a cookie nor the organisation's default, so a script sees the same words on every portal
 * unless it asks. Only `message` and `fields` change; `code` is the same in every language.
 */
export function apiLanguage(acceptLanguage: string | undefined): string {
  return fromAcceptLanguage(acceptLanguage, LANGUAGE_CODES) ?? 'en';
}

/** Runs the request in its API language (what the services word follows it too) and says which in `Content-Language`. */
export function inApiLanguage(timeZone: string): MiddlewareHandler {
  return async (c, next) => {
    const lang = apiLanguage(c.req.header('accept-language'));
    c.header('Content-Language', lang);
    c.header('Vary', 'Accept-Language', { append: true });
    await inLocale({ lang, timeZone }, next);
  };
}

/** The catalogue in the request's API language (English outside a request). */
export const t: Translate = (key, vars) => translator(currentLocale()?.lang ?? 'en')(key, vars);

/** A catalogue key's text, or the fallback's when the key is not (yet) in the catalogue. */
export function text(key: string, fallback: MessageKey, vars?: Vars): string {
  return isMessageKey(key) ? t(key, vars) : t(fallback, vars);
}

export function apiError(c: Context, code: ApiErrorCode, message: string, fields?: Record<string, string>, headers?: Record<string, string>): Response {
  const body: ApiErrorBody = { error: { code, message, ...(fields && Object.keys(fields).length ? { fields } : {}) } };
  return c.json(body, apiErrorCodes[code], headers);
}

/** Field errors of a service outcome (catalogue keys) as plain words, optionally under a prefix. */
export function fieldTexts(errors: FieldErrors, vars?: Vars, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(errors)) {
    const name = field === '_form' ? prefix.replace(/\.$/, '') || '_body' : `${prefix}${field}`;
    out[name] = text(key, 'v.field.invalid', vars);
  }
  return out;
}

function typeName(expected: string): string {
  const known = ['string', 'number', 'int', 'boolean', 'object', 'array', 'null'] as const;
  const k = (known as readonly string[]).includes(expected) ? (`api.type.${expected}` as MessageKey) : 'api.type.other';
  return t(k);
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = input;
  for (const p of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** What a zod issue means, in the words of the catalogue. */
function issueText(issue: z.core.$ZodIssue, input: unknown, vars?: Vars): string {
  switch (issue.code) {
    case 'invalid_type':
      // Same words for every field: the schema's own key may be phrased for a form ("Choose yes or no").
      return valueAt(input, issue.path) === undefined ? t('api.v.required') : t('api.v.expected', { type: typeName(issue.expected) });
    case 'invalid_value':
      return t('api.v.oneOf', { values: listValues(issue.values) });
    case 'invalid_union': {
      // A union of literals (methodsRequired: 1 | 2): list what each branch would accept.
      const values = issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' ? i.values : []));
      if (values.length) return t('api.v.oneOf', { values: listValues(values) });
      break;
    }
    default:
      break;
  }
  if (isMessageKey(issue.message)) return t(issue.message, vars);
  switch (issue.code) {
    case 'too_small': {
      const n = Number(issue.minimum);
      return t(issue.origin === 'string' ? 'api.v.tooShort' : issue.origin === 'array' || issue.origin === 'set' ? 'api.v.tooFewItems' : 'api.v.tooSmall', { n });
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      return t(issue.origin === 'string' ? 'api.v.tooLong' : issue.origin === 'array' || issue.origin === 'set' ? 'api.v.tooManyItems' : 'api.v.tooBig', { n });
    }
    case 'invalid_format':
      return t('api.v.format');
    default:
      return t('v.field.invalid');
  }
}

/**
 * Every problem of a failed parse, one message per field (the first problem of a field wins).
 * Unknown keys are named individually, so a typo points at itself.
 */
export function issueFields(issues: readonly z.core.$ZodIssue[], input: unknown, vars?: Vars, prefix = ''): Record<string, string> {
  const fields: Record<string, string> = {};
  const name = (path: ReadonlyArray<PropertyKey>) => prefix + path.map(String).join('.');
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[name([...issue.path, key])] ??= t('api.v.unknownKey');
      continue;
    }
    const field = name(issue.path) || '_body';
    fields[field] ??= issueText(issue, input, vars);
  }
  return fields;
}

/** `If-Match: "3"` (a version as its ETag: the policy's, a settings section's) or `*`; anything else is a 400. */
export function ifMatchVersion(header: string | undefined): { ok: true; version: number | undefined } | { ok: false } {
  if (header === undefined) return { ok: true, version: undefined };
  const v = header.trim();
  if (v === '*') return { ok: true, version: undefined };
  const m = /^"(\d{1,9})"$/.exec(v);
  return m ? { ok: true, version: Number(m[1]) } : { ok: false };
}

/**
 * The version a change is based on: `If-Match` ("3" or *) or `expectedVersion` in the body; when
 * both are sent they must agree. A 400 answer when the header is malformed or they disagree.
 */
export function expectedVersionOf(c: Context, bodyVersion: number | undefined): { ok: true; expected: number | undefined; ifMatch: number | undefined } | { ok: false; res: Response } {
  const match = ifMatchVersion(c.req.header('if-match'));
  if (!match.ok) return { ok: false, res: apiError(c, 'invalid_input', t('api.error.invalidInput'), { 'If-Match': t('api.error.ifMatch') }) };
  if (match.version !== undefined && bodyVersion !== undefined && match.version !== bodyVersion) {
    return { ok: false, res: apiError(c, 'invalid_input', t('api.error.versionsDisagree'), { 'If-Match': t('api.error.versionsDisagree'), expectedVersion: t('api.error.versionsDisagree') }) };
  }
  return { ok: true, expected: match.version ?? bodyVersion, ifMatch: match.version };
}

/** A save on top of another version than the current one: 412 when If-Match named it (HTTP's own precondition), else 409; the current version as the ETag. */
export function versionConflict(c: Context, v: { ifMatch: number | undefined; expected: number | undefined }, current: number, words: { precondition: MessageKey; conflict: MessageKey }): Response {
  return v.ifMatch !== undefined
    ? apiError(c, 'precondition_failed', t(words.precondition, { expected: v.ifMatch, current }), undefined, etag(current))
    : apiError(c, 'conflict', t(words.conflict, { expected: v.expected ?? current, current }), undefined, etag(current));
}

/** `?limit=N`: a whole number from 1 to `max`, `fallback` when absent; null when it is anything else (a 400 follows). */
export function limitQuery(c: Context, fallback: number, max: number): number | null {
  const raw = c.req.query('limit');
  const n = raw === undefined ? fallback : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : null;
}

/** A version as the ETag header, to be sent back in If-Match. */
export const etag = (version: number) => ({ ETag: `"${version}"` });
