import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, dialects } from '../../test/helpers/test-portal.js';
import { MethodStore } from '../methods/method-store.js';
import { UserStore } from '../directory/users.js';
import { manualClock } from '../shared/clock.js';
import { deriveKey } from '../shared/crypto.js';
import { createFieldCipher } from '../shared/sealed.js';
import { newKeyBase64 } from '../config/secret-key.js';
import { checkStoreKey, storeHasSealedData } from './key-canary.js';
import type { Store } from './database.js';

const key = () => Buffer.from(newKeyBase64(), 'base64');

describe.each(dialects)('the store-key canary on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
  });
  afterEach(() => cleanup());

  it('an empty store gets the canary from the first key; from then on only that key opens it', async () => {
    const first = key();
    expect(await storeHasSealedData(store)).toBe(false);
    expect(await checkStoreKey(store, first, { write: false })).toEqual({ state: 'unverified', proof: 'empty' });
    expect(await storeHasSealedData(store)).toBe(false);
    expect(await checkStoreKey(store, first, { write: true })).toEqual({ state: 'written', proof: 'empty' });
    expect(await storeHasSealedData(store)).toBe(true);
    expect(await checkStoreKey(store, first, { write: true })).toEqual({ state: 'ok' });
    expect(await checkStoreKey(store, key(), { write: true })).toEqual({ state: 'wrong', evidence: 'canary' });
    expect(await store.db.selectFrom('key_canary').selectAll().execute()).toHaveLength(1);
  });

  it('two instances starting at once with different keys: one canary, and the loser is told its key is wrong', async () => {
    const [a, b] = await Promise.all([checkStoreKey(store, key(), { write: true }), checkStoreKey(store, key(), { write: true })]);
    expect([a.state, b.state].sort()).toEqual(['written', 'wrong']);
  });

  it('without a canary, sealed method data decides: the key that sealed it writes the canary, another key writes nothing', async () => {
    const right = key();
    const clock = manualClock();
    const users = new UserStore(store.db, clock);
    const alice = await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: [], passwordHash: null });
    const methods = new MethodStore(store.db, clock, createFieldCipher(deriveKey(right, 'data-encryption')), deriveKey(right, 'lookup'));
    await methods.addContact(alice.id, 'email', 'alice@example.com');
    expect(await storeHasSealedData(store)).toBe(true);

    expect(await checkStoreKey(store, key(), { write: true })).toEqual({ state: 'wrong', evidence: 'sealed-data' });
    expect(await store.db.selectFrom('key_canary').selectAll().execute()).toEqual([]);
    expect(await checkStoreKey(store, right, { write: true })).toEqual({ state: 'written', proof: 'sealed-data' });
    expect(await checkStoreKey(store, right, { write: false })).toEqual({ state: 'ok' });
  });
});
