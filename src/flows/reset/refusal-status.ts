import { writebackHttpStatus, writebackRefusalOfKey } from '../../writeback/refusals.js';
import type { ResetRefusal } from './refusals.js';

export type ResetStatus = 200 | 202 | 400 | 403 | 409 | 410 | 422 | 429 | 502 | 503;

/** The HTTP status of each of the flow's own refusals that is not a plain 400 (AD's come from the writeback catalogue). */
const statusOf: Partial<Record<ResetRefusal, ResetStatus>> = {
  'reset.expired': 410,
  'reset.captchaFailed': 400,
  'reset.tooManyStarts': 429,
  'methods.blocked': 429,
  'methods.sendLimited': 429,
  'reset.sendFailed': 503,
  'reset.resendTooSoon': 429,
  'reset.inProgress': 409,
  'reset.unlockDisabled': 403,
  'reset.selfServiceBlocked': 403,
};

export function refusalStatus(refusal: ResetRefusal): ResetStatus {
  const writeback = writebackRefusalOfKey(refusal);
  if (writeback) return writebackHttpStatus(writeback);
  return statusOf[refusal] ?? 400;
}
