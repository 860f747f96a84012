import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type DialectName, type TestPortal } from '../../test/helpers/test-portal.js';
import { createDelivery, type Delivery } from './delivery.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const A = '+4915112345678';
const B = '+4915187654321';

const limits = { perDestinationPerHour: 3, perDestinationPerDay: 5, globalPerHour: 10 };

async function portal(dialect: DialectName = 'sqlite', overrides: Partial<typeof limits> = {}): Promise<TestPortal & { advance(ms: number): void }> {
  const tp = await createTestPortal({ dialect, manualTime: true, config: { delivery: { limits: { ...limits, ...overrides } } } });
  return Object.assign(tp, { advance: (ms: number) => tp.clock.advance!(ms) });
}

/** A second portal instance on the same store: its own Delivery, same key and clock. */
function secondInstance(tp: TestPortal): Delivery {
  const p = tp.portal;
  return createDelivery({ config: p.config, store: tp.store, clock: tp.clock, cipher: p.cipher, lookupKey: p.keys.lookup, logger: p.logger });
}

const sms = (d: Delivery, to: string) => d.sms({ to, text: 'Your code is 12345678', kind: 'code' });

async function outboxCount(tp: TestPortal): Promise<number> {
  const r = await tp.store.db.selectFrom('outbox_messages').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('delivery limits (SMS pumping protection)', () => {
  let tp: TestPortal & { advance(ms: number): void };
  afterEach(() => tp?.cleanup());

  it('refuses more than the hourly limit per destination and sends nothing then; the next hour works again', async () => {
    tp = await portal();
    const d = tp.portal.delivery;
    for (let i = 0; i < 3; i++) expect(await sms(d, A)).toEqual({ ok: true, value: undefined });
    expect(await sms(d, A)).toEqual({ ok: false, reason: 'rate_limited', detail: 'limit reached: 3 messages per destination per hour' });
    expect(await outboxCount(tp)).toBe(3);
    const rows = await tp.store.db.selectFrom('delivery_log').select(['status', 'attempts']).orderBy('id').execute();
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'rate_limited']);
    expect(rows[3]!.attempts).toBe(0);
    expect(tp.logs()).toContain('message not sent: rate limited');

    tp.advance(HOUR);
    expect(await sms(d, A)).toEqual({ ok: true, value: undefined });
    expect(await outboxCount(tp)).toBe(4);
  });

  it('security notices never consume the code quota: notices and codes to one address have a budget each; the portal-wide limit counts both', async () => {
    tp = await portal('sqlite', { globalPerHour: 8 });
    const d = tp.portal.delivery;
    const notice = () => d.email({ to: 'ann@example.com', subject: 'Your password was reset', text: 'It was you?', html: '<p>It was you?</p>', kind: 'notify:password-reset' });
    const code = () => d.email({ to: 'ann@example.com', subject: 'Your code', text: 'Your code is 12345678', html: '<p>Your code is 12345678</p>', kind: 'code:reset' });
    // A busy first session: three notices use up the notices' budget of the hour…
    for (let i = 0; i < 3; i++) expect((await notice()).ok).toBe(true);
    expect(await notice()).toMatchObject({ ok: false, reason: 'rate_limited' });
    // …and the codes the user then waits for still go, up to their own budget.
    for (let i = 0; i < 3; i++) expect(await code()).toEqual({ ok: true, value: undefined });
    expect(await code()).toMatchObject({ ok: false, reason: 'rate_limited', detail: 'limit reached: 3 messages per destination per hour' });
    // SMS pumping protection stays: notices and codes together count towards the portal-wide limit (8).
    expect((await sms(d, A)).ok).toBe(true);
    expect((await sms(d, B)).ok).toBe(true);
    expect(await sms(d, B)).toMatchObject({ ok: false, reason: 'rate_limited', detail: 'limit reached: 8 messages per hour for the whole portal' });
  });

  it('is per destination: another number still works, and the same number written differently does not', async () => {
    tp = await portal();
    const d = tp.portal.delivery;
    for (let i = 0; i < 3; i++) expect((await sms(d, A)).ok).toBe(true);
    expect((await sms(d, '+49 (151) 1234-5678')).ok).toBe(false);
    expect(await sms(d, B)).toEqual({ ok: true, value: undefined });
    // SMS and voice calls to one number share its limit
    expect(await d.voice({ to: A, say: 'hello', kind: 'code' })).toMatchObject({ ok: false, reason: 'rate_limited' });
    // email addresses are destinations too; case does not make a new one
    for (let i = 0; i < 3; i++) expect((await d.email({ to: 'Alice@Example.com', subject: 's', text: 't', html: '<p>t</p>', kind: 'code' })).ok).toBe(true);
    expect(await d.email({ to: 'alice@example.com', subject: 's', text: 't', html: '<p>t</p>', kind: 'code' })).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  it('refuses more than the daily limit per destination, even when every hour is under its limit', async () => {
    tp = await portal();
    const d = tp.portal.delivery;
    for (let i = 0; i < 3; i++) expect((await sms(d, A)).ok).toBe(true);
    tp.advance(HOUR + MINUTE);
    for (let i = 0; i < 2; i++) expect((await sms(d, A)).ok).toBe(true);
    tp.advance(HOUR + MINUTE);
    expect(await sms(d, A)).toEqual({ ok: false, reason: 'rate_limited', detail: 'limit reached: 5 messages per destination per day' });
    expect(await sms(d, B)).toEqual({ ok: true, value: undefined });
    tp.advance(22 * HOUR);
    expect(await sms(d, A)).toEqual({ ok: true, value: undefined });
  });

  it('caps the whole portal per hour, across destinations and channels', async () => {
    tp = await portal();
    const d = tp.portal.delivery;
    const numbers = ['+4915100000001', '+4915100000002', '+4915100000003'];
    for (const n of numbers) for (let i = 0; i < 3; i++) expect((await sms(d, n)).ok).toBe(true);
    expect(await d.email({ to: 'x@example.com', subject: 's', text: 't', html: 't', kind: 'code' })).toEqual({ ok: true, value: undefined });
    expect(await sms(d, B)).toEqual({ ok: false, reason: 'rate_limited', detail: 'limit reached: 10 messages per hour for the whole portal' });
    expect(await outboxCount(tp)).toBe(10);
    tp.advance(HOUR);
    expect(await sms(d, B)).toEqual({ ok: true, value: undefined });
  });

  it('counts failed sends too (a provider may bill them), but not refused ones', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
      tp = Object.assign(
        await createTestPortal({ manualTime: true, config: { delivery: { phone: { provider: 'webhook', webhook: { url } }, retries: { attempts: 1, backoffMs: 0 }, limits: { ...limits, perDestinationPerHour: 2 } } } }),
        { advance: (ms: number) => tp.clock.advance!(ms) },
      );
      const d = tp.portal.delivery;
      const reasons: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await sms(d, A);
        reasons.push(r.ok ? 'sent' : r.reason);
      }
      expect(reasons).toEqual(['failed', 'failed', 'rate_limited', 'rate_limited', 'rate_limited']);
      tp.advance(HOUR);
      // refused attempts did not extend the block: the provider is tried again
      expect(await sms(d, A)).toMatchObject({ ok: false, reason: 'failed' });
    } finally {
      server.close();
    }
  });

  it('shares the counts through the store: two instances together stay within the limit', async () => {
    tp = await portal();
    const one = tp.portal.delivery;
    const two = secondInstance(tp);
    expect((await sms(one, A)).ok).toBe(true);
    expect((await sms(two, A)).ok).toBe(true);
    expect((await sms(one, A)).ok).toBe(true);
    expect(await sms(two, A)).toMatchObject({ ok: false, reason: 'rate_limited' });
    expect(await sms(one, A)).toMatchObject({ ok: false, reason: 'rate_limited' });
  });

  it('cannot be overrun by parallel requests: exactly the limit goes out', async () => {
    tp = await portal();
    const one = tp.portal.delivery;
    const two = secondInstance(tp);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sms(i % 2 ? one : two, A)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await outboxCount(tp)).toBe(3);
  });
});

describe('delivery limits on PostgreSQL', () => {
  let tp: TestPortal & { advance(ms: number): void };
  afterEach(() => tp?.cleanup());

  it('shares the counts between two instances on one PostgreSQL store, also for parallel requests', async () => {
    tp = await portal('postgres');
    const one = tp.portal.delivery;
    const two = secondInstance(tp);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sms(i % 2 ? one : two, A)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.reason === 'rate_limited')).toHaveLength(9);
    expect(await outboxCount(tp)).toBe(3);
    expect(await sms(one, B)).toEqual({ ok: true, value: undefined });
    tp.advance(HOUR);
    expect(await sms(two, A)).toEqual({ ok: true, value: undefined });
  });
});
