import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Session } from '../../state/sessions.js';
import type { User } from '../../directory/users.js';
import { translator } from '../../i18n/index.js';
import { hmac, randomToken } from '../../shared/crypto.js';
import { cookieNames, type AppEnv, type PageFrame } from '../context.js';
import { clientIp } from './client-ip.js';

export function csrfTokenFor(key: Buffer, browserId: string): string {
  return hmac(key, `csrf:${browserId}`);
}

export interface RequestContextDeps {
  publicUrl: string;
  trustedProxies: readonly string[];
  csrfKey: Buffer;
  sessions: { validate(token: string): Promise<Session | null> };
  users: { byId(id: string): Promise<User | null> };
  /** The page frame for this request (loads the policy once per request: pages render from it). */
  frame(): Promise<PageFrame>;
}

/** Who is asking: address, browser id, session and user, and the CSRF token for forms. */
export function requestContext(deps: RequestContextDeps): MiddlewareHandler<AppEnv> {
  const names = cookieNames(deps.publicUrl);
  const t = translator('en');
  return async (c, next) => {
    c.set('frame', await deps.frame());
    c.set('cookies', names);
    c.set('t', t);
    c.set('ip', clientIp(c, deps.trustedProxies));
    c.set('userAgent', (c.req.header('user-agent') ?? '').slice(0, 512));

    let browserId = getCookie(c, names.browser);
    if (!browserId || !/^[A-Za-z0-9_-]{32,64}$/.test(browserId)) {
      browserId = randomToken();
      setBrowserCookie(c, names, browserId);
    }
    c.set('browserId', browserId);
    c.set('csrfToken', csrfTokenFor(deps.csrfKey, browserId));

    c.set('session', null);
    c.set('user', null);
    const token = getCookie(c, names.session);
    if (token) {
      const session = await deps.sessions.validate(token);
      const user = session ? await deps.users.byId(session.userId) : null;
      if (session && user?.enabled) {
        c.set('session', session);
        c.set('user', user);
      }
    }
    await next();
  };
}

export function setBrowserCookie(c: Parameters<MiddlewareHandler>[0], names: ReturnType<typeof cookieNames>, value: string): void {
  setCookie(c, names.browser, value, { path: '/', httpOnly: true, secure: names.secure, sameSite: 'Lax' });
}
