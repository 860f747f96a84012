import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { actorOf } from '../http/actor.js';
import { ErrorPage, NotFoundPage } from '../http/errors.js';
import { readForm, str } from '../http/form.js';
import type { MessageKey } from '../i18n/index.js';
import type { CallerVerificationService, Verifier } from './verification.js';
import { verifyOutcomes, type VerifyOutcome } from './verification-ui.js';

export interface VerificationPageDeps {
  verifications: Pick<CallerVerificationService, 'start' | 'check'>;
}

/** A refusal's catalogue key as the word the redirect carries (verification-ui.tsx turns it back into words). */
function outcomeOf(message: string): VerifyOutcome {
  const found = (Object.entries(verifyOutcomes) as Array<[VerifyOutcome, MessageKey | null]>).find(([, key]) => key === message);
  return found ? found[0] : 'unavailable';
}

function verifierOf(c: AppContext): Verifier {
  return { ...actorOf(c), roles: c.get('user')?.roles ?? [] };
}

/**
 * /admin/users/:key/verification: the helpdesk sends a code to one of the caller's methods (or
 * asks for the app's code), then checks the code the caller reads out. Each POST redirects back
 * to the user's support page, which shows the result (CallerVerificationPanel). Behind the
 * console's role check; the user is looked up through SupportAccess (404 outside the viewer's scope).
 */
export function verificationPages(deps: VerificationPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const back = (c: AppContext, userId: string, q: Record<string, string>) => c.redirect(`/admin/users/${encodeURIComponent(userId)}?${new URLSearchParams(q).toString()}#verify`, 303);
  const refused = (c: AppContext, message: string) => c.html(<ErrorPage c={c} title={c.get('t')('error.forbidden.title')} body={c.get('t')(message as MessageKey)} />, 403);

  app.post('/admin/users/:key/verification', async (c) => {
    const form = await readForm(c);
    const key = c.req.param('key');
    const [methodId, channel] = (str(form, 'methodId') ?? '').split(':');
    const r = await deps.verifications.start(verifierOf(c), key, { methodId, channel: channel ?? 'sms' });
    if (r.ok) return back(c, key, { verification: r.value.id, via: methodIdOf(methodId), verify: r.value.methodType === 'totp' ? 'app' : r.value.methodType === 'passkey' ? 'link' : 'sent', until: String(r.value.expiresAt) });
    if (r.reason === 'not_found') return c.html(<NotFoundPage c={c} />, 404);
    if (r.reason === 'invalid') return back(c, key, { verify: 'choose' });
    if (r.reason === 'refused' && !r.message.startsWith('support.verify.') && !r.message.startsWith('methods.')) return refused(c, r.message);
    return back(c, key, { verify: outcomeOf(r.message) });
  });

  app.post('/admin/users/:key/verification/:id/check', async (c) => {
    const form = await readForm(c);
    const key = c.req.param('key');
    const id = c.req.param('id');
    const r = await deps.verifications.check(verifierOf(c), key, id, str(form, 'code') ?? '');
    if (r.ok) return r.value.verified ? back(c, key, { verify: 'verified' }) : back(c, key, { verification: id, verify: outcomeOf(r.value.message ?? '') });
    if (r.reason === 'not_found') return r.message === 'users.notFound' ? c.html(<NotFoundPage c={c} />, 404) : back(c, key, { verify: 'expired' });
    if (r.reason === 'invalid') return back(c, key, { verification: id, verify: 'code' });
    if (r.reason === 'refused') return refused(c, r.message);
    return back(c, key, { verify: 'unavailable' });
  });

  return app;
}

const methodIdOf = (s: string | undefined) => (s ?? '').slice(0, 64);
