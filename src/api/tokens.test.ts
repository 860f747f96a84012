import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, dialects } from '../../test/helpers/test-portal.js';
import { createAuditLog } from '../audit/audit-log.js';
import { manualClock } from '../shared/clock.js';
import { hashToken } from '../shared/crypto.js';
import type { Store } from '../store/database.js';
import { ApiTokenService, type ApiToken } from './tokens.js';

/**
 * API tokens through the real service on a fresh store, once per dialect: what is stored, what
 * authenticates, what is audited.
 */

const DAY = 86_400_000;
const ADMIN = { id: null, name: 'root', ip: '192.0.2.1' };

describe.each(dialects)('API tokens on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let clock: ReturnType<typeof manualClock>;
  let tokens: ApiTokenService;

  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
    clock = manualClock();
    tokens = new ApiTokenService({ store, clock, audit: createAuditLog(store, clock) });
  });
  afterEach(() => cleanup());

  async function create(name: string, scope: 'read' | 'write' = 'read', expiresInDays?: number | null): Promise<{ token: string; record: ApiToken }> {
    const r = await tokens.create(ADMIN, { name, scope, expiresInDays });
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r.value;
  }

  const rows = () => store.db.selectFrom('api_tokens').selectAll().execute();
  const auditRows = () => store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();

  it('stores only the token\'s hash: the table never contains the token', async () => {
    const { token, record } = await create('nightly sync', 'write');
    expect(token).toMatch(/^sspr_[A-Za-z0-9_-]{43}$/);
    const all = await rows();
    expect(all).toHaveLength(1);
    expect(all[0]!.token_hash).toBe(hashToken(token));
    const dump = JSON.stringify(all);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice('sspr_'.length));
    // Nothing handed out after creation carries it either.
    expect(JSON.stringify(await tokens.list())).not.toContain(token);
    expect(JSON.stringify(record)).not.toContain(token);
  });

  it('two tokens are never the same', async () => {
    const a = await create('a');
    const b = await create('b');
    expect(a.token).not.toBe(b.token);
  });

  it('authenticates a fresh token and refuses unknown, malformed, revoked and expired ones', async () => {
    const { token, record } = await create('ci', 'write', 30);
    expect((await tokens.authenticate(token))?.id).toBe(record.id);
    expect(await tokens.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(await tokens.authenticate('')).toBeNull();
    expect(await tokens.authenticate(token.slice('sspr_'.length))).toBeNull();
    expect(await tokens.authenticate(`${token} `)).toBeNull();
    // The stored hash itself is not a token.
    expect(await tokens.authenticate((await rows())[0]!.token_hash)).toBeNull();

    clock.advance(30 * DAY - 1);
    expect(await tokens.authenticate(token)).not.toBeNull();
    clock.advance(1);
    expect(await tokens.authenticate(token)).toBeNull();

    const other = await create('other');
    expect((await tokens.revoke(ADMIN, other.record.id)).ok).toBe(true);
    expect(await tokens.authenticate(other.token)).toBeNull();
  });

  it('records when a token was last used, at most once a minute', async () => {
    const { token, record } = await create('ci');
    const start = clock.now();
    expect((await tokens.byId(record.id))!.lastUsedAt).toBeNull();
    await tokens.authenticate(token);
    expect((await tokens.byId(record.id))!.lastUsedAt).toBe(start);
    clock.advance(59_000);
    await tokens.authenticate(token);
    expect((await tokens.byId(record.id))!.lastUsedAt).toBe(start);
    clock.advance(1_000);
    await tokens.authenticate(token);
    expect((await tokens.byId(record.id))!.lastUsedAt).toBe(start + 60_000);
  });

  it('creating and revoking are audited with the token\'s name and id, never the token', async () => {
    const { token, record } = await create('reporting', 'read', 7);
    await tokens.revoke(ADMIN, record.id);
    const events = await auditRows();
    expect(events.map((e) => [e.event, e.outcome, e.actor_name, e.target_id, e.target_name, e.ip])).toEqual([
      ['api_token_created', 'success', 'root', record.id, 'reporting', '192.0.2.1'],
      ['api_token_revoked', 'success', 'root', record.id, 'reporting', '192.0.2.1'],
    ]);
    expect(JSON.parse(events[0]!.details)).toEqual({ scope: 'read', expiresAt: new Date(clock.now() + 7 * DAY).toISOString() });
    expect(JSON.stringify(events)).not.toContain(token.slice('sspr_'.length));
  });

  it('a token revoked twice is revoked (and audited) once', async () => {
    const { record } = await create('ci');
    const [a, b] = await Promise.all([tokens.revoke(ADMIN, record.id), tokens.revoke(ADMIN, record.id)]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    const refused = a.ok ? b : a;
    expect(refused).toEqual({ ok: false, reason: 'already_revoked' });
    expect((await auditRows()).filter((e) => e.event === 'api_token_revoked')).toHaveLength(1);
    expect(await tokens.revoke(ADMIN, '00000000-0000-4000-8000-000000000000')).toEqual({ ok: false, reason: 'not_found' });
  });

  it('refuses bad input field by field and creates nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: '', scope: 'read' }, 'name'],
      [{ name: '   ', scope: 'read' }, 'name'],
      [{ name: 'x'.repeat(101), scope: 'read' }, 'name'],
      [{ name: 'tab\there', scope: 'read' }, 'name'],
      [{ name: ['a'], scope: 'read' }, 'name'],
      [{ name: 'ok', scope: 'admin' }, 'scope'],
      [{ name: 'ok' }, 'scope'],
      [{ name: 'ok', scope: 'read', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'ok', scope: 'read', expiresInDays: 3651 }, 'expiresInDays'],
      [{ name: 'ok', scope: 'read', expiresInDays: 1.5 }, 'expiresInDays'],
      [{ name: 'ok', scope: 'read', expiresInDays: '30' }, 'expiresInDays'],
    ];
    for (const [input, field] of cases) {
      const r = await tokens.create(ADMIN, input);
      expect(r.ok, JSON.stringify(input)).toBe(false);
      if (!r.ok && r.reason === 'invalid') expect(Object.keys(r.errors), JSON.stringify(input)).toContain(field);
      else throw new Error(`expected invalid for ${JSON.stringify(input)}`);
    }
    expect(await tokens.create(ADMIN, null)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await rows()).toHaveLength(0);
    expect(await auditRows()).toHaveLength(0);
  });

  it('one usable token per name; the name is free again once the token is revoked or expired', async () => {
    const first = await create('sync', 'read', 1);
    expect(await tokens.create(ADMIN, { name: ' sync ', scope: 'write' })).toEqual({ ok: false, reason: 'exists' });
    clock.advance(DAY);
    const second = await create('sync', 'write');
    expect(second.record.id).not.toBe(first.record.id);
    await tokens.revoke(ADMIN, second.record.id);
    await create('sync');
    expect((await tokens.list()).map((x) => x.name)).toEqual(['sync', 'sync', 'sync']);
  });

  it('finds a token by id or by name, and asks for the id when a name is ambiguous', async () => {
    const old = await create('sync', 'read', 1);
    expect(await tokens.find('sync')).toEqual({ ok: true, value: expect.objectContaining({ id: old.record.id }) });
    expect(await tokens.find(old.record.id)).toEqual({ ok: true, value: expect.objectContaining({ id: old.record.id }) });
    clock.advance(DAY);
    const fresh = await create('sync');
    // An expired and a new token share the name: only the id says which.
    expect(await tokens.find('sync')).toEqual({ ok: false, reason: 'ambiguous' });
    expect(await tokens.find(fresh.record.id)).toEqual({ ok: true, value: expect.objectContaining({ id: fresh.record.id }) });
    await tokens.revoke(ADMIN, old.record.id);
    expect(await tokens.find('sync')).toEqual({ ok: true, value: expect.objectContaining({ id: fresh.record.id }) });
    expect(await tokens.find('nothing')).toEqual({ ok: false, reason: 'not_found' });
  });

  it('lists every token newest first with its state, without the hash', async () => {
    const a = await create('a', 'read', 1);
    clock.advance(1000);
    const b = await create('b', 'write');
    const list = await tokens.list();
    expect(list.map((x) => x.id)).toEqual([b.record.id, a.record.id]);
    expect(list[0]).toEqual({ id: b.record.id, name: 'b', scope: 'write', areas: null, createdBy: null, createdAt: clock.now(), expiresAt: null, lastUsedAt: null, revokedAt: null });
    expect(Object.keys(list[0]!)).not.toContain('tokenHash');
    expect(JSON.stringify(list)).not.toContain((await rows())[0]!.token_hash);
  });
});
