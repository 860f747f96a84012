import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor } from '../directory/directory-service.js';
import type { MessageKey } from '../i18n/index.js';
import { fail, ok, type Refused, type Result } from '../shared/result.js';
import type { FieldErrors } from '../shared/validation.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, newId, randomToken } from '../shared/crypto.js';
import { parseInput } from '../shared/validation.js';
import type { Store } from '../store/database.js';
import type { ApiTokensTable } from '../store/schema.js';

export const apiScopes = ['read', 'write'] as const;
export type ApiScope = (typeof apiScopes)[number];

/**
 * The areas of the API (the OpenAPI document's tags): a token may be limited to some of them,
 * each at its own level (read: GET and the password test; write: everything). `settings:write`
 * is write on the area `settings`; a token may hold `settings:write` and `audit:read` at once.
 */
export const apiAreas = ['policy', 'users', 'groups', 'audit', 'settings', 'agents', 'sync', 'reports', 'delivery'] as const;
export type ApiArea = (typeof apiAreas)[number];
const isArea = (a: string): a is ApiArea => (apiAreas as readonly string[]).includes(a);

/** A limited token's level per area it may use (`{ settings: 'write', audit: 'read' }`); the areas left out it cannot reach. */
export type ApiAreaAccess = Partial<Record<ApiArea, ApiScope>>;

/** Whether the token may do this: on every area at its scope, or at the level it holds on this area (write includes read). */
export function tokenAllows(token: Pick<ApiToken, 'scope' | 'areas'>, area: ApiArea, level: ApiScope): boolean {
  const held = token.areas === null ? token.scope : token.areas[area];
  return held !== undefined && (level === 'read' || held === 'write');
}

/** What a token may do, as scope strings: `write` (every area) or `settings:write`, `audit:read`. */
export function tokenScopes(token: Pick<ApiToken, 'scope' | 'areas'>): string[] {
  return token.areas === null ? [token.scope] : apiAreas.filter((a) => token.areas![a]).map((a) => `${a}:${token.areas![a]}`);
}

/**
 * The access a token is created with: `areas` lists `settings` (at `scope`) or `settings:write`;
 * the same area twice keeps the higher level. Every area at one level is no limit at all.
 */
function accessOf(scope: ApiScope, entries: readonly string[] | null | undefined): { scope: ApiScope; areas: ApiAreaAccess | null } {
  if (!entries) return { scope, areas: null };
  const areas = levelsOf(entries, scope);
  const levels = apiAreas.map((a) => areas[a]);
  const top: ApiScope = levels.includes('write') ? 'write' : 'read';
  if (levels.every((l) => l === top)) return { scope: top, areas: null };
  return { scope: top, areas: Object.fromEntries(apiAreas.filter((a) => areas[a]).map((a) => [a, areas[a]])) as ApiAreaAccess };
}

/** `settings:write` and `audit` entries as levels per area: an entry without a level has `fallback`, the same area twice keeps the higher level, an unknown area is skipped. */
function levelsOf(entries: readonly string[], fallback: ApiScope): ApiAreaAccess {
  const areas: ApiAreaAccess = {};
  for (const entry of entries) {
    const [area, level] = entry.split(':');
    if (!area || !isArea(area) || areas[area] === 'write') continue;
    areas[area] = level === 'write' || level === 'read' ? level : fallback;
  }
  return areas;
}

/** The areas column: `settings:write,audit:read`; an entry without a level (tokens made before levels per area) has the token's scope. */
const readAreas = (column: string | null, scope: ApiScope): ApiAreaAccess | null => (column === null ? null : levelsOf(column.split(','), scope));

/** A recognisable prefix: secret scanners and people can tell an OpenSSPR token from other strings. */
export const TOKEN_PREFIX = 'sspr_';
/** `sspr_` + 32 random bytes in base64url: 256 bits, far beyond guessing. */
const TOKEN_SHAPE = /^sspr_[A-Za-z0-9_-]{43}$/;

