import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database, UsersTable } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import { nameKey, type Role } from './names.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  enabled: boolean;
  source: 'cloud' | 'onprem';
  anchor: string | null;
  roles: Role[];
  hasPassword: boolean;
  passwordChangedAt: number | null;
  createdAt: number;
  /** When security info was last registered or re-confirmed. */
  securityInfoConfirmedAt: number | null;
  /** The language chosen in My account (src/i18n/languages.ts), or null when none was chosen. */
  language: string | null;
}

export interface NewUser {
  username: string;
  displayName: string;
  email: string | null;
  roles: Role[];
  passwordHash: string | null;
  source?: 'cloud' | 'onprem';
  anchor?: string | null;
  enabled?: boolean;
}

export interface UserPage {
  items: User[];
  total: number;
  page: number;
  pageSize: number;
}

function toUser(row: UsersTable, roles: Role[]): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    enabled: row.enabled === 1,
    source: row.source,
    anchor: row.anchor,
    roles: roles.length ? roles : ['user'],
    hasPassword: row.password_hash !== null,
    passwordChangedAt: row.password_changed_at,
    createdAt: row.created_at,
    securityInfoConfirmedAt: row.security_info_confirmed_at ?? null,
    language: row.language ?? null,
  };
}

/**
 * The users a scoped viewer (a helpdesk user with a scope) may see: direct members of any of
 * `groupIds` (the caller has already added the groups nested inside), or hybrid users whose AD DN
 * ends with one of `ouKeys` (lower-case DNs) on an RDN boundary. Both empty: nobody.
 */
export interface UserScope {
  groupIds: readonly string[];
  ouKeys: readonly string[];
}

function withinScope(eb: ExpressionBuilder<Database, 'users'>, scope: UserScope) {
  const parts = [];
  if (scope.groupIds.length > 0) {
    parts.push(eb('users.id', 'in', eb.selectFrom('group_members').select('group_members.member_id').where('group_members.member_type', '=', 'user').where('group_members.group_id', 'in', [...scope.groupIds])));
  }
  if (scope.ouKeys.length > 0) {
    // `,ou=x,dc=y` at the end of the DN: under the OU, never a sibling whose name merely ends the same.
    const under = scope.ouKeys.map((ou) => sql<boolean>`${sql.ref('synced_objects.dn_key')} like ${`%,${escapeLike(ou)}`} escape '\\'`);
    parts.push(eb('users.id', 'in', eb.selectFrom('synced_objects').select('synced_objects.local_id').where('synced_objects.kind', '=', 'user').where((s) => s.or(under))));
  }
  return parts.length > 0 ? eb.or(parts) : sql<boolean>`1 = 0`;
}

