import type { StoredSection } from '../config/stored-sections.js';
import type { MessageKey } from '../i18n/index.js';

/**
 * Every stored setting as the console, the history and the CLI know it: its dotted path in its
 * section, how it is edited and its words. A new setting is added here once.
 */
export type FieldKind =
  /** A whole number typed in. */
  | 'number'
  /** A number that may have a fraction (1.5). */
  | 'decimal'
  /** Yes / no (two radio buttons). */
  | 'yesno'
  /** One of a few options. */
  | 'select'
  /** Free text; empty means "not set". */
  | 'text'
  /** Never shown again once saved: empty keeps it, a new value replaces it (sealed in the store). */
  | 'secret'
  /** Whole numbers separated by commas (the reminder days). */
  | 'numbers'
  /** Texts one per line (the sync's OUs). */
  | 'lines';

export interface SettingField {
  /** Within the section: `smtp.host`. */
  path: string;
  kind: FieldKind;
  label: MessageKey;
  hint?: MessageKey;
  options?: ReadonlyArray<{ value: string; label: MessageKey }>;
  maxlength?: number;
  /** What the form shows while the object it sits in is not set (the schema's default), e.g. port 587. */
  initial?: string;
}

export interface SettingGroup {
  /** The object the fields sit in ('' for the top of the section). */
  object: string;
  legend: MessageKey | null;
  /** An object that may be left out (no SMTP server): all its typed fields empty removes it. */
  optional?: boolean;
  fields: SettingField[];
}

export interface SectionPage {
  section: StoredSection;
  slug: string;
  title: MessageKey;
  intro: MessageKey;
  groups: SettingGroup[];
}

const f = (path: string, kind: FieldKind, key: string, extra: Partial<SettingField> = {}): SettingField => ({
  path,
  kind,
  label: `settings.${key}` as MessageKey,
  ...(extra.hint === undefined ? {} : { hint: extra.hint }),
  ...(extra.options ? { options: extra.options } : {}),
  ...(extra.maxlength ? { maxlength: extra.maxlength } : {}),
  ...(extra.initial === undefined ? {} : { initial: extra.initial }),
});
const hint = (key: string) => ({ hint: `settings.${key}.hint` as MessageKey });

/** A section whose settings sit in one untitled group, with its title and intro at `settings.<section>.title|intro`. */
const single = (section: StoredSection, slug: string, fields: SettingField[]): SectionPage => ({
  section,
  slug,
  title: `settings.${section}.title` as MessageKey,
  intro: `settings.${section}.intro` as MessageKey,
  groups: [{ object: '', legend: null, fields }],
});

