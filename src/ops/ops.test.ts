import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';

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

  it('/metrics counts requests by route pattern, not by raw path', async () => {
    tp = await createTestPortal();
    await tp.app.request('http://portal.test/sign-in');
    await tp.app.request('http://portal.test/admin/users/abc');
    const text = await (await tp.app.request('http://portal.test/metrics')).text();
    expect(text).toContain('sspr_http_requests_total{method="GET",route="/sign-in",status="200"} 1');
    expect(text).toContain('route="/admin/users/:id"');
    expect(text).not.toContain('/admin/users/abc');
    expect(text).toContain('sspr_http_request_duration_seconds_bucket');
    expect(text).toContain('sspr_process_resident_memory_bytes');
  });

  it('/metrics requires the bearer token when one is configured', async () => {
    tp = await createTestPortal({ config: { metrics: { token: 'a-long-metrics-token-123' } } });
    expect((await tp.app.request('http://portal.test/metrics')).status).toBe(401);
    const ok = await tp.app.request('http://portal.test/metrics', { headers: { authorization: 'Bearer a-long-metrics-token-123' } });
    expect(ok.status).toBe(200);
  });
});
