import type { Hono } from 'hono';
import type { DeliveryRecords } from '../delivery/outbox.js';
import type { PolicyService } from '../policy/policy-service.js';
import { activityCsv } from '../reports/pages.js';
import { dayLabel, DAY, periodChoices, periodEnding, type PeriodDays, type ReportQueries } from '../reports/report-queries.js';
import type { SettingsService } from '../settings/settings-service.js';
import type { SyncService } from '../sync/sync-service.js';
import type { AgentHub } from '../writeback/agent-hub.js';
import type { AgentRegistry } from '../writeback/agent-registry.js';
import { requireWrite, type ApiEnv } from './auth.js';
import { apiError, limitQuery, t } from './errors.js';
import { testAgentConnection, testOutcomeText } from '../writeback/agent-test.js';
import type { AuditLog } from '../audit/audit-log.js';
import { activityJson, agentJson, coverageJson, deliveryAttemptJson, deliveryQuery, syncRequestBody, syncRunJson } from './ops-schemas.js';
import type { ApiHelpers } from './support-action-routes.js';

export interface OpsApiDeps {
  agents: Pick<AgentRegistry, 'list' | 'byId' | 'revoke' | 'createRegistrationToken'>;
  hub: Pick<AgentHub, 'connectedAgentIds' | 'check'>;
  audit: AuditLog;
  sync: Pick<SyncService, 'runs' | 'request'>;
  settings: Pick<SettingsService, 'current'>;
  reports: ReportQueries;
  policy: Pick<PolicyService, 'current'>;
  delivery: Pick<DeliveryRecords, 'log'>;
  publicUrl: string;
  now(): number;
}

/**
 * The on-premises agents, AD sync, reports and the delivery log over the API: what the console's
 * agents, sync, reports and delivery pages show and do, through the same services and audit.
 */
export function opsApi(app: Hono<ApiEnv>, deps: OpsApiDeps, h: Pick<ApiHelpers, 'jsonObject' | 'validate'>): void {

  // ---- agents ----
  app.get('/agents', async (c) => {
    const [agents, online] = await Promise.all([deps.agents.list(), deps.hub.connectedAgentIds()]);
    return c.json({ items: agents.map((a) => agentJson(a, online.has(a.id))) });
  });

  app.post('/agents/registration-tokens', requireWrite, async (c) => {
    const { token, expiresAt } = await deps.agents.createRegistrationToken(c.get('actor'));
    return c.json({ token, expiresAt: new Date(expiresAt).toISOString(), command: `sspr agent register --portal ${deps.publicUrl} --token ${token}` }, 201);
  });

  const agentOf = async (key: string) => (await deps.agents.byId(key)) ?? (await deps.agents.list()).find((a) => a.name.toLowerCase() === key.toLowerCase() && a.revokedAt === null) ?? null;

  app.post('/agents/:agent/test', requireWrite, async (c) => {
    const agent = await agentOf(c.req.param('agent'));
    if (!agent) return apiError(c, 'not_found', t('api.error.agentNotFound'));
    const r = await testAgentConnection(deps, c.get('actor'), agent);
    const message = testOutcomeText(t, agent.name, r);
    return c.json(r.ok ? { agent: agent.name, ok: true, message, ...r.check } : { agent: agent.name, ok: false, reason: r.reason, message });
  });

  app.delete('/agents/:agent', requireWrite, async (c) => {
    const agent = await agentOf(c.req.param('agent'));
    if (!agent) return apiError(c, 'not_found', t('api.error.agentNotFound'));
    await deps.agents.revoke(c.get('actor'), agent.id);
    return c.json(agentJson((await deps.agents.byId(agent.id))!, false));
  });

  // ---- sync ----
  app.get('/sync', async (c) => {
    const [[last], online, settings] = await Promise.all([deps.sync.runs(1), deps.hub.connectedAgentIds(), deps.settings.current()]);
    return c.json({ lastRun: last ? syncRunJson(last) : null, intervalMinutes: settings.sync.values.intervalMinutes, agentsConnected: online.size });
  });

  app.get('/sync/runs', async (c) => {
    const limit = limitQuery(c, 20, 200);
    if (limit === null) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { limit: t('api.v.integer') });
    return c.json({ items: (await deps.sync.runs(limit)).map(syncRunJson) });
  });

  app.post('/sync/run', requireWrite, async (c) => {
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, syncRequestBody, body.value);
    if (!parsed.ok) return parsed.res;
    const full = parsed.value.full ?? false;
    // The portal instance an agent is connected to starts it within a few seconds (as `sspr sync run`).
    const requestedAt = await deps.sync.request(full);
    return c.json({ requestedAt: new Date(requestedAt).toISOString(), full }, 202);
  });

  // ---- reports ----
  app.get('/reports/coverage', async (c) => c.json(coverageJson(await deps.reports.coverage((await deps.policy.current()).policy))));

  app.get('/reports/activity', async (c) => {
    const days = Number(c.req.query('days') ?? '30');
    if (!(periodChoices as readonly number[]).includes(days)) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { days: t('api.error.reportDays', { choices: periodChoices.join(', ') }) });
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') return apiError(c, 'invalid_input', t('api.error.invalidInput'), { format: t('api.error.reportFormat') });
    const period = periodEnding(deps.now(), days as PeriodDays);
    const report = await deps.reports.activity(period);
    if (format === 'json') return c.json(activityJson(report));
    return c.body(activityCsv(report), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="activity-${dayLabel(period.from)}-to-${dayLabel(period.to - DAY)}.csv"` });
  });

  // ---- delivery ----
  app.get('/delivery/attempts', async (c) => {
    const parsed = h.validate(c, deliveryQuery, Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== '')));
    if (!parsed.ok) return parsed.res;
    const page = await deps.delivery.log({ page: parsed.value.page ?? 1, pageSize: parsed.value.pageSize ?? 50, status: parsed.value.status });
    return c.json({ items: page.items.map(deliveryAttemptJson), total: page.total, page: page.page, pageSize: page.pageSize });
  });
}
