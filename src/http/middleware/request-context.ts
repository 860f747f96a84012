import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Portal } from '../../app/portal.js';
import { translator } from '../../i18n/index.js';
import { hmac, randomToken } from '../../shared/crypto.js';
import { cookieNames, type AppEnv } from '../context.js';
import { clientIp } from './client-ip.js';

export function csrfTokenFor(key: Buffer, browserId: string): string {
  return hmac(key, `csrf:${browserId}`);
}

/** Who is asking: address, browser id, session and user, and the CSRF token for forms. */
export function requestContext(portal: Portal): MiddlewareHandler<AppEnv> {
  const names = cookieNames(portal.config.publicUrl);
  const t = translator('en');
  return async (c, next) => {
    c.set('portal', portal);
    // Loaded once per request (cached for a second): pages read portal.policy.snapshot() while rendering.
    await portal.policy.current();
    c.set('t', t);
    c.set('ip', clientIp(c, portal.config.trustedProxies));
    c.set('userAgent', (c.req.header('user-agent') ?? '').slice(0, 512));

    let browserId = getCookie(c, names.browser);
    if (!browserId || !/^[A-Za-z0-9_-]{32,64}$/.test(browserId)) {
      browserId = randomToken();
      setBrowserCookie(c, names, browserId);
    }
    c.set('browserId', browserId);
    c.set('csrfToken', csrfTokenFor(portal.keys.csrf, browserId));

    c.set('session', null);
    c.set('user', null);
    const token = getCookie(c, names.session);
    if (token) {
      const session = await portal.sessions.validate(token);
      const user = session ? await portal.users.byId(session.userId) : null;
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
