import type { Context, Hono } from 'hono';
import type { BrandService } from '../branding/brand-service.js';
import { problemVars, type Brand, type BrandInput } from '../branding/brand.js';
import { requireWrite, type ApiEnv } from './auth.js';
import { brandChangeBody, brandJson } from './brand-schemas.js';
import { apiError, etag, expectedVersionOf, limitQuery, t, versionConflict } from './errors.js';
import { SETTINGS_CONFLICT } from './settings-routes.js';
import type { ApiHelpers } from './support-action-routes.js';

type Ctx = Context<ApiEnv>;

export interface BrandApiDeps {
  brand: Pick<BrandService, 'refresh' | 'update' | 'history' | 'storeLogo'>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The brand over the API (area settings): read with its version (ETag), replaced (PUT) or changed
 * field by field (PATCH) on top of the version it was read at, with the same checks as the
 * console (contrast, links, the logo's real type and size), and its versions listed.
 */
export function brandApi(app: Hono<ApiEnv>, deps: BrandApiDeps, h: Pick<ApiHelpers, 'jsonObject' | 'validate'>): void {
  app.get('/brand', async (c) => {
    const v = await deps.brand.refresh();
    return c.json(brandJson(v), 200, etag(v.version));
  });

  app.get('/brand/versions', async (c) => {
    const limit = limitQuery(c, 50, 500);
    if (limit === null) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { limit: t('api.v.integer') });
    return c.json({ items: (await deps.brand.history(limit)).map(brandJson) });
  });

  const change = (mode: 'replace' | 'merge') => async (c: Ctx) => {
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, brandChangeBody, body.value);
    if (!parsed.ok) return parsed.res;
    const { brand: sent, logo: sentLogo, expectedVersion } = parsed.value;
    const v = expectedVersionOf(c, expectedVersion);
    if (!v.ok) return v.res;
    const current = await deps.brand.refresh();
    const input: BrandInput = mode === 'merge' ? { ...current.brand, ...sent } : sent;
    let logo: Brand['logo'] = current.brand.logo;
    if (sentLogo === null) logo = null;
    else if (sentLogo) {
      const data = sentLogo.data.replace(/\s+/g, '');
      const stored = BASE64.test(data) ? await deps.brand.storeLogo(new Uint8Array(Buffer.from(data, 'base64'))) : ({ ok: false, reason: 'notImage' } as const);
      if (!stored.ok) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { logo: t(`brand.v.logo.${stored.reason}`) });
      logo = { sha256: stored.value.sha256, kind: stored.value.kind };
    }
    const r = await deps.brand.update(c.get('actor'), input, logo, v.expected === undefined ? {} : { expectedVersion: v.expected });
    if (r.ok) return c.json(brandJson(r.value), 200, etag(r.value.version));
    if (r.reason === 'conflict') return versionConflict(c, v, (await deps.brand.refresh()).version, SETTINGS_CONFLICT);
    return apiError(c, 'invalid_input', t('api.error.invalidInput'), Object.fromEntries(Object.entries(r.errors).map(([field, p]) => [field === 'logo' ? 'logo' : `brand.${field}`, t(p.key, problemVars(t, p))])));
  };
  app.put('/brand', requireWrite, change('replace'));
  app.patch('/brand', requireWrite, change('merge'));
}
