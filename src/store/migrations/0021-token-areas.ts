import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The areas of the API a token may use (src/api/tokens.ts), comma-separated; null: every area.
  await db.schema.alterTable('api_tokens').addColumn('areas', 'varchar(300)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('areas').execute();
}
