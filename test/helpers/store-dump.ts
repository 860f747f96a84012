import type { Store } from '../../src/store/database.js';

/**
 * Every table of the store as text, to compare before and after a request that must change
 * nothing. Sessions are left out (a session's last activity moves with every request), and so
 * are Kysely's own migration tables.
 */
export async function dumpStore(store: Store): Promise<string> {
  const parts: string[] = [];
  for (const table of (await store.db.introspection.getTables()).map((x) => x.name).sort()) {
    if (table === 'sessions' || table.startsWith('kysely_')) continue;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    parts.push(`${table}: ${JSON.stringify(await (store.db as any).selectFrom(table).selectAll().execute())}`);
  }
  return parts.join('\n');
}
