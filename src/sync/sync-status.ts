import type { Store } from '../store/database.js';

/** Synced objects by kind: those in AD's scope now, and users disabled because they left it. */
export interface SyncedCounts {
  users: number;
  groups: number;
  departedUsers: number;
}

/** A user the sync disabled because it left the synced scope (or was deleted in AD). */
export interface DepartedUser {
  userId: string;
  username: string | null;
  goneAt: number;
  /** A stored code (`sync.departed.reason.*`); null when none was recorded. */
  reason: string | null;
}

/**
 * What the sync console reads beyond the runs themselves: counts of synced objects, the users
 * who left AD's scope, and a run asked for that no instance has taken yet. The pages render
 * what these return; they never query the store.
 */
export interface SyncStatusQueries {
  syncedCounts(): Promise<SyncedCounts>;
  departedUsers(limit: number): Promise<DepartedUser[]>;
  /** When the console or the CLI asked for a run that no instance with an agent has taken yet. */
  pendingRequest(): Promise<number | null>;
}

export function syncStatusQueries(store: Store): SyncStatusQueries {
  return {
    async syncedCounts() {
      const inScope = await store.db.selectFrom('synced_objects').select((eb) => ['kind', eb.fn.countAll<string | number>().as('n')]).where('gone_at', 'is', null).groupBy('kind').execute();
      const departed = await store.db.selectFrom('synced_objects').select((eb) => eb.fn.countAll<string | number>().as('n')).where('kind', '=', 'user').where('gone_at', 'is not', null).executeTakeFirst();
      const n = (kind: 'user' | 'group') => Number(inScope.find((r) => r.kind === kind)?.n ?? 0);
      return { users: n('user'), groups: n('group'), departedUsers: Number(departed?.n ?? 0) };
    },

    async departedUsers(limit) {
      const rows = await store.db
        .selectFrom('synced_objects as s')
        .leftJoin('users as u', 'u.id', 's.local_id')
        .select(['s.local_id', 's.gone_at', 's.gone_reason', 'u.username'])
        .where('s.kind', '=', 'user')
        .where('s.gone_at', 'is not', null)
        .orderBy('s.gone_at', 'desc')
        .orderBy('s.anchor')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ userId: r.local_id, username: r.username, goneAt: Number(r.gone_at), reason: r.gone_reason }));
    },

    async pendingRequest() {
      const row = await store.db.selectFrom('sync_state').select('requested_at').where('id', '=', 'ad').executeTakeFirst();
      return row?.requested_at ? Number(row.requested_at) : null;
    },
  };
}
