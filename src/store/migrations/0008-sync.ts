import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // What the sync knows about each AD object it brought in, keyed by objectGUID: the local user
  // or group, its DN (to resolve group members), the attributes that are not columns of users
  // (password expiry for reminders, protected, …), and the run that last saw it.
  await db.schema
    .createTable('synced_objects')
    .addColumn('anchor', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('local_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('dn', 'varchar(1024)', (c) => c.notNull())
    .addColumn('dn_key', 'varchar(1024)', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('member_dns', 'text')
    // Methods created from AD's mail and mobile (sync.useContactInfo), so they can be replaced later.
    .addColumn('ad_methods', 'text')
    .addColumn('password_expires_at', 'bigint')
    .addColumn('last_run_id', 'varchar(36)')
    .addColumn('gone_at', 'bigint')
    .addColumn('gone_reason', 'varchar(40)')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('synced_objects_dn').on('synced_objects').column('dn_key').execute();
  await db.schema.createIndex('synced_objects_expiry').on('synced_objects').column('password_expires_at').execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
    .addColumn('agent_id', 'varchar(36)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_runs_started').on('sync_runs').column('started_at').execute();

  // Where the next delta starts (the DC and its USN) and who is running a sync (a lease, so
  // several portal instances do not sync at once).
  await db.schema
    .createTable('sync_state')
    .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('invocation_id', 'varchar(64)')
    .addColumn('usn', 'varchar(32)')
    .addColumn('dc', 'varchar(256)')
    .addColumn('updated_at', 'bigint')
    .addColumn('lease_holder', 'varchar(64)')
    .addColumn('lease_until', 'bigint')
    // A run asked for from the CLI or another instance: picked up by the instance with an agent.
    .addColumn('requested_at', 'bigint')
    .addColumn('requested_full', 'integer')
    .execute();

  // Password-expiry reminders sent: each threshold once per expiry date.
  await db.schema
    .createTable('password_reminders')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('threshold', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('password_reminders_pk', ['user_id', 'expires_at', 'threshold'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('password_reminders').execute();
  await db.schema.dropTable('sync_state').execute();
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('synced_objects').execute();
}
