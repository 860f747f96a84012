import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, randomToken } from '../shared/crypto.js';
import { fail, ok, type Result } from '../shared/result.js';

/**
 * Every self-service flow (sign-in now; reset, unlock and registration later) is a stored,
 * expiring document with a state. The id is unguessable, the flow is bound to the browser that
 * started it, and each advance is a compare-and-swap on `version`: two parallel submissions of
 * the same step cannot both win, and a replayed step finds the version already moved on.
 */
export interface StoredFlow<S extends string, D> {
  id: string;
  kind: string;
  state: S;
  userId: string | null;
  data: D;
  version: number;
  createdAt: number;
  expiresAt: number;
}

/** Why a flow does not load: unknown (or another browser's, or another kind), or past its expiry. */
export const FLOW_LOAD_REFUSALS = ['not_found', 'expired'] as const;
export type FlowLoadRefusal = (typeof FLOW_LOAD_REFUSALS)[number];
export type LoadResult<S extends string, D> = Result<StoredFlow<S, D>, FlowLoadRefusal>;

export class FlowStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create<S extends string, D>(input: { kind: string; state: S; userId: string | null; browserId: string; data: D; ttlMs: number }): Promise<StoredFlow<S, D>> {
    const now = this.clock.now();
    const flow: StoredFlow<S, D> = {
      id: randomToken(24),
      kind: input.kind,
      state: input.state,
      userId: input.userId,
      data: input.data,
      version: 1,
      createdAt: now,
      expiresAt: now + input.ttlMs,
    };
    await this.store.db
      .insertInto('flows')
      .values({
        id: flow.id,
        kind: flow.kind,
        state: flow.state,
        user_id: flow.userId,
        browser_hash: hashToken(input.browserId),
        data: JSON.stringify(flow.data),
        version: 1,
        created_at: now,
        expires_at: flow.expiresAt,
      })
      .execute();
    return flow;
  }

  /** A flow of this kind started in this browser; another browser's flow id is "not found". */
  async load<S extends string, D>(kind: string, id: string, browserId: string): Promise<LoadResult<S, D>> {
    if (!id || id.length > 64) return fail('not_found');
    const row = await this.store.db
      .selectFrom('flows')
      .selectAll()
      .where('id', '=', id)
      .where('kind', '=', kind)
      .where('browser_hash', '=', hashToken(browserId))
      .executeTakeFirst();
    if (!row) return fail('not_found');
    if (this.clock.now() >= row.expires_at) return fail('expired');
    return ok({
      id: row.id,
      kind: row.kind,
      state: row.state as S,
      userId: row.user_id,
      data: JSON.parse(row.data) as D,
      version: row.version,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    });
  }

  /** Moves the flow on if nobody else did first; false means the step was already taken. */
  async advance<S extends string, D>(flow: StoredFlow<S, D>, next: { state: S; data: D }): Promise<boolean> {
    const r = await this.store.db
      .updateTable('flows')
      .set({ state: next.state, data: JSON.stringify(next.data), version: flow.version + 1 })
      .where('id', '=', flow.id)
      .where('version', '=', flow.version)
      .where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async pruneExpired(graceMs = 0): Promise<number> {
    const r = await this.store.db.deleteFrom('flows').where('expires_at', '<', this.clock.now() - graceMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
