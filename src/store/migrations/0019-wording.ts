import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The languages offered and the administrators' own wording per language (src/wording/):
  // versioned like the policy and the brand, one row per save, validated again on every read.
  await db.schema
    .createTable('wording_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(300)')
    .addColumn('actor_name', 'varchar(300)')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wording_versions').execute();
}
