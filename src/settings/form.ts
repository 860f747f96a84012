import type { StoredSection } from '../config/stored-sections.js';
import type { Form } from '../http/form.js';
import { formName, setAt, valueAt } from '../policy/settings.js';
import { isSecretMarker, type SettingProblems } from './document.js';
import { fieldOfPath, pageOf, type SettingField } from './fields.js';

/** The name of a secret's "remove the saved value" checkbox. */
export const removeName = (path: string) => `${formName(path)}--remove`;

/** What a form field shows for a stored value (a secret: nothing, ever). */
export function formValue(field: SettingField, view: Record<string, unknown>): string {
  const v = valueAt(view, field.path);
  if (v === undefined && field.initial !== undefined) return field.initial;
  switch (field.kind) {
    case 'secret':
      return '';
    case 'yesno':
      return v === true ? 'yes' : v === false ? 'no' : '';
    case 'numbers':
      return Array.isArray(v) ? v.join(', ') : '';
    case 'lines':
      return Array.isArray(v) ? v.join('\n') : '';
    default:
      return v === undefined || v === null ? '' : String(v);
  }
}

export const secretIsSet = (view: Record<string, unknown>, path: string): boolean => isSecretMarker(valueAt(view, path));

/** The form's values for a stored section (same shape as a posted form). */
export function formOf(section: StoredSection, view: Record<string, unknown>): Form {
  return Object.fromEntries(pageOf(section).groups.flatMap((g) => g.fields.map((f) => [formName(f.path), formValue(f, view)])));
}

function valueFrom(field: SettingField, form: Form): unknown {
  const raw = form[formName(field.path)];
  const one = typeof raw === 'string' ? raw.trim() : undefined;
  switch (field.kind) {
    case 'number':
    case 'decimal':
      // Letters in a number are passed on as they are, for the schema to name ("Enter a number").
      return one === undefined || one === '' ? undefined : (field.kind === 'decimal' ? /^\d{1,6}([.,]\d{1,3})?$/ : /^\d{1,9}$/).test(one) ? Number(one.replace(',', '.')) : one;
    case 'yesno':
      return one === 'yes' ? true : one === 'no' ? false : undefined;
    case 'numbers':
      return (one ?? '')
        .split(/[\s,;]+/)
        .filter((x) => x !== '')
        .map((x) => (/^\d{1,9}$/.test(x) ? Number(x) : x));
    case 'lines':
      return (one ?? '')
        .split(/\r?\n/)
        .map((x) => x.trim())
        .filter((x) => x !== '');
    case 'secret':
      if (form[removeName(field.path)] === 'yes') return null;
      return one ? one : undefined;
    default:
      return one === undefined || one === '' ? undefined : one;
  }
}

/** The longest value a field without a maxlength of its own takes, by kind (a page's boxes are bounded; the checks below hold for any client). */
const DEFAULT_MAX: Record<string, number> = { numbers: 2_000, lines: 10_000 };
export const COMMENT_MAX = 500;

/**
 * What the form itself gets wrong, before its values are read: a field sent more than once, or a
 * value longer than its box takes (the comment and the expected version too). Such a form is
 * refused as a whole and nothing is saved.
 */
export function formShapeProblems(section: StoredSection, form: Form): SettingProblems {
  const out: SettingProblems = {};
  // `shownAs`: the field whose box tells it (a secret's "remove" box tells on the secret, the hidden version on the form).
  const check = (name: string, max: number, shownAs = name) => {
    const raw = form[name];
    if (Array.isArray(raw)) out[shownAs] ??= { key: 'v.field.invalid' };
    else if (typeof raw === 'string' && raw.length > max) out[shownAs] ??= { key: 'v.field.tooLong' };
  };
  for (const group of pageOf(section).groups) {
    for (const f of group.fields) {
      // Not the box's own maxlength when it is short: a value a little too long gets the setting's own words ("two letters").
      check(formName(f.path), Math.max(f.maxlength ?? DEFAULT_MAX[f.kind] ?? 1_000, 256));
      if (f.kind === 'secret') check(removeName(f.path), 3, formName(f.path));
    }
  }
  check('comment', COMMENT_MAX);
  check('expectedVersion', 12, '_form');
  return out;
}

/**
 * The posted form as a whole section. An optional object (the SMTP server, Twilio, the webhook)
 * whose texts are all empty (or the defaults shown), and that keeps no saved secret, is left out. Fixed settings
 * are not in the form (their inputs are disabled): the service puts the file's values back.
 */
export function documentFromForm(section: StoredSection, form: Form, view: Record<string, unknown>): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const group of pageOf(section).groups) {
    const values = group.fields.map((f) => [f, valueFrom(f, form)] as const);
    if (group.optional) {
      // Typed: a text or a secret that is not just what the form showed for an object not set.
      const typed = values.some(([f, v]) => (f.kind === 'text' || f.kind === 'secret') && typeof v === 'string' && v !== f.initial);
      const keepsSecret = values.some(([f, v]) => f.kind === 'secret' && v === undefined && secretIsSet(view, f.path));
      if (!typed && !keepsSecret) continue;
    }
    for (const [f, v] of values) if (v !== undefined) setAt(doc, f.path, v);
  }
  return doc;
}

/** The form field a problem belongs to: its setting, or the first field of the object it names. */
export function fieldNameOf(section: StoredSection, path: string): string {
  if (path === '_form') return '_form';
  const field = fieldOfPath(section, path);
  if (field) return formName(field.path);
  const group = pageOf(section).groups.find((g) => g.object === path);
  return group?.fields[0] ? formName(group.fields[0].path) : '_form';
}

export function problemsByField(section: StoredSection, errors: SettingProblems): SettingProblems {
  const out: SettingProblems = {};
  for (const [path, p] of Object.entries(errors)) out[fieldNameOf(section, path)] ??= p;
  return out;
}
