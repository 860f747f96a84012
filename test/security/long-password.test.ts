import { describe, expect, it, vi } from 'vitest';
import type * as bannedModule from '../../src/passwords/banned.js';

/**
 * A password longer than the maximum (256) is refused by its length before anything expensive
 * looks at it (shared/design/security.md, Input: "a 1 MB password must be rejected in
 * milliseconds"). Asserted on what ran, not on time: the banned-list scoring (wrapped here), the
 * strength estimate (the portal's worker pool), the history and argon2 are each watched.
 */
const scored = vi.hoisted(() => ({ calls: 0 }));
vi.mock('../../src/passwords/banned.js', async (importOriginal) => {
  const real = await importOriginal<typeof bannedModule>();
  return {
    ...real,
    scoreBanned: (...args: Parameters<typeof real.scoreBanned>) => {
      scored.calls++;
      return real.scoreBanned(...args);
    },
  };
});

const { checkPassword } = await import('../../src/passwords/check.js');
const { PasswordHistory } = await import('../../src/passwords/history.js');
const { TestClient } = await import('../helpers/http-client.js');
const { NEW_PASSWORD, PASSWORD, flowOf, passEmail, registered, resetPortals, signInWorks, startReset } = await import('../helpers/reset-flow.js');

const portal = resetPortals();
const MB = 'a'.repeat(1024 * 1024);

describe('an over-long password is refused before any expensive check', () => {
  it('checkPassword refuses a 1 MB password as too long without scoring it, estimating it or asking the history', async () => {
    const estimator = { estimate: vi.fn(async () => ({ estimate: { score: 4 as const, warning: null, warningKey: null, suggestions: [] }, common: false })) };
    const history = { isReused: vi.fn(async () => false) };
    const ctx = { minLength: 8, maxLength: 256, estimator, history };
    // The watchers see a normal password…
    scored.calls = 0;
    expect((await checkPassword('Quiet-Lantern-Harbour-8', ctx)).ok).toBe(true);
    expect([scored.calls, estimator.estimate.mock.calls.length, history.isReused.mock.calls.length]).toEqual([1, 1, 1]);
    // …and nothing of a 1 MB one, nor of one just over the limit.
    for (const long of [MB, 'b'.repeat(257), '🦊'.repeat(257)]) {
      scored.calls = 0;
      estimator.estimate.mockClear();
      history.isReused.mockClear();
      const v = await checkPassword(long, ctx);
      expect(v.reasons).toEqual([{ key: 'v.password.tooLong', values: { max: 256 } }]);
      expect([scored.calls, estimator.estimate.mock.calls.length, history.isReused.mock.calls.length]).toEqual([0, 0, 0]);
    }
  });

  it('at the new-password step of a reset, a 30,000-character password (password and confirmation within the 64 KiB form limit) is refused as too long and a 1 MB one before its body is read; neither is scored, estimated, compared with the history or hashed, and the password stays', async () => {
    const t = await portal();
    const { email } = await registered(t.portal, 'lena');
    const c = new TestClient(t.app);
    const flow = flowOf(await startReset(c, 'lena'));
    expect((await passEmail(t, c, flow, email)).status).toBe(303);
    const estimate = vi.spyOn(t.portal.strength, 'estimate');
    const hash = vi.spyOn(t.portal.hasher, 'hash');
    const verify = vi.spyOn(t.portal.hasher, 'verify');
    const reused = vi.spyOn(PasswordHistory.prototype, 'isReused');
    const watched = () => [scored.calls, estimate.mock.calls.length, reused.mock.calls.length, hash.mock.calls.length, verify.mock.calls.length];
    const clear = () => {
      scored.calls = 0;
      for (const s of [estimate, hash, verify, reused]) s.mockClear();
    };
    try {
      // A weak password of normal length goes through the checks (so the watchers work).
      clear();
      const weak = await c.post('/reset/password', { flow, password: 'password', confirm: 'password' });
      expect(weak.status).toBe(400);
      expect(scored.calls).toBeGreaterThan(0);

      clear();
      const long = 'Long-'.repeat(6_000);
      const tooLong = await c.post('/reset/password', { flow, password: long, confirm: long });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body).toContain('256');
      expect(watched()).toEqual([0, 0, 0, 0, 0]);

      clear();
      const huge = await c.post('/reset/password', { flow, password: MB, confirm: MB });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatch(/too large|too big/i);
      expect(watched()).toEqual([0, 0, 0, 0, 0]);
    } finally {
      reused.mockRestore();
    }
    expect(await signInWorks(t, 'lena', PASSWORD)).toBe(true);
    // The flow is still usable for a proper password.
    expect((await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    expect(await signInWorks(t, 'lena', NEW_PASSWORD)).toBe(true);
  });
});
