import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { User } from '../../src/directory/users.js';
import { UserStore } from '../../src/directory/users.js';
import { MethodStore, type Method } from '../../src/methods/method-store.js';
import { systemClock } from '../../src/shared/clock.js';
import { deriveKey } from '../../src/shared/crypto.js';
import { createFieldCipher } from '../../src/shared/sealed.js';
import { openStore, type Store } from '../../src/store/database.js';

/**
 * The store of a real portal process (startPortalProcess), opened from the test with the
 * process's own key, for what no page or command can do yet: hybrid users (source `onprem`,
 * anchored on an AD objectGUID) arrive with the AD sync, which does not exist yet, and such a
 * user has no portal password to sign in and register methods with. Everything is written the
 * way the portal writes it (UserStore, MethodStore with the same data and lookup keys), so the
 * process reads it as its own. SQLite in WAL mode with a busy timeout: safe next to the process.
 */
export interface PortalStore {
  store: Store;
  users: UserStore;
  methods: MethodStore;
  /** A hybrid user: source onprem, anchor = the AD user's objectGUID, no portal password. */
  addHybridUser(input: { username: string; displayName: string; anchor: string }): Promise<User>;
  /** A confirmed email method, as if the user had registered it and entered its code. */
  addConfirmedEmail(userId: string, address: string): Promise<Method>;
  close(): Promise<void>;
}

/** Opens `<dir>/sspr.db` with the key from `<dir>/secret.key` (as written by startPortalProcess). */
export function openPortalStore(portal: { dir: string }): PortalStore {
  const master = Buffer.from(readFileSync(join(portal.dir, 'secret.key'), 'utf8').trim(), 'base64');
  if (master.length !== 32) throw new Error(`${portal.dir}/secret.key does not hold a 32-byte key`);
  const store = openStore(`sqlite:${join(portal.dir, 'sspr.db')}`);
  const users = new UserStore(store.db, systemClock);
  const methods = new MethodStore(store.db, systemClock, createFieldCipher(deriveKey(master, 'data-encryption')), deriveKey(master, 'lookup'));
  return {
    store,
    users,
    methods,
    addHybridUser: ({ username, displayName, anchor }) => users.create({ username, displayName, email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor }),
    async addConfirmedEmail(userId, address) {
      const m = await methods.addContact(userId, 'email', address.toLowerCase());
      await methods.confirm(userId, m.id);
      return (await methods.get(userId, m.id))!;
    },
    close: () => store.close(),
  };
}
