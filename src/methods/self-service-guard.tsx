import type { MiddlewareHandler } from 'hono';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { AppEnv } from '../http/context.js';
import { Notice, Page } from '../http/ui/layout.js';
import { BASE } from './route-deps.js';

/**
 * Security info cannot be changed by a user who reported "this wasn't me" until an
 * administrator lifts the block: whoever holds the account must not add a method of their own.
 * Pages get the words and a way back; the JSON endpoints the same words in JSON.
 */
export function selfServiceGuard(blocks: Pick<SelfServiceBlockStore, 'isBlocked'>, answer: 'page' | 'json' = 'page'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user || !(await blocks.isBlocked(user.id))) return next();
    const t = c.get('t');
    if (answer === 'json') return c.json({ ok: false, error: t('methods.selfServiceBlocked'), code: 'methods.selfServiceBlocked' }, 403);
    return c.html(
      <Page c={c} title={t('methods.selfServiceBlockedTitle')} narrow>
        <h1>{t('methods.selfServiceBlockedTitle')}</h1>
        <Notice kind="error">{t('methods.selfServiceBlocked')}</Notice>
        <p>
          <a href={BASE}>{t('methods.title')}</a>
        </p>
      </Page>,
      403,
    );
  };
}
