import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The language a user chose in My account (a code of src/i18n/languages.ts), or null: pages then
  // follow the browser, and mails, texts and calls the language the user was using, else the
  // organisation's default.
  await db.schema.alterTable('users').addColumn('language', 'varchar(16)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('language').execute();
}
