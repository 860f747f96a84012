import type { MiddlewareHandler } from 'hono';
import { safeEqual } from '../../shared/crypto.js';
import type { AppEnv } from '../context.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every state-changing request must come from our own pages: the Origin (when the browser sends
 * one) must be the configured public URL's, and the form must carry the token derived from this
 * browser's id. `onFail` renders the refusal; nothing runs before it.
 */
export function csrfProtection(publicUrl: string, onFail: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => Response | Promise<Response>): MiddlewareHandler<AppEnv> {
  const expectedOrigin = new URL(publicUrl).origin;
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== expectedOrigin && origin !== 'null') return onFail(c);
    if (c.req.header('sec-fetch-site') === 'cross-site') return onFail(c);
    let sent = c.req.header('x-csrf-token');
    const type = c.req.header('content-type') ?? '';
    if (!sent && (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))) {
      const body = await c.req.parseBody();
      sent = typeof body['_csrf'] === 'string' ? body['_csrf'] : undefined;
    }
    if (!sent || !safeEqual(sent, c.get('csrfToken'))) return onFail(c);
    return next();
  };
}
