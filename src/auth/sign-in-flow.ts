import { assertNever } from '../shared/assert-never.js';
import { fail, ok, type Result } from '../shared/result.js';
/**
 * The sign-in flow as a pure state machine. The password step happens before the flow is
 * stored (nothing is written for anonymous guesses); what follows is stored so that the second
 * factor — which arrives with the authentication-methods issue — plugs in as a gate.
 */
export type SignInState = 'awaiting_second_factor' | 'completed' | 'failed';

export interface SignInData {
  /** Ids of the methods that may satisfy the remaining gate; empty means the password was enough. */
  gates: string[];
  amr: string[];
  next: string;
  /** The method the user chose (a code may have been sent to it). */
  chosen?: string;
  /** For a mobile phone: how its code was sent (text message or voice call). */
  channel?: 'sms' | 'voice';
}

export type SignInEvent =
  | { type: 'method_chosen'; methodId: string }
  | { type: 'second_factor_passed'; methodId: string; kind: string }
  | { type: 'second_factor_failed_too_often' };

/** Why an event does not apply: the flow is over, or the method is not one this sign-in may use now. */
export const SIGN_IN_REFUSALS = ['finished', 'method_not_allowed'] as const;
export type SignInRefusal = (typeof SIGN_IN_REFUSALS)[number];
export type Transition = Result<{ state: SignInState; data: SignInData }, SignInRefusal>;

/** Where a fresh sign-in starts once the password is verified. */
export function afterPassword(gates: string[], next: string): { state: SignInState; data: SignInData } {
  return { state: gates.length === 0 ? 'completed' : 'awaiting_second_factor', data: { gates, amr: ['password'], next } };
}

export function transition(state: SignInState, data: SignInData, event: SignInEvent): Transition {
  switch (state) {
    case 'awaiting_second_factor':
      switch (event.type) {
        case 'method_chosen':
          if (!data.gates.includes(event.methodId)) return fail('method_not_allowed');
          return ok({ state, data: { ...data, chosen: event.methodId } });
        case 'second_factor_passed':
          if (!data.gates.includes(event.methodId) || data.chosen !== event.methodId) return fail('method_not_allowed');
          return ok({ state: 'completed', data: { ...data, gates: [], amr: [...data.amr, event.kind] } });
        case 'second_factor_failed_too_often':
          return ok({ state: 'failed', data });
        default:
          return assertNever(event);
      }
    case 'completed':
    case 'failed':
      // Terminal states refuse everything: a finished flow cannot be replayed.
      return fail('finished');
    default:
      return assertNever(state);
  }
}
