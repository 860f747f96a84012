import type { MessageKey } from '../i18n/index.js';
import { isWritebackRefusal, type WritebackRefusal } from '../agent-protocol/index.js';

/**
 * What a writeback refusal means at the edge, derived from the one catalogue
 * (src/agent-protocol/verdicts.ts): the sentence the user reads and the HTTP status of a page
 * that shows it.
 */

export { writebackRefusals, isWritebackRefusal, type WritebackRefusal } from '../agent-protocol/index.js';

/** The message key of a writeback refusal; a refusal without its sentence does not compile. */
export type WritebackRefusalKey = `writeback.${WritebackRefusal}` & MessageKey;

/** `writeback.<reason>` in messages.en.ts: one sentence per refusal, each saying whether anything changed. */
export function writebackMessageKey(reason: WritebackRefusal): WritebackRefusalKey {
  return `writeback.${reason}`;
}

/** The refusal a `writeback.<reason>` message key stands for; null for any other key. */
export function writebackRefusalOfKey(key: string): WritebackRefusal | null {
  const reason = key.startsWith('writeback.') ? key.slice('writeback.'.length) : null;
  return reason !== null && isWritebackRefusal(reason) ? reason : null;
}

/**
 * AD's refusals are answers about the request (422); no agent or no DC is about availability
 * (503, try again), and an answer not confirmed yet is accepted for processing (202).
 */
export function writebackHttpStatus(reason: WritebackRefusal): 202 | 422 | 503 {
  switch (reason) {
    case 'unavailable':
    case 'dc_unreachable':
      return 503;
    case 'unconfirmed':
      return 202;
    default:
      return 422;
  }
}
