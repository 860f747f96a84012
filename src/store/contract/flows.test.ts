import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { FlowStore } from '../../state/flow-store.js';
import { contractFixture, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  beforeEach(() => {
    ({ store, clock } = fx);
  });

  describe('flows', () => {
    type State = 'awaiting_second_factor' | 'done' | `step-${number}`;
    interface Data {
      next: string;
      amr: string[];
    }
    const browser = 'browser-one-0123456789abcdef0123456789';
    let flows: FlowStore;
    beforeEach(() => {
      flows = new FlowStore(store, clock);
    });
    const start = () => flows.create<State, Data>({ kind: 'sign-in', state: 'awaiting_second_factor', userId: 'user-1', browserId: browser, data: { next: '/account', amr: ['password'] }, ttlMs: 10 * MINUTE });

    it('a created flow loads back with its state and data', async () => {
      const flow = await start();
      expect(flow.version).toBe(1);
      expect(await flows.load<State, Data>('sign-in', flow.id, browser)).toEqual({ ok: true, value: flow });
      const row = await store.db.selectFrom('flows').select('browser_hash').executeTakeFirstOrThrow();
      expect(row.browser_hash).toBe(sha256(browser));
    });

    it('a flow is not found from another browser, under another kind or by an unknown id', async () => {
      const flow = await start();
      expect(await flows.load('sign-in', flow.id, 'browser-two-0123456789abcdef0123456789')).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('password-reset', flow.id, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', `${flow.id}x`, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', 'x'.repeat(65), browser)).toEqual({ ok: false, reason: 'not_found' });
    });

    it('an expired flow reports expired and cannot be advanced', async () => {
      const flow = await start();
      clock.advance(10 * MINUTE - 1);
      expect((await flows.load('sign-in', flow.id, browser)).ok).toBe(true);
      clock.advance(1);
      expect(await flows.load('sign-in', flow.id, browser)).toEqual({ ok: false, reason: 'expired' });
      expect(await flows.advance(flow, { state: 'done', data: flow.data })).toBe(false);
    });

    it('exactly one of 20 parallel advances of the same loaded flow wins', async () => {
      const created = await start();
      const loaded = await flows.load<State, Data>('sign-in', created.id, browser);
      if (!loaded.ok) throw new Error('flow did not load');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => flows.advance<State, Data>(loaded.value, { state: `step-${i}`, data: { next: `/n${i}`, amr: ['password'] } })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      const after = await flows.load<State, Data>('sign-in', created.id, browser);
      expect(after.ok && after.value).toMatchObject({ version: 2, state: `step-${winner}`, data: { next: `/n${winner}` } });
    });

    it('a replayed step finds the version already moved on', async () => {
      const flow = await start();
      expect(await flows.advance(flow, { state: 'step-1', data: flow.data })).toBe(true);
      expect(await flows.advance(flow, { state: 'step-1', data: flow.data })).toBe(false);
      const reloaded = await flows.load<State, Data>('sign-in', flow.id, browser);
      if (!reloaded.ok) throw new Error('flow did not load');
      expect(await flows.advance(reloaded.value, { state: 'done', data: flow.data })).toBe(true);
      expect(await flows.load('sign-in', flow.id, browser)).toMatchObject({ ok: true, value: { version: 3, state: 'done' } });
    });

    it('the database never holds the flow id: the row is keyed by its SHA-256, so a copied database cannot continue a flow', async () => {
      const flow = await start();
      const rows = await store.db.selectFrom('flows').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id_hash).toBe(sha256(flow.id));
      expect(JSON.stringify(rows)).not.toContain(flow.id);
      // What a copy of the database offers, presented as the flow id, finds nothing.
      expect(await flows.load('sign-in', rows[0]!.id_hash, browser)).toEqual({ ok: false, reason: 'not_found' });
    });

    describe('voidFlowsOf', () => {
      const open = (userId: string | null, extra: { kind?: string; holdsProof?: boolean; browserId?: string } = {}) =>
        flows.create<State, Data>({ kind: extra.kind ?? 'reset', state: 'awaiting_second_factor', userId, browserId: extra.browserId ?? browser, data: { next: '', amr: [] }, ttlMs: 10 * MINUTE, ...(extra.holdsProof === undefined ? {} : { holdsProof: extra.holdsProof }) });

      it('ends every open flow of the user that holds a proof, except the one that made the change, and says why', async () => {
        const y = await open('user-1');
        const z = await open('user-1');
        const signIn = await open('user-1', { kind: 'sign-in', browserId: 'browser-two-0123456789abcdef0123456789' });
        expect(await flows.voidFlowsOf('user-1', { reason: 'password_changed', except: y.id })).toBe(2);
        expect((await flows.load('reset', y.id, browser)).ok).toBe(true);
        expect(await flows.load('reset', z.id, browser)).toEqual({ ok: false, reason: 'voided', voidedBy: 'password_changed' });
        expect(await flows.load('sign-in', signIn.id, 'browser-two-0123456789abcdef0123456789')).toEqual({ ok: false, reason: 'voided', voidedBy: 'password_changed' });
        // Z was loaded before the void: its next step is refused, and nothing of it changes.
        expect(await flows.advance(z, { state: 'done', data: z.data })).toBe(false);
        const row = await store.db.selectFrom('flows').selectAll().where('id_hash', '=', sha256(z.id)).executeTakeFirstOrThrow();
        expect(row).toMatchObject({ state: 'awaiting_second_factor', voided_by: 'password_changed', voided_at: clock.now() });
        // Voiding again finds nothing more to end.
        expect(await flows.voidFlowsOf('user-1', { reason: 'password_changed', except: y.id })).toBe(0);
      });

      it('leaves alone flows that proved nothing, flows of other users and of nobody, and expired ones', async () => {
        const old = await open('user-1');
        clock.advance(5 * MINUTE);
        const unproven = await open('user-1', { holdsProof: false });
        const other = await open('user-2');
        const decoy = await open(null);
        const fresh = await open('user-1');
        clock.advance(5 * MINUTE); // old has just expired
        expect(decoy.holdsProof).toBe(false);
        expect(await flows.voidFlowsOf('user-1', { reason: 'password_changed' })).toBe(1);
        expect(await flows.load('reset', fresh.id, browser)).toMatchObject({ ok: false, reason: 'voided' });
        expect(await flows.load('reset', old.id, browser)).toEqual({ ok: false, reason: 'expired' });
        expect((await flows.load('reset', unproven.id, browser)).ok).toBe(true);
        expect((await flows.load('reset', other.id, browser)).ok).toBe(true);
        expect((await flows.load('reset', decoy.id, browser)).ok).toBe(true);
      });

      it('a step that proves the user makes the flow voidable, and a finished flow that holds nothing any more is kept', async () => {
        const reset = await open('user-1', { holdsProof: false });
        const finished = await open('user-1');
        expect(await flows.advance(reset, { state: 'step-1', data: reset.data }, { holdsProof: true })).toBe(true);
        expect(await flows.advance(finished, { state: 'done', data: finished.data }, { holdsProof: false })).toBe(true);
        expect(await flows.voidFlowsOf('user-1', { reason: 'password_changed' })).toBe(1);
        expect(await flows.load('reset', reset.id, browser)).toMatchObject({ ok: false, reason: 'voided' });
        expect(await flows.load('reset', finished.id, browser)).toMatchObject({ ok: true, value: { state: 'done', holdsProof: false } });
      });

      it('an unlock can narrow the voiding to some kinds of flow', async () => {
        const reset = await open('user-1');
        const signIn = await open('user-1', { kind: 'sign-in' });
        expect(await flows.voidFlowsOf('user-1', { reason: 'unlocked', kinds: ['reset'] })).toBe(1);
        expect(await flows.load('reset', reset.id, browser)).toEqual({ ok: false, reason: 'voided', voidedBy: 'unlocked' });
        expect((await flows.load('sign-in', signIn.id, browser)).ok).toBe(true);
        expect(await flows.voidFlowsOf('user-1', { reason: 'unlocked', kinds: [] })).toBe(0);
      });

      it('a void racing 20 parallel advances of the same flow: at most one advance wins, only before the void, and the flow ends voided', async () => {
        const z = await open('user-1');
        const [voided, ...advanced] = await Promise.all([
          flows.voidFlowsOf('user-1', { reason: 'password_changed' }),
          ...Array.from({ length: 20 }, (_, i) => flows.advance<State, Data>(z, { state: `step-${i}`, data: z.data })),
        ]);
        expect(voided).toBe(1);
        expect(advanced.filter(Boolean).length).toBeLessThanOrEqual(1);
        expect(await flows.load('reset', z.id, browser)).toEqual({ ok: false, reason: 'voided', voidedBy: 'password_changed' });
        const row = await store.db.selectFrom('flows').select(['version', 'state']).where('id_hash', '=', sha256(z.id)).executeTakeFirstOrThrow();
        // Created at 1, the void adds one, a winning advance one more.
        expect(row.version).toBe(2 + advanced.filter(Boolean).length);
      });
    });

    it('pruneExpired removes only flows expired for longer than the grace period', async () => {
      const early = await start();
      clock.advance(5 * MINUTE);
      const late = await start();
      clock.advance(10 * MINUTE); // early expired 5 minutes ago, late just now
      expect(await flows.pruneExpired(MINUTE)).toBe(1);
      expect(await flows.load('sign-in', early.id, browser)).toEqual({ ok: false, reason: 'not_found' });
      expect(await flows.load('sign-in', late.id, browser)).toEqual({ ok: false, reason: 'expired' });
    });
  });
});
