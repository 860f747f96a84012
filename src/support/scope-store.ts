import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';

/** One entry of a helpdesk user's scope: a group (nested groups included) or an AD OU. */
export type ScopeEntry = { kind: 'group'; groupId: string; name: string | null } | { kind: 'ou'; dn: string };

/** A helpdesk user's scope as stored; `entries` empty: every user. */
export interface HelpdeskScope {
  entries: ScopeEntry[];
}

/** At most this many entries per helpdesk user (groups and OUs together). */
export const MAX_SCOPE_ENTRIES = 50;

const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An LDAP distinguished name (RFC 4514) as an administrator types it, e.g.
 * `OU=Sales,DC=corp,DC=example,DC=com`: checked (every RDN `type=value`, escapes well formed)
 * and normalised (spaces around `,` and `=` removed, as AD writes DNs); null when it is not a DN.
 */
export function parseDn(text: string): string | null {
  const input = text.trim();
  if (input.length < 3 || input.length > 1024 || CONTROL.test(input)) return null;
  const rdns: string[] = [];
  let current = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '\\') {
      const next = input.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(next)) {
        current += `\\${next}`;
        i += 2;
      } else if (next.length > 0 && ' ,=+<>#;\\"'.includes(next[0]!)) {
        current += `\\${next[0]}`;
        i += 1;
      } else return null;
    } else if (ch === ',' || ch === ';') {
      rdns.push(current);
      current = '';
    } else current += ch;
  }
  rdns.push(current);
  const out: string[] = [];
  for (const rdn of rdns) {
    const eq = rdn.indexOf('=');
    if (eq <= 0) return null;
    const type = rdn.slice(0, eq).trim();
    // An escaped trailing space belongs to the value; an unescaped one does not.
    const value = rdn.slice(eq + 1).trimStart().replace(/(?<!\\)\s+$/, '');
    if (!ATTRIBUTE.test(type) || value.length === 0 || /(?<!\\)=/.test(value)) return null;
    out.push(`${type}=${value}`);
  }
  return out.join(',');
}

/** The helpdesk scopes (table helpdesk_scopes, migration 0013): plain data access. */
export class HelpdeskScopeStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async of(userId: string): Promise<HelpdeskScope> {
    const rows = await this.db
      .selectFrom('helpdesk_scopes')
      .leftJoin('groups', 'groups.id', 'helpdesk_scopes.group_id')
      .select(['helpdesk_scopes.kind', 'helpdesk_scopes.value', 'helpdesk_scopes.group_id', 'groups.name'])
      .where('helpdesk_scopes.user_id', '=', userId)
      .orderBy('helpdesk_scopes.kind')
      .orderBy('helpdesk_scopes.value')
      .execute();
    return {
      entries: rows.map((r): ScopeEntry => (r.kind === 'group' ? { kind: 'group', groupId: r.value, name: r.group_id === null ? null : r.name } : { kind: 'ou', dn: r.value })),
    };
  }

  /** Replaces the user's scope with these groups (ids of existing groups) and OUs (parsed DNs), in one transaction. */
  async replace(userId: string, next: { groupIds: readonly string[]; ous: readonly string[] }): Promise<void> {
    const now = this.clock.now();
    const rows = [
      ...[...new Set(next.groupIds)].map((id) => ({ user_id: userId, kind: 'group' as const, value: id, group_id: id, created_at: now })),
      // The same OU typed twice in another case is one entry (the first spelling is kept).
      ...next.ous.filter((dn, i) => next.ous.findIndex((o) => o.toLowerCase() === dn.toLowerCase()) === i).map((dn) => ({ user_id: userId, kind: 'ou' as const, value: dn, group_id: null, created_at: now })),
    ];
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('helpdesk_scopes').where('user_id', '=', userId).execute();
      if (rows.length > 0) await trx.insertInto('helpdesk_scopes').values(rows).execute();
    });
  }
}
