import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { hashToken, randomToken } from '../shared/crypto.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';

/**
 * Every self-service flow (sign-in, reset and unlock, passkey ceremonies) is a stored, expiring
 * document with a state. The id is unguessable and lives only in the browser: the store keeps
 * the SHA-256 of it (as sessions do), so a copied database cannot be used to take over an open
 * flow. The flow is bound to the browser that started it, and each advance is a compare-and-swap
 * on `version`: two parallel submissions of the same step cannot both win, and a replayed step
 * finds the version already moved on.
 */
export interface StoredFlow<S extends string, D> {
  /** The value the browser holds (cookie or URL); never stored. */
  id: string;
  kind: string;
  state: S;
  userId: string | null;
  data: D;
  version: number;
  createdAt: number;
  expiresAt: number;
  /**
   * Whether the flow holds a proof of its user (a password, a passed method): such a flow is
   * voided when that user's password changes (`voidFlowsOf`).
   */
  holdsProof: boolean;
}

/** Why a flow was voided: the user's password was changed (reset, change, administrator), the account was unlocked, or the helpdesk ended it (sessions ended, a method removed, re-registration required). */
export const VOID_REASONS = ['password_changed', 'unlocked', 'helpdesk'] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

/** Why a flow does not load: unknown (or another browser's, or another kind), past its expiry, or voided. */
export const FLOW_LOAD_REFUSALS = ['not_found', 'expired', 'voided'] as const;
export type FlowLoadRefusal = (typeof FLOW_LOAD_REFUSALS)[number];
export type LoadResult<S extends string, D> = Ok<StoredFlow<S, D>> | Refused<'not_found' | 'expired'> | (Refused<'voided'> & { voidedBy: VoidReason });

export class FlowStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * `holdsProof` defaults to whether the flow names a user: a sign-in flow exists only once the
   * password was right, a passkey ceremony only for a signed-in user. A reset flow names its
   * user before anything is proven and says so (false) until a method is passed.
   */
  async create<S extends string, D>(input: { kind: string; state: S; userId: string | null; browserId: string; data: D; ttlMs: number; holdsProof?: boolean }): Promise<StoredFlow<S, D>> {
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
      holdsProof: input.userId !== null && (input.holdsProof ?? true),
    };
    await this.store.db
      .insertInto('flows')
      .values({
        id_hash: hashToken(flow.id),
        kind: flow.kind,
        state: flow.state,
        user_id: flow.userId,
        browser_hash: hashToken(input.browserId),
        data: JSON.stringify(flow.data),
        version: 1,
        created_at: now,
        expires_at: flow.expiresAt,
        holds_proof: flow.holdsProof ? 1 : 0,
        voided_at: null,
        voided_by: null,
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
      .where('id_hash', '=', hashToken(id))
      .where('kind', '=', kind)
      .where('browser_hash', '=', hashToken(browserId))
      .executeTakeFirst();
    if (!row) return fail('not_found');
    // Voided first: that is why the flow ended, even once it has expired as well.
    if (row.voided_at !== null) return fail('voided', { voidedBy: (row.voided_by as VoidReason | null) ?? 'password_changed' });
    if (this.clock.now() >= row.expires_at) return fail('expired');
    return ok({
      id,
      kind: row.kind,
      state: row.state as S,
      userId: row.user_id,
      data: JSON.parse(row.data) as D,
      version: row.version,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      holdsProof: row.holds_proof === 1,
    });
  }

  /**
   * Moves the flow on if nobody else did first (and it was not voided meanwhile); false means
   * the step was already taken. `holdsProof` records that the step proved the user (or, at the
   * end, that a finished flow holds nothing any more).
   */
  async advance<S extends string, D>(flow: StoredFlow<S, D>, next: { state: S; data: D }, options: { holdsProof?: boolean } = {}): Promise<boolean> {
    const proof = options.holdsProof === undefined ? {} : { holds_proof: options.holdsProof && flow.userId !== null ? 1 : 0 };
    const r = await this.store.db
      .updateTable('flows')
      .set({ state: next.state, data: JSON.stringify(next.data), version: flow.version + 1, ...proof })
      .where('id_hash', '=', hashToken(flow.id))
      .where('version', '=', flow.version)
      .where('voided_at', 'is', null)
      .where('expires_at', '>', this.clock.now())
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Ends every open flow of this user that holds a proof of them, except `except` (the flow that
   * did the change), in one statement: a flow loaded before the void can no longer advance (the
   * version moved on and `voided_at` is set), and one loaded after it reports `voided`. Flows that
   * proved nothing are left alone: they can do nothing a fresh flow could not, and ending them
   * would tell whoever holds one that the name they typed is a real account. `kinds` narrows it
   * (an unlock voids only reset flows). Returns how many were voided.
   */
  async voidFlowsOf(userId: string, options: { reason: VoidReason; except?: string; kinds?: readonly string[] }): Promise<number> {
    if (options.kinds?.length === 0) return 0;
    const now = this.clock.now();
    let q = this.store.db
      .updateTable('flows')
      .set((eb) => ({ voided_at: now, voided_by: options.reason, version: eb('version', '+', 1) }))
      .where('user_id', '=', userId)
      .where('holds_proof', '=', 1)
      .where('voided_at', 'is', null)
      .where('expires_at', '>', now);
    if (options.except) q = q.where('id_hash', '!=', hashToken(options.except));
    if (options.kinds) q = q.where('kind', 'in', [...options.kinds]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async pruneExpired(graceMs = 0): Promise<number> {
    const r = await this.store.db.deleteFrom('flows').where('expires_at', '<', this.clock.now() - graceMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
