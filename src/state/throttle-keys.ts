/**
 * Every counter the throttle store keeps, named once. Features that count the same thing
 * (a reset clearing the sign-in lockout it proved past, say) use the same key from here, so
 * a typo cannot split one counter into two.
 */
export const throttleKeys = {
  /** Failed sign-ins (and current-password checks) for one username, by its normalised key. */
  signInUser: (usernameKey: string) => `signin:user:${usernameKey}`,
  /** Failed sign-ins from one address: against password spraying across many usernames. */
  signInIp: (ip: string) => `signin:ip:${ip}`,
  /** Wrong codes, answers and passkey assertions of one user, across sign-in, security info and reset. */
  verifyFailures: (userId: string) => `methods:verify-failures:${userId}`,
  /**
   * Wrong codes typed by the helpdesk while verifying a caller (the same numbers as verifyFailures;
   * they count there too): a separate counter, so a user blocked in self-service can still be verified.
   */
  callerVerifyFailures: (userId: string) => `support:verify-failures:${userId}`,
  /** Emails with a code sent to one user. */
  emailSends: (userId: string) => `methods:email-sends:${userId}`,
  /** Texts, calls and app checks for one user. */
  phoneChecks: (userId: string) => `methods:phone-checks:${userId}`,
  /** Reset and unlock flows started from one address. */
  resetStarts: (ip: string) => `reset:ip:${ip}`,
  /** Wrong answers in a decoy flow (a name with no usable account), per name and browser. */
  resetDecoy: (usernameKey: string, browserHash: string) => `reset:unmatched:${usernameKey}:${browserHash}`,
  /** Codes a reset asked for, per typed destination (a keyed hash of it): decoys and real users count alike. */
  resetSends: (destinationHash: string) => `reset:sends:${destinationHash}`,
  /** The same over a day (delivery's daily limit per destination). */
  resetSendsDay: (destinationHash: string) => `reset:sends-day:${destinationHash}`,
  /** A reset's code that delivery did not send, per flow and send: the code page tells it. */
  resetSendFailed: (flowAndSend: string) => `reset:send-failed:${flowAndSend}`,
} as const;
