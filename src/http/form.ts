import { HTTPException } from 'hono/http-exception';
import type { AppContext } from './context.js';

export type Form = Record<string, string | string[]>;

/**
 * The posted form with only text values: a file or an unexpected shape is a 400 before any
 * handler sees it. Repeated fields become arrays; handlers use str()/list() to take what they
 * expect, so an array where a string belongs is simply invalid.
 */
export async function readForm(c: AppContext): Promise<Form> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) {
    throw new HTTPException(415, { message: 'Send the form as application/x-www-form-urlencoded.' });
  }
  const body = await c.req.parseBody({ all: true });
  const form: Form = {};
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v)) {
      if (v.some((x) => typeof x !== 'string')) throw new HTTPException(400, { message: 'Files are not accepted here.' });
      form[k] = v as string[];
    } else if (typeof v === 'string') form[k] = v;
    else throw new HTTPException(400, { message: 'Files are not accepted here.' });
  }
  return form;
}

/** A single text field, or undefined when absent or sent more than once. */
export function str(form: Form, name: string): string | undefined {
  const v = form[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(form: Form, name: string): string[] {
  const v = form[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** A JSON request body that is an object, or null (wrong content type, broken JSON, an array, a scalar). */
export async function readJson(c: AppContext): Promise<Record<string, unknown> | null> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return null;
  try {
    const body: unknown = await c.req.json();
    return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
