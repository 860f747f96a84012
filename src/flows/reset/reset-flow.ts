import { assertNever } from '../../shared/assert-never.js';
import { fail, ok, type Result } from '../../shared/result.js';
import { isStrongGate, type GateType, type MethodChoice } from '../../policy/policy.js';

/**
 * The reset / unlock flow as a pure state machine (ory/kratos's recovery flow, Lucia's guards).
 *
 *   verifying ──(gate passed, more needed)──▶ verifying      (more needed: see `proven`)
 *   verifying ──(last gate passed)──────────▶ verified ──(apply)──▶ applying ──▶ completed
 *        │                                                               └──(refused)──▶ verified
 *        └──(too many failures)──▶ failed
 *
 * `applying` is held by exactly one request (compare-and-swap on the stored flow), so twenty
 * parallel submissions of the new password change it once. Terminal states refuse everything.
 */
export type ResetState = 'verifying' | 'verified' | 'applying' | 'completed' | 'failed';

export type Intent = 'reset' | 'unlock';

/** A proof the user started: a code went out (or, for a decoy, seemed to), questions were shown, a passkey challenge issued. */
export interface Pending {
  choice: MethodChoice;
  gate: GateType;
  /** The registered method that matched; null when nothing matched (the answer can never be right). */
  methodId: string | null;
  questionIds?: string[];
  challenge?: string;
  /** When the pending proof stops being accepted (codes and passkey challenges). */
  expiresAt: number;
  /** Codes sent to a typed address or number: when the last one went out (the resend cooldown counts from it)… */
  sentAt?: number;
  /** …and the keyed hash of what was typed, the key of its send budget (send-budget.ts); never the address itself. */
  sendKey?: string;
}

export interface ResetData {
  intent: Intent;
  /** As typed at the start: shown back to the user and the seed of a decoy's questions. */
  username: string;
  required: 1 | 2;
  /**
   * The user registered an authenticator app or a passkey and the policy says a reset is never
   * weaker than sign-in: one of those, or two gates of any kind, are needed (whatever `required`).
   * Absent in flows stored before the setting existed: false.
   */
  strongNeeded?: boolean;
  passed: GateType[];
  pending: Pending | null;
  /** The way the user picked from the list: its own page is shown until it is answered or another is picked. */
  picked?: MethodChoice | null;
  /** What the user asked for at the end (reset the password or only unlock). */
  action?: Intent;
}

export type ResetEvent =
  | { type: 'method_picked'; choice: MethodChoice }
  | { type: 'proof_started'; pending: Pending }
  | { type: 'proof_abandoned' }
  | { type: 'gate_passed'; gate: GateType }
  | { type: 'blocked' }
  | { type: 'apply'; action: Intent }
  | { type: 'apply_refused' }
  | { type: 'applied' };

/** Why an event does not apply: the flow is over, or this step is not allowed in its state. */
export const RESET_REFUSALS = ['finished', 'not_allowed'] as const;
export type ResetRefusal = (typeof RESET_REFUSALS)[number];
export type Transition = Result<{ state: ResetState; data: ResetData }, ResetRefusal>;

export function startData(intent: Intent, username: string, required: 1 | 2, strongNeeded = false): { state: ResetState; data: ResetData } {
  return { state: 'verifying', data: { intent, username, required, ...(strongNeeded ? { strongNeeded } : {}), passed: [], pending: null } };
}

/** Whether these gates prove enough: the policy's number and, when a strong method is needed, one of them or two gates of any kind. */
export function proven(data: ResetData, passed: readonly GateType[] = data.passed): boolean {
  if (passed.length < data.required) return false;
  return !data.strongNeeded || passed.length >= 2 || passed.some(isStrongGate);
}

export function transition(state: ResetState, data: ResetData, event: ResetEvent): Transition {
  switch (state) {
    case 'verifying':
      switch (event.type) {
        case 'method_picked':
          // Picking a way ends the proof under way, if any: one way at a time.
          return ok({ state, data: { ...data, pending: null, picked: event.choice } });
        case 'proof_started':
          // One gate per kind of method: two codes to the same phone are not two proofs.
          if (data.passed.includes(event.pending.gate)) return fail('not_allowed');
          return ok({ state, data: { ...data, pending: event.pending, picked: event.pending.choice } });
        case 'proof_abandoned':
          return ok({ state, data: { ...data, pending: null, picked: null } });
        case 'gate_passed': {
          if (!data.pending || data.pending.gate !== event.gate || data.passed.includes(event.gate)) return fail('not_allowed');
          const passed = [...data.passed, event.gate];
          return ok({ state: proven(data, passed) ? 'verified' : 'verifying', data: { ...data, passed, pending: null, picked: null } });
        }
        case 'blocked':
          return ok({ state: 'failed', data: { ...data, pending: null, picked: null } });
        case 'apply':
        case 'apply_refused':
        case 'applied':
          return fail('not_allowed');
        default:
          return assertNever(event);
      }
    case 'verified':
      switch (event.type) {
        case 'apply':
          return ok({ state: 'applying', data: { ...data, action: event.action } });
        case 'method_picked':
        case 'proof_started':
        case 'proof_abandoned':
        case 'gate_passed':
        case 'blocked':
        case 'apply_refused':
        case 'applied':
          return fail('not_allowed');
        default:
          return assertNever(event);
      }
    case 'applying':
      switch (event.type) {
        case 'applied':
          return ok({ state: 'completed', data });
        case 'apply_refused':
          // Nothing was changed (a rule, or the on-premises service): the proof still stands.
          return ok({ state: 'verified', data });
        case 'method_picked':
        case 'proof_started':
        case 'proof_abandoned':
        case 'gate_passed':
        case 'blocked':
        case 'apply':
          return fail('not_allowed');
        default:
          return assertNever(event);
      }
    case 'completed':
    case 'failed':
      return fail('finished');
    default:
      return assertNever(state);
  }
}
