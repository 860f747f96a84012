import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import type { MessageKey } from '../i18n/index.js';
import type { GroupStore } from '../directory/groups.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { fail, ok, type Refused, type Result } from '../shared/result.js';
import { parseInput, type FieldErrors } from '../shared/validation.js';
import { changedPaths, effectiveFor, policySchema, type EffectivePolicy, type Policy } from './policy.js';

export interface PolicyVersion {
  /** 0 = nothing stored yet: the initial policy from the configuration. */
  version: number;
  policy: Policy;
  changedAt: number | null;
  changedBy: string | null;
  comment: string | null;
}

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
  groups: GroupStore;
  initial: Policy;
  /** How long a loaded policy is trusted before the store is asked again (other portal instances may have saved). */
  cacheMs?: number;
}

/**
 * A change refused: another save came first ('conflict', the words are `policy.conflict`), or
 * the document is wrong ('invalid', each field at fault named by a catalogue key).
 */
export type PolicyUpdate = Result<PolicyVersion, 'conflict'> | (Refused<'invalid'> & { errors: FieldErrors });
export const policyConflictMessage: MessageKey = 'policy.conflict';

export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges a partial document into the policy: objects key by key, arrays and values replaced whole. */
export function mergePolicy(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? mergePolicy(base[k], v) : v;
  return out;
}

/**
 * The stored, versioned SSPR policy. Each save appends a version (two administrators saving on
 * top of the same version: the second is told, nothing is lost) and is audited with the paths
 * that changed. Reads are cached for `cacheMs` so a page does not query the store for every
 * setting; `snapshot()` is the cached copy for code that cannot wait (page rendering).
 */
export class PolicyService {
  private cached: PolicyVersion;
  private loadedAt = -Infinity;

  constructor(private readonly d: Deps) {
    this.cached = { version: 0, policy: d.initial, changedAt: null, changedBy: null, comment: null };
  }

  /** The last loaded policy; call `current()` (or `refresh()`) first in anything that starts a request. */
  snapshot(): PolicyVersion {
    return this.cached;
  }

  async current(): Promise<PolicyVersion> {
    if (this.d.clock.now() - this.loadedAt < (this.d.cacheMs ?? 1000)) return this.cached;
    return this.refresh();
  }

  async refresh(): Promise<PolicyVersion> {
    const row = await this.d.store.db.selectFrom('policy_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
    this.cached = row ? this.fromRow(row) : { version: 0, policy: this.d.initial, changedAt: null, changedBy: null, comment: null };
    this.loadedAt = this.d.clock.now();
    return this.cached;
  }

  async history(limit = 50): Promise<PolicyVersion[]> {
    const rows = await this.d.store.db.selectFrom('policy_versions').selectAll().orderBy('version', 'desc').limit(Math.min(Math.max(limit, 1), 500)).execute();
    return rows.map((r) => this.fromRow(r));
  }

  async version(n: number): Promise<PolicyVersion | null> {
    if (n === 0) return { version: 0, policy: this.d.initial, changedAt: null, changedBy: null, comment: null };
    const row = await this.d.store.db.selectFrom('policy_versions').selectAll().where('version', '=', n).executeTakeFirst();
    return row ? this.fromRow(row) : null;
  }

  /**
   * Saves a change: `patch` is merged into the current policy (objects key by key, lists replaced),
   * the result validated whole, the groups checked to exist. `expectedVersion` (what the editor
   * saw) turns a concurrent save into a conflict instead of overwriting it.
   */
  async update(actor: Actor, patch: unknown, options: { expectedVersion?: number; comment?: string } = {}): Promise<PolicyUpdate> {
    const { d } = this;
    if (!isPlainObject(patch)) return fail('invalid', { errors: { _form: 'v.policy.document' } });
    const current = await this.refresh();
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) return fail('conflict');
    const parsed = parseInput(policySchema, mergePolicy(current.policy, patch));
    if (!parsed.ok) return fail('invalid', { errors: parsed.errors });
    const next = parsed.value;
    for (const [i, id] of next.groups.entries()) if (!(await d.groups.byId(id))) return fail('invalid', { errors: { [`groups.${i}`]: 'v.policy.groupUnknown', groups: 'v.policy.groupUnknown' } });
    const changed = changedPaths(current.policy, next);
    if (changed.length === 0) return ok(current);
    const comment = typeof options.comment === 'string' ? options.comment.trim().slice(0, 500) || null : null;
    const version = current.version + 1;
    const now = d.clock.now();
    try {
      await d.store.db
        .insertInto('policy_versions')
        .values({ version, document: JSON.stringify(next), created_at: now, actor_id: actor.id, actor_name: actor.name, comment })
        .execute();
    } catch (err) {
      // Another save took this version number first.
      if ((await this.refresh()).version >= version) return fail('conflict');
      throw err;
    }
    await d.audit.record({
      event: 'policy_changed',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { version, changed: changed.join(','), ...(comment ? { comment } : {}) },
    });
    return ok(await this.refresh());
  }

  /** Whether self-service reset is on for this user. Administrators always have it (with the two-gate policy). */
  async inScope(user: { id: string; roles: readonly string[]; enabled: boolean }, policy?: Policy): Promise<boolean> {
    const p = policy ?? (await this.current()).policy;
    if (!user.enabled) return false;
    if (user.roles.includes('administrator')) return true;
    if (p.enabledFor === 'all') return true;
    if (p.enabledFor === 'none') return false;
    const mine = await this.d.groups.groupIdsOfUser(user.id);
    return p.groups.some((g) => mine.has(g));
  }

  async effectiveFor(user: { roles: readonly string[] }): Promise<EffectivePolicy> {
    return effectiveFor((await this.current()).policy, user);
  }

  private fromRow(row: { version: number; document: string; created_at: number; actor_name: string | null; comment: string | null }): PolicyVersion {
    // A stored document is re-validated on read: a hand-edited row fails loudly, not halfway.
    // A section added after the row was saved (the password rules) starts from the configuration.
    const stored: unknown = JSON.parse(row.document);
    const policy = policySchema.parse(isPlainObject(stored) ? { ...this.d.initial, ...stored } : stored);
    return { version: Number(row.version), policy, changedAt: Number(row.created_at), changedBy: row.actor_name, comment: row.comment };
  }
}
