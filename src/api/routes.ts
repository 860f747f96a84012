import { Hono } from 'hono';
import type { Portal } from '../app/portal.js';

/** The JSON API under /api/v1 (bearer-token auth, no cookies, no CSRF). */
export function apiRoutes(_portal: Portal): Hono {
  const app = new Hono();
  return app;
}
