import { NO_MIGRATIONS, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, dialects } from '../../test/helpers/test-portal.js';
import { createAuditLog } from '../audit/audit-log.js';
import { FlowStore } from '../state/flow-store.js';
import { SessionStore } from '../state/sessions.js';
import { GroupStore } from '../directory/groups.js';
import { UserStore } from '../directory/users.js';
import { manualClock } from '../shared/clock.js';
import { hashToken } from '../shared/crypto.js';
import { migrateToLatest, migratorFor, pendingMigrations, type Store } from './database.js';
import { latestMigration, migrations } from './migrations/index.js';

const allMigrations = Object.keys(migrations);
const appTables = ['agent_presence', 'agent_registrations', 'agents', 'api_tokens', 'audit_events', 'auth_methods', 'brand_assets', 'brand_versions', 'caller_verifications', 'captcha_solutions', 'delivery_log', 'flows', 'group_members', 'groups', 'helpdesk_scopes', 'key_canary', 'outbox_messages', 'password_history', 'password_reminders', 'policy_versions', 'recovery_codes', 'report_links', 'reregistrations', 'reset_links', 'security_answers', 'self_service_blocks', 'sessions', 'setup_tokens', 'sync_runs', 'sync_state', 'synced_objects', 'throttle', 'user_roles', 'users', 'verification_codes', 'wording_versions', 'writeback_jobs'].concat('settings_versions').sort();
/** Tables the latest migration creates (the down/up test checks exactly these); it adds api_tokens.areas. */
const latestTables: string[] = [];
const latestColumn = { table: 'sync_state', column: 'scope_key' };

async function columnsOf(store: Store, table: string): Promise<string[]> {
  return ((await store.db.introspection.getTables()).find((t) => t.name === table)?.columns ?? []).map((c) => c.name);
}

async function tableNames(store: Store): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  return tables.map((t) => t.name).filter((n) => !n.startsWith('sspr_migrations'));
}

