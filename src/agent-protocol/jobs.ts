import { z } from 'zod';
import { agentRefusals } from './verdicts.js';

/**
 * A password job as the portal sends it to one agent, and the agent's verdict. A job is applied
 * only after the portal granted the agent's claim, and the portal grants a claim only while the
 * job is pending and not expired: a job that missed its expiry can never be applied later.
 */

export const jobId = z.string().min(1).max(64);

/** A secret sealed to one agent for one job (sealing.ts). */
export const sealedSchema = z.strictObject({ epk: z.string().max(200), iv: z.string().max(40), ct: z.string().max(2000), tag: z.string().max(40) });
export type Sealed = z.output<typeof sealedSchema>;

export const jobKinds = ['reset', 'change', 'unlock', 'must_change', 'bind', 'policy', 'read_account', 'check'] as const;
export type JobKind = (typeof jobKinds)[number];

export const jobSchema = z.strictObject({
  id: jobId,
  kind: z.enum(jobKinds),
  /** objectGUID of the user in AD: the only way the agent finds a user (empty for a connection check). */
  anchor: z.string().max(64),
  expiresAt: z.number().int(),
  /** The new password (for a bind: the password to try), sealed to this agent for this job. */
  password: sealedSchema.optional(),
  /** For a change: the current password, sealed the same way. */
  current: sealedSchema.optional(),
  mustChange: z.boolean().optional(),
  /** The administrator allowed writeback for protected (adminCount=1) accounts. */
  allowProtected: z.boolean().optional(),
});
export type Job = z.output<typeof jobSchema>;

/** The domain password policy as the agent read it from AD (src/ad/domain-policy.ts). */
export const reportedPolicySchema = z.strictObject({
  minLength: z.number().int().min(0).max(1024),
  complexity: z.boolean(),
  historyLength: z.number().int().min(0).max(1024),
  minAgeMs: z.number().min(0),
  maxAgeMs: z.number().min(0).nullable(),
  lockoutThreshold: z.number().int().min(0),
  lockoutDurationMs: z.number().min(0).nullable(),
  /**
   * Whether AD holds a reset to the history and minimum age: false when the DC does not offer the
   * policy-hints control (Samba, Windows before 2012 R2 without the hotfix), so only a change by
   * the user is checked against them. Absent from agents that do not say: unknown.
   */
  resetHistory: z.boolean().optional(),
  /**
   * In one user's policy only: the account is protected (an administrator, a member of a
   * protected group) and this agent does not write to it, so a reset or unlock would be refused.
   */
  protectedAccount: z.literal(true).optional(),
});
export type ReportedPolicy = z.output<typeof reportedPolicySchema>;

/**
 * A hybrid user's account as the agent read it from AD for the support page (a `read_account`
 * job: one search by objectGUID, nothing written, never journalled). Times in ms since the epoch.
 */
export const reportedAccountSchema = z.strictObject({
  enabled: z.boolean(),
  /** msDS-User-Account-Control-Computed has UF_LOCKOUT: locked now (a lockout past its duration is not). */
  lockedOut: z.boolean(),
  /** lockoutTime, when the account is locked. */
  lockedAt: z.number().nullable(),
  /** pwdLastSet; null when 0 (must change) or never set. */
  passwordLastSet: z.number().nullable(),
  /** msDS-UserPasswordExpiryTimeComputed; null: never expires (or must change first). */
  passwordExpiresAt: z.number().nullable(),
  mustChangeAtNextLogon: z.boolean(),
  /** adminCount=1, a protected built-in account, or a member of a protected group. */
  protectedAccount: z.boolean(),
});
export type ReportedAccount = z.output<typeof reportedAccountSchema>;

/**
 * What a connection check (`check` job: the console's "Test connection") found: the agent reached
 * a domain controller, read the domain, and read its password policy, in this many milliseconds.
 */
export const reportedCheckSchema = z.strictObject({
  domain: z.string().max(300),
  /** The domain controller the agent's connection uses (host name or address). */
  server: z.string().max(300),
  latencyMs: z.number().min(0),
  /** The domain's minimum password length as read: proof the agent can read the policy. */
  minLength: z.number().int().min(0).max(1024),
});
export type ReportedCheck = z.output<typeof reportedCheckSchema>;

export const verdictSchema = z.union([
  z.strictObject({ ok: z.literal(true), historyEnforced: z.boolean().optional(), policy: reportedPolicySchema.optional(), account: reportedAccountSchema.optional(), check: reportedCheckSchema.optional() }),
  z.strictObject({ ok: z.literal(false), reason: z.enum(agentRefusals), detail: z.string().max(500).optional() }),
]);
export type JobVerdict = z.output<typeof verdictSchema>;
