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

/** Every value of a binary attribute (asked for in explicitBufferAttributes). */
export function buffersOf(entry: Entry, attribute: string): Buffer[] {
  const v = entry[attribute];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((b): b is Buffer => Buffer.isBuffer(b));
}

/** DNs as AD compares them here: case-insensitively, spaces around the commas ignored. */
export function normaliseDn(dn: string): string {
  return dn
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .join(',');
}

/** Whether `dn` is `base` or below it, compared as normaliseDn does. */
export function isUnderDn(dn: string, base: string): boolean {
  const d = normaliseDn(dn);
  const b = normaliseDn(base);
  return d === b || d.endsWith(`,${b}`);
}
