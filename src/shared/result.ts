/**
 * The one shape of an expected outcome that crosses a service boundary: a value, or a refusal
 * with a reason from that boundary's catalogue (a string union defined once, `as const`).
 * Exceptions are for the unexpected only.
 */
export type Result<T, R extends string = string> = Ok<T> | Refused<R>;
export interface Ok<T> {
  ok: true;
  value: T;
}
export interface Refused<R extends string> {
  ok: false;
  reason: R;
}

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
/** A refusal; extra facts a caller may show (the attempts left, the field at fault) ride along. */
export function fail<R extends string>(reason: R): Refused<R>;
export function fail<R extends string, X extends object>(reason: R, extra: X): Refused<R> & X;
export function fail<R extends string>(reason: R, extra?: object): Refused<R> {
  return extra ? { ...extra, ok: false, reason } : { ok: false, reason };
}
