import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // Reset links the helpdesk sends (issue 13): a one-time link, valid an hour, to one of the
  // user's registered addresses or numbers. Only a keyed hash of the token is kept; the link is
  // bound to the user and the method it went to (removing the method kills the link), and a new
  // link replaces the user's previous unused one.
  await db.schema
    .createTable('reset_links')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('method_id', 'varchar(36)', (c) => c.notNull().references('auth_methods.id').onDelete('cascade'))
    .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('reset_links_user').on('reset_links').column('user_id').execute();
  await db.schema.createIndex('reset_links_expiry').on('reset_links').column('expires_at').execute();

  // "Require re-registration": at the user's next sign-in every method goes (methods_removed_at
  // set), and the user registers again before anything else; the row goes when they have.
  await db.schema
    .createTable('reregistrations')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('required_at', 'bigint', (c) => c.notNull())
    .addColumn('required_by', 'varchar(256)', (c) => c.notNull())
    .addColumn('methods_removed_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('reregistrations').execute();
  await db.schema.dropTable('reset_links').execute();
}
