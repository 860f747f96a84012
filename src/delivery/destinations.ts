import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { hmac } from '../shared/crypto.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';

/**
 * Destinations (email addresses and phone numbers) as delivery sees them: checked, normalised
 * for counting, hashed for the log and masked for administrators. The log never holds the
 * address or number itself: only the keyed hash (to count sends per destination across
 * instances) and a hint that is enough to recognise it.
 */

/** Why a destination is refused, with the words the delivery log keeps for it. */
export const DESTINATION_PROBLEMS = {
  bad_email: 'not a single valid email address',
  bad_phone: 'not a phone number in E.164 form (+ country code and number)',
} as const;
export type DestinationProblem = keyof typeof DESTINATION_PROBLEMS;

export interface CheckedDestination {
  address: string;
  /** The form the limits count. */
  key: string;
  hint: string;
}
/** A refusal still carries a hint: the log records what was tried without the address itself. */
export type Destination = Ok<CheckedDestination> | (Refused<DestinationProblem> & { hint: string });

const E164 = /^\+[1-9]\d{6,14}$/;

/** An email address to send to: one address, no header tricks. */
export function emailDestination(input: string): Destination {
  const address = input.trim().normalize('NFC');
  const at = address.lastIndexOf('@');
  // eslint-disable-next-line no-control-regex -- control characters (CR/LF above all) are what we refuse
  if (address.length > 320 || at < 1 || at === address.length - 1 || /[\u0000-\u001f\u007f\s,;<>"]/.test(address)) {
    return fail('bad_email', { hint: maskText(address) });
  }
  return ok({ address, key: address.toLowerCase(), hint: maskEmail(address) });
}

/** A phone number in E.164 (+4915112345678); spaces, dots, dashes and brackets are tolerated. */
export function phoneDestination(input: string): Destination {
  const compact = input.trim().replace(/[\s().-]/g, '');
  if (!E164.test(compact)) return fail('bad_phone', { hint: maskText(compact) });
  return ok({ address: compact, key: compact, hint: maskPhone(compact) });
}

/** HMAC-SHA256 with the lookup key, base64url: the same destination always gives the same value, and the value alone reveals nothing. */
export function destinationHash(lookupKey: Buffer, key: string): string {
  return hmac(lookupKey, `delivery:${key}`);
}

/** "+49 •••• ••78": country code and the last two digits. */
export function maskPhone(e164: string): string {
  const country = countryCode(e164);
  return `+${country} •••• ••${e164.slice(-2)}`;
}

/** "a•••@example.com": first character and the domain. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return maskText(address);
  return `${[...address][0]}•••@${address.slice(at + 1)}`.slice(0, 64);
}

function maskText(s: string): string {
  return s.length === 0 ? '(empty)' : `${[...s][0]}•••`;
}

function countryCode(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed?.countryCallingCode) return parsed.countryCallingCode;
  // Unknown to the metadata: country codes are 1 to 3 digits; show the shortest plausible one.
  return /^\+[17]/.test(e164) ? e164.slice(1, 2) : e164.slice(1, 3);
}
