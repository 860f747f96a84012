import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // Which portal instance holds each agent's live connection (several instances share one
  // PostgreSQL database): a job created on one instance is handed to the instance that can
  // reach an agent. A row whose seen_at is older than three heartbeats is a connection gone.
  await db.schema
    .createTable('agent_presence')
    .addColumn('agent_id', 'varchar(36)', (c) => c.primaryKey().references('agents.id').onDelete('cascade'))
    .addColumn('instance_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('connected_at', 'bigint', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('agent_presence').execute();
}
