import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';

/** /admin/api-tokens: create (shown once), list and revoke API tokens. */
export function apiTokenPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  return app;
}
