/** Strings of the AD sync and the password-expiry reminders; merged into the English catalogue. */
export const syncMessages = {
  'mail.expiring.title': 'Your password expires in {days, plural, one {# day} other {# days}}',
  'mail.expiring.body': 'The password of {username} expires on {date} (in {days, plural, one {# day} other {# days}}). Change it before then so that you are not locked out.',
  'mail.expiring.action': 'Change my password',
  'mail.expired.title': 'Your password has expired',
  'mail.expired.body': 'The password of {username} expired on {date}. You can choose a new one with self-service password reset.',
  'mail.expired.action': 'Reset my password',
} as const;
