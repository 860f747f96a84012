import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import { createAuditLog } from '../../audit/audit-log.js';
import { queryAudit } from '../../audit/audit-query.js';
import { SelfServiceBlockStore } from '../../directory/self-service-blocks.js';
import type { User, UserStore } from '../../directory/users.js';
import { REPORT_LINK_TTL_MS, ReportLinkStore } from '../../state/report-links.js';
import type { Store } from '../database.js';

const DAY = 24 * 60 * MINUTE;

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  let users: UserStore;
  let alice: User;
  let links: ReportLinkStore;
  beforeEach(async () => {
    ({ store, clock, users } = fx);
    alice = await fx.newUser('alice');
    links = new ReportLinkStore(store, clock, randomBytes(32));
  });

  describe('"this wasn\'t me" links', () => {
    it('a link token has 256 bits, and only its keyed hash is stored, bound to the user and the event', async () => {
      const eventAt = clock.now() - MINUTE;
      const token = await links.issue(alice.id, 'password_reset', eventAt);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      const rows = await store.db.selectFrom('report_links').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows[0]).toMatchObject({ user_id: alice.id, event: 'password_reset', event_at: eventAt, expires_at: clock.now() + 7 * DAY, used_at: null });
      // Another store key (another portal's master key) cannot read it: the hash is keyed.
      expect(await new ReportLinkStore(store, clock, randomBytes(32)).peek(token)).toBeNull();
      expect(await links.peek(token)).toEqual({ userId: alice.id, event: 'password_reset', eventAt, expiresAt: clock.now() + REPORT_LINK_TTL_MS });
    });

    it('opening a link (peek) changes nothing; the first consume spends it and a second finds nothing', async () => {
      const token = await links.issue(alice.id, 'method_added');
      for (let i = 0; i < 3; i++) expect(await links.peek(token)).not.toBeNull();
      expect((await store.db.selectFrom('report_links').select('used_at').executeTakeFirstOrThrow()).used_at).toBeNull();
      expect(await links.consume(token)).toMatchObject({ userId: alice.id, event: 'method_added' });
      expect(await links.consume(token)).toBeNull();
      expect(await links.peek(token)).toBeNull();
    });

    it('of 5 parallel consumes of one link exactly one wins', async () => {
      const token = await links.issue(alice.id, 'password_change');
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => links.consume(token)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('a link works for 7 days and not a millisecond longer; pruning removes it afterwards', async () => {
      const token = await links.issue(alice.id, 'password_reset');
      const other = await links.issue(alice.id, 'account_unlock');
      clock.advance(7 * DAY - 1);
      expect(await links.peek(token)).not.toBeNull();
      expect(await links.consume(other)).not.toBeNull();
      clock.advance(1);
      expect(await links.peek(token)).toBeNull();
      expect(await links.consume(token)).toBeNull();
      expect(await links.prune()).toBe(2);
      expect(await store.db.selectFrom('report_links').selectAll().execute()).toEqual([]);
    });

    it('malformed tokens are refused before any query and change nothing', async () => {
      await links.issue(alice.id, 'password_reset');
      for (const bad of [undefined, null, 42, '', 'short', 'x'.repeat(500), "' OR 1=1 --", ['a'], { a: 1 }]) {
        expect(await links.peek(bad)).toBeNull();
        expect(await links.consume(bad)).toBeNull();
      }
      expect((await store.db.selectFrom('report_links').select('used_at').executeTakeFirstOrThrow()).used_at).toBeNull();
    });

    it('a deleted user takes their links and their block with them', async () => {
      await links.issue(alice.id, 'password_reset');
      await new SelfServiceBlockStore(store.db, clock).block(alice.id, { event: 'password_reset', eventAt: clock.now() });
      await store.db.deleteFrom('users').where('id', '=', alice.id).execute();
      expect(await store.db.selectFrom('report_links').selectAll().execute()).toEqual([]);
      expect(await store.db.selectFrom('self_service_blocks').selectAll().execute()).toEqual([]);
    });
  });

  describe('self-service blocks', () => {
    it('a block is set once (the first report is kept), read back, and lifted once', async () => {
      const blocks = new SelfServiceBlockStore(store.db, clock);
      const bob = await fx.newUser('bob');
      expect(await blocks.isBlocked(alice.id)).toBe(false);
      expect(await blocks.block(alice.id, { event: 'password_reset', eventAt: clock.now() - 5 * MINUTE })).toBe(true);
      const first = clock.now();
      clock.advance(MINUTE);
      expect(await blocks.block(alice.id, { event: 'method_added', eventAt: clock.now() })).toBe(false);
      expect(await blocks.get(alice.id)).toEqual({ userId: alice.id, blockedAt: first, reportedEvent: 'password_reset', reportedEventAt: first - 5 * MINUTE });
      expect(await blocks.isBlocked(bob.id)).toBe(false);
      expect(await blocks.lift(alice.id)).toBe(true);
      expect(await blocks.lift(alice.id)).toBe(false);
      expect(await blocks.isBlocked(alice.id)).toBe(false);
      expect(await users.byId(alice.id)).toMatchObject({ enabled: true });
    });

    it('20 parallel blocks of one user set it exactly once', async () => {
      const blocks = new SelfServiceBlockStore(store.db, clock);
      const results = await Promise.all(Array.from({ length: 20 }, () => blocks.block(alice.id, { event: 'password_reset', eventAt: clock.now() })));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('audit events flagged for attention', () => {
    it('a flagged event is stored as such and the attention filter returns only flagged events', async () => {
      const audit = createAuditLog(store, clock);
      await audit.record({ event: 'sign_in', outcome: 'success', target: { id: alice.id, name: 'alice' } });
      await audit.record({ event: 'not_me_reported', outcome: 'info', attention: true, target: { id: alice.id, name: 'alice' } });
      await audit.record({ event: 'sign_out', outcome: 'info', attention: false });
      const all = await queryAudit(store, { page: 1 });
      expect(all.items.map((e) => [e.event, e.attention])).toEqual([
        ['sign_out', false],
        ['not_me_reported', true],
        ['sign_in', false],
      ]);
      const flagged = await queryAudit(store, { page: 1, attention: '1' });
      expect(flagged.total).toBe(1);
      expect(flagged.items.map((e) => e.event)).toEqual(['not_me_reported']);
    });
  });
});
