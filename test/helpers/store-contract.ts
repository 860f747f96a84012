import { afterEach, beforeEach } from 'vitest';
import { createTestStore, type DialectName } from './test-portal.js';
import { GroupStore } from '../../src/directory/groups.js';
import { UserStore, type NewUser, type User } from '../../src/directory/users.js';
import { manualClock } from '../../src/shared/clock.js';
import type { Store } from '../../src/store/database.js';

/**
 * The store contract: every test runs unchanged against SQLite and PostgreSQL, each on a fresh,
 * migrated database, through the real store classes. A behaviour that differs between the two
 * dialects fails there on one of them. This is the one set-up every file of src/store/contract/ shares.
 */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export type ManualClock = ReturnType<typeof manualClock>;

export interface ContractFixture {
  store: Store;
  clock: ManualClock;
  users: UserStore;
  groups: GroupStore;
  newUser(username: string, extra?: Partial<NewUser>): Promise<User>;
}

/** Registers a fresh migrated store per test; the returned object's fields are replaced before each test. */
export function contractFixture(dialect: DialectName): ContractFixture {
  let cleanup: () => Promise<void> = () => Promise.resolve();
  const fx = {
    newUser: (username: string, extra: Partial<NewUser> = {}): Promise<User> => fx.users.create({ username, displayName: username, email: null, roles: [], passwordHash: null, ...extra }),
  } as ContractFixture;
  beforeEach(async () => {
    const created = await createTestStore(dialect);
    cleanup = created.cleanup;
    fx.store = created.store;
    fx.clock = manualClock();
    fx.users = new UserStore(fx.store.db, fx.clock);
    fx.groups = new GroupStore(fx.store.db, fx.clock);
  });
  afterEach(() => cleanup());
  return fx;
}
