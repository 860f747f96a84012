import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, createTestStore, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { createPasswordHasher } from './password-hash.js';
import { UserStore } from '../directory/users.js';
import { manualClock } from '../shared/clock.js';
import type { Store } from '../store/database.js';
import { PasswordHistory } from './history.js';

const hasher = createPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 });
const passwords = ['first tea party 1', 'second tea party 2', 'third tea party 3', 'fourth tea party 4', 'fifth tea party 5', 'sixth tea party 6', 'seventh tea party 7'];

describe.each(dialects)('password history on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let alice: string;
  let bob: string;
  const clock = manualClock();
  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
    const users = new UserStore(store.db, clock);
    alice = (await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: [], passwordHash: null })).id;
    bob = (await users.create({ username: 'bob', displayName: 'Bob', email: null, roles: [], passwordHash: null })).id;
  });
  afterEach(() => cleanup());

  async function rememberAll(history: PasswordHistory, userId: string, list: string[]) {
    for (const pw of list) {
      await history.remember(userId, await hasher.hash(pw));
      clock.advance(1000);
    }
  }

  it('recognises a remembered password and nothing else', async () => {
    const history = new PasswordHistory(store.db, clock, 5);
    await rememberAll(history, alice, passwords.slice(0, 2));
    expect(await history.isReused(alice, 'first tea party 1', hasher)).toBe(true);
    expect(await history.isReused(alice, 'second tea party 2', hasher)).toBe(true);
    expect(await history.isReused(alice, 'First tea party 1', hasher)).toBe(false);
    expect(await history.isReused(bob, 'first tea party 1', hasher)).toBe(false);
  });

  it('keeps only the newest N hashes of a user, and leaves other users alone', async () => {
    const history = new PasswordHistory(store.db, clock, 5);
    await rememberAll(history, bob, ['bob only password']);
    await rememberAll(history, alice, passwords);
    expect(await history.hashes(alice)).toHaveLength(5);
    expect(await store.db.selectFrom('password_history').select('id').where('user_id', '=', alice).execute()).toHaveLength(5);
    for (const forgotten of passwords.slice(0, 2)) expect(await history.isReused(alice, forgotten, hasher)).toBe(false);
    for (const kept of passwords.slice(2)) expect(await history.isReused(alice, kept, hasher)).toBe(true);
    expect(await history.isReused(bob, 'bob only password', hasher)).toBe(true);
  });

  it('orders passwords set in the same millisecond by insertion', async () => {
    const history = new PasswordHistory(store.db, clock, 2);
    for (const pw of passwords.slice(0, 3)) await history.remember(alice, await hasher.hash(pw));
    expect(await history.isReused(alice, passwords[0]!, hasher)).toBe(false);
    expect(await history.isReused(alice, passwords[2]!, hasher)).toBe(true);
  });

  it('with a count of 0 remembers nothing, forgets what was kept, and refuses nothing', async () => {
    await rememberAll(new PasswordHistory(store.db, clock, 5), alice, passwords.slice(0, 1));
    const off = new PasswordHistory(store.db, clock, 0);
    expect(await off.isReused(alice, passwords[0]!, hasher)).toBe(false);
    await off.remember(alice, await hasher.hash(passwords[1]!));
    expect(await store.db.selectFrom('password_history').selectAll().execute()).toEqual([]);
  });

  it('is deleted with the user', async () => {
    await rememberAll(new PasswordHistory(store.db, clock, 5), alice, passwords.slice(0, 1));
    await store.db.deleteFrom('users').where('id', '=', alice).execute();
    expect(await store.db.selectFrom('password_history').selectAll().execute()).toEqual([]);
  });

  it('refuses a count outside 0–24', () => {
    expect(() => new PasswordHistory(store.db, clock, 25)).toThrow();
    expect(() => new PasswordHistory(store.db, clock, -1)).toThrow();
  });
});

describe.each(dialects)('the directory service keeps and checks the history on %s', (dialect) => {
  let tp: TestPortal;
  beforeEach(async () => {
    tp = await createTestPortal({ dialect, config: { passwords: { historyCount: 3 } } });
  });
  afterEach(() => tp.cleanup());
  const actor = { id: null, name: 'test' };

  it('records the password on create and on every set, and refuses one of the last N again', async () => {
    const created = await tp.portal.directory.createUser(actor, { username: 'alice', displayName: 'Alice', password: passwords[0] });
    if (!created.ok) throw new Error(JSON.stringify(created));
    const id = created.value.id;
    expect(await tp.store.db.selectFrom('password_history').select('user_id').execute()).toEqual([{ user_id: id }]);

    const again = await tp.portal.directory.setPassword(actor, id, { password: passwords[0] });
    expect(again).toEqual({ ok: false, reason: 'invalid', errors: { password: 'v.password.reused' }, passwordReasons: [{ key: 'v.password.reused' }] });

    for (const pw of passwords.slice(1, 4)) expect((await tp.portal.directory.setPassword(actor, id, { password: pw })).ok).toBe(true);
    // Four passwords set, three remembered: the first may be used again, the last three not.
    expect((await tp.portal.directory.setPassword(actor, id, { password: passwords[2] })).ok).toBe(false);
    expect((await tp.portal.directory.setPassword(actor, id, { password: passwords[0] })).ok).toBe(true);
  });

  it('reports every rule a refused password breaks, with the first as the field error', async () => {
    const created = await tp.portal.directory.createUser(actor, { username: 'kingsley', displayName: 'Kingsley Arbuthnot', password: 'kingsley1' });
    expect(created).toMatchObject({
      ok: false,
      reason: 'invalid',
      errors: { password: 'v.password.name' },
      passwordReasons: [{ key: 'v.password.name' }, { key: 'v.password.weak' }],
    });
    expect(await tp.store.db.selectFrom('users').select('id').execute()).toEqual([]);
  });
});
