import type { z } from 'zod';
import { fail, ok, type Ok, type Refused } from './result.js';

export type FieldErrors = Record<string, string>;
/** Parsed input, or `invalid` with the message key of each field at fault. */
export type Parsed<T> = Ok<T> | (Refused<'invalid'> & { errors: FieldErrors });

/** Validates untrusted input; errors are message keys per field (first problem of each field wins). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const r = schema.safeParse(input);
  if (r.success) return ok(r.data);
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const field = issue.path.map(String).join('.') || '_form';
    errors[field] ??= issue.message.startsWith('v.') ? issue.message : 'v.field.invalid';
  }
  return fail('invalid', { errors });
}
