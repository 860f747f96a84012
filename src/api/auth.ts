import type { MiddlewareHandler } from 'hono';
import type { Actor } from '../directory/directory-service.js';
import { clientIp } from '../http/middleware/client-ip.js';
import { apiError, t } from './errors.js';
import { apiAreas, tokenAllows, type ApiArea, type ApiScope, type ApiToken, type ApiTokenService } from './tokens.js';

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

/** The area of the API a path is in (its first segment; the password test is the policy's, the brand the settings'); null: none (a 404 follows). */
export function areaOf(path: string): ApiArea | null {
  const first = /^\/api\/v1\/([a-z-]+)/.exec(path)?.[1];
  if (first === 'passwords') return 'policy';
  if (first === 'brand') return 'settings';
  return first && (apiAreas as readonly string[]).includes(first) ? (first as ApiArea) : null;
}

/** Reads are GET (and the password test, which changes nothing); everything else writes. */
export function levelOf(method: string, path: string): ApiScope {
  return method === 'GET' || method === 'HEAD' || (method === 'POST' && /^\/api\/v1\/passwords\/check\/?$/.test(path)) ? 'read' : 'write';
}

/**
 * A token limited to some areas (`settings:write`) reaches only those: anything else answers 403
 * naming the scope it would need, before the body is read.
 */
export const requireArea: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const area = areaOf(c.req.path);
  const level = levelOf(c.req.method, c.req.path);
  const token = c.get('token');
  // A token on every area is requireWrite's to refuse (its words name the write scope); here: the level held on this area.
  if (area && token.areas !== null && !tokenAllows(token, area, level)) {
    const scope = `${area}:${level}`;
    return apiError(c, 'forbidden', t('api.error.forbiddenArea', { scope }), undefined, { 'WWW-Authenticate': `${REALM}, error="insufficient_scope", scope="${scope}"` });
  }
  await next();
};
