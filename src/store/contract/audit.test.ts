import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { createAuditLog } from '../../audit/audit-log.js';
import { eventsAbout } from '../../audit/audit-query.js';
import { contractFixture, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  beforeEach(() => {
    ({ store, clock } = fx);
  });

  describe('audit log', () => {
    it('appends events in order with increasing numeric ids and every field kept', async () => {
      const audit = createAuditLog(store, clock);
      await audit.record({ event: 'user_created', outcome: 'success', actor: { id: 'a-1', name: 'admin' }, target: { id: 't-1', name: 'alice' }, ip: '192.0.2.1', userAgent: 'UA', details: { roles: 'user', n: 2, flag: true, none: null } });
      clock.advance(1000);
      await audit.record({ event: 'sign_in', outcome: 'failure' });
      clock.advance(1000);
      await audit.record({ event: 'sign_out', outcome: 'info', target: { id: null, name: 'bob' } });
      const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
      expect(rows.map((r) => r.event)).toEqual(['user_created', 'sign_in', 'sign_out']);
      expect(rows.every((r) => typeof r.id === 'number')).toBe(true);
      expect(rows[0]!.id < rows[1]!.id && rows[1]!.id < rows[2]!.id).toBe(true);
      expect(rows.map((r) => r.at)).toEqual([clock.now() - 2000, clock.now() - 1000, clock.now()]);
      expect(rows[0]).toMatchObject({ outcome: 'success', actor_id: 'a-1', actor_name: 'admin', target_id: 't-1', target_name: 'alice', ip: '192.0.2.1', user_agent: 'UA' });
      expect(JSON.parse(rows[0]!.details)).toEqual({ roles: 'user', n: 2, flag: true, none: null });
      expect(rows[1]).toMatchObject({ outcome: 'failure', actor_id: null, actor_name: null, target_id: null, target_name: null, ip: null, user_agent: null, details: '{}' });
      expect(rows[2]).toMatchObject({ target_id: null, target_name: 'bob' });
    });

    it("the support page's events are the last ones about that user only, newest first, with numeric times", async () => {
      const audit = createAuditLog(store, clock);
      for (let i = 0; i < 25; i++) {
        await audit.record({ event: 'sign_in', outcome: 'failure', target: { id: 'u-1', name: 'alice' }, details: { n: i } });
        await audit.record({ event: 'sign_in', outcome: 'failure', target: { id: 'u-2', name: 'bob' } });
        clock.advance(1000);
      }
      const rows = await eventsAbout(store, 'u-1', 20);
      expect(rows).toHaveLength(20);
      expect(rows.every((r) => r.target === 'alice' && typeof r.at === 'number')).toBe(true);
      expect(rows.map((r) => r.details['n'])).toEqual(Array.from({ length: 20 }, (_, i) => 24 - i));
    });

    it('cuts an overlong user agent to 512 characters instead of failing', async () => {
      const audit = createAuditLog(store, clock);
      await audit.record({ event: 'sign_in', outcome: 'failure', userAgent: 'U'.repeat(600) });
      const row = await store.db.selectFrom('audit_events').select('user_agent').executeTakeFirstOrThrow();
      expect(row.user_agent).toBe('U'.repeat(512));
    });
  });
});
