import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore } from '../../test/helpers/test-portal.js';
import { createAuditLog } from '../audit/audit-log.js';
import { createPasswordHasher, type PasswordHasher } from '../passwords/password-hash.js';
import { PasswordHistory } from '../passwords/history.js';
import { manualClock } from '../shared/clock.js';
import type { Store } from '../store/database.js';
import { DirectoryService } from './directory-service.js';
import { GroupStore } from './groups.js';
import { UserStore, type User } from './users.js';

const real = createPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 });
const OLD = 'first tea party 1';
const NEW = 'violet tractor marmalade';

describe('setting a cloud user\'s password', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let users: UserStore;
  let alice: User;
  /** What the hasher did, in order: a verify or a hash starting and ending. */
  let steps: string[];
  let directory: DirectoryService;
  const clock = manualClock();
  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore('sqlite'));
    users = new UserStore(store.db, clock);
    steps = [];
    const traced = <T>(name: string, work: () => Promise<T>) => {
      steps.push(`${name} start`);
      return work().then((v) => (steps.push(`${name} end`), v));
    };
    const hasher: PasswordHasher = {
      hash: (pw) => traced('hash', () => real.hash(pw)),
      verify: (hash, pw) => traced('verify', () => real.verify(hash, pw)),
      verifyNothing: (pw) => real.verifyNothing(pw),
    };
    const history = new PasswordHistory(store.db, clock, 3);
    directory = new DirectoryService({ users, groups: new GroupStore(store.db, clock), hasher, audit: createAuditLog(store, clock), sessions: { revokeAllForUser: () => Promise.resolve(0) }, passwordRules: { minLength: 8, maxLength: 256 }, passwordHistory: history });
    const created = await directory.createUser({ id: null, name: 'test' }, { username: 'alice', displayName: 'Alice', password: OLD });
    if (!created.ok) throw new Error('alice not created');
    alice = created.value;
    steps = [];
  });
  afterEach(() => cleanup());

  it('hashes the new password while the history is checked, with the same outcome and audit', async () => {
    const r = await directory.setPassword({ id: null, name: 'admin' }, alice.id, { password: NEW, confirm: NEW });
    expect(r).toMatchObject({ ok: true });
    // Both started before either ended: they ran side by side.
    expect(steps.slice(0, 2).sort()).toEqual(['hash start', 'verify start']);
    expect(await real.verify((await users.passwordHash(alice.id))!, NEW)).toBe(true);
    const events = await store.db.selectFrom('audit_events').select(['event', 'outcome']).where('event', '=', 'password_set_by_admin').execute();
    expect(events).toEqual([{ event: 'password_set_by_admin', outcome: 'success' }]);
  });

  it('a reused password is refused and nothing is stored (its hash is thrown away); one the rules refuse or a mismatch is never hashed', async () => {
    const before = await users.passwordHash(alice.id);
    expect(await directory.setPassword({ id: null, name: 'admin' }, alice.id, { password: OLD, confirm: OLD })).toMatchObject({ ok: false, reason: 'invalid', errors: { password: 'v.password.reused' } });
    expect(await users.passwordHash(alice.id)).toBe(before);
    steps = [];
    expect(await directory.setPassword({ id: null, name: 'admin' }, alice.id, { password: 'Password', confirm: 'Password' })).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await directory.setPassword({ id: null, name: 'admin' }, alice.id, { password: NEW, confirm: 'something else' })).toMatchObject({ ok: false, errors: { confirm: 'v.password.mismatch' } });
    expect(steps.filter((s) => s === 'hash start')).toEqual([]);
  });
});
