import { z } from 'zod';

/** `POST /users/{username}/verification`: one of the caller's methods, by its id in the user's support view. */
export const verificationStartBody = z.strictObject({
  methodId: z.string().min(1).max(64).describe("The method's id, from the masked list of the user's methods (GET /users/{username}/support)."),
  channel: z.enum(['sms', 'voice']).optional().describe('A mobile number only: a text (default) or a call.'),
});

export const verificationStartedJsonSchema = z.object({
  id: z.string().describe('The verification attempt: check the code the caller reads out with POST …/verification/{id}/check.'),
  methodType: z.enum(['email', 'mobile', 'office', 'totp', 'passkey']).describe('totp: nothing is sent; the caller reads the code their authenticator app shows now. passkey: a link goes to the caller’s registered email; they confirm with the passkey in their browser, and check answers verified once they have.'),
  sentTo: z.string().describe('Where the code (or the passkey link) went, masked (a•••@example.com, +49 •••• ••78); the app’s name for totp.'),
  expiresAt: z.string().describe('Until when the code can be checked (ISO 8601).'),
});

/** `POST /users/{username}/verification/{id}/check`: the code the caller read out. */
export const verificationCheckBody = z.strictObject({
  code: z.string().min(1).max(32).describe('The code the caller reads out. A wrong one counts towards the user’s self-service block.'),
});

export const verificationCheckedJsonSchema = z.object({
  verified: z.boolean(),
  verifiedUntil: z.string().nullable().describe('Until when the verification counts for this token (10 minutes), or null.'),
  message: z.string().nullable().describe('Why not verified, in plain words; null when verified.'),
});
