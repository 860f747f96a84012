import type { Form } from '../http/form.js';
import type { MessageKey } from '../i18n/index.js';
import { methodChoices, type Policy, type PolicySection } from './policy.js';
import { passwordSettings } from './password-settings.js';

/**
 * Every setting of the policy as the console shows it: its dotted path in the document, the
 * section (page) it belongs to, how it is edited and its words. The console pages, the history
 * ("which settings changed") and the CLI (which keys `policy set` accepts) all read this list,
 * so a new setting is added once.
 */

export type SettingKind =
  /** One of a few options (radio buttons); `numeric` options are stored as numbers. */
  | 'radio'
  /** Any number of options (checkboxes); the options of `groups` are the directory's groups. */
  | 'checks'
  /** A small number from a list (a select). */
  | 'select'
  /** Yes / no (two radio buttons: a select or a lone checkbox hides the "no" answer). */
  | 'yesno'
  /** A whole number typed in. */
  | 'number'
  /** Free text; empty means "none" (stored as null). */
  | 'text'
  /** A list of texts, one per line (a textarea). */
  | 'lines';

export interface Setting {
  path: string;
  section: PolicySection;
  kind: SettingKind;
  label: MessageKey;
  hint?: MessageKey;
  options?: ReadonlyArray<{ value: string; label: MessageKey }>;
  numeric?: boolean;
  maxlength?: number;
}

const counts = ['3', '4', '5'].map((n) => ({ value: n, label: `policy.count.${n}` as MessageKey }));

export const policySettings: readonly Setting[] = [
  {
    path: 'enabledFor',
    section: 'properties',
    kind: 'radio',
    label: 'policy.enabledFor.legend',
    options: [
      { value: 'none', label: 'policy.enabledFor.none' },
      { value: 'selected', label: 'policy.enabledFor.selected' },
      { value: 'all', label: 'policy.enabledFor.all' },
    ],
  },
  { path: 'groups', section: 'properties', kind: 'checks', label: 'policy.groups.legend' },
  {
    path: 'methodsRequired',
    section: 'methods',
    kind: 'radio',
    numeric: true,
    label: 'policy.methodsRequired.legend',
    options: [
      { value: '1', label: 'policy.methodsRequired.one' },
      { value: '2', label: 'policy.methodsRequired.two' },
    ],
  },
  {
    path: 'methodsAvailable',
    section: 'methods',
    kind: 'checks',
    label: 'policy.methodsAvailable.legend',
    hint: 'policy.methodsAvailable.hint',
    options: methodChoices.map((m) => ({ value: m, label: `policy.method.${m}` as const })),
  },
  { path: 'reset.neverWeakerThanSignIn', section: 'methods', kind: 'yesno', label: 'policy.reset.neverWeakerThanSignIn', hint: 'policy.reset.neverWeakerThanSignInHint' },
  { path: 'reset.showRegisteredHints', section: 'methods', kind: 'yesno', label: 'policy.reset.showRegisteredHints', hint: 'policy.reset.showRegisteredHintsHint' },
  { path: 'questions.toRegister', section: 'methods', kind: 'select', numeric: true, label: 'policy.questions.toRegister', options: counts },
  { path: 'questions.toAnswer', section: 'methods', kind: 'select', numeric: true, label: 'policy.questions.toAnswer', options: counts },
  { path: 'questions.custom', section: 'methods', kind: 'lines', label: 'policy.questions.custom', hint: 'policy.questions.customHint' },
  { path: 'registration.required', section: 'registration', kind: 'yesno', label: 'policy.registration.required', hint: 'policy.registration.requiredHint' },
  { path: 'registration.reconfirmDays', section: 'registration', kind: 'number', label: 'policy.registration.reconfirmDays', hint: 'policy.registration.reconfirmDaysHint', maxlength: 4 },
  { path: 'notifications.usersOnReset', section: 'notifications', kind: 'yesno', label: 'policy.notifications.usersOnReset', hint: 'policy.notifications.usersOnResetHint' },
  { path: 'notifications.adminsOnAdminReset', section: 'notifications', kind: 'yesno', label: 'policy.notifications.adminsOnAdminReset', hint: 'policy.notifications.adminsOnAdminResetHint' },
  { path: 'customization.helpdesk', section: 'customization', kind: 'text', label: 'policy.customization.helpdesk', hint: 'policy.customization.helpdeskHint', maxlength: 300 },
  { path: 'onPremises.writeback', section: 'onPremises', kind: 'yesno', label: 'policy.onPremises.writeback', hint: 'policy.onPremises.writebackHint' },
  { path: 'onPremises.allowUnlock', section: 'onPremises', kind: 'yesno', label: 'policy.onPremises.allowUnlock', hint: 'policy.onPremises.allowUnlockHint' },
  { path: 'onPremises.passwordHashSync', section: 'onPremises', kind: 'yesno', label: 'policy.onPremises.passwordHashSync', hint: 'policy.onPremises.passwordHashSyncHint' },
  ...passwordSettings,
  { path: 'helpdesk.requireVerification', section: 'helpdesk', kind: 'yesno', label: 'policy.helpdesk.requireVerification', hint: 'policy.helpdesk.requireVerificationHint' },
  { path: 'helpdesk.temporaryPasswords', section: 'helpdesk', kind: 'yesno', label: 'policy.helpdesk.temporaryPasswords', hint: 'policy.helpdesk.temporaryPasswordsHint' },
];

