import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // "This wasn't me" links: every notice of a reset, unlock, change or method change carries one.
  // Only a keyed hash of the token is kept (a copied database holds no usable link); each link
  // is bound to the user and the event it reports, is used once and dies after 7 days.
  await db.schema
    .createTable('report_links')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('event', 'varchar(40)', (c) => c.notNull())
    .addColumn('event_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('report_links_user').on('report_links').column('user_id').execute();
  await db.schema.createIndex('report_links_expiry').on('report_links').column('expires_at').execute();

  // A user who reported "this wasn't me": no self-service (reset, unlock, change, security info)
  // until an administrator lifts the block. One row per blocked user.
  await db.schema
    .createTable('self_service_blocks')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('blocked_at', 'bigint', (c) => c.notNull())
    .addColumn('reported_event', 'varchar(40)', (c) => c.notNull())
    .addColumn('reported_event_at', 'bigint', (c) => c.notNull())
    .execute();

  // Audit events an administrator should look at (a user's report): shown and filtered in the console.
  await db.schema.alterTable('audit_events').addColumn('attention', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('audit_events_attention').on('audit_events').columns(['attention', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_attention').execute();
  await db.schema.alterTable('audit_events').dropColumn('attention').execute();
  await db.schema.dropTable('self_service_blocks').execute();
  await db.schema.dropTable('report_links').execute();
}
