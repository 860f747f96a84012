import { z } from 'zod';

/** The building blocks of the OpenAPI document (src/api/openapi.ts): references, error answers, operations by token scope. */

export type Json = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Json) => ({ content: { 'application/json': { schema } } });

export function componentSchemas(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io, unrepresentable: 'any' }).schemas as Record<string, Json>;
  // Inside an OpenAPI document the dialect and the location are the document's own.
  for (const s of Object.values(out)) {
    delete s['$schema'];
    delete s['$id'];
  }
  return out;
}

export const errors = {
  400: { $ref: '#/components/responses/InvalidInput' },
  401: { $ref: '#/components/responses/Unauthorized' },
  403: { $ref: '#/components/responses/Forbidden' },
  404: { $ref: '#/components/responses/NotFound' },
  409: { $ref: '#/components/responses/Conflict' },
  412: { $ref: '#/components/responses/PreconditionFailed' },
  413: { $ref: '#/components/responses/TooLarge' },
  415: { $ref: '#/components/responses/UnsupportedMediaType' },
  422: { $ref: '#/components/responses/Refused' },
} as const;
export type ErrorStatus = keyof typeof errors;
export const pick = (...codes: ErrorStatus[]) => Object.fromEntries(codes.map((c) => [String(c), errors[c]]));

export type Kind = { scope: 'read' | 'write'; errors: Json };
export const readOp = (extra: ErrorStatus[] = []): Kind => ({ scope: 'read', errors: pick(401, ...extra) });
export const writeOp = (extra: ErrorStatus[] = []): Kind => ({ scope: 'write', errors: pick(400, 401, 403, 413, 415, ...extra) });

/** An operation with the error answers its kind can give, and the token scope it needs. */
export function op(kind: Kind, o: { summary: string; description?: string; operationId: string; tags: string[]; parameters?: Json[]; requestBody?: Json; responses: Json }): Json {
  // The area is the operation's tag: a token limited to areas needs this one (`settings:write`).
  return { ...o, 'x-sspr-scope': kind.scope, 'x-sspr-area': o.tags[0], responses: { ...o.responses, ...kind.errors } };
}

