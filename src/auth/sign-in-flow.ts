/**
 * The sign-in flow as a pure state machine. The password step happens before the flow is
 * stored (nothing is written for anonymous guesses); what follows is stored so that the second
 * factor — which arrives with the authentication-methods issue — plugs in as a gate.
 */
export type SignInState = 'awaiting_second_factor' | 'completed' | 'failed';

export interface SignInData {
  /** Methods that may satisfy the remaining gate; empty means the password was enough. */
  gates: string[];
  amr: string[];
  next: string;
}

export type SignInEvent =
  | { type: 'second_factor_passed'; method: string }
  | { type: 'second_factor_failed_too_often' };

export type Transition = { ok: true; state: SignInState; data: SignInData } | { ok: false; reason: 'finished' | 'method_not_allowed' };

/** Where a fresh sign-in starts once the password is verified. */
export function afterPassword(gates: string[], next: string): { state: SignInState; data: SignInData } {
  return { state: gates.length === 0 ? 'completed' : 'awaiting_second_factor', data: { gates, amr: ['password'], next } };
}

export function transition(state: SignInState, data: SignInData, event: SignInEvent): Transition {
  switch (state) {
    case 'awaiting_second_factor':
      switch (event.type) {
        case 'second_factor_passed':
          if (!data.gates.includes(event.method)) return { ok: false, reason: 'method_not_allowed' };
          return { ok: true, state: 'completed', data: { ...data, gates: [], amr: [...data.amr, event.method] } };
        case 'second_factor_failed_too_often':
          return { ok: true, state: 'failed', data };
        default:
          return assertNever(event);
      }
    case 'completed':
    case 'failed':
      // Terminal states refuse everything: a finished flow cannot be replayed.
      return { ok: false, reason: 'finished' };
    default:
      return assertNever(state);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled: ${JSON.stringify(x)}`);
}
