import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../../logging/logger.js';
import type { Metrics } from '../../ops/metrics.js';

/** Request metrics by matched route pattern (never the raw path: ids would explode the label set) and one access-log line. */
export function observe(metrics: Metrics, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const seconds = (performance.now() - start) / 1000;
    // Middleware is registered as method ALL; the handler that answered is the last other match.
    const route = matchedRoutes(c).filter((r) => r.method !== 'ALL').at(-1)?.path ?? 'unmatched';
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    if (route !== '/healthz' && route !== '/readyz' && route !== '/metrics') {
      // The path only, never the query string: setup links carry their token there. A token in
      // the path (the helpdesk's reset links, /reset/link/:token) is logged as its route pattern.
      logger.info({ method: c.req.method, path: route.includes(':token') ? route : c.req.path, route, status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  };
}
