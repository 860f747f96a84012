/** Strings of the password change of a signed-in user and its email; merged into the English catalogue. */
export const changeMessages = {
  'change.title': 'Change your password',
  'change.intro': 'Enter your current password, then the new one. Use at least {min, plural, one {# character} other {# characters}}; a few uncommon words make a strong password.',
  'change.current': 'Current password',
  'change.new': 'New password',
  'change.submit': 'Change password',
  'change.currentWrong': 'Your current password is not correct.',
  'change.same': 'The new password must be different from the current one.',
  'change.locked': 'Too many wrong passwords. Wait a few minutes and try again.',
  'change.selfServiceBlocked': 'Changing your password here is turned off for your account, because a change to it was reported as not made by you. Contact your helpdesk: they will check your account with you and turn self-service back on.',
  'change.done': 'Your password is changed. Your other sessions have been signed out.',
  'mail.passwordChanged.title': 'Your password was changed',
  'mail.passwordChanged.body': 'The password of your account {username} was just changed.',
  'mail.passwordChanged.action': 'Sign in',
} as const;
