import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPortal } from '../app/portal.js';
import { configSchema } from '../config/schema.js';
import { createLogger } from '../logging/logger.js';
import { manualClock } from '../shared/clock.js';
import { ok } from '../shared/result.js';
import type { ReportedPolicy } from '../agent-protocol/index.js';
import type { User } from '../directory/users.js';
import type { Writeback } from '../writeback/writeback.js';
import { createTestStore, logCapture } from '../../test/helpers/test-portal.js';
import { AD_POLICY_TTL_MS, AdPolicyCache } from './ad-policy-cache.js';

const POLICY: ReportedPolicy = { minLength: 12, complexity: true, historyLength: 24, minAgeMs: 0, maxAgeMs: null, lockoutThreshold: 0, lockoutDurationMs: null };
const hybrid = (anchor: string | null) => ({ id: `u-${anchor}`, username: 'carol', source: 'onprem', anchor }) as User;

/** A reader that counts its calls and answers what it is told. */
function agentReads(answer: () => Promise<ReportedPolicy | null>) {
  const asked: string[] = [];
  return { asked, read: (user: User) => (asked.push(user.anchor ?? '-'), answer()) };
}

describe('the effective AD policy, read once per flow', () => {
  it('a second look-up within the TTL does not reach the agent; after the TTL it does', async () => {
    const clock = manualClock();
    const agent = agentReads(() => Promise.resolve(POLICY));
    const cache = new AdPolicyCache(agent.read, clock);
    expect(await cache.policyFor(hybrid('guid-1'))).toEqual(POLICY);
    clock.advance(AD_POLICY_TTL_MS - 1);
    expect(await cache.policyFor(hybrid('guid-1'))).toEqual(POLICY);
    expect(agent.asked).toEqual(['guid-1']);
    clock.advance(1);
    expect(await cache.policyFor(hybrid('guid-1'))).toEqual(POLICY);
    expect(agent.asked).toEqual(['guid-1', 'guid-1']);
  });

  it('keeps each user apart, shares one read between look-ups at once, and never keeps "no policy" or a failed read', async () => {
    const clock = manualClock();
    let answer: () => Promise<ReportedPolicy | null> = () => Promise.resolve(POLICY);
    const agent = agentReads(() => answer());
    const cache = new AdPolicyCache(agent.read, clock);
    await Promise.all([cache.policyFor(hybrid('guid-1')), cache.policyFor(hybrid('guid-1')), cache.policyFor(hybrid('guid-2'))]);
    expect(agent.asked).toEqual(['guid-1', 'guid-2']);

    answer = () => Promise.resolve(null);
    expect(await cache.policyFor(hybrid('guid-3'))).toBeNull();
    answer = () => Promise.reject(new Error('agent gone'));
    await expect(cache.policyFor(hybrid('guid-4'))).rejects.toThrow('agent gone');
    answer = () => Promise.resolve(POLICY);
    expect(await cache.policyFor(hybrid('guid-3'))).toEqual(POLICY);
    expect(await cache.policyFor(hybrid('guid-4'))).toEqual(POLICY);
    // A user without an anchor has no policy of its own to keep: asked each time.
    await cache.policyFor(hybrid(null));
    await cache.policyFor(hybrid(null));
    expect(agent.asked).toEqual(['guid-1', 'guid-2', 'guid-3', 'guid-4', 'guid-3', 'guid-4', '-', '-']);
  });

  describe('in the portal', () => {
    let cleanup: (() => Promise<void>) | null = null;
    afterEach(async () => {
      await cleanup?.();
      cleanup = null;
    });

    it('the change page and its submit ask the agent once', async () => {
      const test = await createTestStore('sqlite');
      cleanup = test.cleanup;
      const asked: string[] = [];
      const writeback: Writeback = {
        reset: () => Promise.resolve(ok({})),
        change: () => Promise.resolve(ok({})),
        unlock: () => Promise.resolve(ok({})),
        mustChange: () => Promise.resolve(ok({})),
        bind: () => Promise.resolve(ok({})),
        policyFor: (user) => (asked.push(user.anchor ?? '-'), Promise.resolve(POLICY)),
        accountState: () => Promise.resolve({ ok: false, reason: 'no_agent' }),
      };
      const config = configSchema.parse({ publicUrl: 'http://portal.test', passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 } });
      const clock = manualClock(Date.now());
      const portal = buildPortal({ config, store: test.store, logger: createLogger('debug', logCapture().stream), clock, masterKey: randomBytes(32), writeback });
      await portal.policy.refresh();
      const carol = await portal.users.create({ username: 'carol', displayName: 'Carol Wong', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'guid-carol' });

      expect(await portal.changePassword.form(carol)).toMatchObject({ adPolicy: POLICY });
      const session = { idHash: 'h', ip: '127.0.0.1', userAgent: 'test' };
      // Refused by the policy the page showed (12 characters), without asking again.
      expect(await portal.changePassword.change(carol, { current: 'Old password 1', password: 'Tuba#Nine7', confirm: 'Tuba#Nine7' }, session)).toMatchObject({ ok: false });
      expect(await portal.changePassword.change(carol, { current: 'Old password 1', password: 'Violet tractor marmalade 7', confirm: 'Violet tractor marmalade 7' }, session)).toMatchObject({ ok: true });
      expect(asked).toEqual(['guid-carol']);
      clock.advance(AD_POLICY_TTL_MS);
      await portal.changePassword.form(carol);
      expect(asked).toEqual(['guid-carol', 'guid-carol']);
    });
  });
});
