import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The organisation's brand (src/branding/): versioned like the SSPR policy, one row per save,
  // the document validated again on every read.
  await db.schema
    .createTable('brand_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(300)')
    .addColumn('actor_name', 'varchar(300)')
    .execute();
  // Uploaded logos, content-addressed: the key is the SHA-256 of the bytes, so a URL never
  // changes meaning and can be cached for a year. Base64 text works the same on both dialects.
  await db.schema
    .createTable('brand_assets')
    .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('content_type', 'varchar(40)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Set when a saved brand first names it: only then is it served to everyone (an upload
    // only previewed in the console stays the administrators').
    .addColumn('published_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('brand_assets').execute();
  await db.schema.dropTable('brand_versions').execute();
}
