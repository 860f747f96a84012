import type { Kysely } from 'kysely';
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // The helpdesk verifying a caller with one of the caller's own methods (src/support/verification.ts).
  // One row per attempt: started when a code is sent (or the app's code asked for), verified
  // once the caller's answer matched. Until then expires_at is when the attempt can no longer
  // be answered; once verified it is when the verification stops counting (10 minutes). It
  // counts only for the actor who ran it. No code is kept here: codes live hashed in
  // verification_codes; a passkey check's link only as a keyed hash.
  await db.schema
    .createTable('caller_verifications')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('actor_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('method_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('kind', 'varchar(20)', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // Passkeys only: the link sent to the caller (a keyed hash of its token), and the challenge
    // the caller's browser signs (taken out when answered: single use).
    .addColumn('token_hash', 'varchar(64)')
    .addColumn('challenge', 'varchar(200)')
    .execute();
  await db.schema.createIndex('caller_verifications_token').on('caller_verifications').column('token_hash').execute();
  await db.schema.createIndex('caller_verifications_actor_user').on('caller_verifications').columns(['actor_id', 'user_id', 'expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('caller_verifications').execute();
}
