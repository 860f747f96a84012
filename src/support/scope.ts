import type { MessageKey } from '../i18n/index.js';
import type { User, UserPage, UserScope, UserStore } from '../directory/users.js';
import type { GroupStore } from '../directory/groups.js';
import type { Actor, Outcome } from '../directory/directory-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FieldErrors } from '../shared/validation.js';
import { DirectoryAccess, type SupportAccess, type Viewer } from './access.js';
import { MAX_SCOPE_ENTRIES, parseDn, type HelpdeskScope, type HelpdeskScopeStore, type ScopeEntry } from './scope-store.js';

const isAdministrator = (viewer: Viewer) => viewer.roles.includes('administrator');
const isHelpdesk = (viewer: Viewer) => !isAdministrator(viewer) && viewer.id !== null && viewer.roles.includes('password_administrator');

/** The roles the helpdesk never acts on. */
const PRIVILEGED = ['administrator', 'password_administrator'] as const;

interface Deps {
  users: Pick<UserStore, 'byId' | 'byUsername' | 'list' | 'inScope'>;
  groups: Pick<GroupStore, 'nestedGroupIds'>;
  scopes: Pick<HelpdeskScopeStore, 'of'>;
}

/**
 * SupportAccess with the helpdesk's scope: administrators see and act on everyone; a helpdesk
 * user sees only the users in their scope (members of its groups, nested included, or hybrid
 * users under its OUs; no scope: everyone) — any other user does not exist for them (`find`
 * null, so every route answers 404 exactly as for an unknown name) — and never acts on
 * administrators, other helpdesk users or themselves (`refusal`). Anyone else sees no one.
 */
export class ScopedAccess implements SupportAccess {
  private readonly directory: DirectoryAccess;

  constructor(private readonly d: Deps) {
    this.directory = new DirectoryAccess(d.users);
  }

  /** Everyone, no one, or the users of a scope. */
  private async reach(viewer: Viewer): Promise<'all' | 'none' | UserScope> {
    if (isAdministrator(viewer)) return 'all';
    if (!isHelpdesk(viewer)) return 'none';
    const { entries } = await this.d.scopes.of(viewer.id!);
    if (entries.length === 0) return 'all';
    const groupIds = new Set<string>();
    for (const e of entries) {
      // A deleted group's entry stays and matches nobody: deleting a group never widens a scope.
      if (e.kind === 'group' && e.name !== null) for (const id of await this.d.groups.nestedGroupIds(e.groupId)) groupIds.add(id);
    }
    const ouKeys = entries.flatMap((e) => (e.kind === 'ou' ? [e.dn.toLowerCase()] : []));
    return { groupIds: [...groupIds], ouKeys };
  }

  async find(viewer: Viewer, key: string): Promise<User | null> {
    const user = await this.directory.find(viewer, key);
    if (!user) return null;
    const reach = await this.reach(viewer);
    if (reach === 'all') return user;
    if (reach === 'none') return null;
    return (await this.d.users.inScope(user.id, reach)) ? user : null;
  }

  refusal(viewer: Viewer, target: User): Promise<MessageKey | null> {
    if (isAdministrator(viewer)) return Promise.resolve(null);
    if (!isHelpdesk(viewer)) return Promise.resolve('support.refuse.notAllowed');
    if (target.id === viewer.id) return Promise.resolve('support.refuse.self');
    if (target.roles.some((r) => (PRIVILEGED as readonly string[]).includes(r))) return Promise.resolve('support.refuse.privileged');
    return Promise.resolve(null);
  }

  /** The users list and search as the viewer may see it (the page counts only users in scope). */
  async list(viewer: Viewer, options: { q?: string; page?: number; pageSize?: number }): Promise<UserPage> {
    const reach = await this.reach(viewer);
    if (reach === 'none') return { items: [], total: 0, page: Math.max(options.page ?? 1, 1), pageSize: options.pageSize ?? 25 };
    return this.d.users.list(reach === 'all' ? options : { ...options, scope: reach });
  }
}

/** What the scope form and the CLI send: group ids, and OUs one per line (or a list). */
export interface ScopeInput {
  groupIds: unknown;
  ous: unknown;
}

interface ServiceDeps {
  scopes: HelpdeskScopeStore;
  groups: Pick<GroupStore, 'byId'>;
  audit: AuditLog;
}

/** How a scope reads in the audit log: `group:Sales; ou:OU=Berlin,DC=corp,DC=example` (or `all users`). */
export function describeScope(scope: HelpdeskScope): string {
  if (scope.entries.length === 0) return 'all users';
  return scope.entries.map((e: ScopeEntry) => (e.kind === 'group' ? `group:${e.name ?? `(deleted ${e.groupId})`}` : `ou:${e.dn}`)).join('; ');
}

/** An administrator sets a helpdesk user's scope; validated (nothing changes on bad input) and audited with before and after. */
export class HelpdeskScopeService {
  constructor(private readonly d: ServiceDeps) {}

  of(userId: string): Promise<HelpdeskScope> {
    return this.d.scopes.of(userId);
  }

  async set(actor: Actor, target: User, input: ScopeInput): Promise<Outcome<HelpdeskScope>> {
    if (!target.roles.includes('password_administrator') || target.roles.includes('administrator')) return { ok: false, reason: 'refused', message: 'scope.refuse.notHelpdesk' };
    const errors: FieldErrors = {};
    const groupIds = Array.isArray(input.groupIds) ? input.groupIds : input.groupIds === undefined ? [] : [input.groupIds];
    const ouLines = (Array.isArray(input.ous) ? input.ous : typeof input.ous === 'string' ? input.ous.split(/\r?\n/) : input.ous === undefined ? [] : [input.ous])
      .map((l) => (typeof l === 'string' ? l.trim() : l))
      .filter((l) => l !== '');
    const groups: string[] = [];
    for (const id of groupIds) {
      const group = typeof id === 'string' && id.length <= 64 ? await this.d.groups.byId(id) : null;
      if (!group) errors['groups'] = 'scope.v.group';
      else groups.push(group.id);
    }
    const ous: string[] = [];
    for (const line of ouLines) {
      const dn = typeof line === 'string' ? parseDn(line) : null;
      if (dn === null) errors['ous'] = 'scope.v.ou';
      else ous.push(dn);
    }
    if (!errors['groups'] && !errors['ous'] && groups.length + ous.length > MAX_SCOPE_ENTRIES) errors['ous'] = 'scope.v.tooMany';
    if (Object.keys(errors).length > 0) return { ok: false, reason: 'invalid', errors };
    const before = await this.d.scopes.of(target.id);
    await this.d.scopes.replace(target.id, { groupIds: groups, ous });
    const after = await this.d.scopes.of(target.id);
    await this.d.audit.record({
      event: 'helpdesk_scope_changed',
      outcome: 'success',
      actor: { id: actor.id, name: actor.name },
      target: { id: target.id, name: target.username },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { before: describeScope(before), after: describeScope(after) },
    });
    return { ok: true, value: after };
  }
}
