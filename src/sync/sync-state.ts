import type { Kysely } from 'kysely';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import type { SyncCursor } from '../agent-protocol/index.js';

const STATE_ID = 'ad';

/**
 * The sync's one row of state (sync_state): the cursor the next delta continues from (stored
 * only when a run completes), the lease that lets one portal instance sync at a time, and a
 * run asked for by an instance without an agent.
 */
export class SyncStateStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The scope the stored cursor was read under (null: the agent's own, and every cursor stored before scopes). */
  async scopeKey(): Promise<string | null> {
    const row = await this.store.db.selectFrom('sync_state').select('scope_key').where('id', '=', STATE_ID).executeTakeFirst();
    return row?.scope_key ?? null;
  }

  async cursor(): Promise<SyncCursor | null> {
    const row = await this.store.db.selectFrom('sync_state').selectAll().where('id', '=', STATE_ID).executeTakeFirst();
    return row?.invocation_id && row.usn ? { invocationId: row.invocation_id, usn: row.usn, dc: row.dc ?? '' } : null;
  }

  /** A lease so that only one portal instance syncs at a time; false when another holds it. */
  async ensure(): Promise<void> {
    await this.store.db.insertInto('sync_state').values({ id: STATE_ID, invocation_id: null, usn: null, dc: null, updated_at: null, lease_holder: null, lease_until: null, requested_at: null, requested_full: null, scope_key: null }).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async acquireLease(holder: string, ms: number): Promise<boolean> {
    const now = this.clock.now();
    await this.ensure();
    const r = await this.store.db
      .updateTable('sync_state')
      .set({ lease_holder: holder, lease_until: now + ms })
      .where('id', '=', STATE_ID)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_holder', '=', holder)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async releaseLease(holder: string): Promise<void> {
    await this.store.db.updateTable('sync_state').set({ lease_holder: null, lease_until: null }).where('id', '=', STATE_ID).where('lease_holder', '=', holder).execute();
  }

  /** Asks for a run (the CLI, or an instance without an agent): the instance with an agent picks it up. */
  async request(full: boolean): Promise<number> {
    await this.ensure();
    const at = this.clock.now();
    await this.store.db.updateTable('sync_state').set({ requested_at: at, requested_full: full ? 1 : 0 }).where('id', '=', STATE_ID).execute();
    return at;
  }

  /** Takes a pending request (compare-and-swap), or null. */
  async takeRequest(): Promise<{ full: boolean } | null> {
    const row = await this.store.db.selectFrom('sync_state').select(['requested_at', 'requested_full']).where('id', '=', STATE_ID).executeTakeFirst();
    if (!row?.requested_at) return null;
    const r = await this.store.db.updateTable('sync_state').set({ requested_at: null, requested_full: null }).where('id', '=', STATE_ID).where('requested_at', '=', row.requested_at).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { full: row.requested_full === 1 } : null;
  }

  /** The cursor of a completed run and the scope it was read under, in that run's transaction. */
  async saveCursor(trx: Kysely<Database>, cursor: SyncCursor, now: number, scopeKey: string | null): Promise<void> {
    await trx.updateTable('sync_state').set({ invocation_id: cursor.invocationId, usn: cursor.usn, dc: cursor.dc, updated_at: now, scope_key: scopeKey }).where('id', '=', STATE_ID).execute();
  }
}
