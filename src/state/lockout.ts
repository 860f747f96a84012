/**
 * Smart lockout as a pure function over a counter, so the arithmetic is tested without a
 * store. The same counter and the same answers apply whether or not the account exists,
 * which is what keeps lockout from revealing who has an account.
 */
export interface LockoutPolicy {
  threshold: number;
  baseMs: number;
  growth: number;
  maxMs: number;
  /** Failures older than this (with no lock in force) are forgotten. */
  windowMs: number;
}

export interface CounterState {
  failures: number;
  lockouts: number;
  lockedUntil: number;
  windowStartedAt: number;
}

export const emptyCounter = (now: number): CounterState => ({ failures: 0, lockouts: 0, lockedUntil: 0, windowStartedAt: now });

/** Milliseconds until the lock lifts; 0 when not locked. */
export function lockRemaining(state: CounterState, now: number): number {
  return Math.max(0, state.lockedUntil - now);
}

export function afterFailure(state: CounterState, now: number, policy: LockoutPolicy): CounterState {
  let s = state;
  if (lockRemaining(s, now) === 0 && now - s.windowStartedAt > policy.windowMs) s = emptyCounter(now);
  const failures = s.failures + 1;
  if (failures < policy.threshold) return { ...s, failures };
  const lockouts = s.lockouts + 1;
  const duration = Math.min(policy.baseMs * policy.growth ** (lockouts - 1), policy.maxMs);
  // Keep the count one short of the threshold: after the lock lifts, the next failure locks
  // again, for longer ("growing"), instead of granting another full set of guesses.
  return { failures: policy.threshold - 1, lockouts, lockedUntil: now + duration, windowStartedAt: s.windowStartedAt };
}
