import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { NOT_ME_PATH } from '../delivery/notices.js';
import type { NotMeService } from './not-me-service.js';
import { NotMePage } from './pages.js';

export interface NotMeRouteDeps {
  notMe: Pick<NotMeService, 'view' | 'confirm' | 'eventText'>;
}

/**
 * /not-me: the page behind the "this wasn't me" link of every notice. No sign-in (the user may
 * no longer be able to), no referrer (the token is in the address), and nothing happens on GET.
 */
export function notMeRoutes({ notMe }: NotMeRouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const show = (c: AppContext, view: Awaited<ReturnType<NotMeRouteDeps['notMe']['view']>>) => {
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(<NotMePage c={c} view={view} eventText={(e) => notMe.eventText(e)} />, view.kind === 'invalid' ? 410 : 200);
  };
  app.get(NOT_ME_PATH, async (c) => show(c, await notMe.view(c.req.query('token'))));
  app.post(NOT_ME_PATH, async (c) => {
    const form = await readForm(c);
    return show(c, await notMe.confirm(str(form, 'token'), { ip: c.get('ip'), userAgent: c.get('userAgent') }));
  });
  return app;
}
