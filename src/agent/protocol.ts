import { z } from 'zod';

/**
 * What the portal and an agent say to each other over the agent's outbound WebSocket, as JSON.
 * Both sides validate every message they receive against these schemas; anything else closes
 * the connection.
 *
 *   portal → agent: challenge · welcome · job · claimed · refused · ack
 *   agent → portal: hello (signed answer to the challenge) · heartbeat · claim · result
 *
 * A job is applied only after the portal granted the agent's claim, and the portal grants a
 * claim only while the job is pending and not expired: a job that missed its expiry can never
 * be applied later. Results are acknowledged; until then the agent keeps them in its journal and
 * sends them again after a reconnect, so a crash between AD's answer and the acknowledgement is
 * reconciled from what really happened.
 */

export const PROTOCOL_VERSION = 1;

const id = z.string().min(1).max(64);
const sealed = z.strictObject({ epk: z.string().max(200), iv: z.string().max(40), ct: z.string().max(2000), tag: z.string().max(40) });

export const jobKinds = ['reset', 'change', 'unlock', 'must_change', 'bind', 'policy'] as const;
export type JobKind = (typeof jobKinds)[number];

export const jobSchema = z.strictObject({
  id,
  kind: z.enum(jobKinds),
  /** objectGUID of the user in AD: the only way the agent finds a user. */
  anchor: z.string().max(64),
  expiresAt: z.number().int(),
  /** The new password (for a bind: the password to try), sealed to this agent for this job. */
  password: sealed.optional(),
  /** For a change: the current password, sealed the same way. */
  current: sealed.optional(),
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
});
export type ReportedPolicy = z.output<typeof reportedPolicySchema>;

export const verdictSchema = z.union([
  z.strictObject({ ok: z.literal(true), historyEnforced: z.boolean().optional(), policy: reportedPolicySchema.optional() }),
  z.strictObject({ ok: z.literal(false), reason: z.string().min(1).max(40), detail: z.string().max(500).optional() }),
]);
export type JobVerdict = z.output<typeof verdictSchema>;


/** The largest frame either side accepts. */
export const MAX_FRAME = 4 * 1024 * 1024;
/** A sync page's JSON, at most: bigger pages are split (src/sync/page-split.ts), well inside MAX_FRAME. */
export const SYNC_MESSAGE_BYTES = 1024 * 1024;
/** Member DNs in one group entry or member part, at most. */
export const MAX_MEMBERS_PER_MESSAGE = 50_000;

const dn = z.string().min(1).max(2048);
const text = (max: number) => z.string().max(max).nullable();
export const syncUserSchema = z.strictObject({
  anchor: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  dn,
  sAMAccountName: z.string().min(1).max(256),
  userPrincipalName: text(256),
  displayName: text(256),
  mail: text(320),
  mobile: text(64),
  telephoneNumber: text(64),
  enabled: z.boolean(),
  protected: z.boolean(),
  passwordNeverExpires: z.boolean(),
  passwordExpiresAt: z.number().nullable(),
  pwdLastSet: z.number().nullable(),
});
export const syncGroupSchema = z.strictObject({
  anchor: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  dn,
  name: z.string().min(1).max(256),
  description: text(1024),
  memberDns: z.array(dn).max(MAX_MEMBERS_PER_MESSAGE),
  partial: z.literal(true).optional(),
});
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const syncMemberPartSchema = z.strictObject({ anchor: guid, memberDns: z.array(dn).max(MAX_MEMBERS_PER_MESSAGE), last: z.boolean() });
export const syncCursorSchema = z.strictObject({ invocationId: z.string().min(1).max(64), usn: z.string().min(1).max(32), dc: z.string().max(256) });
export const syncPageSchema = z.strictObject({ users: z.array(syncUserSchema).max(1000), groups: z.array(syncGroupSchema).max(1000), gone: z.array(z.string().max(64)).max(10_000), members: z.array(syncMemberPartSchema).max(1).optional() });

export const portalMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('challenge'), nonce: z.string().max(100), protocol: z.number() }),
  z.strictObject({ t: z.literal('welcome'), agentId: id }),
  z.strictObject({ t: z.literal('job'), job: jobSchema }),
  z.strictObject({ t: z.literal('claimed'), id }),
  z.strictObject({ t: z.literal('refused'), id, reason: z.enum(['expired', 'unknown', 'taken']) }),
  z.strictObject({ t: z.literal('ack'), id }),
  /** Read AD for the portal's directory: a delta from `since`, or everything. */
  z.strictObject({ t: z.literal('sync'), runId: id, mode: z.enum(['full', 'delta']), since: syncCursorSchema.optional() }),
  z.strictObject({ t: z.literal('sync_ack'), runId: id, seq: z.number().int().min(0) }),
]);
export type PortalMessage = z.output<typeof portalMessage>;

export const agentMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('hello'), agentId: id, signature: z.string().max(200), version: z.string().max(40), domain: z.string().max(256).optional(), policy: reportedPolicySchema.optional() }),
  z.strictObject({ t: z.literal('heartbeat'), domain: z.string().max(256).optional(), policy: reportedPolicySchema.optional() }),
  z.strictObject({ t: z.literal('claim'), id }),
  z.strictObject({ t: z.literal('result'), id, verdict: verdictSchema }),
  /** One page of a sync run (at most SYNC_MESSAGE_BYTES of JSON); the agent has at most two unacknowledged (sync_ack). */
  z.strictObject({ t: z.literal('sync_page'), runId: id, seq: z.number().int().min(0), page: syncPageSchema }),
  /** The run is complete; `mode` says whether it became a full import (the DC changed, or the cursor was too old). */
  z.strictObject({ t: z.literal('sync_end'), runId: id, mode: z.enum(['full', 'delta']), cursor: syncCursorSchema }),
  z.strictObject({ t: z.literal('sync_failed'), runId: id, problem: z.string().max(500) }),
  /** The agent's rights check (src/ad/rights.ts), sent after connecting and every few hours. */
  z.strictObject({ t: z.literal('rights'), report: z.looseObject({ verdict: z.enum(['ok', 'missing_rights', 'over_privileged', 'unreachable']), problems: z.array(z.string().max(2000)).max(100) }) }),
]);
export type AgentMessage = z.output<typeof agentMessage>;

/** Parses one received frame; null for anything malformed. */
export function parseMessage<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> | null {
  if (typeof raw !== 'string' || raw.length > MAX_FRAME) return null;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  const r = schema.safeParse(data);
  return r.success ? r.data : null;
}

export const AGENT_PATH = '/agent/connect';
export const HEARTBEAT_MS = 15_000;
