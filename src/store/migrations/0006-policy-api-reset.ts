import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The SSPR policy is append-only: each save is a new version, so every earlier policy can be
  // shown and the audit trail says who changed what. The primary key makes two administrators
  // saving on top of the same version a conflict, not a silent overwrite.
  await db.schema
    .createTable('policy_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(36)')
    .addColumn('actor_name', 'varchar(256)')
    .addColumn('comment', 'varchar(500)')
    .execute();

  // API tokens: only a SHA-256 of the token is kept; the token is shown once when created.
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('scope', 'varchar(20)', (c) => c.notNull())
    .addColumn('created_by', 'varchar(36)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  // Proof-of-work CAPTCHA solutions already used: a solved challenge is good for one request.
  await db.schema
    .createTable('captcha_solutions')
    .addColumn('signature_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('captcha_solutions_expiry').on('captcha_solutions').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('captcha_solutions').execute();
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.dropTable('policy_versions').execute();
}
