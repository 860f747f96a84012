/**
 * Expected outcomes are values (see Result); AppError is for refusals that must cross a layer
 * boundary (CLI, HTTP) with a stable code. The code decides the exit status and HTTP status.
 */
export const errorCatalogue = {
  invalid_input: { http: 400, exit: 2 },
  not_found: { http: 404, exit: 4 },
  conflict: { http: 409, exit: 5 },
  refused: { http: 422, exit: 5 },
  forbidden: { http: 403, exit: 5 },
  config_invalid: { http: 500, exit: 3 },
  store_unavailable: { http: 503, exit: 6 },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export type Result<T, E extends string = string> = { ok: true; value: T } | { ok: false; reason: E; message?: string };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <E extends string>(reason: E, message?: string): { ok: false; reason: E; message?: string } =>
  message === undefined ? { ok: false, reason } : { ok: false, reason, message };
