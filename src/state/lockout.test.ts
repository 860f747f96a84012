import { describe, expect, it } from 'vitest';
import { afterFailure, emptyCounter, lockRemaining, type LockoutPolicy } from './lockout.js';
import { afterPassword, transition } from '../auth/sign-in-flow.js';

const policy: LockoutPolicy = { threshold: 10, baseMs: 60_000, growth: 2, maxMs: 3_600_000, windowMs: 24 * 3_600_000 };

describe('smart lockout arithmetic', () => {
  it('locks on the 10th failure for one minute', () => {
    let s = emptyCounter(0);
    for (let i = 0; i < 9; i++) s = afterFailure(s, 1000, policy);
    expect(lockRemaining(s, 1000)).toBe(0);
    s = afterFailure(s, 1000, policy);
    expect(lockRemaining(s, 1000)).toBe(60_000);
  });

  it('doubles each further lock up to the maximum', () => {
    let s = emptyCounter(0);
    let now = 0;
    for (let i = 0; i < 10; i++) s = afterFailure(s, now, policy);
    const durations: number[] = [];
    for (let i = 0; i < 9; i++) {
      now = s.lockedUntil + 1;
      s = afterFailure(s, now, policy);
      durations.push(lockRemaining(s, now));
    }
    expect(durations).toEqual([120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it('forgets failures older than the window', () => {
    let s = emptyCounter(0);
    for (let i = 0; i < 9; i++) s = afterFailure(s, 0, policy);
    s = afterFailure(s, policy.windowMs + 1, policy);
    expect(s.failures).toBe(1);
    expect(lockRemaining(s, policy.windowMs + 1)).toBe(0);
  });
});

describe('sign-in flow state machine', () => {
  it('completes at once when no second factor applies', () => {
    expect(afterPassword([], '/x').state).toBe('completed');
  });

  it('waits for a second factor and accepts only the chosen, allowed method', () => {
    const start = afterPassword(['m1', 'm2'], '/x');
    expect(start.state).toBe('awaiting_second_factor');
    expect(transition(start.state, start.data, { type: 'method_chosen', methodId: 'other' })).toEqual({ ok: false, reason: 'method_not_allowed' });
    expect(transition(start.state, start.data, { type: 'second_factor_passed', methodId: 'm1', kind: 'totp' })).toEqual({ ok: false, reason: 'method_not_allowed' });
    const chosen = transition(start.state, start.data, { type: 'method_chosen', methodId: 'm1' });
    expect(chosen).toMatchObject({ ok: true, value: { state: 'awaiting_second_factor' } });
    if (!chosen.ok) return;
    expect(transition(chosen.value.state, chosen.value.data, { type: 'second_factor_passed', methodId: 'm2', kind: 'sms' })).toEqual({ ok: false, reason: 'method_not_allowed' });
    const done = transition(chosen.value.state, chosen.value.data, { type: 'second_factor_passed', methodId: 'm1', kind: 'totp' });
    expect(done).toMatchObject({ ok: true, value: { state: 'completed' } });
    if (done.ok) expect(done.value.data.amr).toEqual(['password', 'totp']);
  });

  it('refuses every event once finished (no replay)', () => {
    const start = afterPassword(['m1'], '/x');
    for (const state of ['completed', 'failed'] as const) {
      expect(transition(state, { ...start.data, chosen: 'm1' }, { type: 'second_factor_passed', methodId: 'm1', kind: 'totp' })).toEqual({ ok: false, reason: 'finished' });
    }
  });
});
