import type { User } from '../directory/users.js';

/**
 * How a password operation for a hybrid user reaches Active Directory. The on-premises agent
 * (issue 5) implements this; until one is connected every call answers `unavailable` and the
 * flows tell the user that nothing was changed — they are not used up, so the user can try
 * again once the agent is back.
 *
 * Every operation ends in exactly one terminal answer: `applied`, or a refusal saying why.
 */
export type WritebackRefusal =
  /** No agent connected, or it did not answer in time: nothing was changed, and the job can never apply later. */
  | 'unavailable'
  /** Writeback is switched off in the SSPR policy. */
  | 'disabled'
  /** AD refused the password (too short, not complex, in history, too young, contains the name). */
  | 'policy'
  | 'protected_account'
  | 'account_disabled'
  | 'not_found'
  | 'insufficient_rights'
  | 'dc_unreachable';

export type WritebackResult = { ok: true } | { ok: false; reason: WritebackRefusal; detail?: string };

export interface Writeback {
  /** A reset (the service account replaces the password); a reset also unlocks. */
  reset(user: User, password: string): Promise<WritebackResult>;
  /** A change bound as the user (old + new), so AD enforces its history. */
  change(user: User, current: string, password: string): Promise<WritebackResult>;
  /** Unlock only (lockoutTime = 0). */
  unlock(user: User): Promise<WritebackResult>;
}

/** The answer while no on-premises agent exists. */
export const noAgentWriteback: Writeback = {
  reset: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  change: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
  unlock: () => Promise.resolve({ ok: false, reason: 'unavailable' }),
};
