import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // Which users a helpdesk user (role password_administrator) may see: members of a group
  // (nested included) or, for hybrid users, AD users under an OU. No rows: every user. A row of
  // kind `group` names the group twice: `value` (kept) and `group_id` (the foreign key, set to null
  // when the group is deleted), so deleting a group narrows the scope to nobody for that row and
  // never widens it to everyone.
  await db.schema
    .createTable('helpdesk_scopes')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('value', 'varchar(1024)', (c) => c.notNull())
    .addColumn('group_id', 'varchar(36)', (c) => c.references('groups.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('helpdesk_scopes_pk', ['user_id', 'kind', 'value'])
    .execute();
  await db.schema.createIndex('helpdesk_scopes_group').on('helpdesk_scopes').column('group_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('helpdesk_scopes').execute();
}
