/**
 * What a user is told when Active Directory (through the agent) did not take a password
 * operation, one sentence per verdict; merged into the English catalogue. Every one says
 * whether anything changed.
 */
export const writebackMessages = {
  'writeback.unavailable': 'Your password is kept in your organisation\'s network, and the service that changes it there is not reachable right now. Nothing was changed. Try again in a few minutes.',
  'writeback.unconfirmed': 'Your organisation\'s network has not confirmed the change yet. Wait a few minutes, then try signing in with the new password; if it does not work, the old one still does.',
  'writeback.disabled': 'Your password is kept in your organisation\'s network, and changing it from here is switched off. Nothing was changed. Contact your helpdesk.',
  'writeback.too_short': 'Your organisation\'s network needs a longer password. Nothing was changed. Choose a longer one.',
  'writeback.not_complex': 'Your organisation\'s network needs a password with at least three of: capital letters, small letters, digits and symbols, and not containing your name. Nothing was changed.',
  'writeback.in_history': 'You used this password before, and your organisation\'s network does not allow reusing it. Nothing was changed. Choose a new one.',
  'writeback.too_young': 'Your password was changed too recently; your organisation\'s network does not allow another change yet. Nothing was changed. Try again tomorrow or contact your helpdesk.',
  'writeback.contains_name': 'The password contains your name or username, which your organisation\'s network does not allow. Nothing was changed.',
  'writeback.policy': 'Your organisation\'s network refused this password under its password rules. Nothing was changed. Try a longer password without your name.',
  'writeback.protected_account': 'This is a protected administrator account; its password cannot be reset here. Nothing was changed. Contact your helpdesk.',
  'writeback.account_disabled': 'Your account is disabled in your organisation\'s network. Nothing was changed. Contact your helpdesk.',
  'writeback.account_locked': 'Your account is locked in your organisation\'s network after too many wrong passwords. Nothing was changed. Unlock it first (Account locked? on the sign-in page), or wait and try again.',
  'writeback.not_found': 'Your account was not found in your organisation\'s network. Nothing was changed. Contact your helpdesk.',
  'writeback.insufficient_rights': 'The password service is not allowed to change this account. Nothing was changed. Contact your helpdesk: they need to check the service\'s rights.',
  'writeback.dc_unreachable': 'Your organisation\'s network could not be reached. Nothing was changed. Try again in a few minutes.',
  'writeback.wrong_password': 'Your current password is not right. Nothing was changed.',
  'writeback.password_expired': 'Your password has expired. Nothing was changed. Choose a new one with "Forgot your password?", or change it on a computer in your organisation.',
  'writeback.sealing': 'The password service could not read the request. Nothing was changed. Try again; if it keeps happening, contact your helpdesk.',
  'writeback.failed': 'Your organisation\'s network did not accept the change. Nothing was changed. Contact your helpdesk.',
} as const;
