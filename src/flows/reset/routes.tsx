import { Hono } from 'hono';
import type { AppEnv } from '../../http/context.js';

/** /reset (forgot password) and /unlock. */
export function resetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  return app;
}
