import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // Saved recovery codes (NIST SP 800-63B-4 look-up secrets): one auth_methods row of type
  // recovery_code per user holds the set, each code a row here with its keyed hash only.
  // used_at is the compare-and-swap that makes a code single use; regenerating deletes the
  // old rows and the method's removal takes its codes with it.
  await db.schema
    .createTable('recovery_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('method_id', 'varchar(36)', (c) => c.notNull().references('auth_methods.id').onDelete('cascade'))
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('recovery_codes_lookup').on('recovery_codes').columns(['method_id', 'code_hash']).unique().execute();
  await db.schema.createIndex('recovery_codes_user').on('recovery_codes').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('recovery_codes').execute();
}
