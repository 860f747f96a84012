import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, newId, randomToken } from '../shared/crypto.js';
import { isPublicKey } from '../agent-protocol/index.js';
import { reportedPolicySchema, type ReportedPolicy } from '../agent-protocol/index.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';

export interface Agent {
  id: string;
  name: string;
  signingKey: string;
  sealingKey: string;
  version: string | null;
  domain: string | null;
  domainPolicy: ReportedPolicy | null;
  /** The agent's last rights check (verdict, problems, the delegation to apply, …). */
  rightsReport: { verdict: string; problems: string[]; checkedAt?: string; delegation?: { sambaTool?: string[]; dsacls?: string[] }; excessive?: Array<{ what: string; severity: string }> } | null;
  registeredAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
}

export const REGISTER_REFUSALS = ['token', 'invalid'] as const;
export type RegisterRefusal = (typeof REGISTER_REFUSALS)[number];
/** A refused token says nothing more; malformed input names the field at fault. */
export type RegisterOutcome = Ok<Agent> | Refused<'token'> | (Refused<'invalid'> & { field: string });

const TOKEN_PREFIX = 'sspr_agent_';

/**
 * Registered agents and their one-time registration tokens. An administrator creates a token
 * (shown once, valid for `tokenTtlMs`); `sspr agent register` sends it with the agent's two
 * public keys; the token is consumed by a compare-and-swap, so it registers one agent only.
 */
export class AgentRegistry {
  constructor(
    private readonly d: { store: Store; clock: Clock; audit: AuditLog; tokenTtlMs: number },
  ) {}

  async createRegistrationToken(actor: Actor): Promise<{ token: string; expiresAt: number }> {
    const token = TOKEN_PREFIX + randomToken(32);
    const now = this.d.clock.now();
    const expiresAt = now + this.d.tokenTtlMs;
    await this.d.store.db.insertInto('agent_registrations').values({ token_hash: hashToken(token), created_by: actor.id, created_at: now, expires_at: expiresAt, used_at: null, agent_id: null }).execute();
    await this.d.audit.record({ event: 'agent_token_created', outcome: 'success', actor: { id: actor.id, name: actor.name }, ip: actor.ip ?? null, details: { expiresAt: new Date(expiresAt).toISOString() } });
    return { token, expiresAt };
  }

  async register(input: { token: unknown; name: unknown; version: unknown; signingKey: unknown; sealingKey: unknown }, meta: { ip: string }): Promise<RegisterOutcome> {
    const { d } = this;
    if (typeof input.name !== 'string' || !/^[\p{L}\p{N} ._-]{1,100}$/u.test(input.name)) return fail('invalid', { field: 'name' });
    if (typeof input.version !== 'string' || input.version.length > 40) return fail('invalid', { field: 'version' });
    if (!isPublicKey(input.signingKey, 'ed25519')) return fail('invalid', { field: 'signingKey' });
    if (!isPublicKey(input.sealingKey, 'x25519')) return fail('invalid', { field: 'sealingKey' });
    if (typeof input.token !== 'string' || input.token.length > 100) return fail('token');
    const now = d.clock.now();
    const agentId = newId();
    const used = await d.store.db
      .updateTable('agent_registrations')
      .set({ used_at: now, agent_id: agentId })
      .where('token_hash', '=', hashToken(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) {
      await d.audit.record({ event: 'agent_registered', outcome: 'failure', ip: meta.ip, details: { reason: 'token' } });
      return fail('token');
    }
    const agent: Agent = { id: agentId, name: input.name, signingKey: input.signingKey as string, sealingKey: input.sealingKey as string, version: input.version, domain: null, domainPolicy: null, rightsReport: null, registeredAt: now, lastSeenAt: null, revokedAt: null };
    await d.store.db
      .insertInto('agents')
      .values({ id: agent.id, name: agent.name, signing_key: agent.signingKey, sealing_key: agent.sealingKey, version: agent.version, domain: null, domain_policy: null, rights_report: null, registered_at: now, last_seen_at: null, revoked_at: null })
      .execute();
    await d.audit.record({ event: 'agent_registered', outcome: 'success', target: { id: agent.id, name: agent.name }, ip: meta.ip, details: { version: agent.version ?? '' } });
    return ok(agent);
  }

  async list(): Promise<Agent[]> {
    const rows = await this.d.store.db.selectFrom('agents').selectAll().orderBy('registered_at', 'desc').execute();
    return rows.map(toAgent);
  }

  async byId(id: string): Promise<Agent | null> {
    if (id.length > 64) return null;
    const row = await this.d.store.db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAgent(row) : null;
  }

  async seen(id: string, info: { version?: string; domain?: string; policy?: ReportedPolicy }): Promise<void> {
    await this.d.store.db
      .updateTable('agents')
      .set({ last_seen_at: this.d.clock.now(), ...(info.version ? { version: info.version } : {}), ...(info.domain ? { domain: info.domain } : {}), ...(info.policy ? { domain_policy: JSON.stringify(info.policy) } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async rightsChecked(id: string, report: unknown): Promise<void> {
    const json = JSON.stringify(report);
    if (json.length > 64 * 1024) return;
    await this.d.store.db.updateTable('agents').set({ rights_report: json }).where('id', '=', id).execute();
  }

  /** The domain password policy the most recently seen agent reported (null before any did). */
  async domainPolicy(): Promise<ReportedPolicy | null> {
    const row = await this.d.store.db.selectFrom('agents').select('domain_policy').where('revoked_at', 'is', null).where('domain_policy', 'is not', null).orderBy('last_seen_at', 'desc').limit(1).executeTakeFirst();
    if (!row?.domain_policy) return null;
    const parsed = reportedPolicySchema.safeParse(JSON.parse(row.domain_policy));
    return parsed.success ? parsed.data : null;
  }

  async revoke(actor: Actor, id: string): Promise<boolean> {
    const r = await this.d.store.db.updateTable('agents').set({ revoked_at: this.d.clock.now() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    const done = Number(r.numUpdatedRows) === 1;
    if (done) await this.d.audit.record({ event: 'agent_revoked', outcome: 'success', actor: { id: actor.id, name: actor.name }, target: { id, name: (await this.byId(id))?.name ?? null }, ip: actor.ip ?? null });
    return done;
  }
}

function toAgent(r: { id: string; name: string; signing_key: string; sealing_key: string; version: string | null; domain: string | null; domain_policy: string | null; rights_report: string | null; registered_at: number; last_seen_at: number | null; revoked_at: number | null }): Agent {
  const policy = r.domain_policy ? reportedPolicySchema.safeParse(JSON.parse(r.domain_policy)) : null;
  return {
    id: r.id,
    name: r.name,
    signingKey: r.signing_key,
    sealingKey: r.sealing_key,
    version: r.version,
    domain: r.domain,
    domainPolicy: policy?.success ? policy.data : null,
    rightsReport: r.rights_report ? (JSON.parse(r.rights_report) as Agent['rightsReport']) : null,
    registeredAt: Number(r.registered_at),
    lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}
