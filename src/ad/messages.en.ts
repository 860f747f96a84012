/**
 * Active Directory verdicts in plain words (src/ad/verdicts.ts, `ad.verdict.<reason>`) and the
 * pass-through sign-in outcomes (`ad.bind.<reason>`); merged into the English catalogue.
 * They say what happened and what to do, never which rule an attacker could probe.
 */
export const adMessages = {
  'ad.verdict.too_short': 'The new password is too short for your organisation\'s password policy.',
  'ad.verdict.not_complex': 'The new password needs characters from at least three of these groups: capital letters, small letters, digits, and symbols such as ! or #.',
  'ad.verdict.in_history': 'You have used this password before. Choose one you have not used recently.',
  'ad.verdict.too_young': 'Your password was changed too recently to be changed again yet. Try again later, or ask the helpdesk.',
  'ad.verdict.contains_name': 'The new password must not contain your user name or parts of your full name.',
  'ad.verdict.protected_account': 'This is a protected administrator account: its password cannot be reset or unlocked here. Ask the helpdesk.',
  'ad.verdict.account_disabled': 'Your account is disabled. Ask the helpdesk to enable it.',
  'ad.verdict.account_locked': 'Your account is locked. Unlock it first, then try again.',
  'ad.verdict.not_found': 'Your account was not found in the directory. Ask the helpdesk.',
  'ad.verdict.insufficient_rights': 'The portal is not allowed to make this change in the directory. Nothing was changed; please tell the helpdesk.',
  'ad.verdict.dc_unreachable': 'The directory could not be reached. Nothing was changed; please try again in a few minutes.',
  'ad.verdict.wrong_password': 'The current password is not right.',
  'ad.verdict.policy': 'The directory refused the new password under your organisation\'s password policy. Choose a different one.',
  'ad.history.notEnforced': 'Password history is not checked on resets by this domain controller (it does not support the password policy hints control).',

  'ad.bind.wrong_password': 'The user name or password is not right.',
  'ad.bind.locked': 'Your account is locked. Unlock it to sign in.',
  'ad.bind.disabled': 'Your account is disabled. Contact the helpdesk.',
  'ad.bind.expired': 'Your password has expired. Change it now to continue.',
  'ad.bind.must_change': 'You must change your password before you sign in.',
  'ad.bind.account_expired': 'Your account has expired. Contact the helpdesk.',
  'ad.bind.logon_hours': 'You are not allowed to sign in at this time or from this place. Contact the helpdesk.',
  'ad.bind.not_found': 'The user name or password is not right.',
  'ad.bind.dc_unreachable': 'The directory could not be reached. Please try again in a few minutes.',
} as const;
