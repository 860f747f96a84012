import { deriveKey } from '../shared/crypto.js';
import { createFieldCipher, type FieldCipher } from '../shared/sealed.js';
import type { Store } from './database.js';

/**
 * The store-key canary: one value sealed with the data key (the same derivation the field cipher
 * of src/app/portal.ts uses). A key that cannot open it is not the key the store was written with;
 * the portal then refuses to start instead of failing every sign-in of a user with methods.
 *
 * A store from before the canary (migration 0016) gets one only when the key proves right: it
 * opens the sealed data already there (contact details, authenticator secrets), or there is no
 * sealed data yet. When sealed data exists and the key opens none of it, no canary is written and
 * the key is reported as wrong, so a wrong key is never made to look right.
 */

const ID = 'store';
const AAD = 'key_canary:store';
const PLAINTEXT = 'OpenSSPR store key canary v1';
/** Sealed values tried on a store without a canary: one that opens is proof enough. */
const SAMPLE = 20;

export type KeyCheck =
  /** The canary opened. */
  | { state: 'ok' }
  /** No canary before; the key opened the store's sealed data (or there was none), and the canary was written now. */
  | { state: 'written'; proof: 'sealed-data' | 'empty' }
  /** No canary, and asked not to write one; the key opened the store's sealed data (or there was none). */
  | { state: 'unverified'; proof: 'sealed-data' | 'empty' }
  /** The key does not open the canary (or, without one, any of the store's sealed data). */
  | { state: 'wrong'; evidence: 'canary' | 'sealed-data' };

function opens(cipher: FieldCipher, sealed: string, aad: string): boolean {
  try {
    cipher.open(sealed, aad);
    return true;
  } catch {
    return false;
  }
}

/** Whether the store holds anything sealed with a key (the canary, or sealed method data), at whatever schema version it is. */
export async function storeHasSealedData(store: Store): Promise<boolean> {
  const tables = new Set((await store.db.introspection.getTables()).map((t) => t.name));
  if (tables.has('key_canary') && (await store.db.selectFrom('key_canary').select('id').executeTakeFirst())) return true;
  return tables.has('auth_methods') && !!(await store.db.selectFrom('auth_methods').select('id').where('secret', 'is not', null).executeTakeFirst());
}

/** Checks masterKey against the store (migrated to 0016 or later); writes the canary when it is missing and the key proved right, if `write`. */
export async function checkStoreKey(store: Store, masterKey: Buffer, options: { write: boolean; now?: number }): Promise<KeyCheck> {
  const cipher = createFieldCipher(deriveKey(masterKey, 'data-encryption'));
  const row = await store.db.selectFrom('key_canary').select('sealed').where('id', '=', ID).executeTakeFirst();
  if (row) return opens(cipher, row.sealed, AAD) && cipher.open(row.sealed, AAD) === PLAINTEXT ? { state: 'ok' } : { state: 'wrong', evidence: 'canary' };

  const sample = await store.db.selectFrom('auth_methods').select(['id', 'type', 'secret']).where('secret', 'is not', null).orderBy('created_at', 'desc').limit(SAMPLE).execute();
  let proof: 'sealed-data' | 'empty' = 'empty';
  if (sample.length > 0) {
    // The additional data of src/methods/method-store.ts's secretAad.
    if (!sample.some((m) => opens(cipher, m.secret!, `auth_method:${m.id}:${m.type}`))) return { state: 'wrong', evidence: 'sealed-data' };
    proof = 'sealed-data';
  }
  if (!options.write) return { state: 'unverified', proof };
  await store.db
    .insertInto('key_canary')
    .values({ id: ID, sealed: cipher.seal(PLAINTEXT, AAD), created_at: options.now ?? Date.now() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  // Another instance may have written it at the same moment, with another key: check what is there.
  const written = await store.db.selectFrom('key_canary').select('sealed').where('id', '=', ID).executeTakeFirstOrThrow();
  return opens(cipher, written.sealed, AAD) ? { state: 'written', proof } : { state: 'wrong', evidence: 'canary' };
}
