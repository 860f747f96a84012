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
