import { describe, expect, it } from 'vitest';
import { useApiSandbox } from '../../test/helpers/api-sandbox.js';
import { openApiDocument } from './openapi.js';
import { apiAreas, type ApiArea } from './tokens.js';

type Op = { 'x-sspr-scope': 'read' | 'write'; 'x-sspr-area': ApiArea };

/** Every documented operation, with a path a request can take (placeholders filled with names that exist or not). */
function operations(): Array<{ method: string; path: string; op: Op }> {
  const doc = openApiDocument('http://portal.test') as { paths: Record<string, Record<string, Op>> };
  const fill = (p: string) => p.replace('{section}', 'throttling').replace('{type}', 'user').replace('{username}', 'alice').replace('{name}', 'Staff').replace(/\{[^}]+\}/g, 'none');
  return Object.entries(doc.paths)
    .filter(([p]) => p !== '/openapi.json')
    .flatMap(([p, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: fill(p), op })));
}

/** Token scopes per area: each operation answers a token for its own area and scope, and refuses (403) one for another area or, for a change, a read token. */
describe('JSON API: token scopes per area', () => {
  const { call, current: sb } = useApiSandbox();

  it('every documented route: the right area and scope get through, another area or too little scope gets 403 naming the scope', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(40);
    expect(new Set(ops.map((o) => o.op['x-sspr-area']))).toEqual(new Set(apiAreas));
    const tokens = new Map<string, string>();
    const tokenFor = async (area: ApiArea, scope: 'read' | 'write') => {
      const key = `${area}:${scope}`;
      if (!tokens.has(key)) {
        const r = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: key, scope, areas: [area] });
        if (!r.ok) throw new Error(JSON.stringify(r));
        tokens.set(key, r.value.token);
      }
      return tokens.get(key)!;
    };
    for (const { method, path, op } of ops) {
      const area = op['x-sspr-area'];
      const scope = op['x-sspr-scope'];
      const body = method === 'GET' ? undefined : {};
      const other = apiAreas.find((a) => a !== area)!;
      const refused = await call(method, path, { token: await tokenFor(other, 'write'), body });
      expect(refused.status, `${method} ${path} with ${other}:write`).toBe(403);
      expect(refused.json.error.message).toContain(`${area}:${scope}`);
      expect(refused.res.headers.get('www-authenticate')).toContain(`scope="${area}:${scope}"`);
      if (scope === 'write') expect((await call(method, path, { token: await tokenFor(area, 'read'), body })).status, `${method} ${path} with ${area}:read`).toBe(403);
      const allowed = await call(method, path, { token: await tokenFor(area, scope), body });
      expect([401, 403], `${method} ${path} with ${area}:${scope}: ${allowed.text}`).not.toContain(allowed.status);
    }
  });

  it('a token limited to areas lists them, and the audit log names them', async () => {
    const r = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'settings-bot', scope: 'write', areas: ['sync', 'settings'] });
    if (!r.ok) throw new Error('token');
    expect(r.value.record.areas).toEqual({ settings: 'write', sync: 'write' });
    const audit = await sb().tp.store.db.selectFrom('audit_events').select('details').where('event', '=', 'api_token_created').where('target_name', '=', 'settings-bot').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details!)).toMatchObject({ scope: 'write', areas: 'settings:write,sync:write' });
    for (const areas of [['colours'], ['settings:admin'], ['settings:'], [], 'settings']) {
      const bad = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'bad', scope: 'write', areas });
      expect(bad, JSON.stringify(areas)).toMatchObject({ ok: false, reason: 'invalid' });
    }
    expect(await sb().tp.store.db.selectFrom('api_tokens').select('name').where('name', '=', 'bad').execute()).toEqual([]);
  });

  it('one token with a different level on each area: write where it holds write, read only where it holds read, nothing elsewhere', async () => {
    const r = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'mixed', scope: 'read', areas: ['settings:write', 'audit', 'audit:read'] });
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.value.record).toMatchObject({ scope: 'write', areas: { settings: 'write', audit: 'read' } });
    const token = r.value.token;
    expect((await call('PATCH', '/settings/throttling', { token, body: { settings: { blockHours: 3 } } })).status).toBe(200);
    expect((await call('GET', '/settings/throttling', { token })).json.settings.blockHours).toBe(3);
    expect((await call('GET', '/audit', { token })).status).toBe(200);
    const users = await call('GET', '/users', { token });
    expect(users.status).toBe(403);
    expect(users.json.error.message).toContain('users:read');
    const sync = await call('POST', '/sync/run', { token, body: {} });
    expect(sync.status).toBe(403);
    expect(sync.res.headers.get('www-authenticate')).toContain('scope="sync:write"');
    // The same area at two levels keeps the higher; every area at one level is no limit at all.
    const both = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'both', scope: 'read', areas: ['sync:read', 'sync:write'] });
    expect(both.ok && both.value.record.areas).toEqual({ sync: 'write' });
    const all = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'all', scope: 'write', areas: apiAreas.map((a) => `${a}:read`) });
    expect(all.ok && all.value.record).toMatchObject({ scope: 'read', areas: null });
  });

  it('a token made before levels per area (its areas column without levels) keeps the scope it was made with on those areas', async () => {
    const r = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'old-style', scope: 'read', areas: ['sync'] });
    if (!r.ok) throw new Error('token');
    await sb().tp.store.db.updateTable('api_tokens').set({ scope: 'write', areas: 'sync,reports' }).where('id', '=', r.value.record.id).execute();
    expect((await sb().tp.portal.apiTokens.byId(r.value.record.id))?.areas).toEqual({ sync: 'write', reports: 'write' });
    expect((await call('GET', '/reports/coverage', { token: r.value.token })).status).toBe(200);
    expect((await call('GET', '/groups', { token: r.value.token })).status).toBe(403);
  });
});
