import type { User } from '../directory/users.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';

/**
 * How a password operation for a hybrid user reaches Active Directory. The on-premises agent
 * (issue 5) implements this; until one is connected every call answers `unavailable` and the
 * flows tell the user that nothing was changed — they are not used up, so the user can try
 * again once the agent is back.
 *
 * Every operation ends in exactly one terminal answer: `applied`, or a refusal saying why.
 */
export const writebackRefusals = [
  /** No agent took the job before its expiry: nothing was changed, and the job can never apply later. */
  'unavailable',
  /** An agent took the job but its answer has not arrived yet; its journal will tell the portal. */
  'unconfirmed',
  /** Writeback is switched off in the SSPR policy. */
  'disabled',
  // AD refused the password, and which rule it broke (src/ad/verdicts.ts).
  'too_short',
  'not_complex',
  'in_history',
  'too_young',
  'contains_name',
  'policy',
  'protected_account',
  'account_disabled',
  'account_locked',
  'not_found',
  'insufficient_rights',
  'dc_unreachable',
  /** A change or a sign-in: the (current) password is not right. */
  'wrong_password',
  /** A sign-in: the password is right but expired, or must be changed at the next sign-in. */
  'password_expired',
  /** The job reached an agent that could not open it. */
  'sealing',
  /** Anything else the agent reported. */
  'failed',
] as const;

export type WritebackRefusal = (typeof writebackRefusals)[number];

export type WritebackResult = { ok: true; historyEnforced?: boolean } | { ok: false; reason: WritebackRefusal; detail?: string };

export interface Writeback {
  /** A reset (the service account replaces the password); a reset also unlocks. */
  reset(user: User, password: string, options?: { mustChange?: boolean }): Promise<WritebackResult>;
  /** "Must change the password at the next sign-in" on or off (pwdLastSet). */
  mustChange(user: User, on: boolean): Promise<WritebackResult>;
  /** A change bound as the user (old + new), so AD enforces its history. */
  change(user: User, current: string, password: string): Promise<WritebackResult>;
  /** Unlock only (lockoutTime = 0). */
  unlock(user: User): Promise<WritebackResult>;
  /** The password policy AD applies to this user (fine-grained when set); null when no agent answers. */
  policyFor(user: User): Promise<ReportedPolicy | null>;
  /** Pass-through sign-in: does AD accept this password for the user? Changes nothing. */
  bind(user: User, password: string): Promise<WritebackResult>;
}

/** The answer when no on-premises agent can exist (tests of the flows' own behaviour). */
export const noAgentWriteback: Writeback = {
  reset: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  change: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  unlock: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  bind: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  mustChange: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  policyFor: () => Promise.resolve(null),
};