describe.each(dialects)('migrations on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect, { migrate: false }));
  });
  afterEach(() => cleanup());

  it('an empty database gets every table, and nothing is pending afterwards', async () => {
    expect(await tableNames(store)).toEqual([]);
    expect(await pendingMigrations(store)).toEqual(allMigrations);
    const result = await migrateToLatest(store);
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual(allMigrations.map((m) => [m, 'Success']));
    expect((await tableNames(store)).sort()).toEqual(appTables);
    expect(await pendingMigrations(store)).toEqual([]);
  });

  it('running the migrations again is a no-op', async () => {
    await migrateToLatest(store);
    const users = new UserStore(store.db, manualClock());
    const alice = await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: ['administrator'], passwordHash: 'h' });
    const again = await migrateToLatest(store);
    expect(again.results).toEqual([]);
    expect((await tableNames(store)).sort()).toEqual(appTables);
    expect(await users.byId(alice.id)).toEqual(alice);
  });

  it('upgrading a database of an earlier version keeps its rows and adds working new tables', async () => {
    const migrated = await migratorFor(store).migrateTo('0002-sessions-and-flows');
    expect(migrated.error).toBeUndefined();
    expect(await pendingMigrations(store)).toEqual(allMigrations.slice(allMigrations.indexOf('0002-sessions-and-flows') + 1));
    expect(await tableNames(store)).not.toContain('audit_events');

    // Rows as a 0002 portal wrote them, inserted with plain queries.
    const t0 = Date.UTC(2025, 5, 1);
    const userId = '11111111-1111-4111-8111-111111111111';
    const groupId = '22222222-2222-4222-8222-222222222222';
    const sessionToken = 'old-session-token-0123456789abcdefghijklmnop';
    await store.db
      .insertInto('users')
      .values({ id: userId, username: 'Alice', username_key: 'alice', display_name: 'Alice Old', email: 'alice@corp.test', enabled: 1, source: 'cloud', anchor: null, password_hash: 'argon2-old', password_changed_at: t0, created_at: t0, updated_at: t0 })
      .execute();
    await store.db.insertInto('user_roles').values({ user_id: userId, role: 'administrator' }).execute();
    await store.db.insertInto('groups').values({ id: groupId, name: 'Staff', name_key: 'staff', description: 'All staff', source: 'cloud', anchor: null, created_at: t0 }).execute();
    await store.db.insertInto('group_members').values({ group_id: groupId, member_type: 'user', member_id: userId, added_at: t0 }).execute();
    await store.db
      .insertInto('sessions')
      .values({ id_hash: hashToken(sessionToken), user_id: userId, created_at: t0, last_seen_at: t0, absolute_expires_at: t0 + 8 * 3_600_000, ip: '192.0.2.7', user_agent: 'Old/1.0', amr: 'password' })
      .execute();

    const upgrade = await migrateToLatest(store);
    expect(upgrade.results?.map((r) => [r.migrationName, r.status])).toEqual(allMigrations.slice(allMigrations.indexOf('0002-sessions-and-flows') + 1).map((name) => [name, 'Success']));
    expect(await pendingMigrations(store)).toEqual([]);

    const clock = manualClock(t0 + 60_000);
    const users = new UserStore(store.db, clock);
    expect(await users.byUsername('ALICE')).toEqual({
      id: userId,
      username: 'Alice',
      displayName: 'Alice Old',
      email: 'alice@corp.test',
      enabled: true,
      source: 'cloud',
      anchor: null,
      roles: ['administrator'],
      hasPassword: true,
      passwordChangedAt: t0,
      createdAt: t0,
      securityInfoConfirmedAt: null,
      language: null,
    });
    expect(await users.passwordHash(userId)).toBe('argon2-old');
    const groups = new GroupStore(store.db, clock);
    expect(await groups.byName('staff')).toEqual({ id: groupId, name: 'Staff', description: 'All staff', source: 'cloud', createdAt: t0 });
    expect(await groups.isMember(userId, groupId)).toBe(true);
    const sessions = new SessionStore(store, clock, { idleMs: 30 * 60_000, absoluteMs: 8 * 3_600_000 });
    expect(await sessions.validate(sessionToken)).toMatchObject({ userId, ip: '192.0.2.7', userAgent: 'Old/1.0', amr: ['password'] });

    await createAuditLog(store, clock).record({ event: 'upgrade_check', outcome: 'info', target: { id: userId, name: 'Alice' }, details: { from: '0002' } });
    const events = await store.db.selectFrom('audit_events').selectAll().execute();
    expect(events).toEqual([
      { id: expect.any(Number), at: clock.now(), event: 'upgrade_check', outcome: 'info', actor_id: null, actor_name: null, target_id: userId, target_name: 'Alice', ip: null, user_agent: null, details: '{"from":"0002"}', attention: 0 },
    ]);
  });

  it('0010 keys flows by the hash of their id and drops the flows open at the upgrade, keeping everything else', async () => {
    await migratorFor(store).migrateTo('0009-agent-presence');
    const t0 = Date.now();
    const users = new UserStore(store.db, manualClock(t0));
    const alice = await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: [], passwordHash: null });
    const oldId = 'open-flow-id-from-before-0010-0123456789';
    // A flow as a 0009 portal wrote it: the id the browser held was the primary key.
    type FlowsBefore0010 = { flows: { id: string; kind: string; state: string; user_id: string; browser_hash: string; data: string; version: number; created_at: number; expires_at: number } };
    await (store.db as unknown as Kysely<FlowsBefore0010>)
      .insertInto('flows')
      .values({ id: oldId, kind: 'reset', state: 'verified', user_id: alice.id, browser_hash: hashToken('browser'), data: '{}', version: 3, created_at: t0, expires_at: t0 + 15 * 60_000 })
      .execute();
    const up = await migratorFor(store).migrateTo('0010-flow-id-hashes');
    expect(up.error).toBeUndefined();
    const columns = (await store.db.introspection.getTables()).find((t) => t.name === 'flows')!.columns.map((c) => c.name);
    expect(columns).toContain('id_hash');
    expect(columns).not.toContain('id');
    expect(await store.db.selectFrom('flows').selectAll().execute()).toEqual([]);
    const flows = new FlowStore(store, manualClock(t0));
    expect(await flows.load('reset', oldId, 'browser')).toEqual({ ok: false, reason: 'not_found' });
    expect(await users.byId(alice.id)).toEqual(alice);
  });

  it('the last migration can be reverted and re-applied without touching older data', async () => {
    await migrateToLatest(store);
    const clock = manualClock();
    const users = new UserStore(store.db, clock);
    const alice = await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: [], passwordHash: null });
    await createAuditLog(store, clock).record({ event: 'before_down', outcome: 'info' });

    const down = await migratorFor(store).migrateDown();
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([[latestMigration, 'Down', 'Success']]);
    expect(await pendingMigrations(store)).toEqual([latestMigration]);
    const remaining = await tableNames(store);
    for (const table of latestTables) expect(remaining).not.toContain(table);
    expect(await columnsOf(store, latestColumn.table)).not.toContain(latestColumn.column);
    expect(await users.byId(alice.id)).toEqual(alice);
    expect((await store.db.selectFrom('audit_events').select('event').execute()).map((r) => r.event)).toEqual(['before_down']);

    const up = await migrateToLatest(store);
    expect(up.results?.map((r) => [r.migrationName, r.status])).toEqual([[latestMigration, 'Success']]);
    expect(await pendingMigrations(store)).toEqual([]);
    expect((await tableNames(store)).sort()).toEqual(appTables);
    expect(await columnsOf(store, latestColumn.table)).toContain(latestColumn.column);
    expect(await columnsOf(store, 'users')).toContain('language');
    await users.setLanguage(alice.id, 'fr');
    expect((await users.byId(alice.id))?.language).toBe('fr');
    expect(await store.db.selectFrom('synced_objects').selectAll().execute()).toEqual([]);
    await createAuditLog(store, clock).record({ event: 'after_up', outcome: 'info' });
    expect((await store.db.selectFrom('audit_events').select('event').execute()).map((r) => r.event)).toEqual(['before_down', 'after_up']);
  });

  it('every migration can be reverted down to an empty database and applied again', async () => {
    await migrateToLatest(store);
    const down = await migratorFor(store).migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => r.migrationName)).toEqual([...allMigrations].reverse());
    expect(await tableNames(store)).toEqual([]);
    expect(await pendingMigrations(store)).toEqual(allMigrations);
    await migrateToLatest(store);
    expect((await tableNames(store)).sort()).toEqual(appTables);
  });
});
