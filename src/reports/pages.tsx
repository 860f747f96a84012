import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';

/** /admin/reports: registration coverage and reset/unlock/change activity. */
export function reportPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  return app;
}
