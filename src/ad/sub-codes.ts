/**
 * AD's sub-codes. The decision is always taken on the LDAP result code first (49 invalid
 * credentials, 19 constraint violation, …); AD then says WHICH case it is only inside the
 * diagnostic message, in a fixed, documented form that does not depend on the language or the
 * DC's wording:
 *
 * - binds: `80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error, data 52e, v…` —
 *   the hex after `data` is the Win32 error (52e wrong password, 775 locked, …);
 * - writes: the message starts with the 8-digit Win32 error (`0000052D: …` password
 *   restriction, `00000056: …` wrong current password, `00002098: …` insufficient rights).
 *
 * The readable text after them differs between Windows and Samba and is never looked at.
 */

export type BindFailureReason = 'wrong_password' | 'locked' | 'disabled' | 'expired' | 'must_change' | 'account_expired' | 'logon_hours' | 'not_found';

/** The `data XXX` sub-code of a failed bind, lower case; null when the message has none. */
export function bindSubCode(message: string): string | null {
  const m = /\bdata ([0-9a-f]{1,8})\b/i.exec(message);
  return m ? m[1]!.toLowerCase().replace(/^0+(?=.)/, '') : null;
}

/** What a failed bind (result 49) means, by its sub-code; without a known one, a wrong password. */
export function bindFailureReason(subCode: string | null): BindFailureReason {
  switch (subCode) {
    case '525':
      return 'not_found';
    case '530': // not permitted at this time (logon hours)
    case '531': // not permitted from this workstation
      return 'logon_hours';
    case '532':
      return 'expired';
    case '533':
      return 'disabled';
    case '701':
      return 'account_expired';
    case '773':
      return 'must_change';
    case '775':
      return 'locked';
    default:
      // 52e and anything unknown: treat as a wrong password, which reveals nothing more.
      return 'wrong_password';
  }
}

/** The Win32 error a write failure starts with (`0000052D`), upper case; null when absent. */
export function win32ErrorCode(message: string): string | null {
  const m = /^\s*([0-9a-f]{8}):/i.exec(message);
  return m ? m[1]!.toUpperCase() : null;
}

/** ERROR_PASSWORD_RESTRICTION: the new password breaks the policy (length, complexity, history, age). */
export const WIN32_PASSWORD_RESTRICTION = '0000052D';
/** ERROR_INVALID_PASSWORD: a change's current password is wrong. */
export const WIN32_INVALID_PASSWORD = '00000056';
