import type { LoadedConfig } from '../config/load.js';
import { keySourceOf, shadowedKeyFile } from '../config/secret-key.js';
import { checkStoreKey, type KeyCheck } from '../store/key-canary.js';
import type { Store } from '../store/database.js';

export interface WrongKey {
  problem: string;
  fix: string;
}

/** What is wrong with a key the store's canary (or sealed data) refused, and what to do: sspr start prints it, sspr doctor reports it. */
export async function explainWrongKey(loaded: LoadedConfig, store: Store, check: Extract<KeyCheck, { state: 'wrong' }>): Promise<WrongKey> {
  const source = keySourceOf(loaded);
  const evidence = check.evidence === 'canary' ? 'the key check written at its first start does not open' : 'none of its encrypted contact details and authenticator secrets open';
  const problem = `The encryption key in use (${source.text}) is not the key this store (${store.description}) was written with: ${evidence}`;
  const shadowed = shadowedKeyFile(loaded);
  if (shadowed) {
    const alt = await checkStoreKey(store, shadowed.key, { write: false });
    if (alt.state !== 'wrong') {
      const remove = source.kind === 'env' ? 'unset SSPR_SECRETS__KEY' : `remove secrets.key from ${loaded.file ?? 'sspr.yaml'}`;
      return { problem, fix: `the key file ${shadowed.path} opens this store: ${remove} (secrets.key takes precedence over the key file), then start again` };
    }
  }
  return {
    problem,
    fix: 'give the portal the key the store was written with (secrets.key in sspr.yaml, SSPR_SECRETS__KEY, or the file secrets.keyFile points at; restore it from your backup). Without it the encrypted data cannot be read; to start over without it, move the store (database.url) aside',
  };
}