const DAY = 86_400_000;
const MINUTE = 60_000;
/** last_used_at is written at most once a minute per token: a busy script does not turn every read into a write. */
const LAST_USED_RESOLUTION_MS = MINUTE;

export interface ApiToken {
  id: string;
  name: string;
  scope: ApiScope;
  /** The level on each area the token may use; null: every area at `scope` (the highest level it holds). */
  areas: ApiAreaAccess | null;
  createdBy: string | null;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export type ApiTokenStatus = 'active' | 'expired' | 'revoked';

export function tokenStatus(token: ApiToken, now: number): ApiTokenStatus {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

// Messages are catalogue keys (src/api/messages.en.ts).
const noControl = /^[^\p{Cc}]*$/u;
export const tokenNameSchema = z
  .string({ error: 'v.apiToken.name' })
  .trim()
  .min(1, 'v.apiToken.name')
  .max(100, 'v.apiToken.nameTooLong')
  .regex(noControl, 'v.noControlChars');

export const newTokenSchema = z.object({
  name: tokenNameSchema,
  scope: z.enum(apiScopes, { error: 'v.apiToken.scope' }),
  /** Only these areas, each `settings` (at `scope`) or `settings:read|write` (absent or null: every area). */
  areas: z
    .array(z.string({ error: 'v.apiToken.area' }).regex(new RegExp(`^(${apiAreas.join('|')})(:(${apiScopes.join('|')}))?$`), 'v.apiToken.area'), { error: 'v.apiToken.area' })
    .min(1, 'v.apiToken.area')
    .max(apiAreas.length * apiScopes.length, 'v.apiToken.area')
    .nullable()
    .optional(),
  /** Days until the token stops working; null or absent = it never expires (revoke it instead). */
  expiresInDays: z.number({ error: 'v.apiToken.expiresInDays' }).int('v.apiToken.expiresInDays').min(1, 'v.apiToken.expiresInDays').max(3650, 'v.apiToken.expiresInDays').nullable().optional(),
});

export type NewToken = z.input<typeof newTokenSchema>;

/**
 * Why a token operation is refused, with the words the console and the CLI show ('invalid'
 * names each field instead) and the kind of refusal the console's status and the CLI's exit
 * code follow.
 */
export const apiTokenRefusals = {
  exists: { message: 'apiTokens.refuse.exists', kind: 'conflict' },
  ambiguous: { message: 'apiTokens.refuse.ambiguous', kind: 'conflict' },
  already_revoked: { message: 'apiTokens.refuse.alreadyRevoked', kind: 'conflict' },
  not_found: { message: 'apiTokens.notFound', kind: 'not_found' },
} as const satisfies Record<string, { message: MessageKey; kind: 'conflict' | 'not_found' }>;
export type ApiTokenRefusal = keyof typeof apiTokenRefusals;

/** A new token's input refused, field by field (catalogue keys). */
export type InvalidToken = Refused<'invalid'> & { errors: FieldErrors };

export interface CreatedToken {
  /** The bearer token itself: shown once, never stored. */
  token: string;
  record: ApiToken;
}

function toToken(r: ApiTokensTable): ApiToken {
  const scope: ApiScope = r.scope === 'write' ? 'write' : 'read';
  return {
    id: r.id,
    name: r.name,
    scope,
    areas: readAreas(r.areas, scope),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

interface Deps {
  store: Store;
  clock: Clock;
  audit: AuditLog;
}

/**
 * Bearer tokens for the JSON API. A token is shown once when it is created; the store keeps only
 * its SHA-256 (like sessions), so a copied database cannot be replayed against the API. Creating
 * and revoking are audited with the token's name and id, never the token.
 */
export class ApiTokenService {
  constructor(private readonly d: Deps) {}

  /** Creates a token; the returned `token` is the only time it exists outside the caller's hands. */
  async create(actor: Actor, input: unknown): Promise<Result<CreatedToken, 'exists'> | InvalidToken> {
    const parsed = parseInput(newTokenSchema, input);
    if (!parsed.ok) return fail('invalid', { errors: parsed.errors });
    const { name, expiresInDays } = parsed.value;
    const { scope, areas } = accessOf(parsed.value.scope, parsed.value.areas);
    const now = this.d.clock.now();
    // A name is how administrators, the CLI and the audit log tell tokens apart: one usable token per name.
    if ((await this.byName(name)).some((t) => tokenStatus(t, now) === 'active')) return fail('exists');
    const token = TOKEN_PREFIX + randomToken(32);
    const row: ApiTokensTable = {
      id: newId(),
      name,
      token_hash: hashToken(token),
      scope,
      areas: areas === null ? null : tokenScopes({ scope, areas }).join(','),
      created_by: actor.id,
      created_at: now,
      expires_at: expiresInDays ? now + expiresInDays * DAY : null,
      last_used_at: null,
      revoked_at: null,
    };
    await this.d.store.db.insertInto('api_tokens').values(row).execute();
    await this.d.audit.record({
      event: 'api_token_created',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      target: { id: row.id, name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { scope, ...(row.areas ? { areas: row.areas } : {}), expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString() },
    });
    return ok({ token, record: toToken(row) });
  }

  /** Every token, newest first, revoked and expired ones included (the console shows their state). */
  async list(): Promise<ApiToken[]> {
    const rows = await this.d.store.db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').orderBy('name').execute();
    return rows.map(toToken);
  }

  async byId(id: string): Promise<ApiToken | null> {
    if (id.length > 64) return null;
    const row = await this.d.store.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toToken(row) : null;
  }

  async byName(name: string): Promise<ApiToken[]> {
    const rows = await this.d.store.db.selectFrom('api_tokens').selectAll().where('name', '=', name.trim()).orderBy('created_at', 'desc').execute();
    return rows.map(toToken);
  }

  /**
   * Finds the token an operator means by id or name (the CLI takes either). A name matches the
   * tokens not yet revoked; when it matches several (an expired one and a new one with the same
   * name), the id is needed.
   */
  async find(idOrName: string): Promise<Result<ApiToken, 'ambiguous' | 'not_found'>> {
    const byId = await this.byId(idOrName.trim());
    if (byId) return ok(byId);
    const named = (await this.byName(idOrName)).filter((t) => t.revokedAt === null);
    if (named.length === 1) return ok(named[0]!);
    return fail(named.length > 1 ? 'ambiguous' : 'not_found');
  }

  /** Revokes a token at once: the next request made with it is refused. */
  async revoke(actor: Actor, id: string): Promise<Result<ApiToken, 'not_found' | 'already_revoked'>> {
    const token = await this.byId(id);
    if (!token) return fail('not_found');
    const now = this.d.clock.now();
    // Only the first of two parallel revocations changes the row (and is audited).
    const r = await this.d.store.db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return fail('already_revoked');
    await this.d.audit.record({
      event: 'api_token_revoked',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      target: { id: token.id, name: token.name },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { scope: token.scope },
    });
    return ok({ ...token, revokedAt: now });
  }

  /**
   * The token row for a presented bearer token, or null when it is unknown, revoked or expired.
   * Only the hash is looked up; a string that cannot be a token is refused without a query.
   */
  async authenticate(presented: string): Promise<ApiToken | null> {
    if (!TOKEN_SHAPE.test(presented)) return null;
    const row = await this.d.store.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(presented)).executeTakeFirst();
    if (!row) return null;
    const token = toToken(row);
    const now = this.d.clock.now();
    if (tokenStatus(token, now) !== 'active') return null;
    if (token.lastUsedAt === null || now - token.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      // Conditional, so parallel requests in the same minute write once.
      await this.d.store.db
        .updateTable('api_tokens')
        .set({ last_used_at: now })
        .where('id', '=', token.id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_MS)]))
        .execute();
      return { ...token, lastUsedAt: now };
    }
    return token;
  }
}
