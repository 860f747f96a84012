import { lockRemaining, type LockoutPolicy } from '../../state/lockout.js';
import type { ThrottleStore } from '../../state/throttle-store.js';
import { throttleKeys } from '../../state/throttle-keys.js';
import { hmac } from '../../shared/crypto.js';
import type { Clock } from '../../shared/clock.js';

/**
 * The reset's budget of codes per typed destination, counted by a keyed hash of what was typed
 * (never the address itself) — for a real user and for a decoy alike, so a typo'd address or a
 * name that matches nobody hits "could not send" at the same count as a real address hits
 * delivery's own per-destination limit (src/delivery/delivery.ts: codes and notices have a
 * budget each). A real send still goes through delivery, which decides and records why a message
 * was dropped (the Delivery page); this counter only gives a decoy the same answer.
 *
 * A real send runs in the background (the answer and its timing are the same whether the typed
 * address matched); when delivery does not send it, the flow's code page says so
 * (markSendFailed / sendFailed) and offers another way.
 */
export interface SendBudgetDeps {
  throttle: Pick<ThrottleStore, 'get' | 'recordFailure'>;
  clock: Clock;
  lookupKey: Buffer;
  /** delivery.limits.perDestinationPerHour: the codes one destination gets in an hour. */
  perDestinationPerHour: number;
  /** delivery.limits.perDestinationPerDay: …and in a day. */
  perDestinationPerDay: number;
}

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
/** How long "Resend code" waits after the last code went out. */
export const RESEND_COOLDOWN_MS = 60_000;

export const sendKeyOf = (lookupKey: Buffer, type: string, typed: string): string => hmac(lookupKey, `reset-send:${type}:${typed}`);

/** The budgets a send spends: delivery's hourly and daily limits per destination. */
const budgets = (d: SendBudgetDeps, sendKey: string): Array<{ key: string; policy: LockoutPolicy }> => [
  { key: throttleKeys.resetSends(sendKey), policy: { threshold: d.perDestinationPerHour + 1, baseMs: HOUR, growth: 1, maxMs: HOUR, windowMs: HOUR } },
  { key: throttleKeys.resetSendsDay(sendKey), policy: { threshold: d.perDestinationPerDay + 1, baseMs: DAY, growth: 1, maxMs: DAY, windowMs: DAY } },
];

/** The longest wait of the used-up budgets (0: none is used up). */
async function waitMs(d: SendBudgetDeps, sendKey: string): Promise<number> {
  const now = d.clock.now();
  const left = await Promise.all(budgets(d, sendKey).map(async (b) => lockRemaining(await d.throttle.get(b.key), now)));
  return Math.max(0, ...left);
}

/** Counts one send to this destination, in the hour and in the day; the minutes until it may be tried again when a budget is used up, else null. */
export async function spendSend(d: SendBudgetDeps, sendKey: string): Promise<number | null> {
  const before = await waitMs(d, sendKey);
  if (before > 0) return minutes(before);
  const now = d.clock.now();
  const after = await Promise.all(budgets(d, sendKey).map(async (b) => lockRemaining(await d.throttle.recordFailure(b.key, b.policy), now)));
  const left = Math.max(0, ...after);
  return left > 0 ? minutes(left) : null;
}

/** Minutes until a used-up budget allows the next send (1 when none is used up: try again shortly). */
export async function minutesUntilSend(d: SendBudgetDeps, sendKey: string): Promise<number> {
  const left = await waitMs(d, sendKey);
  return left > 0 ? minutes(left) : 1;
}

/** How long a failed send is remembered for the code page (longer than any code lives). */
const FAILED_MS = 30 * 60_000;
const failedKey = (flowId: string, sentAt: number) => throttleKeys.resetSendFailed(`${flowId}:${sentAt}`);

/** A real code that delivery did not send (refused, limited, provider down): the code page says so from now on. */
export async function markSendFailed(d: SendBudgetDeps, flowId: string, sentAt: number): Promise<void> {
  await d.throttle.recordFailure(failedKey(flowId, sentAt), { threshold: 1, baseMs: FAILED_MS, growth: 1, maxMs: FAILED_MS, windowMs: FAILED_MS });
}

export async function sendFailed(d: SendBudgetDeps, flowId: string, sentAt: number): Promise<boolean> {
  return lockRemaining(await d.throttle.get(failedKey(flowId, sentAt)), d.clock.now()) > 0;
}

const minutes = (ms: number) => Math.max(1, Math.round(ms / 60_000));