export const sectionPages: readonly SectionPage[] = [
  {
    section: 'delivery',
    slug: 'delivery',
    title: 'settings.delivery.title',
    intro: 'settings.delivery.intro',
    groups: [
      {
        object: '',
        legend: null,
        fields: [
          f('mode', 'select', 'delivery.mode', {
            ...hint('delivery.mode'),
            options: [
              { value: 'outbox', label: 'settings.delivery.mode.outbox' },
              { value: 'smtp', label: 'settings.delivery.mode.smtp' },
            ],
          }),
        ],
      },
      {
        object: 'smtp',
        legend: 'settings.delivery.smtp.legend',
        optional: true,
        fields: [
          f('smtp.host', 'text', 'delivery.smtp.host', { maxlength: 255 }),
          f('smtp.port', 'number', 'delivery.smtp.port', { ...hint('delivery.smtp.port'), initial: '587' }),
          f('smtp.secure', 'yesno', 'delivery.smtp.secure', { ...hint('delivery.smtp.secure'), initial: 'no' }),
          f('smtp.requireTls', 'yesno', 'delivery.smtp.requireTls', { ...hint('delivery.smtp.requireTls'), initial: 'yes' }),
          f('smtp.rejectUnauthorized', 'yesno', 'delivery.smtp.rejectUnauthorized', { ...hint('delivery.smtp.rejectUnauthorized'), initial: 'yes' }),
          f('smtp.user', 'text', 'delivery.smtp.user', { maxlength: 255 }),
          f('smtp.password', 'secret', 'delivery.smtp.password'),
          f('smtp.from', 'text', 'delivery.smtp.from', { ...hint('delivery.smtp.from'), maxlength: 320 }),
        ],
      },
      {
        object: 'phone',
        legend: 'settings.delivery.phone.legend',
        fields: [
          f('phone.provider', 'select', 'delivery.phone.provider', {
            ...hint('delivery.phone.provider'),
            options: [
              { value: 'outbox', label: 'settings.delivery.phone.provider.outbox' },
              { value: 'twilio', label: 'settings.delivery.phone.provider.twilio' },
              { value: 'webhook', label: 'settings.delivery.phone.provider.webhook' },
            ],
          }),
          f('phone.timeoutMs', 'number', 'delivery.phone.timeoutMs'),
        ],
      },
      {
        object: 'phone.twilio',
        legend: 'settings.delivery.twilio.legend',
        optional: true,
        fields: [
          f('phone.twilio.accountSid', 'text', 'delivery.twilio.accountSid', { maxlength: 64 }),
          f('phone.twilio.authToken', 'secret', 'delivery.twilio.authToken'),
          f('phone.twilio.from', 'text', 'delivery.twilio.from', { ...hint('delivery.twilio.from'), maxlength: 64 }),
          f('phone.twilio.baseUrl', 'text', 'delivery.twilio.baseUrl', { maxlength: 300, initial: 'https://api.twilio.com' }),
        ],
      },
      {
        object: 'phone.webhook',
        legend: 'settings.delivery.webhook.legend',
        optional: true,
        fields: [f('phone.webhook.url', 'text', 'delivery.webhook.url', { ...hint('delivery.webhook.url'), maxlength: 300 }), f('phone.webhook.token', 'secret', 'delivery.webhook.token', hint('delivery.webhook.token'))],
      },
      {
        object: 'limits',
        legend: 'settings.delivery.limits.legend',
        fields: [
          f('limits.perDestinationPerHour', 'number', 'delivery.limits.perDestinationPerHour', hint('delivery.limits.perDestinationPerHour')),
          f('limits.perDestinationPerDay', 'number', 'delivery.limits.perDestinationPerDay'),
          f('limits.globalPerHour', 'number', 'delivery.limits.globalPerHour', hint('delivery.limits.globalPerHour')),
        ],
      },
      {
        object: 'retries',
        legend: 'settings.delivery.retries.legend',
        fields: [f('retries.attempts', 'number', 'delivery.retries.attempts'), f('retries.backoffMs', 'number', 'delivery.retries.backoffMs', hint('delivery.retries.backoffMs'))],
      },
    ],
  },
  single('throttling', 'throttling', [
    f('failedVerificationsPerDay', 'number', 'throttling.failedVerificationsPerDay', hint('throttling.failedVerificationsPerDay')),
    f('blockHours', 'number', 'throttling.blockHours', hint('throttling.blockHours')),
    f('phoneOrAppChecksPerHour', 'number', 'throttling.phoneOrAppChecksPerHour', hint('throttling.phoneOrAppChecksPerHour')),
    f('emailSendsPer10Minutes', 'number', 'throttling.emailSendsPer10Minutes', hint('throttling.emailSendsPer10Minutes')),
  ]),
  single('signIn', 'sign-in', [
    f('lockoutThreshold', 'number', 'signIn.lockoutThreshold', hint('signIn.lockoutThreshold')),
    f('lockoutSeconds', 'number', 'signIn.lockoutSeconds'),
    f('lockoutGrowth', 'decimal', 'signIn.lockoutGrowth', hint('signIn.lockoutGrowth')),
    f('lockoutMaxSeconds', 'number', 'signIn.lockoutMaxSeconds'),
    f('failureWindowHours', 'number', 'signIn.failureWindowHours', hint('signIn.failureWindowHours')),
    f('ipFailuresPerHour', 'number', 'signIn.ipFailuresPerHour', hint('signIn.ipFailuresPerHour')),
  ]),
  single('sessions', 'sessions', [
    f('idleMinutes', 'number', 'sessions.idleMinutes', hint('sessions.idleMinutes')),
    f('absoluteHours', 'number', 'sessions.absoluteHours', hint('sessions.absoluteHours')),
  ]),
  single('methods', 'codes', [
    f('codeDigits', 'number', 'methods.codeDigits', hint('methods.codeDigits')),
    f('codeMinutes', 'number', 'methods.codeMinutes', hint('methods.codeMinutes')),
    f('codeAttempts', 'number', 'methods.codeAttempts', hint('methods.codeAttempts')),
    f('phoneRegion', 'text', 'methods.phoneRegion', { ...hint('methods.phoneRegion'), maxlength: 2 }),
  ]),
  single('setup', 'setup-link', [f('tokenMinutes', 'number', 'setup.tokenMinutes', hint('setup.tokenMinutes'))]),
  single('reset', 'reset', [
    f('flowMinutes', 'number', 'reset.flowMinutes', hint('reset.flowMinutes')),
    f('captchaMaxNumber', 'number', 'reset.captchaMaxNumber', hint('reset.captchaMaxNumber')),
    f('startsPerIpPerHour', 'number', 'reset.startsPerIpPerHour', hint('reset.startsPerIpPerHour')),
  ]),
  single('reminders', 'reminders', [
    f('enabled', 'yesno', 'reminders.enabled'),
    f('daysBefore', 'numbers', 'reminders.daysBefore', { ...hint('reminders.daysBefore'), maxlength: 60 }),
    f('whenExpired', 'yesno', 'reminders.whenExpired', hint('reminders.whenExpired')),
  ]),
  single('sync', 'sync', [
    f('intervalMinutes', 'number', 'sync.intervalMinutes', hint('sync.intervalMinutes')),
    f('usernameFrom', 'select', 'sync.usernameFrom', {
      ...hint('sync.usernameFrom'),
      options: [
        { value: 'userPrincipalName', label: 'settings.sync.usernameFrom.userPrincipalName' },
        { value: 'sAMAccountName', label: 'settings.sync.usernameFrom.sAMAccountName' },
        { value: 'mail', label: 'settings.sync.usernameFrom.mail' },
      ],
    }),
    f('useContactInfo', 'yesno', 'sync.useContactInfo', hint('sync.useContactInfo')),
    f('baseDns', 'lines', 'sync.baseDns', { ...hint('sync.baseDns'), maxlength: 25_000 }),
    f('userFilter', 'text', 'sync.userFilter', { ...hint('sync.userFilter'), maxlength: 2000 }),
  ]),
  single('writeback', 'writeback', [
    f('userWaitSeconds', 'number', 'writeback.userWaitSeconds', hint('writeback.userWaitSeconds')),
    f('jobSeconds', 'number', 'writeback.jobSeconds', hint('writeback.jobSeconds')),
    f('answerSeconds', 'number', 'writeback.answerSeconds', hint('writeback.answerSeconds')),
    f('allowProtectedAccounts', 'yesno', 'writeback.allowProtectedAccounts', hint('writeback.allowProtectedAccounts')),
    f('registrationTokenMinutes', 'number', 'writeback.registrationTokenMinutes', hint('writeback.registrationTokenMinutes')),
  ]),
];

export function pageOf(section: StoredSection): SectionPage {
  return sectionPages.find((p) => p.section === section)!;
}

export function fieldsOf(section: StoredSection): SettingField[] {
  return pageOf(section).groups.flatMap((g) => g.fields);
}

/** The secret settings of a section (sealed in the store, never shown, exported or audited). */
export function secretPaths(section: StoredSection): string[] {
  return fieldsOf(section)
    .filter((x) => x.kind === 'secret')
    .map((x) => x.path);
}

/** The field a path (or a path under it: `daysBefore.2`) belongs to. */
export function fieldOfPath(section: StoredSection, path: string): SettingField | null {
  const fields = fieldsOf(section);
  const parts = path.split('.');
  while (parts.length > 0) {
    const found = fields.find((x) => x.path === parts.join('.'));
    if (found) return found;
    parts.pop();
  }
  return null;
}
