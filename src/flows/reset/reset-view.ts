import type { ReportedPolicy } from '../../agent-protocol/index.js';
import type { User } from '../../directory/users.js';
import type { GateType, MethodChoice } from '../../policy/policy.js';
import type { StoredFlow, VoidReason } from '../../state/flow-store.js';
import type { ResetData, ResetState } from './reset-flow.js';

export type ResetFlow = StoredFlow<ResetState, ResetData>;

/** What the page needs to show the proof the user started (each strategy describes its own). */
export type ProofStep =
  | { kind: 'code'; from: 'app' }
  | { kind: 'code'; from: 'recovery' }
  /** `resendAt`: when "Resend code" is accepted (the cooldown after the last send). */
  | { kind: 'code'; from: 'email' | 'sms' | 'call'; minutes: number; resendAt: number }
  | { kind: 'questions'; questions: Array<{ id: string; text: string; custom: boolean }> }
  | { kind: 'passkey' };

/** Everything a reset page shows; the pages render this and nothing else. */
export type ResetView =
  | { kind: 'expired' }
  /** Ended because the password was changed (or the account unlocked) elsewhere; nothing can be done with it. */
  | { kind: 'voided'; by: VoidReason }
  | {
      kind: 'verifying';
      flow: ResetFlow;
      choices: MethodChoice[];
      /** The way picked from the list, shown on its own page (null: the list). */
      picked: MethodChoice | null;
      /** Only with `reset.showRegisteredHints`: masked hints of the user's registered methods, per choice (empty for a decoy). */
      hints: Partial<Record<MethodChoice, string[]>>;
      /** Which step of how many (the step indicator). */
      stepNo: { n: number; of: number };
      now: number;
      /** The code of the pending proof was not sent (delivery refused it): try another way, or again in this many minutes. */
      notSent: { minutes: number } | null;
      step: ProofStep | null;
      phoneRegion: string;
      helpdesk: string | null;
      noMoreMethods: boolean;
      /** Past a first proof, for a user who must use a strong method or one more: the strong methods they registered (why one more check is asked). */
      strongReason: GateType[];
      /** On a code or answer step, when few wrong answers are left before self-service is blocked (the same for a decoy). */
      attemptsWarning: { left: number; blockMs: number } | null;
    }
  | { kind: 'verified'; flow: ResetFlow; user: User; canUnlock: boolean; helpdesk: string | null; adPolicy: ReportedPolicy | null; passwordLength: PasswordLength; stepNo: { n: number; of: number } }
  /** Identity proven, but AD will not let this account be written (a protected administrator account): said now, before any password is typed. */
  | { kind: 'protected'; flow: ResetFlow; helpdesk: string | null }
  | { kind: 'applying'; flow: ResetFlow }
  | { kind: 'completed'; flow: ResetFlow }
  /** Blocked by wrong answers: until when and how long from now (null once the block has lifted). */
  | { kind: 'failed'; flow: ResetFlow; helpdesk: string | null; blocked: { until: number; remainingMs: number } | null }
  /** Identity proven, but the user reported "this wasn't me": self-service stays off until an administrator lifts it. */
  | { kind: 'selfServiceBlocked'; flow: ResetFlow; helpdesk: string | null };

/** The password rules in force, for the rules the new-password page lists. */
export interface PasswordLength {
  min: number;
  max: number;
  /** The names rule is on (the page promises "not contain your name…" only then). */
  refuseNames?: boolean;
  /** Breached passwords are checked. */
  breachedCheck?: boolean;
}

/**
 * "Step n of m": the name, one step per check still to pass, the new password (or unlock). Before
 * a first check every name sees the policy's number (as stored at the start); a second check a
 * strong method asks for shows up once the first is passed.
 */
export function stepOf(data: ResetData, state: ResetState): { n: number; of: number } {
  const checks = state === 'verifying' ? Math.max(data.required, data.passed.length + 1) : data.passed.length;
  return { n: state === 'verifying' ? data.passed.length + 2 : checks + 2, of: checks + 2 };
}
