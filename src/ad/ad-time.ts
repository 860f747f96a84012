/**
 * AD's two time encodings. Points in time (pwdLastSet, lockoutTime, accountExpires) are
 * FILETIME: 100-ns intervals since 1601-01-01 UTC. Durations on the domain object and in
 * fine-grained policies (minPwdAge, maxPwdAge, lockoutDuration) are NEGATIVE 100-ns intervals,
 * with the most negative 64-bit value meaning "never"/"forever".
 */

const FILETIME_UNIX_OFFSET = 116_444_736_000_000_000n;
const TICKS_PER_MS = 10_000n;
const NEVER = -9_223_372_036_854_775_808n;
const MAX_FILETIME = 9_223_372_036_854_775_807n;

function toBigInt(value: string | undefined | null): bigint | null {
  if (value === undefined || value === null || !/^-?\d{1,20}$/.test(value.trim())) return null;
  return BigInt(value.trim());
}

/** A FILETIME as a Date; null for 0 (never set / must change) and for "never" (0x7FFF…). */
export function fileTimeToDate(value: string | undefined | null): Date | null {
  const ticks = toBigInt(value);
  if (ticks === null || ticks <= 0n || ticks >= MAX_FILETIME) return null;
  return new Date(Number((ticks - FILETIME_UNIX_OFFSET) / TICKS_PER_MS));
}

/** The FILETIME of a point in time. */
export function dateToFileTime(date: Date): string {
  return (BigInt(date.getTime()) * TICKS_PER_MS + FILETIME_UNIX_OFFSET).toString();
}

/** A negative 100-ns interval in milliseconds (positive); null for AD's "never" value or an unreadable one. */
export function intervalToMs(value: string | undefined | null): number | null {
  const ticks = toBigInt(value);
  if (ticks === null || ticks === NEVER) return null;
  const abs = ticks < 0n ? -ticks : ticks;
  return Number(abs / TICKS_PER_MS);
}
