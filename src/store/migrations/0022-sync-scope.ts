import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The sync scope the stored cursor was read under (src/sync/sync-state.ts): another scope needs a full import.
  await db.schema.alterTable('sync_state').addColumn('scope_key', 'varchar(64)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sync_state').dropColumn('scope_key').execute();
}
