import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import type { ReportedCheck } from '../agent-protocol/index.js';
import type { Translate } from '../i18n/index.js';
import type { Agent } from './agent-registry.js';
import type { AgentHub } from './agent-hub.js';

/** What a connection test found: AD reached (with what the agent read, when it came back directly), or why not. */
export type AgentTestOutcome = { ok: true; check: ReportedCheck | null } | { ok: false; reason: 'not_connected' | 'no_answer' | 'dc_unreachable' | 'insufficient_rights' | 'other' };

/** The outcome in words, the same on the Agents page and in the API's answer: what the agent reached, or what to check. */
export function testOutcomeText(t: Translate, name: string, outcome: AgentTestOutcome): string {
  if (!outcome.ok) return t(`agents.test.${outcome.reason}`, { name });
  const k = outcome.check;
  return k ? t('agents.test.ok', { name, server: k.server, domain: k.domain, minLength: k.minLength, ms: Math.round(k.latencyMs) }) : t('agents.test.okShort', { name });
}

/**
 * The console's and the API's "Test connection" of one agent: a `check` job through the same
 * path as a password job (sealed channel, claim, answer), which reads the domain and its
 * password policy and changes nothing. Audited as agent_tested with the outcome.
 */
export async function testAgentConnection(d: { hub: Pick<AgentHub, 'check' | 'connectedAgentIds'>; audit: AuditLog }, actor: Actor, agent: Agent): Promise<AgentTestOutcome> {
  let outcome: AgentTestOutcome;
  if (agent.revokedAt !== null || !(await d.hub.connectedAgentIds()).has(agent.id)) outcome = { ok: false, reason: 'not_connected' };
  else {
    const r = await d.hub.check(agent.id);
    if (r.ok) outcome = { ok: true, check: r.value.check ?? null };
    else if (r.reason === 'unavailable' || r.reason === 'unconfirmed') outcome = { ok: false, reason: 'no_answer' };
    else if (r.reason === 'dc_unreachable' || r.reason === 'insufficient_rights') outcome = { ok: false, reason: r.reason };
    else outcome = { ok: false, reason: 'other' };
  }
  await d.audit.record({
    event: 'agent_tested',
    outcome: outcome.ok ? 'success' : 'failure',
    actor: { id: actor.id, name: actor.name },
    target: { id: agent.id, name: agent.name },
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    details: outcome.ok ? (outcome.check ? { domain: outcome.check.domain, server: outcome.check.server, latencyMs: outcome.check.latencyMs } : {}) : { reason: outcome.reason },
  });
  return outcome;
}
