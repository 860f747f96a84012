import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // On-premises agents: their public keys only (the private keys never leave the agent).
  await db.schema
    .createTable('agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('signing_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('sealing_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('version', 'varchar(40)')
    .addColumn('domain', 'varchar(256)')
    // The domain password policy as the agent last read it (JSON), shown on the reset and change pages.
    .addColumn('domain_policy', 'text')
    // The agent's own rights check (sspr agent doctor), as JSON, for the console.
    .addColumn('rights_report', 'text')
    .addColumn('registered_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  // One-time registration tokens, stored as hashes, each used once before it expires.
  await db.schema
    .createTable('agent_registrations')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('created_by', 'varchar(36)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('agent_id', 'varchar(36)')
    .execute();

  // Writeback jobs: who, what and how it ended — never the password (it travels sealed to one
  // agent over its connection and is not kept). status: pending → taken → applied | failed;
  // pending → expired. A job past its expiry is never taken.
  await db.schema
    .createTable('writeback_jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('agent_id', 'varchar(36)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('taken_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('verdict', 'varchar(40)')
    .addColumn('detail', 'varchar(500)')
    .execute();
  await db.schema.createIndex('writeback_jobs_created').on('writeback_jobs').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('writeback_jobs').execute();
  await db.schema.dropTable('agent_registrations').execute();
  await db.schema.dropTable('agents').execute();
}
