import type { z } from 'zod';

export type FieldErrors = Record<string, string>;
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** Validates untrusted input; errors are message keys per field (first problem of each field wins). */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const field = issue.path.map(String).join('.') || '_form';
    errors[field] ??= issue.message.startsWith('v.') ? issue.message : 'v.field.invalid';
  }
  return { ok: false, errors };
}
