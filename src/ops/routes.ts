import { Hono, type Context } from 'hono';
import { safeEqual } from '../shared/crypto.js';
import type { Metrics } from './metrics.js';

export interface OpsRouteDeps {
  ping(): Promise<void>;
  metrics: Metrics;
  /** `config.metrics`: whether /metrics answers, the bearer token it asks for, and its own listener. */
  settings: MetricsSettings;
}

export interface MetricsSettings {
  enabled: boolean;
  token?: string | undefined;
  listen?: { host: string; port: number } | undefined;
}

/** /healthz: the process answers. /readyz: it can reach the store. /metrics: Prometheus text, here only with a token. */
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
  // The public listener: only behind a token. Without one, /metrics lives on its own listener (or
  // nowhere) and is not even a route here: it answers like any unknown address.
  if (deps.settings.enabled && deps.settings.token) app.get('/metrics', (c) => serveMetrics(c, deps));
  return app;
}

/** The separate metrics listener (`metrics.listen`): /metrics and nothing else; the token too when one is set. */
export function metricsListenerRoutes(deps: Pick<OpsRouteDeps, 'metrics' | 'settings'>): Hono {
  const app = new Hono();
  app.get('/metrics', (c) => (deps.settings.enabled ? serveMetrics(c, deps) : c.notFound()));
  return app;
}

async function serveMetrics(c: Context, { metrics, settings }: Pick<OpsRouteDeps, 'metrics' | 'settings'>): Promise<Response> {
  if (settings.token) {
    const auth = c.req.header('authorization') ?? '';
    if (!safeEqual(auth, `Bearer ${settings.token}`)) return c.text('Unauthorized', 401, { 'WWW-Authenticate': 'Bearer' });
  }
  return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
}