/** Escapes LIKE wildcards so a search for "a_b" finds "a_b", not "axb". */
function escapeLike(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function likeContains(q: string): string {
  return `%${escapeLike(q)}%`;
}

/** The user half of the cloud directory: plain data access, no policy. */
export class UserStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  private async rolesFor(ids: string[]): Promise<Map<string, Role[]>> {
    const map = new Map<string, Role[]>();
    if (ids.length === 0) return map;
    const rows = await this.db.selectFrom('user_roles').select(['user_id', 'role']).where('user_id', 'in', ids).orderBy('role').execute();
    for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), r.role as Role]);
    return map;
  }

  async create(input: NewUser): Promise<User> {
    const now = this.clock.now();
    const id = newId();
    const roles = [...new Set<Role>(input.roles.length ? input.roles : ['user'])];
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('users')
        .values({
          id,
          username: input.username,
          username_key: nameKey(input.username),
          display_name: input.displayName,
          email: input.email,
          enabled: input.enabled === false ? 0 : 1,
          source: input.source ?? 'cloud',
          anchor: input.anchor ?? null,
          password_hash: input.passwordHash,
          password_changed_at: input.passwordHash ? now : null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('user_roles')
        .values(roles.map((role) => ({ user_id: id, role })))
        .execute();
    });
    return (await this.byId(id))!;
  }

  async byId(id: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return toUser(row, (await this.rolesFor([id])).get(id) ?? []);
  }

  async byUsername(username: string): Promise<User | null> {
    const row = await this.db.selectFrom('users').selectAll().where('username_key', '=', nameKey(username)).executeTakeFirst();
    if (!row) return null;
    return toUser(row, (await this.rolesFor([row.id])).get(row.id) ?? []);
  }

  async passwordHash(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return row?.password_hash ?? null;
  }

  /** `scope`: only the users in it (a scoped helpdesk user's list); without it every user. */
  async list(options: { q?: string; page?: number; pageSize?: number; scope?: UserScope } = {}): Promise<UserPage> {
    const pageSize = Math.min(Math.max(options.pageSize ?? 25, 1), 200);
    const page = Math.max(options.page ?? 1, 1);
    let query = this.db.selectFrom('users');
    const scope = options.scope;
    if (scope) query = query.where((eb) => withinScope(eb, scope));
    const q = options.q?.trim();
    if (q) {
      const pattern = likeContains(q.toLowerCase());
      // SQLite has no default LIKE escape character, so it is spelt out for both dialects.
      const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
      query = query.where((eb) => eb.or([like('username_key'), like('display_name'), like('email')]));
    }
    const total = Number((await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = await query
      .selectAll()
      .orderBy('username_key')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute();
    const roles = await this.rolesFor(rows.map((r) => r.id));
    return { items: rows.map((r) => toUser(r, roles.get(r.id) ?? [])), total, page, pageSize };
  }

  /** Whether the user is in the scope (the same test as `list` with a scope). */
  async inScope(id: string, scope: UserScope): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('users.id')
      .where('users.id', '=', id)
      .where((eb) => withinScope(eb, scope))
      .executeTakeFirst();
    return row !== undefined;
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ enabled: enabled ? 1 : 0, updated_at: this.clock.now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** null removes the stored hash (a hybrid user without password hash sync: AD alone knows the password). */
  async setPasswordHash(id: string, hash: string | null): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: hash, password_changed_at: now, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setRoles(id: string, roles: Role[]): Promise<void> {
    const unique = [...new Set<Role>(roles.length ? roles : ['user'])];
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('user_roles').where('user_id', '=', id).execute();
      await trx
        .insertInto('user_roles')
        .values(unique.map((role) => ({ user_id: id, role })))
        .execute();
    });
  }

  async updateProfile(id: string, changes: { displayName?: string; email?: string | null }): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
        ...(changes.email !== undefined ? { email: changes.email } : {}),
        updated_at: this.clock.now(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The user's saved language, or null to follow the browser again. */
  async setLanguage(id: string, language: string | null): Promise<void> {
    await this.db.updateTable('users').set({ language, updated_at: this.clock.now() }).where('id', '=', id).execute();
  }

  async markSecurityInfoConfirmed(id: string): Promise<void> {
    await this.db.updateTable('users').set({ security_info_confirmed_at: this.clock.now() }).where('id', '=', id).execute();
  }

  /** Users from Active Directory (`onprem`) or made here (`cloud`): the console tells whether an agent is needed at all. */
  async countBySource(source: 'cloud' | 'onprem'): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .where('source', '=', source)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Enabled users holding a role; used to protect the last administrator. */
  async countEnabledWithRole(role: Role): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .where('user_roles.role', '=', role)
      .where('users.enabled', '=', 1)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async enabledWithRole(role: Role): Promise<User[]> {
    const rows = await this.db
      .selectFrom('users')
      .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
      .where('user_roles.role', '=', role)
      .where('users.enabled', '=', 1)
      .selectAll('users')
      .execute();
    const roles = await this.rolesFor(rows.map((r) => r.id));
    return rows.map((r) => toUser(r, roles.get(r.id) ?? []));
  }
}
