import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import type { Outcome } from '../directory/directory-service.js';
import type { User } from '../directory/users.js';
import type { Vars } from '../i18n/index.js';
import { ADMIN_VIEWER, type SupportAccess } from '../support/access.js';
import type { ActionDone, SupportActionName, SupportActions } from '../support/support-actions.js';
import type { ApiEnv } from './auth.js';
import { requireWrite } from './auth.js';
import { apiError, t } from './errors.js';
import { resetLinkBody, supportActionBody } from './support-schemas.js';

type Ctx = Context<ApiEnv>;
type Step<T> = { ok: true; value: T } | { ok: false; res: Response };

export interface SupportActionApiDeps {
  access: Pick<SupportAccess, 'find'>;
  actions: Pick<SupportActions, 'run'>;
}

/** The JSON helpers of src/api/routes.ts, passed in so both answer in one shape. */
export interface ApiHelpers {
  jsonObject(c: Ctx): Promise<Step<Record<string, unknown>>>;
  validate<S extends z.ZodType>(c: Ctx, schema: S, input: unknown, vars?: Vars): Step<z.output<S>>;
  refusal(c: Ctx, outcome: Exclude<Outcome<unknown>, { ok: true }>): Response;
}

/**
 * The support actions over the API: a write token, a reason in the body, the same checks and
 * audit as the console (SupportActions). A token acts as an administrator; it has no caller to
 * verify, so the reset-link and AD-unlock actions are refused while the policy requires
 * verification (the message says so).
 */
export function supportActionApi(app: Hono<ApiEnv>, deps: SupportActionApiDeps, h: ApiHelpers): void {
  const run = (action: SupportActionName, schema: typeof supportActionBody | typeof resetLinkBody, methodFromPath = false) => async (c: Ctx) => {
    const user: User | null = await deps.access.find(ADMIN_VIEWER, c.req.param('username') ?? '');
    if (!user) return apiError(c, 'not_found', t('users.notFound'));
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, schema, body.value);
    if (!parsed.ok) return parsed.res;
    const methodId = methodFromPath ? c.req.param('id') : 'methodId' in parsed.value ? parsed.value.methodId : undefined;
    const r = await deps.actions.run(action, c.get('actor'), ADMIN_VIEWER, user, { reason: parsed.value.reason, methodId });
    if (!r.ok) return h.refusal(c, r);
    const done: ActionDone = r.value;
    return c.json({ action: done.action, user: user.username, method: done.method ?? null, expiresAt: done.expiresAt ? new Date(done.expiresAt).toISOString() : null });
  };
  app.post('/users/:username/unblock', requireWrite, run('unblock', supportActionBody));
  app.post('/users/:username/clear-lockout', requireWrite, run('clearLockout', supportActionBody));
  app.post('/users/:username/unlock', requireWrite, run('unlockAd', supportActionBody));
  app.post('/users/:username/require-registration', requireWrite, run('requireRegistration', supportActionBody));
  app.delete('/users/:username/methods/:id', requireWrite, run('removeMethod', supportActionBody, true));
  app.delete('/users/:username/sessions', requireWrite, run('endSessions', supportActionBody));
  app.post('/users/:username/reset-link', requireWrite, run('resetLink', resetLinkBody));
}
