import { Hono } from 'hono';
import { safeEqual } from '../shared/crypto.js';
import type { Metrics } from './metrics.js';

export interface OpsRouteDeps {
  ping(): Promise<void>;
  metrics: Metrics;
  /** `config.metrics`: whether /metrics answers, and the bearer token it asks for. */
  settings: { enabled: boolean; token?: string | undefined };
}

/** /healthz: the process answers. /readyz: it can reach the store. /metrics: Prometheus text. */
export function opsRoutes(deps: OpsRouteDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await deps.ping();
      return c.json({ status: 'ready', store: 'ok' });
    } catch {
      return c.json({ status: 'not ready', store: 'unreachable' }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    const { metrics, settings } = deps;
    if (!settings.enabled) return c.notFound();
    if (settings.token) {
      const auth = c.req.header('authorization') ?? '';
      if (!safeEqual(auth, `Bearer ${settings.token}`)) return c.text('Unauthorized', 401, { 'WWW-Authenticate': 'Bearer' });
    }
    return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });
  return app;
}
