import type { MiddlewareHandler } from 'hono';
import type { Actor } from '../directory/directory-service.js';
import { clientIp } from '../http/middleware/client-ip.js';
import { apiError, t } from './errors.js';
import type { ApiToken, ApiTokenService } from './tokens.js';

export interface ApiEnv {
  Variables: {
    /** The token the request authenticated with. */
    token: ApiToken;
    /** Who API writes are recorded as: `api:<token name>`, from the request's address. */
    actor: Actor;
  };
}

const REALM = 'Bearer realm="OpenSSPR API"';

/**
 * Bearer-token authentication, and nothing else: cookies are never looked at, so a page in an
 * administrator's browser cannot make API calls on their behalf (no CSRF surface). Missing,
 * unknown, expired and revoked tokens all get 401 with `WWW-Authenticate` (RFC 6750).
 */
export function bearerAuth(tokens: Pick<ApiTokenService, 'authenticate'>, trustedProxies: readonly string[]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined || header.trim() === '') return apiError(c, 'unauthorized', t('api.error.unauthorized'), undefined, { 'WWW-Authenticate': REALM });
    const m = /^Bearer +(\S{1,512}) *$/i.exec(header);
    const token = m ? await tokens.authenticate(m[1]!) : null;
    if (!token) return apiError(c, 'unauthorized', t('api.error.invalidToken'), undefined, { 'WWW-Authenticate': `${REALM}, error="invalid_token"` });
    c.set('token', token);
    c.set('actor', { id: null, name: `api:${token.name}`, ip: clientIp(c, trustedProxies), userAgent: (c.req.header('user-agent') ?? '').slice(0, 512) });
    await next();
  };
}

/** Writes need a write token; a read token gets 403 before the body is even read. */
export const requireWrite: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.get('token').scope !== 'write') return apiError(c, 'forbidden', t('api.error.forbidden'), undefined, { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="write"` });
  await next();
};
