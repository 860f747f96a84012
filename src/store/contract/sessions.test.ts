import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { SessionStore, type SessionPolicy } from '../../state/sessions.js';
import type { User } from '../../directory/users.js';
import { contractFixture, HOUR, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url');

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  beforeEach(() => {
    ({ store, clock } = fx);
  });
  const newUser = fx.newUser;

  describe('sessions', () => {
    const policy: SessionPolicy = { idleMs: 30 * MINUTE, absoluteMs: 8 * HOUR };
    const meta = { ip: '192.0.2.10', userAgent: 'Contract/1.0', amr: ['password', 'totp'] };
    let sessions: SessionStore;
    let alice: User;
    let bob: User;
    beforeEach(async () => {
      sessions = new SessionStore(store, clock, policy);
      alice = await newUser('alice');
      bob = await newUser('bob');
    });

    it('stores only the SHA-256 of the session token, never the token', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      expect(token.length).toBeGreaterThanOrEqual(43);
      const rows = await store.db.selectFrom('sessions').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.id_hash).toBe(sha256(token));
      expect(session.idHash).toBe(sha256(token));
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('validate returns the session for its token and nothing for unknown tokens or the stored hash', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      expect(await sessions.validate(token)).toEqual({ ...session, amr: ['password', 'totp'] });
      expect(await sessions.validate(session.idHash)).toBeNull();
      expect(await sessions.validate(`${token}x`)).toBeNull();
      expect(await sessions.validate('')).toBeNull();
    });

    it("the support page lists a user's live sessions, newest first, without the token or its hash", async () => {
      const first = await sessions.create(alice.id, meta);
      clock.advance(MINUTE);
      const second = await sessions.create(alice.id, { ...meta, ip: '192.0.2.11' });
      await sessions.create(bob.id, meta);
      const idle = await sessions.create(alice.id, { ...meta, ip: '192.0.2.12' });
      await store.db.updateTable('sessions').set({ last_seen_at: clock.now() - 31 * MINUTE }).where('id_hash', '=', idle.session.idHash).execute();
      const listed = await sessions.listForUser(alice.id);
      expect(listed).toEqual([
        { createdAt: second.session.createdAt, lastSeenAt: second.session.lastSeenAt, ip: '192.0.2.11', userAgent: 'Contract/1.0' },
        { createdAt: first.session.createdAt, lastSeenAt: first.session.lastSeenAt, ip: '192.0.2.10', userAgent: 'Contract/1.0' },
      ]);
      const text = JSON.stringify(listed);
      for (const s of [first, second]) {
        expect(text).not.toContain(s.token);
        expect(text).not.toContain(s.session.idHash);
      }
      expect(listed.every((s) => typeof s.createdAt === 'number' && typeof s.lastSeenAt === 'number')).toBe(true);
    });

    it('a session ends after the idle timeout, and activity keeps it alive', async () => {
      const { token } = await sessions.create(alice.id, meta);
      clock.advance(29 * MINUTE);
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(29 * MINUTE); // 58 minutes after sign-in, 29 after the last activity
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(30 * MINUTE);
      expect(await sessions.validate(token)).toBeNull();
      expect(await sessions.countForUser(alice.id)).toBe(0);
    });

    it('a session ends at its absolute lifetime despite continuous activity', async () => {
      const { token, session } = await sessions.create(alice.id, meta);
      for (let i = 0; i < 23; i++) {
        clock.advance(20 * MINUTE);
        expect(await sessions.validate(token)).not.toBeNull();
      }
      clock.set(session.absoluteExpiresAt - 1);
      expect(await sessions.validate(token)).not.toBeNull();
      clock.advance(1);
      expect(await sessions.validate(token)).toBeNull();
      expect(await sessions.countForUser(alice.id)).toBe(0);
    });

    it('revoke ends only the session of that token', async () => {
      const one = await sessions.create(alice.id, meta);
      const two = await sessions.create(alice.id, meta);
      await sessions.revoke(one.token);
      expect(await sessions.validate(one.token)).toBeNull();
      expect(await sessions.validate(two.token)).not.toBeNull();
    });

    it("revokeAllForUser ends all of the user's sessions except the excepted one and no one else's", async () => {
      const keep = await sessions.create(alice.id, meta);
      const other1 = await sessions.create(alice.id, meta);
      const other2 = await sessions.create(alice.id, meta);
      const bobs = await sessions.create(bob.id, meta);
      expect(await sessions.revokeAllForUser(alice.id, { exceptIdHash: keep.session.idHash })).toBe(2);
      expect(await sessions.validate(keep.token)).not.toBeNull();
      expect(await sessions.validate(other1.token)).toBeNull();
      expect(await sessions.validate(other2.token)).toBeNull();
      expect(await sessions.validate(bobs.token)).not.toBeNull();
      expect(await sessions.revokeAllForUser(alice.id)).toBe(1);
      expect(await sessions.countForUser(alice.id)).toBe(0);
      expect(await sessions.countForUser(bob.id)).toBe(1);
    });

    it('pruneExpired deletes idle and past-lifetime sessions and keeps live ones', async () => {
      const short = new SessionStore(store, clock, { idleMs: 30 * MINUTE, absoluteMs: 45 * MINUTE });
      const old = await short.create(alice.id, meta); // kept active, but outlives its 45 minutes
      const idle = await short.create(alice.id, meta); // never used again
      clock.advance(20 * MINUTE);
      expect(await short.validate(old.token)).not.toBeNull();
      const live = await short.create(bob.id, meta);
      clock.advance(20 * MINUTE);
      expect(await short.validate(old.token)).not.toBeNull();
      expect(await short.validate(live.token)).not.toBeNull();
      clock.advance(6 * MINUTE); // 46 minutes
      expect(await short.pruneExpired()).toBe(2);
      const left = await store.db.selectFrom('sessions').select('id_hash').execute();
      expect(left).toEqual([{ id_hash: live.session.idHash }]);
      expect(idle.session.idHash).not.toBe(live.session.idHash);
      expect(await short.pruneExpired()).toBe(0);
    });
  });
});
