import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import type { LockoutPolicy } from '../../state/lockout.js';
import { ThrottleStore } from '../../state/throttle-store.js';
import { nameKey } from '../../directory/names.js';
import { contractFixture, HOUR, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  beforeEach(() => {
    ({ store, clock } = fx);
  });

  describe('throttle', () => {
    const policy: LockoutPolicy = { threshold: 3, baseMs: MINUTE, growth: 2, maxMs: HOUR, windowMs: HOUR };
    let throttle: ThrottleStore;
    beforeEach(() => {
      throttle = new ThrottleStore(store, clock);
    });

    it('counts every one of 20 parallel failures on one key', async () => {
      const lenient: LockoutPolicy = { ...policy, threshold: 1000 };
      const results = await Promise.all(Array.from({ length: 20 }, () => throttle.recordFailure('signin:user:alice', lenient)));
      expect((await throttle.get('signin:user:alice')).failures).toBe(20);
      // Each failure saw the one before it: the counts handed out are exactly 1..20.
      expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('locks the key when the threshold is reached, and for longer after the next lock', async () => {
      const start = clock.now();
      expect((await throttle.recordFailure('k', policy)).lockedUntil).toBe(0);
      expect((await throttle.recordFailure('k', policy)).lockedUntil).toBe(0);
      const locked = await throttle.recordFailure('k', policy);
      expect(locked).toEqual({ failures: 2, lockouts: 1, lockedUntil: start + MINUTE, windowStartedAt: start });
      expect(await throttle.get('k')).toEqual(locked);
      clock.advance(MINUTE);
      const again = await throttle.recordFailure('k', policy);
      expect(again.lockouts).toBe(2);
      expect(again.lockedUntil).toBe(clock.now() + 2 * MINUTE);
      expect((await throttle.get('other')).failures).toBe(0);
    });

    it('reset forgets the counter of one key only', async () => {
      await throttle.recordFailure('a', policy);
      await throttle.recordFailure('a', policy);
      await throttle.recordFailure('b', policy);
      await throttle.reset('a');
      expect(await throttle.get('a')).toEqual({ failures: 0, lockouts: 0, lockedUntil: 0, windowStartedAt: clock.now() });
      expect((await throttle.get('b')).failures).toBe(1);
    });

    it('prune forgets stale unlocked counters and keeps locked and recent ones', async () => {
      await throttle.recordFailure('stale', policy);
      await throttle.recordFailure('locked', { ...policy, threshold: 1, baseMs: 2 * HOUR, maxMs: 2 * HOUR });
      clock.advance(50 * MINUTE);
      await throttle.recordFailure('recent', policy);
      clock.advance(11 * MINUTE);
      expect(await throttle.prune(HOUR)).toBe(1);
      expect((await throttle.get('stale')).failures).toBe(0);
      expect((await throttle.get('locked')).lockedUntil).toBeGreaterThan(clock.now());
      expect((await throttle.get('recent')).failures).toBe(1);
    });

    it('counts failures for a key longer than the key column, separately from keys sharing its prefix', async () => {
      // A 256-character username can grow far beyond that under NFKC (U+FDFA becomes 18 characters).
      const longKey = `signin:user:${nameKey('\ufdfa'.repeat(256))}`;
      expect(longKey.length).toBeGreaterThan(300);
      const sibling = `${longKey}x`;
      await throttle.recordFailure(longKey, policy);
      await throttle.recordFailure(longKey, policy);
      await throttle.recordFailure(sibling, policy);
      expect((await throttle.get(longKey)).failures).toBe(2);
      expect((await throttle.get(sibling)).failures).toBe(1);
      await throttle.reset(longKey);
      expect((await throttle.get(longKey)).failures).toBe(0);
      expect((await throttle.get(sibling)).failures).toBe(1);
    });
  });
});
