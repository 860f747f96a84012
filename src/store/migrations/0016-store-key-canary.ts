import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // A value sealed with the store's key (src/store/key-canary.ts): a portal started with another
  // key finds out before it serves anyone, instead of failing every sign-in with methods. One row;
  // written by the code that holds the key (start, migrate, any CLI command), not here.
  await db.schema
    .createTable('key_canary')
    .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('key_canary').execute();
}
