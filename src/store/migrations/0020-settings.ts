import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The settings an administrator changes at run time (src/settings/): one row per save of one
  // section, versioned per section like the policy; secrets inside the document are sealed.
  await db.schema
    .createTable('settings_versions')
    .addColumn('section', 'varchar(40)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(300)')
    .addColumn('actor_name', 'varchar(300)')
    .addColumn('comment', 'varchar(500)')
    .addPrimaryKeyConstraint('settings_versions_pk', ['section', 'version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings_versions').execute();
}
