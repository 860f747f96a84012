import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { User } from '../../../directory/users.js';
import type { MethodChoice, Policy } from '../../../policy/policy.js';
import type { Ok, Refused, Result } from '../../../shared/result.js';
import type { Pending } from '../reset-flow.js';
import type { StepRefusal } from '../refusals.js';
import type { ProofStep, ResetFlow } from '../reset-view.js';

/**
 * One way of proving who you are during a reset (kratos's `selfservice/strategy/*`): it starts
 * a proof, checks the answer and describes the step for the page. The flow around it
 * (src/flows/reset/reset-service.ts) owns everything the methods share: loading and advancing
 * the stored flow, which choices are offered, the block, the decoys' counters and the gates.
 *
 * A strategy never tells a decoy from a real user by its answers: for a name that matches
 * nobody, or a contact that matches nothing, it starts a proof that can never pass and, when
 * answered, reports `nothingMatched` so the flow counts the failure exactly like a real one.
 */
export interface ProofStrategy {
  readonly choices: readonly MethodChoice[];
  /** How the answer comes back: a typed code, the answers to questions, or a WebAuthn assertion. */
  readonly answer: ProofAnswer;
  choose(attempt: ChooseAttempt, input: { contact?: unknown }): Promise<Result<ProofStarted, StepRefusal> | ProofRefused>;
  /** Ok with the flow at the version the gate is passed on. */
  verify(attempt: VerifyAttempt, answer: unknown): Promise<Ok<ResetFlow> | ProofRefused>;
  step(pending: Pending, policy: Policy): ProofStep;
  /** Codes sent to a typed destination: the same proof with a new code, after the cooldown (the pending proof as it is now). */
  resend?(attempt: VerifyAttempt): Promise<Ok<Pending> | ProofRefused>;
}

export type ProofAnswer = 'code' | 'answers' | 'assertion';

export interface ChooseAttempt {
  flow: ResetFlow;
  choice: MethodChoice;
  /** The user, only when the policy lets this kind of method prove them; null gets a decoy proof. */
  user: User | null;
  policy: Policy;
}

export interface VerifyAttempt {
  flow: ResetFlow;
  pending: Pending;
  /** The flow's user; null for a decoy flow. */
  user: User | null;
  policy: Policy;
}

export interface ProofStarted {
  pending: Pending;
  /** Passkeys: the challenge the browser signs. */
  options?: PublicKeyCredentialRequestOptionsJSON;
}

/**
 * A refused step. `methods.blocked` ends the flow; `nothingMatched` counts on the decoy counter;
 * `flow` is the newer version when the strategy already advanced it (a spent passkey challenge).
 */
export type ProofRefused = Refused<StepRefusal> & { field?: string; nothingMatched?: boolean; flow?: ResetFlow; vars?: Record<string, number> };
