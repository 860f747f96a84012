import type { ResetRefusal } from './refusals.js';

export type ResetStatus = 200 | 202 | 400 | 403 | 409 | 410 | 422 | 429 | 502 | 503;

/** The HTTP status of each refusal that is not a plain 400. */
const statusOf: Partial<Record<ResetRefusal, ResetStatus>> = {
  'reset.expired': 410,
  'reset.captchaFailed': 400,
  'reset.tooManyStarts': 429,
  'methods.blocked': 429,
  'methods.sendLimited': 429,
  'reset.inProgress': 409,
  'writeback.unavailable': 503,
  'writeback.dc_unreachable': 503,
  'writeback.unconfirmed': 202,
  'reset.unlockDisabled': 403,
};

export function refusalStatus(refusal: ResetRefusal): ResetStatus {
  // AD's refusals are answers about the request (422); the ones listed are about availability.
  return statusOf[refusal] ?? (refusal.startsWith('writeback.') ? 422 : 400);
}
