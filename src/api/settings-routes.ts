import type { Context, Hono } from 'hono';
import { isStoredSection, storedSectionNames } from '../config/stored-sections.js';
import type { SettingsService } from '../settings/settings-service.js';
import { requireWrite, type ApiEnv } from './auth.js';
import { apiError, etag, expectedVersionOf, limitQuery, t, versionConflict } from './errors.js';
import { settingsChangeBody, settingsVersionJson } from './settings-schemas.js';
import type { ApiHelpers } from './support-action-routes.js';

type Ctx = Context<ApiEnv>;

/** The words of a stale save of a settings section or of the brand. */
export const SETTINGS_CONFLICT = { precondition: 'api.error.settingsPrecondition', conflict: 'api.error.settingsConflict' } as const;

export interface SettingsApiDeps {
  settings: Pick<SettingsService, 'refresh' | 'update' | 'history' | 'view' | 'fixedPaths'>;
}

/**
 * The stored settings over the API: each section read with its version (ETag), replaced (PUT) or
 * merged (PATCH, RFC 7396) on top of the version it was read at, and its versions listed. Secrets
 * are written here and never read back: they appear as { "set": true }.
 */
export function settingsApi(app: Hono<ApiEnv>, deps: SettingsApiDeps, h: Pick<ApiHelpers, 'jsonObject' | 'validate'>): void {
  const notFound = (c: Ctx) => apiError(c, 'not_found', t('api.error.settingsSection', { sections: storedSectionNames.join(', ') }));

  app.get('/settings', async (c) => {
    const all = await deps.settings.refresh();
    return c.json({ items: storedSectionNames.map((s) => ({ ...settingsVersionJson(deps.settings, all[s]), settings: undefined, fixed: undefined, comment: undefined })) });
  });

  app.get('/settings/:section', async (c) => {
    const section = c.req.param('section');
    if (!isStoredSection(section)) return notFound(c);
    const v = (await deps.settings.refresh())[section];
    return c.json(settingsVersionJson(deps.settings, v), 200, etag(v.version));
  });

  app.get('/settings/:section/versions', async (c) => {
    const section = c.req.param('section');
    if (!isStoredSection(section)) return notFound(c);
    const limit = limitQuery(c, 50, 500);
    if (limit === null) return apiError(c, 'invalid_input', t('api.error.invalidInput'), { limit: t('api.v.integer') });
    return c.json({ items: (await deps.settings.history(section, limit)).map((v) => settingsVersionJson(deps.settings, v)) });
  });

  const change = (mode: 'replace' | 'merge') => async (c: Ctx) => {
    const section = c.req.param('section') ?? '';
    if (!isStoredSection(section)) return notFound(c);
    const body = await h.jsonObject(c);
    if (!body.ok) return body.res;
    const parsed = h.validate(c, settingsChangeBody, body.value);
    if (!parsed.ok) return parsed.res;
    const { settings, expectedVersion, comment } = parsed.value;
    const v = expectedVersionOf(c, expectedVersion);
    if (!v.ok) return v.res;
    const r = await deps.settings.update(c.get('actor'), section, settings, { mode, ...(v.expected === undefined ? {} : { expectedVersion: v.expected }), ...(comment === undefined ? {} : { comment }) });
    if (r.ok) return c.json(settingsVersionJson(deps.settings, r.value), 200, etag(r.value.version));
    if (r.reason === 'conflict') return versionConflict(c, v, (await deps.settings.refresh())[section].version, SETTINGS_CONFLICT);
    if (r.reason === 'fixed') return apiError(c, 'refused', t('settings.fixed.refused', { paths: r.paths.map((p) => (p ? `${section}.${p}` : section)).join(', ') }));
    return apiError(c, 'invalid_input', t('api.error.invalidInput'), Object.fromEntries(Object.entries(r.errors).map(([path, p]) => [path === '_form' ? 'settings' : `settings.${path}`, t(p.key, p.vars)])));
  };
  app.put('/settings/:section', requireWrite, change('replace'));
  app.patch('/settings/:section', requireWrite, change('merge'));
}
