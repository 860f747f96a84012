import type { User } from '../directory/users.js';
import type { ReportedAccount, ReportedPolicy, WritebackRefusal } from '../agent-protocol/index.js';
import { fail, type Ok, type Refused } from '../shared/result.js';

export { writebackRefusals, type WritebackRefusal } from '../agent-protocol/index.js';

/** `historyEnforced: false`: AD was not asked to apply the password history (no policy hints on this DC). */
export type WritebackApplied = { historyEnforced?: false };
/** `detail` is for logs and administrators (never a password), not for users. */
export type WritebackRefused = Refused<WritebackRefusal> & { detail?: string };
/** A Result (src/shared/result.ts) of the writeback catalogue. */
export type WritebackResult = Ok<WritebackApplied> | WritebackRefused;

/** Why a hybrid user's AD state could not be shown: no agent connected, none answered in time, AD has no such user, the DC could not be reached, anything else. */
export type AccountReadFailure = 'no_agent' | 'timeout' | 'not_found' | 'dc_unreachable' | 'failed';
/** A hybrid user's account as AD holds it now, read through an agent (a `read_account` job), or why not. */
export type AccountRead = { ok: true; state: ReportedAccount; readAt: number } | { ok: false; reason: AccountReadFailure };

/**
 * How a password operation for a hybrid user reaches Active Directory. The on-premises agent
 * (issue 5) implements this; until one is connected every call answers `unavailable` and the
 * flows tell the user that nothing was changed — they are not used up, so the user can try
 * again once the agent is back.
 *
 * Every operation ends in exactly one terminal answer: applied, or a refusal saying why (the
 * catalogue: src/agent-protocol/verdicts.ts; its message key and HTTP status: refusals.ts).
 */
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
  /** The user's account state in AD for the support page, read live with a short timeout. Changes nothing. */
  accountState(user: User): Promise<AccountRead>;
}

/** The answer when no on-premises agent can exist (tests of the flows' own behaviour). */
export const noAgentWriteback: Writeback = {
  reset: () => Promise.resolve(fail('unavailable')),
  change: () => Promise.resolve(fail('unavailable')),
  unlock: () => Promise.resolve(fail('unavailable')),
  bind: () => Promise.resolve(fail('unavailable')),
  mustChange: () => Promise.resolve(fail('unavailable')),
  policyFor: () => Promise.resolve(null),
  accountState: () => Promise.resolve({ ok: false, reason: 'no_agent' }),
};
