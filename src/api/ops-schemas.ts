import { z } from 'zod';
import type { LogItem } from '../delivery/outbox.js';
import type { ActivityReport, Coverage } from '../reports/report-queries.js';
import type { SyncRun } from '../sync/sync-runs.js';
import type { Agent } from '../writeback/agent-registry.js';

/** Answers of the agents, sync, reports and delivery endpoints (src/api/ops-routes.ts), described in the OpenAPI document. */

const iso = z.iso.datetime();
const isoOf = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const agentJsonSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string().nullable(),
  domain: z.string().nullable(),
  registeredAt: iso,
  lastSeenAt: iso.nullable(),
  revokedAt: iso.nullable(),
  connected: z.boolean().describe('connected to one of the portal instances now'),
  rights: z.string().nullable().describe('the verdict of its last rights check (ok, missing, excessive, …)'),
});
export const agentListJsonSchema = z.object({ items: z.array(agentJsonSchema) });

/** POST /agents/{agent}/test: whether the agent reached AD and read the domain's password policy. */
export const agentTestJsonSchema = z.object({
  agent: z.string(),
  ok: z.boolean(),
  reason: z.enum(['not_connected', 'no_answer', 'dc_unreachable', 'insufficient_rights', 'other']).optional(),
  message: z.string().describe('The outcome in words, as the console shows it'),
  domain: z.string().optional(),
  server: z.string().optional().describe('The domain controller the agent reached'),
  latencyMs: z.number().optional(),
  minLength: z.number().int().optional().describe('The domain password policy\'s minimum length, as read'),
});
export const registrationTokenJsonSchema = z.object({ token: z.string(), expiresAt: iso, command: z.string().describe('what to run on the agent\'s machine') });

export function agentJson(a: Agent, connected: boolean): z.output<typeof agentJsonSchema> {
  return { id: a.id, name: a.name, version: a.version, domain: a.domain, registeredAt: isoOf(a.registeredAt)!, lastSeenAt: isoOf(a.lastSeenAt), revokedAt: isoOf(a.revokedAt), connected, rights: a.rightsReport?.verdict ?? null };
}

export const syncRunJsonSchema = z.object({
  id: z.string(),
  kind: z.enum(['full', 'delta']),
  trigger: z.enum(['schedule', 'manual', 'cli', 'api']),
  status: z.enum(['running', 'done', 'failed']),
  startedAt: iso,
  finishedAt: iso.nullable(),
  added: z.number().int(),
  updated: z.number().int(),
  disabled: z.number().int(),
  errors: z.number().int(),
  problems: z.array(z.string()),
});
export const syncRunListJsonSchema = z.object({ items: z.array(syncRunJsonSchema) });
export const syncStatusJsonSchema = z.object({
  lastRun: syncRunJsonSchema.nullable(),
  intervalMinutes: z.number().int().describe('0: only on demand'),
  agentsConnected: z.number().int(),
});
export const syncRequestBody = z.strictObject({ full: z.boolean().optional() });
export const syncRequestedJsonSchema = z.object({ requestedAt: iso, full: z.boolean() });

export function syncRunJson(r: SyncRun): z.output<typeof syncRunJsonSchema> {
  return { id: r.id, kind: r.kind, trigger: r.trigger, status: r.status, startedAt: isoOf(r.startedAt)!, finishedAt: isoOf(r.finishedAt), added: r.added, updated: r.updated, disabled: r.disabled, errors: r.errors, problems: r.problems };
}

const counts = z.object({ success: z.number().int(), failure: z.number().int(), blocked: z.number().int() });
const kindCounts = z.object({ reset: counts, unlock: counts, change: counts });
export const coverageJsonSchema = z.object({ inScope: z.number().int(), registered: z.number().int(), notRegistered: z.number().int(), byMethod: z.record(z.string(), z.number().int()) });
export const activityJsonSchema = z.object({
  from: iso,
  to: iso,
  days: z.array(z.object({ day: z.string(), counts: kindCounts })),
  totals: kindCounts,
  byMethod: z.array(z.object({ method: z.string(), reset: z.number().int(), unlock: z.number().int() })),
  failureReasons: z.array(z.object({ reason: z.string(), count: z.number().int(), events: z.array(z.string()) })),
});

export const coverageJson = (c: Coverage): z.output<typeof coverageJsonSchema> => ({ inScope: c.inScope, registered: c.registered, notRegistered: c.notRegistered, byMethod: { ...c.byMethod } });
export function activityJson(r: ActivityReport): z.output<typeof activityJsonSchema> {
  return { from: isoOf(r.period.from)!, to: isoOf(r.period.to)!, days: r.days.map((d) => ({ day: d.day, counts: d.counts })), totals: r.totals, byMethod: r.byMethod, failureReasons: r.failureReasons };
}

export const deliveryAttemptJsonSchema = z.object({
  id: z.number().int(),
  channel: z.enum(['email', 'sms', 'voice']),
  kind: z.string(),
  userId: z.string().nullable(),
  to: z.string().describe('masked: a•••@example.com, +49 •••• ••78'),
  provider: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  at: iso,
});
export const deliveryPageJsonSchema = z.object({ items: z.array(deliveryAttemptJsonSchema), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });
export const deliveryQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).optional(),
  pageSize: z.coerce.number().int().min(1).max(200).optional(),
  status: z.enum(['sent', 'failed', 'rate_limited', 'not_sent']).optional(),
});
export function deliveryAttemptJson(l: LogItem): z.output<typeof deliveryAttemptJsonSchema> {
  return { id: l.id, channel: l.channel, kind: l.kind, userId: l.userId, to: l.hint, provider: l.provider, status: l.status, attempts: l.attempts, error: l.error, at: isoOf(l.createdAt)! };
}

export const opsRequestSchemas = { SyncRequest: syncRequestBody };
export const opsResponseSchemas = {
  Agent: agentJsonSchema,
  AgentTest: agentTestJsonSchema,
  AgentList: agentListJsonSchema,
  RegistrationToken: registrationTokenJsonSchema,
  SyncRun: syncRunJsonSchema,
  SyncRunList: syncRunListJsonSchema,
  SyncStatus: syncStatusJsonSchema,
  SyncRequested: syncRequestedJsonSchema,
  Coverage: coverageJsonSchema,
  Activity: activityJsonSchema,
  DeliveryPage: deliveryPageJsonSchema,
};
