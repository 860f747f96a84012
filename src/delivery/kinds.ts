/**
 * Every kind of message the portal sends (the `kind` of the delivery log and the outbox):
 * `code:<purpose>` for one-time codes, `notify:<what>` for security notices, and links. The
 * console shows each by its label (`delivery.kind.<kind>`); src/audit/audit.test.ts fails when a
 * kind sent anywhere in src is missing here or has no words.
 */
export const DELIVERY_KINDS = [
  'code:helpdesk-verify',
  'code:reauth',
  'code:register',
  'code:reset',
  'code:sign-in',
  'code:test',
  'helpdesk-verify-passkey',
  'notify:account-unlocked',
  'notify:admin-reset',
  'notify:method-changed',
  'notify:not-me-reported',
  'notify:password-changed',
  'notify:password-expired',
  'notify:password-expiring',
  'notify:password-reset',
  'notify:support-clear-lockout',
  'notify:support-end-sessions',
  'notify:support-remove-method',
  'notify:support-require-registration',
  'notify:support-reset-link',
  'notify:support-unblock',
  'notify:support-unlock-ad',
  'support:reset-link',
  /** What delivery records when a caller gave no kind. */
  'message',
] as const;
