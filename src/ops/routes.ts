import { Hono } from 'hono';
import { safeEqual } from '../shared/crypto.js';
import type { Portal } from '../app/portal.js';

/** /healthz: the process answers. /readyz: it can reach the store. /metrics: Prometheus text. */
export function opsRoutes(portal: Portal): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await portal.store.ping();
      return c.json({ status: 'ready', store: 'ok' });
    } catch {
      return c.json({ status: 'not ready', store: 'unreachable' }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    const { metrics, config } = portal;
    if (!config.metrics.enabled) return c.notFound();
    if (config.metrics.token) {
      const auth = c.req.header('authorization') ?? '';
      if (!safeEqual(auth, `Bearer ${config.metrics.token}`)) return c.text('Unauthorized', 401, { 'WWW-Authenticate': 'Bearer' });
    }
    return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });
  return app;
}
