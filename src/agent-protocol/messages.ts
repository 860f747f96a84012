import { z } from 'zod';
import { jobId as id, jobSchema, reportedPolicySchema, verdictSchema } from './jobs.js';
import { syncCursorSchema, syncPageSchema } from './sync-pages.js';

/**
 * What the portal and an agent say to each other over the agent's outbound WebSocket, as JSON.
 * Both sides validate every message they receive against these schemas; anything else closes
 * the connection.
 *
 *   portal → agent: challenge · welcome · job · claimed · refused · ack · sync · sync_ack
 *   agent → portal: hello (signed answer to the challenge) · heartbeat · claim · result ·
 *                   sync_page · sync_end · sync_failed · rights
 *
 * Results are acknowledged; until then the agent keeps them in its journal and sends them again
 * after a reconnect, so a crash between AD's answer and the acknowledgement is reconciled from
 * what really happened.
 */

export const PROTOCOL_VERSION = 1;

/** The largest frame either side accepts. */
export const MAX_FRAME = 4 * 1024 * 1024;

export const AGENT_PATH = '/agent/connect';
export const HEARTBEAT_MS = 15_000;

export const claimRefusals = ['expired', 'unknown', 'taken'] as const;
export type ClaimRefusal = (typeof claimRefusals)[number];

/**
 * The sync scope set in the portal (Settings › Directory sync): OUs and an extra user filter, to be
 * read within what the agent's own configuration allows. Absent: the agent's own scope.
 */
export const syncScopeRequestSchema = z.strictObject({ baseDns: z.array(z.string().max(500)).max(50), userFilter: z.string().max(2000) });
export type SyncScopeRequest = z.output<typeof syncScopeRequestSchema>;

export const portalMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('challenge'), nonce: z.string().max(100), protocol: z.number() }),
  z.strictObject({ t: z.literal('welcome'), agentId: id }),
  z.strictObject({ t: z.literal('job'), job: jobSchema }),
  z.strictObject({ t: z.literal('claimed'), id }),
  z.strictObject({ t: z.literal('refused'), id, reason: z.enum(claimRefusals) }),
  z.strictObject({ t: z.literal('ack'), id }),
  /** Read AD for the portal's directory: a delta from `since`, or everything. */
  z.strictObject({ t: z.literal('sync'), runId: id, mode: z.enum(['full', 'delta']), since: syncCursorSchema.optional(), scope: syncScopeRequestSchema.optional() }),
  z.strictObject({ t: z.literal('sync_ack'), runId: id, seq: z.number().int().min(0) }),
]);
export type PortalMessage = z.output<typeof portalMessage>;

/** The agent's rights check (src/ad/rights.ts) as the console keeps it. */
export const rightsReportSchema = z.looseObject({ verdict: z.enum(['ok', 'missing_rights', 'over_privileged', 'unreachable']), problems: z.array(z.string().max(2000)).max(100) });
export type ReportedRights = z.output<typeof rightsReportSchema>;

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
  z.strictObject({ t: z.literal('rights'), report: rightsReportSchema }),
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
