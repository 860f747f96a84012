import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../store/schema.js';
import { nameKey } from '../directory/names.js';
import type { SyncUser } from '../agent-protocol/index.js';

/** Values per `in (…)` list: well under every driver's parameter limit. */
export const BATCH = 500;
/** Rows per multi-row insert of users (13 values each: 1,300 parameters). */
const INSERT_BATCH = 100;

type Db = Kysely<Database>;

/** What applying a page of users reads once and writes together (SyncService.applyPage). */
/** A page's users' rows, read once (SyncService.prefetch). */
export interface PageCache {
  known: Map<string, Selectable<Database['synced_objects']>>;
  local: Map<string, Selectable<Database['users']>>;
  taken: Map<string, { id: string; source: string; anchor: string | null; username_key: string }>;
  /** Anchors of users that did not change: marked as seen in one statement. */
  unchanged: string[];
  /** Rows of the page's new users, written together after the page's users were looked at. */
  inserts: {
    users: Insertable<Database['users']>[];
    roles: Insertable<Database['user_roles']>[];
    synced: Insertable<Database['synced_objects']>[];
    relinked: { anchor: string; row: Updateable<Database['synced_objects']> }[];
  };
}

/** A page's users' rows, read in a few statements: by anchor, and by the username each would take. */
export async function prefetch(db: Db, users: SyncUser[], usernameOf: (u: SyncUser) => string): Promise<PageCache> {
  const anchors = [...new Set(users.map((u) => u.anchor))];
  const keys = [...new Set(users.map((u) => nameKey(usernameOf(u))))];
  const cache: PageCache = { known: new Map(), local: new Map(), taken: new Map(), unchanged: [], inserts: { users: [], roles: [], synced: [], relinked: [] } };
  for (let i = 0; i < anchors.length; i += BATCH) {
    const chunk = anchors.slice(i, i + BATCH);
    for (const r of await db.selectFrom('synced_objects').selectAll().where('anchor', 'in', chunk).execute()) cache.known.set(r.anchor, r);
    for (const r of await db.selectFrom('users').selectAll().where('anchor', 'in', chunk).execute()) if (r.anchor) cache.local.set(r.anchor, r);
  }
  for (let i = 0; i < keys.length; i += BATCH) {
    for (const r of await db.selectFrom('users').select(['id', 'source', 'anchor', 'username_key']).where('username_key', 'in', keys.slice(i, i + BATCH)).execute()) cache.taken.set(r.username_key, r);
  }
  return cache;
}

/** The page's new users, their role and their synced rows: multi-row inserts of at most INSERT_BATCH rows. */
export async function insertNew(db: Db, inserts: PageCache['inserts']): Promise<void> {
  for (let i = 0; i < inserts.users.length; i += INSERT_BATCH) await db.insertInto('users').values(inserts.users.slice(i, i + INSERT_BATCH)).execute();
  for (let i = 0; i < inserts.roles.length; i += INSERT_BATCH) await db.insertInto('user_roles').values(inserts.roles.slice(i, i + INSERT_BATCH)).execute();
  for (let i = 0; i < inserts.synced.length; i += INSERT_BATCH) await db.insertInto('synced_objects').values(inserts.synced.slice(i, i + INSERT_BATCH)).execute();
  for (const r of inserts.relinked) await db.updateTable('synced_objects').set(r.row).where('anchor', '=', r.anchor).execute();
}
