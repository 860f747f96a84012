import { z } from 'zod';

/** The reason every support action needs (3–200 characters, no control characters): it goes into the audit log. */
const reason = z.string().max(400).describe('Why, in a few words (3–200 characters, no control characters): it goes into the audit log with the action. The user does not see it.');

/** `POST /users/{username}/unblock`, `…/require-registration`, `DELETE …/methods/{id}`, `DELETE …/sessions`. */
export const supportActionBody = z.strictObject({ reason });

/** `POST /users/{username}/reset-link`: the method (from the user's support view) the link goes to. */
export const resetLinkBody = z.strictObject({
  reason,
  methodId: z.string().min(1).max(64).describe('The id of one of the user\'s registered email or mobile methods. The address or number itself is never sent or shown.'),
});

export const supportActionResultSchema = z.object({
  action: z.enum(['unblock', 'clearLockout', 'unlockAd', 'removeMethod', 'requireRegistration', 'endSessions', 'resetLink']),
  user: z.string().describe('The username acted on.'),
  method: z.string().nullable().describe('removeMethod and resetLink: the method, masked (a•••@example.com); null otherwise.'),
  expiresAt: z.string().nullable().describe('resetLink: when the link stops working (one hour); null otherwise. The link itself is only in the message to the user.'),
});

export const supportRequestSchemas = { SupportActionRequest: supportActionBody, ResetLinkRequest: resetLinkBody } as const;
export const supportResponseSchemas = { SupportActionResult: supportActionResultSchema } as const;
