/**
 * The one catalogue of refusals on the way from Active Directory to the page: what AD says (the
 * AD connector's verdicts, src/ad/verdicts.ts), what an agent answers for a job (on the wire,
 * `verdictSchema` in jobs.ts), and what the portal's writeback tells a flow (src/writeback/).
 * Each list is built from the one before it, so a reason is named once; the message key and the
 * HTTP status of a writeback refusal are derived from it (src/writeback/refusals.ts).
 */

/** What AD refused, or the connector's own check before asking it. */
export const adRefusals = [
  'too_short',
  'not_complex',
  'in_history',
  'too_young',
  'contains_name',
  'protected_account',
  'account_disabled',
  'account_locked',
  'not_found',
  'insufficient_rights',
  'dc_unreachable',
  'wrong_password',
  'policy',
] as const;
export type AdRefusal = (typeof adRefusals)[number];

/**
 * A pass-through sign-in's bind refused, from AD's sub-code (src/ad/sub-codes.ts); a wrong
 * password and an unknown account are AD refusals already.
 */
export const bindRefusals = ['locked', 'disabled', 'expired', 'must_change', 'account_expired', 'logon_hours'] as const;
export type BindRefusal = (typeof bindRefusals)[number];

/** What an agent may answer for a job, besides AD's own words. */
const agentOwnRefusals = [
  /** The job reached an agent that could not open it. */
  'sealing',
  /** Anything else (a reconciliation that found the job not applied, an unexpected error). */
  'failed',
] as const;

/** Every refusal an agent may send in a job's result. */
export const agentRefusals = [...adRefusals, ...bindRefusals, ...agentOwnRefusals] as const;
export type AgentRefusal = (typeof agentRefusals)[number];

/** The refusals the portal adds, because it never heard from AD. */
const portalRefusals = [
  /** No agent took the job before its expiry: nothing was changed, and the job can never apply later. */
  'unavailable',
  /** An agent took the job but its answer has not arrived yet; its journal will tell the portal. */
  'unconfirmed',
  /** Writeback is switched off in the SSPR policy. */
  'disabled',
] as const;

/**
 * What a password operation for a hybrid user may end in, besides `applied`: the portal's own
 * refusals, AD's, a sign-in's expired password (a bind's `expired` and `must_change`), and the
 * agent's. A bind's other sub-codes are told as the AD refusal they amount to.
 */
export const writebackRefusals = [...portalRefusals, ...adRefusals, 'password_expired', ...agentOwnRefusals] as const;
export type WritebackRefusal = (typeof writebackRefusals)[number];

/** How a job ended, as the portal's hub tells writeback: an agent's answer, or the portal's. */
export type JobRefusal = AgentRefusal | 'unavailable' | 'unconfirmed';

const agentSet: ReadonlySet<string> = new Set(agentRefusals);
const writebackSet: ReadonlySet<string> = new Set(writebackRefusals);

export function isAgentRefusal(value: string): value is AgentRefusal {
  return agentSet.has(value);
}

export function isWritebackRefusal(value: string): value is WritebackRefusal {
  return writebackSet.has(value);
}
