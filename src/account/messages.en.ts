/** Strings of the signed-in user's own page; merged into the English catalogue. */
export const accountMessages = {
  'account.title': 'My account',
  'account.signedInAs': 'Signed in as {name} ({username}).',
  'account.sessions': 'You are signed in on {n, plural, one {# device or browser} other {# devices or browsers}}.',
  'account.signOutEverywhere': 'Sign out everywhere',
  'account.signOutEverywhereHint': 'Ends every session of your account, including this one.',
  'account.signedOutEverywhere': 'Signed out of {n, plural, one {# session} other {# sessions}}.',

  'account.changePassword': 'Change password',
  'account.securityInfo': 'My security info',
  'account.language.title': 'Language',
  'account.language.label': 'Language of pages, mails and text messages',
  'account.language.browser': 'Same as my browser',
  'account.language.save': 'Save language',
  'account.language.saved': 'Your language is saved.',
  'account.language.invalid': 'Choose a language from the list.',
} as const;
