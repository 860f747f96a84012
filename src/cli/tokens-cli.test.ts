import { describe, expect, it } from 'vitest';
import { useCliSandbox, type CliResult } from '../../test/helpers/cli.js';
import { createApp } from '../app/http-app.js';
import type { Portal } from '../app/portal.js';
import { EXIT } from './context.js';

/**
 * `sspr token …` in-process through main(argv, io) over a real SQLite file, then checked through
 * the portal the server would build from the same config: the printed token works against the
 * API, the store holds only its hash, a revoked token stops working.
 */

const sb = useCliSandbox('sspr-token-cli-');
const sspr = (...args: string[]): Promise<CliResult> => sb.run(args);
const ok = (...args: string[]): Promise<string> => sb.ok(args);
const { withPortal } = sb;

/** The token from `token create` output (its own line). */
function printedToken(out: string): string {
  const m = /^Token: (sspr_[A-Za-z0-9_-]{43})$/m.exec(out);
  expect(m, out).not.toBeNull();
  return m![1]!;
}

async function apiStatus(portal: Portal, token: string, method = 'GET', path = '/policy'): Promise<number> {
  const res = await createApp(portal).request(`http://localhost:8080/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

describe('sspr token', () => {
  it('create prints the token once; the store keeps only its hash; the token works against the API with its scope', async () => {
    const out = await ok('token', 'create', 'nightly sync');
    expect(out).toContain('Created API token nightly sync (read, does not expire');
    expect(out).toContain('This is the only time the token is shown');
    const token = printedToken(out);
    await withPortal(async (portal) => {
      const rows = await portal.store.db.selectFrom('api_tokens').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token.slice('sspr_'.length));
      expect(await apiStatus(portal, token)).toBe(200);
      // A read token: writes are refused.
      expect(await apiStatus(portal, token, 'POST', '/users/anyone/disable')).toBe(403);
      const audit = await portal.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'api_token_created').executeTakeFirstOrThrow();
      expect([audit.actor_name, audit.target_name]).toEqual(['cli', 'nightly sync']);
      expect(audit.details).not.toContain(token.slice('sspr_'.length));
    });
    // Never again: the list does not show it.
    const list = await ok('token', 'list');
    expect(list).not.toContain(token);
    expect(list).toContain('nightly sync\tread\tactive');
  });

  it('--scope write and --expires-days set what the token may do and until when', async () => {
    const before = Date.now();
    const token = printedToken(await ok('token', 'create', 'ci', '--scope', 'write', '--expires-days', '30'));
    const [row] = JSON.parse(await ok('token', 'list', '--json')) as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ name: 'ci', scope: 'write', status: 'active', revokedAt: null });
    expect(Object.keys(row!)).not.toContain('tokenHash');
    expect(row!['expiresAt']).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(row!['expiresAt']).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    await withPortal(async (portal) => {
      expect(await apiStatus(portal, token, 'POST', '/users/nobody/disable')).toBe(404);
    });
  });

  it('--area limits the token to those areas of the API: elsewhere it gets 403', async () => {
    const out = await ok('token', 'create', 'sync-bot', '--scope', 'write', '--area', 'sync', 'settings');
    expect(out).toContain('Created API token sync-bot (settings:write, sync:write, does not expire');
    const token = printedToken(out);
    expect((await ok('token', 'list')).split('\t')[2]).toBe('settings:write,sync:write');
    await withPortal(async (portal) => {
      expect(await apiStatus(portal, token, 'GET', '/sync')).toBe(200);
      expect(await apiStatus(portal, token, 'GET', '/policy')).toBe(403);
    });
    for (const area of ['colours', 'sync:admin']) {
      const bad = await sspr('token', 'create', 'x', '--area', area);
      expect(bad.code).toBe(EXIT.usage);
      expect(bad.stderr).toContain('error: --area: Choose areas from the list');
    }
  });

  it('--area takes a level per area: settings:write audit:read', async () => {
    const out = await ok('token', 'create', 'audit-bot', '--area', 'settings:write', 'audit:read');
    expect(out).toContain('Created API token audit-bot (audit:read, settings:write, does not expire');
    const token = printedToken(out);
    await withPortal(async (portal) => {
      expect(await apiStatus(portal, token, 'GET', '/audit')).toBe(200);
      expect(await apiStatus(portal, token, 'GET', '/settings')).toBe(200);
      expect(await apiStatus(portal, token, 'POST', '/sync/run')).toBe(403);
    });
  });

  it('bad arguments exit 2, name the problem on stderr and create nothing', async () => {
    for (const args of [
      ['token', 'create', 'x', '--scope', 'admin'],
      ['token', 'create', 'x', '--expires-days', '0'],
      ['token', 'create', 'x', '--expires-days', 'soon'],
      ['token', 'create', 'x', '--expires-days', '5000'],
      ['token', 'create', ''],
      ['token', 'create', 'y'.repeat(101)],
      ['token', 'create'],
    ]) {
      const r = await sspr(...args);
      expect(r.code, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr, args.join(' ')).toMatch(/error/);
      expect(r.stdout).not.toMatch(/sspr_/);
    }
    expect((await sspr('token', 'create', 'x', '--expires-days', '0')).stderr).toContain('error: --expires-days: Enter a whole number of days from 1 to 3650');
    expect((await sspr('token', 'create', 'x', '--expires-days', '5000')).stderr).toContain('error: --expires-days: Enter a whole number of days from 1 to 3650');
    expect((await sspr('token', 'create', '')).stderr).toBe('error: name: Enter a name for the token.\n');
    expect(await ok('token', 'list')).toBe('');
  });

  it('a second usable token with the same name is refused (exit 5)', async () => {
    await ok('token', 'create', 'ci');
    const r = await sspr('token', 'create', 'ci', '--scope', 'write');
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe('error: A token with this name is already in use. Choose another name, or revoke the old token first.\n');
  });

  it('revoke by name or id stops the token at once; unknown exits 4, twice exits 5', async () => {
    const first = printedToken(await ok('token', 'create', 'first'));
    const second = printedToken(await ok('token', 'create', 'second', '--scope', 'write'));
    expect(await ok('token', 'revoke', 'first')).toMatch(/^Revoked API token first \(id [0-9a-f-]{36}\)\.\n$/);
    const id = (JSON.parse(await ok('token', 'list', '--json')) as Array<{ id: string; name: string }>).find((x) => x.name === 'second')!.id;
    await ok('token', 'revoke', id);
    await withPortal(async (portal) => {
      expect(await apiStatus(portal, first)).toBe(401);
      expect(await apiStatus(portal, second)).toBe(401);
      const events = await portal.store.db.selectFrom('audit_events').select(['event', 'actor_name', 'target_name']).where('event', '=', 'api_token_revoked').orderBy('id').execute();
      expect(events).toEqual([
        { event: 'api_token_revoked', actor_name: 'cli', target_name: 'first' },
        { event: 'api_token_revoked', actor_name: 'cli', target_name: 'second' },
      ]);
    });
    expect(await ok('token', 'list')).toMatch(/first\tread\trevoked/);
    const unknown = await sspr('token', 'revoke', 'nothing');
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.stderr).toBe('error: There is no API token with this id or name.\n');
    const twice = await sspr('token', 'revoke', id);
    expect(twice.code).toBe(EXIT.refused);
    expect(twice.stderr).toBe('error: This token was already revoked.\n');
  });
});
