import type { Translate } from '../i18n/index.js';
import type { MethodType } from '../store/schema.js';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { fail, ok, type Result } from '../shared/result.js';

export const phoneRefusals = ['v.phone.invalid', 'v.phone.tooLong'] as const;
/** A number in E.164, or why it is not one. */
export type PhoneResult = Result<string, (typeof phoneRefusals)[number]>;

/** Validates and normalises to E.164 (+4915112345678). Numbers without a country code use the portal's default region. */
export function normalisePhone(input: string, defaultRegion: string): PhoneResult {
  const raw = input.trim();
  if (raw.length > 40) return fail('v.phone.tooLong');
  if (!/^[+\d][\d\s().-]*$/.test(raw)) return fail('v.phone.invalid');
  const parsed = parsePhoneNumberFromString(raw, defaultRegion as CountryCode);
  if (!parsed || !parsed.isValid()) return fail('v.phone.invalid');
  return ok(parsed.number);
}

/** "+49 ••• •••• 78": enough for the user to recognise the number, not enough to learn it. */
export function maskPhone(e164: string): string {
  return `${e164.slice(0, 3)} ••• ${e164.slice(-2)}`;
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${email[0]}•••@${email.slice(at + 1)}`;
}

/** A method in words, masked, the same on pages and in emails: "Email a•••@example.com". */
export function describeMethod(t: Translate, m: { type: MethodType; contact: string | null; label: string }): string {
  switch (m.type) {
    case 'email':
      return `${t('methods.type.email')} ${maskEmail(m.contact ?? '')}`;
    case 'mobile':
      return `${t('methods.type.mobile')} ${maskPhone(m.contact ?? '')}`;
    case 'office':
      return `${t('methods.type.office')} ${maskPhone(m.contact ?? '')}`;
    case 'totp':
      return m.label || t('methods.type.totp');
    case 'passkey':
      return `${t('methods.type.passkey')} “${m.label}”`;
    case 'recovery_code':
      return t('methods.type.recovery_code');
  }
}
