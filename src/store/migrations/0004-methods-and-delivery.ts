import { PostgresAdapter, type Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // When the user last registered or re-confirmed security info (the re-confirm interval counts from it).
  await db.schema.alterTable('users').addColumn('security_info_confirmed_at', 'bigint').execute();
  // When this session last proved the user with a method: changes to security info need a recent proof.
  await db.schema.alterTable('sessions').addColumn('verified_at', 'bigint').execute();
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const serial = (name: string) => (b: any) =>
    b.addColumn(name, postgres ? 'bigserial' : 'integer', (c: any) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()));

  // Registered authentication methods ("security info"). Contact details and TOTP secrets are
  // sealed (AES-256-GCM) in `secret`; `lookup_hash` is a keyed hash of the normalised address or
  // number, so a typed value can be matched and sends counted per destination without decrypting.
  await db.schema
    .createTable('auth_methods')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('label', 'varchar(100)', (c) => c.notNull().defaultTo(''))
    .addColumn('secret', 'text')
    .addColumn('lookup_hash', 'varchar(64)')
    .addColumn('credential_id', 'varchar(1024)', (c) => c.unique())
    .addColumn('public_key', 'text')
    .addColumn('sign_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'varchar(200)')
    .addColumn('last_totp_step', 'bigint')
    .addColumn('confirmed_at', 'bigint')
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('auth_methods_user').on('auth_methods').column('user_id').execute();

  await db.schema
    .createTable('security_answers')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('question_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('answer_hash', 'varchar(512)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('security_answers_pk', ['user_id', 'question_id'])
    .execute();

  // One-time codes: stored as hashes, single use, expiring, with a try counter.
  await db.schema
    .createTable('verification_codes')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('method_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('purpose', 'varchar(32)', (c) => c.notNull())
    .addColumn('code_hash', 'varchar(128)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('verification_codes_user').on('verification_codes').columns(['user_id', 'method_id', 'purpose']).execute();

  await serial('id')(db.schema.createTable('outbox_messages'))
    .addColumn('channel', 'varchar(8)', (c: any) => c.notNull())
    .addColumn('kind', 'varchar(32)', (c: any) => c.notNull())
    .addColumn('user_id', 'varchar(36)')
    .addColumn('destination', 'text', (c: any) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c: any) => c.notNull())
    .addColumn('created_at', 'bigint', (c: any) => c.notNull())
    .execute();

  // Every send attempt, successful or not: the source of per-destination and global limits and of
  // the failures administrators see.
  await serial('id')(db.schema.createTable('delivery_log'))
    .addColumn('channel', 'varchar(8)', (c: any) => c.notNull())
    .addColumn('kind', 'varchar(32)', (c: any) => c.notNull())
    .addColumn('user_id', 'varchar(36)')
    .addColumn('destination_hash', 'varchar(64)', (c: any) => c.notNull())
    .addColumn('destination_hint', 'varchar(64)', (c: any) => c.notNull())
    .addColumn('provider', 'varchar(16)', (c: any) => c.notNull())
    .addColumn('status', 'varchar(16)', (c: any) => c.notNull())
    .addColumn('attempts', 'integer', (c: any) => c.notNull())
    .addColumn('error', 'varchar(500)')
    .addColumn('created_at', 'bigint', (c: any) => c.notNull())
    .execute();
  await db.schema.createIndex('delivery_log_destination').on('delivery_log').columns(['destination_hash', 'created_at']).execute();
  await db.schema.createIndex('delivery_log_created').on('delivery_log').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['delivery_log', 'outbox_messages', 'verification_codes', 'security_answers', 'auth_methods']) await db.schema.dropTable(t).execute();
  await db.schema.alterTable('sessions').dropColumn('verified_at').execute();
  await db.schema.alterTable('users').dropColumn('security_info_confirmed_at').execute();
}
