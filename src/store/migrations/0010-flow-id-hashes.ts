import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Flows are keyed by the SHA-256 of their id, as sessions are: the id the browser holds is no
 * longer the stored primary key, so a copied database cannot be used to take over an open flow.
 * Each flow also says whether it holds a proof of its user, and when and why it was voided (a
 * finished reset, change or administrator reset ends every other open flow of that user).
 *
 * The table is rebuilt rather than altered (SQLite cannot change a primary key in place), and
 * the flows open at the upgrade are dropped: their ids cannot be hashed back from anything
 * stored, and a flow lives 15 minutes at most, so whoever was in one simply starts again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flows').execute();
  await db.schema
    .createTable('flows')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('state', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)')
    .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('holds_proof', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('voided_at', 'bigint')
    .addColumn('voided_by', 'varchar(32)')
    .execute();
  await db.schema.createIndex('flows_expires').on('flows').column('expires_at').execute();
  // voidFlowsOf finds a user's flows by this.
  await db.schema.createIndex('flows_user').on('flows').column('user_id').execute();
}

/** Back to the 0002 table; the flows open at the downgrade are dropped for the same reason. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flows').execute();
  await db.schema
    .createTable('flows')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('state', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)')
    .addColumn('browser_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('flows_expires').on('flows').column('expires_at').execute();
}
