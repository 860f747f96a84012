/** Strings of the signed-in user's own page; merged into the English catalogue. */
export const accountMessages = {
  'account.title': 'My account',
  'account.signedInAs': 'Signed in as {name} ({username}).',
  'account.sessions': 'You are signed in on {n} device(s) or browser(s).',
  'account.signOutEverywhere': 'Sign out everywhere',
  'account.signOutEverywhereHint': 'Ends every session of your account, including this one.',
  'account.signedOutEverywhere': 'Signed out of {n} session(s).',

  'account.changePassword': 'Change password',
  'account.securityInfo': 'My security info',
} as const;
