import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Role } from '../directory/names.js';
import type { AppEnv } from './context.js';
import { ForbiddenPage } from './errors.js';
import { consoleAllows, consoleRoleOf } from './console-access.js';

/** Pages for signed-in users: anonymous visitors go to sign-in and come back afterwards. */
export const requireUser: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('user')) return next();
  const hadSession = getCookie(c, c.get('cookies').session) !== undefined;
  const url = new URL(c.req.url);
  const params = new URLSearchParams({ next: url.pathname + url.search });
  if (hadSession) params.set('m', 'sessionExpired');
  return c.redirect(`/sign-in?${params.toString()}`, 303);
};

export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) return requireUser(c, next);
    if (!user.roles.includes(role)) return c.html(<ForbiddenPage c={c} />, 403);
    return next();
  };
}

/** The console (/admin and everything under it): administrators everywhere, the helpdesk only where console-access.ts allows; otherwise 403. */
export const requireConsoleAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = c.get('user');
  if (!user) return requireUser(c, next);
  const role = consoleRoleOf(user);
  if (!role || !consoleAllows(role, c.req.method, c.req.path)) return c.html(<ForbiddenPage c={c} />, 403);
  return next();
};
