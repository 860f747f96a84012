import type { User } from '../directory/users.js';

/**
 * Who reaches what in the console (/admin and everything under it), in one place: the role
 * guard of src/admin/routes.tsx asks it for every request and the console's navigation asks it
 * which sections to show. Administrators reach everything. The helpdesk (role
 * `password_administrator`, without `administrator`) reaches only what this allow-list names;
 * every other page and action answers 403. A user with both roles is an administrator.
 */
export type ConsoleRole = 'administrator' | 'helpdesk';

export function consoleRoleOf(user: Pick<User, 'roles'> | null): ConsoleRole | null {
  if (!user) return null;
  if (user.roles.includes('administrator')) return 'administrator';
  if (user.roles.includes('password_administrator')) return 'helpdesk';
  return null;
}

interface Allowed {
  /** GET also answers HEAD (Hono runs the GET handler for it). */
  methods: ReadonlyArray<'GET' | 'POST'>;
  path: RegExp;
  what: string;
}

/** A user's key in a path: a username or an id, one path segment; `new` is the create form, never a user. */
const KEY = '(?!new(?:/|$))[^/]+';

/**
 * The helpdesk's allow-list, matched against the path the router routes on (`c.req.path`,
 * percent-decoded as the router decodes it). Anything not named here is administrators only:
 * policy, settings, agents, tokens, sync, reports, delivery and outbox, groups, the audit log,
 * creating users, enabling and disabling, roles, setting a password, the helpdesk scope.
 */
export const helpdeskAllowList: readonly Allowed[] = [
  { methods: ['GET'], path: /^\/admin$/, what: 'the overview (a "find a user" page for the helpdesk)' },
  { methods: ['GET'], path: /^\/admin\/users$/, what: 'the users list and search (only users in the helpdesk user\'s scope)' },
  { methods: ['GET'], path: new RegExp(`^/admin/users/${KEY}$`), what: 'a user\'s support page' },
  { methods: ['GET', 'POST'], path: new RegExp(`^/admin/users/${KEY}/support(?:/[^/]+)*$`), what: 'the support actions (unblock, clear a lockout, remove a method, reset link, …)' },
  { methods: ['GET', 'POST'], path: new RegExp(`^/admin/users/${KEY}/verification(?:/[^/]+)*$`), what: 'caller verification' },
];

/** Whether a console user in this role may send this request. Unknown methods (PUT, DELETE, …) are administrators only. */
export function consoleAllows(role: ConsoleRole, method: string, path: string): boolean {
  if (role === 'administrator') return true;
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  return helpdeskAllowList.some((a) => (a.methods as readonly string[]).includes(m) && a.path.test(path));
}
