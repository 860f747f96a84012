import { emptyCounter, lockRemaining, type CounterState, type LockoutPolicy } from '../../state/lockout.js';
import type { ThrottleStore } from '../../state/throttle-store.js';
import type { Clock } from '../../shared/clock.js';

export interface BlockStateDeps {
  throttle: Pick<ThrottleStore, 'get'>;
  clock: Clock;
  verifyFailures: LockoutPolicy;
}

/** What the reset pages tell about the wrong-answer block: until when it holds, or how many tries are left before it. */
export interface BlockState {
  /** The block holds until then; null when not blocked. */
  until: number | null;
  /** Wrong answers left before the block. */
  attemptsLeft: number;
  /** How long the next block would last. */
  blockMs: number;
}

/** The counter as the next failure will find it (a window with no lock in force is forgotten, as lockout.ts's afterFailure does). */
function current(s: CounterState, now: number, policy: LockoutPolicy): CounterState {
  return lockRemaining(s, now) === 0 && now - s.windowStartedAt > policy.windowMs ? emptyCounter(now) : s;
}

/**
 * The block state over the counters a flow answers to: the user's own (verifyFailures) and the
 * typed name's decoy counter for this browser, or the decoy counter alone for a name that matches
 * nobody. Both counters have the same numbers, so a stranger's decoy is warned and blocked at the
 * same count, for the same time, as a real user.
 */
export async function blockState(d: BlockStateDeps, keys: readonly string[]): Promise<BlockState> {
  const now = d.clock.now();
  const p = d.verifyFailures;
  let until: number | null = null;
  let attemptsLeft = p.threshold;
  let blockMs = Math.min(p.baseMs, p.maxMs);
  for (const key of keys) {
    const s = current(await d.throttle.get(key), now, p);
    if (lockRemaining(s, now) > 0) until = Math.max(until ?? 0, s.lockedUntil);
    const left = Math.max(0, p.threshold - s.failures);
    if (left < attemptsLeft) {
      attemptsLeft = left;
      blockMs = Math.min(p.baseMs * p.growth ** s.lockouts, p.maxMs);
    }
  }
  return { until, attemptsLeft, blockMs };
}

/** Warn from this many tries left on. */
export const WARN_FROM_ATTEMPTS_LEFT = 2;
