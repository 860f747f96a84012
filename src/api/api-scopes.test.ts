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
    expect(r.value.record.areas).toEqual(['settings', 'sync']);
    const audit = await sb().tp.store.db.selectFrom('audit_events').select('details').where('event', '=', 'api_token_created').where('target_name', '=', 'settings-bot').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details!)).toMatchObject({ scope: 'write', areas: 'settings,sync' });
    const bad = await sb().tp.portal.apiTokens.create({ id: null, name: 'root' }, { name: 'bad', scope: 'write', areas: ['colours'] });
    expect(bad.ok).toBe(false);
  });
});
