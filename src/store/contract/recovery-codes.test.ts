import { createHash, createHmac, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture } from '../../../test/helpers/store-contract.js';
import type { User } from '../../directory/users.js';
import { MethodStore, type Method } from '../../methods/method-store.js';
import { formatRecoveryCode, newRecoveryCodeSet } from '../../methods/recovery-code-format.js';
import { RecoveryCodeStore } from '../../methods/recovery-code-store.js';
import { createFieldCipher } from '../../shared/sealed.js';
import type { Store } from '../database.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let methods: MethodStore;
  let codes: RecoveryCodeStore;
  let alice: User;
  let bob: User;
  let set: Method;
  let plain: string[];
  beforeEach(async () => {
    ({ store } = fx);
    methods = new MethodStore(store.db, fx.clock, createFieldCipher(randomBytes(32)), randomBytes(32));
    codes = new RecoveryCodeStore(store.db, fx.clock, randomBytes(32));
    alice = await fx.newUser('alice');
    bob = await fx.newUser('bob');
    set = await methods.addRecoveryCodes(alice.id);
    await methods.confirm(alice.id, set.id);
    plain = newRecoveryCodeSet();
    await codes.replace(alice.id, set.id, plain);
  });

  describe('recovery codes', () => {
    it('a set is ten rows holding keyed hashes only: neither a code, in any form, nor its plain or unkeyed hash is in the table', async () => {
      const rows = await store.db.selectFrom('recovery_codes').selectAll().execute();
      expect(rows).toHaveLength(10);
      const dump = JSON.stringify(rows);
      for (const code of plain) {
        for (const form of [code, formatRecoveryCode(code), code.toLowerCase()]) {
          expect(dump).not.toContain(form);
          for (const alg of ['sha256', 'sha1'] as const) {
            expect(dump).not.toContain(createHash(alg).update(form).digest('hex'));
            expect(dump).not.toContain(createHash(alg).update(form).digest('base64url'));
          }
        }
        // Without the portal's key the stored value cannot be recomputed, even knowing the layout.
        expect(dump).not.toContain(createHmac('sha256', Buffer.alloc(32)).update(`recovery-code:${alice.id}:${set.id}:${code}`).digest('base64url'));
      }
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 10, total: 10 });
    });

    it('a code is single use: the second use finds it spent, and the count goes down by one', async () => {
      expect(await codes.use(alice.id, set.id, plain[3]!)).toBe('used');
      expect(await codes.use(alice.id, set.id, plain[3]!)).toBe('already_used');
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 9, total: 10 });
      // The others still work.
      expect(await codes.use(alice.id, set.id, plain[4]!)).toBe('used');
    });

    it('of 20 parallel uses of one code exactly one succeeds', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => codes.use(alice.id, set.id, plain[0]!)));
      expect(results.filter((r) => r === 'used')).toHaveLength(1);
      expect(results.filter((r) => r === 'already_used')).toHaveLength(19);
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 9, total: 10 });
    });

    it('making a new set voids the old one at once: no old code works, used or not, and every new one does', async () => {
      expect(await codes.use(alice.id, set.id, plain[0]!)).toBe('used');
      const fresh = newRecoveryCodeSet();
      await codes.replace(alice.id, set.id, fresh);
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 10, total: 10 });
      for (const old of plain) expect(await codes.use(alice.id, set.id, old)).toBe('unknown');
      for (const code of fresh) expect(await codes.use(alice.id, set.id, code)).toBe('used');
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 0, total: 10 });
    });

    it('a code never works for another user or another set', async () => {
      const bobs = await methods.addRecoveryCodes(bob.id);
      await methods.confirm(bob.id, bobs.id);
      await codes.replace(bob.id, bobs.id, newRecoveryCodeSet());
      expect(await codes.use(bob.id, bobs.id, plain[0]!)).toBe('unknown');
      expect(await codes.use(bob.id, set.id, plain[0]!)).toBe('unknown');
      expect(await codes.use(alice.id, bobs.id, plain[0]!)).toBe('unknown');
      expect(await codes.count(alice.id, set.id)).toEqual({ left: 10, total: 10 });
    });

    it('removing the method removes its codes with it', async () => {
      expect(await methods.remove(alice.id, set.id)).toBe(true);
      expect(await store.db.selectFrom('recovery_codes').selectAll().execute()).toEqual([]);
      expect(await codes.use(alice.id, set.id, plain[1]!)).toBe('unknown');
    });
  });
});
