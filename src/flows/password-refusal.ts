import type { Outcome } from '../directory/directory-service.js';
import type { PasswordReason } from '../passwords/check.js';
import { fail, type Refused } from '../shared/result.js';
import type { FieldErrors } from '../shared/validation.js';

export const passwordRefusals = [
  /** The new password broke a rule: `errors` (and `passwordReasons`, for pages that list them all) say which. */
  'invalid',
  /** The directory would not set it for another reason: `message` is its catalogue key. */
  'refused',
] as const;
export type PasswordRefusal = (typeof passwordRefusals)[number];

/** A new password the directory would not take, in the flows' result shape. */
export type PasswordRefused = (Refused<'invalid'> & { errors: FieldErrors; passwordReasons?: PasswordReason[] }) | (Refused<'refused'> & { message: string });

export function passwordRefused(r: Exclude<Outcome<unknown>, { ok: true }>): PasswordRefused {
  if (r.reason === 'invalid') return fail('invalid', r.passwordReasons ? { errors: r.errors, passwordReasons: r.passwordReasons } : { errors: r.errors });
  return fail('refused', { message: r.message });
}
