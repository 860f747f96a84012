import type { Refusal } from '../../methods/security-info.js';
import type { WritebackRefusalKey } from '../../writeback/refusals.js';
import type { PasswordRefusal } from '../password-refusal.js';

/**
 * Every refusal the reset / unlock flow answers with, listed once; each is a message key the
 * pages show as it is. The proof methods' refusals (security-info), AD's verdicts (the
 * writeback's catalogue) and a refused new password (../password-refusal.ts) come from their
 * own catalogues.
 */
export const resetRefusals = [
  'reset.expired',
  'reset.captchaFailed',
  'reset.tooManyStarts',
  'reset.notAllowedNow',
  'reset.unlockDisabled',
  'reset.inProgress',
  /** Identity proven, but the user reported "this wasn't me": no self-service until an administrator lifts it. */
  'reset.selfServiceBlocked',
  /** A code could not be sent (the destination's limit, the provider refused, delivery down); the same for a decoy at the same count. */
  'reset.sendFailed',
  /** "Resend code" before the cooldown ran out. */
  'reset.resendTooSoon',
  /** The list's Next without a way picked. */
  'reset.pickOne',
  'passkeys.failed',
  'passkeys.expired',
  /** Only without JavaScript: the passkey button posted the form instead of running WebAuthn. */
  'passkeys.needsScript',
  'v.username.required',
  'v.username.tooLong',
] as const;

/** What a step of the flow can answer. */
export type StepRefusal = (typeof resetRefusals)[number] | Refusal | WritebackRefusalKey;
/** Everything, with the refusals of a new password (../password-refusal.ts). */
export type ResetRefusal = StepRefusal | PasswordRefusal;
