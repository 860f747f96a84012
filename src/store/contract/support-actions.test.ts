import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import { createAuditLog } from '../../audit/audit-log.js';
import type { User } from '../../directory/users.js';
import { MethodStore } from '../../methods/method-store.js';
import { QuestionStore } from '../../methods/questions.js';
import { Reregistrations } from '../../methods/reregistration.js';
import { createPasswordHasher } from '../../passwords/password-hash.js';
import { createFieldCipher } from '../../shared/sealed.js';
import { FlowStore } from '../../state/flow-store.js';
import { ResetLinkStore } from '../../state/reset-links.js';
import { RESET_LINK_TTL_MS } from '../../support/types.js';
import type { Store } from '../database.js';

/** The support desk's tables (migration 0014) on SQLite and PostgreSQL: the reset links and the re-registration flag. */
describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  let alice: User;
  let methods: MethodStore;
  let links: ResetLinkStore;
  let methodId: string;
  beforeEach(async () => {
    ({ store, clock } = fx);
    alice = await fx.newUser('alice');
    methods = new MethodStore(store.db, clock, createFieldCipher(randomBytes(32)), randomBytes(32));
    const m = await methods.addContact(alice.id, 'email', 'alice@mail.test');
    await methods.confirm(alice.id, m.id);
    methodId = m.id;
    links = new ResetLinkStore(store, clock, randomBytes(32), RESET_LINK_TTL_MS);
  });

  describe('reset links', () => {
    it('a reset link token has 256 bits, only its keyed hash is stored, bound to the user and the method', async () => {
      const { token, expiresAt } = await links.issue(alice.id, methodId, 'root');
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      const rows = await store.db.selectFrom('reset_links').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows[0]).toMatchObject({ user_id: alice.id, method_id: methodId, created_by: 'root', expires_at: clock.now() + RESET_LINK_TTL_MS, used_at: null });
      expect(expiresAt).toBe(clock.now() + RESET_LINK_TTL_MS);
      expect(await new ResetLinkStore(store, clock, randomBytes(32), RESET_LINK_TTL_MS).peek(token)).toBeNull();
      expect(await links.peek(token)).toMatchObject({ userId: alice.id, methodId });
    });

    it('of 5 parallel consumes of one reset link exactly one wins; a new link replaces the unused one', async () => {
      const first = await links.issue(alice.id, methodId, 'root');
      const second = await links.issue(alice.id, methodId, 'root');
      expect(second.replaced).toBe(1);
      expect(await links.peek(first.token)).toBeNull();
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => links.consume(second.token)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await links.openFor(alice.id)).toBeNull();
    });

    it('a reset link works for an hour and not a millisecond longer; removing the method kills it; pruning removes it', async () => {
      const { token } = await links.issue(alice.id, methodId, 'root');
      clock.advance(RESET_LINK_TTL_MS - 1);
      expect(await links.peek(token)).not.toBeNull();
      clock.advance(1);
      expect(await links.peek(token)).toBeNull();
      expect(await links.consume(token)).toBeNull();
      expect(await links.prune()).toBe(1);
      const again = await links.issue(alice.id, methodId, 'root');
      await methods.remove(alice.id, methodId);
      expect(await links.peek(again.token)).toBeNull();
    });
  });

  describe('re-registration', () => {
    it('is applied once at sign-in: of 3 parallel sign-ins one removes every method and the answers, audited; then it is pending until cleared', async () => {
      const questions = new QuestionStore(store.db, clock, createPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 }));
      await questions.register(alice.id, [{ questionId: 'q.firstPet', answer: 'Rex the dog' }]);
      const totp = await methods.addTotp(alice.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'Phone');
      await methods.confirm(alice.id, totp.id);
      const audit = createAuditLog(store, clock);
      const rereg = new Reregistrations({ db: store.db, clock, methods, questions, flows: new FlowStore(store, clock), audit });
      const meta = { ip: '127.0.0.1', userAgent: 'test' };
      expect(await rereg.applyAtSignIn(alice, meta)).toBe(false);
      await rereg.require(alice.id, 'root');
      expect(await rereg.pending(alice.id)).toBe(false);
      clock.advance(MINUTE);
      const applied = await Promise.all([1, 2, 3].map(() => rereg.applyAtSignIn(alice, meta)));
      expect(applied.filter(Boolean)).toHaveLength(1);
      expect(await methods.list(alice.id)).toEqual([]);
      expect(await questions.registeredQuestionIds(alice.id)).toEqual([]);
      expect(await rereg.get(alice.id)).toMatchObject({ requiredBy: 'root', methodsRemovedAt: clock.now() });
      expect(await rereg.pending(alice.id)).toBe(true);
      const events = await store.db.selectFrom('audit_events').select(['event', 'details']).where('event', '=', 'reregistration_applied').execute();
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.details)).toEqual({ methodsRemoved: 2, types: 'email,totp' });
      await rereg.clear(alice.id);
      expect(await rereg.get(alice.id)).toBeNull();
    });
  });
});