/** The console's pages, in Entra's order, with their address under /admin/policy/. */
export const sectionPages: ReadonlyArray<{ section: PolicySection; slug: string; title: MessageKey; intro: MessageKey }> = [
  { section: 'properties', slug: 'properties', title: 'policy.section.properties', intro: 'policy.properties.intro' },
  { section: 'methods', slug: 'methods', title: 'policy.section.methods', intro: 'policy.methods.intro' },
  { section: 'registration', slug: 'registration', title: 'policy.section.registration', intro: 'policy.registration.intro' },
  { section: 'notifications', slug: 'notifications', title: 'policy.section.notifications', intro: 'policy.notifications.intro' },
  { section: 'customization', slug: 'customization', title: 'policy.section.customization', intro: 'policy.customization.intro' },
  { section: 'onPremises', slug: 'on-premises', title: 'policy.section.onPremises', intro: 'policy.onPremises.intro' },
  { section: 'passwords', slug: 'passwords', title: 'policy.section.passwords', intro: 'policy.passwords.intro' },
  { section: 'helpdesk', slug: 'helpdesk', title: 'policy.section.helpdesk', intro: 'policy.helpdesk.intro' },
];

export function settingsOf(section: PolicySection): Setting[] {
  return policySettings.filter((s) => s.section === section);
}

/** The form field (and, with `f-` before it, the element id) of a setting: ids and names without dots. */
export function formName(path: string): string {
  return path.replace(/\./g, '-');
}

/**
 * The setting a validation error belongs to: `groups.1` (one element of a list) is the `groups`
 * setting. Null for a path that is no setting (the whole document).
 */
export function settingOfPath(path: string): Setting | null {
  const parts = path.split('.');
  while (parts.length > 0) {
    const candidate = parts.join('.');
    const found = policySettings.find((s) => s.path === candidate);
    if (found) return found;
    parts.pop();
  }
  return null;
}

export function valueAt(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.split('.')) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

export function setAt(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = doc;
  for (const k of keys.slice(0, -1)) {
    const next = target[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[k] = {};
    target = target[k] as Record<string, unknown>;
  }
  target[keys.at(-1)!] = value;
}

/** How the form shows a stored value. */
export function formValueOf(setting: Setting, policy: Policy): string | string[] {
  const v = valueAt(policy, setting.path);
  switch (setting.kind) {
    case 'checks':
      return Array.isArray(v) ? v.map(String) : [];
    case 'lines':
      return Array.isArray(v) ? v.map(String).join('\n') : '';
    case 'yesno':
      return v === true ? 'yes' : v === false ? 'no' : '';
    case 'text':
      return typeof v === 'string' ? v : '';
    default:
      return v === undefined || v === null ? '' : String(v);
  }
}

/**
 * What a posted field means for the policy. Anything the form could not have sent (a missing
 * answer, letters in a number) is passed on as it is, so the policy's own validation names it.
 */
export function valueFromForm(setting: Setting, form: Form): unknown {
  const raw = form[formName(setting.path)];
  const one = typeof raw === 'string' ? raw : undefined;
  switch (setting.kind) {
    case 'checks':
      return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    case 'lines':
      return (one ?? '')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '');
    case 'yesno':
      return one === 'yes' ? true : one === 'no' ? false : one;
    case 'text':
      return one === undefined ? one : one.trim() === '' ? null : one.trim();
    case 'number':
      return one !== undefined && /^\s*\d{1,6}\s*$/.test(one) ? Number(one) : one;
    default:
      return setting.numeric && one !== undefined && /^\d{1,6}$/.test(one) ? Number(one) : one;
  }
}

/** The posted form of one section as a partial policy (merged into the current one by the service). */
export function patchFromForm(section: PolicySection, form: Form): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const s of settingsOf(section)) setAt(patch, s.path, valueFromForm(s, form));
  return patch;
}

/** The values a section's form shows for a stored policy (same shape as a posted form). */
export function formFromPolicy(section: PolicySection, policy: Policy): Form {
  return Object.fromEntries(settingsOf(section).map((s) => [formName(s.path), formValueOf(s, policy)]));
}
