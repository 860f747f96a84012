import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { startServer } from '../server.js';

describe('operations endpoints', () => {
  let tp: TestPortal;
  afterEach(async () => {
    await tp.cleanup().catch(() => undefined);
  });

  it('/healthz answers while the process lives and /readyz reports the store', async () => {
    tp = await createTestPortal();
    const health = await tp.app.request('http://portal.test/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await tp.app.request('http://portal.test/readyz');
    expect(ready.status).toBe(200);
    await tp.store.close();
    const notReady = await tp.app.request('http://portal.test/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', store: 'unreachable' });
    expect((await tp.app.request('http://portal.test/healthz')).status).toBe(200);
  });

  it('the public listener answers 404 for /metrics by default, like any unknown address', async () => {
    tp = await createTestPortal();
    const r = await tp.app.request('http://portal.test/metrics');
    expect(r.status).toBe(404);
    expect(await r.text()).not.toContain('sspr_http_requests_total');
    const unknown = await tp.app.request('http://portal.test/no-such-page');
    expect(r.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
  });

  it('with a token, the public listener serves /metrics only to requests carrying it (401 without, 401 with a wrong one)', async () => {
    tp = await createTestPortal({ config: { metrics: { token: 'a-long-metrics-token-123' } } });
    const without = await tp.app.request('http://portal.test/metrics');
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect((await tp.app.request('http://portal.test/metrics', { headers: { authorization: 'Bearer a-long-metrics-token-124' } })).status).toBe(401);
    const ok = await tp.app.request('http://portal.test/metrics', { headers: { authorization: 'Bearer a-long-metrics-token-123' } });
    expect(ok.status).toBe(200);
  });

  it('the separate metrics listener serves /metrics (counting requests by route pattern, not raw path) while the public listener does not, and nothing else', async () => {
    tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, metrics: { listen: { host: '127.0.0.1', port: 0 } } } });
    const server = await startServer(tp.portal);
    try {
      expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.metricsUrl).not.toBe(server.url);
      await fetch(`${server.url}/sign-in`);
      await fetch(`${server.url}/admin/users/abc`, { redirect: 'manual' });
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
      const r = await fetch(`${server.metricsUrl}/metrics`);
      expect(r.status).toBe(200);
      const text = await r.text();
      expect(text).toContain('sspr_http_requests_total{method="GET",route="/sign-in",status="200"} 1');
      expect(text).toContain('route="/admin/users/:key"');
      expect(text).not.toContain('/admin/users/abc');
      expect(text).toContain('sspr_http_request_duration_seconds_bucket');
      expect(text).toContain('sspr_process_resident_memory_bytes');
      // Only /metrics: the portal's pages are not reachable through the metrics port.
      expect((await fetch(`${server.metricsUrl}/sign-in`)).status).toBe(404);
      expect((await fetch(`${server.metricsUrl}/healthz`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  it('the separate listener asks for the token too when one is set', async () => {
    tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, metrics: { token: 'a-long-metrics-token-123', listen: { host: '127.0.0.1', port: 0 } } } });
    const server = await startServer(tp.portal);
    try {
      expect((await fetch(`${server.metricsUrl}/metrics`)).status).toBe(401);
      expect((await fetch(`${server.metricsUrl}/metrics`, { headers: { authorization: 'Bearer a-long-metrics-token-123' } })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('with metrics switched off, neither listener serves them and no metrics listener is opened', async () => {
    tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, metrics: { enabled: false, token: 'a-long-metrics-token-123', listen: { host: '127.0.0.1', port: 0 } } } });
    const server = await startServer(tp.portal);
    try {
      expect(server.metricsUrl).toBeNull();
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer a-long-metrics-token-123' } })).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
