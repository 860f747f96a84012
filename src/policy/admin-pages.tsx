import { Hono } from 'hono';
import type { AppEnv } from '../http/context.js';

/** The SSPR policy console: /admin/policy/* (one page per section). */
export function policyPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  return app;
}
