import type { Entry } from 'ldapts';
import { first } from './domain-policy.js';

/** An integer attribute of an entry; 0 when absent or not a safe integer (AD's flags default to none set). */
export function intOf(entry: Entry, attribute: string): number {
  const n = Number(first(entry, attribute) ?? '0');
  return Number.isSafeInteger(n) ? n : 0;
}

/** The first value of a binary attribute (asked for in explicitBufferAttributes), or null. */
export function bufferOf(entry: Entry, attribute: string): Buffer | null {
  const v = entry[attribute];
  const b = Array.isArray(v) ? v[0] : v;
  return Buffer.isBuffer(b) ? b : null;
}
