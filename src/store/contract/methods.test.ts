import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture } from '../../../test/helpers/store-contract.js';
import type { User } from '../../directory/users.js';
import { MethodStore } from '../../methods/method-store.js';
import { createFieldCipher } from '../../shared/sealed.js';
import type { Store } from '../database.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let methods: MethodStore;
  let alice: User;
  let bob: User;
  beforeEach(async () => {
    ({ store } = fx);
    methods = new MethodStore(store.db, fx.clock, createFieldCipher(randomBytes(32)), randomBytes(32));
    alice = await fx.newUser('alice');
    bob = await fx.newUser('bob');
  });
  const passkey = (credentialId: string, signCount = 0) => ({ credentialId, publicKey: 'pQECAyYgASFY', signCount, transports: ['internal', 'hybrid'] });

  describe('methods', () => {
    it('a sealed contact or TOTP secret is not readable in the table, and reads back through the store', async () => {
      const email = await methods.addContact(alice.id, 'email', 'alice.private@example.test');
      const mobile = await methods.addContact(alice.id, 'mobile', '+4915112345678');
      const totp = await methods.addTotp(alice.id, 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'Phone');
      const dump = JSON.stringify(await store.db.selectFrom('auth_methods').selectAll().execute());
      for (const secret of ['alice.private', 'example.test', '15112345678', 'JBSWY3DP']) expect(dump).not.toContain(secret);
      expect((await methods.get(alice.id, email.id))?.contact).toBe('alice.private@example.test');
      expect((await methods.get(alice.id, mobile.id))?.contact).toBe('+4915112345678');
      expect(await methods.totpSecret(alice.id, totp.id)).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
      // A TOTP method never shows its secret as a contact.
      expect((await methods.get(alice.id, totp.id))?.contact).toBeNull();
    });

    it('a sealed value copied into another row does not open there', async () => {
      const mine = await methods.addContact(alice.id, 'email', 'alice@example.test');
      const other = await methods.addContact(bob.id, 'email', 'bob@example.test');
      const { secret } = await store.db.selectFrom('auth_methods').select('secret').where('id', '=', mine.id).executeTakeFirstOrThrow();
      await store.db.updateTable('auth_methods').set({ secret }).where('id', '=', other.id).execute();
      await expect(methods.get(bob.id, other.id)).rejects.toThrow();
    });

    it('a method is read only by its own user', async () => {
      const m = await methods.addContact(alice.id, 'email', 'alice@example.test');
      expect(await methods.get(bob.id, m.id)).toBeNull();
      expect(await methods.list(bob.id)).toEqual([]);
      expect(await methods.totpSecret(bob.id, (await methods.addTotp(alice.id, 'JBSWY3DPEHPK3PXP', 'x')).id)).toBeNull();
      expect(await methods.remove(bob.id, m.id)).toBe(false);
      expect(await methods.get(alice.id, m.id)).not.toBeNull();
    });

    it('a typed contact is found through its keyed hash: only once confirmed, only for its type and its user', async () => {
      const m = await methods.addContact(alice.id, 'mobile', '+4915112345678');
      expect(await methods.findByContact(alice.id, 'mobile', '+4915112345678')).toBeNull();
      await methods.confirm(alice.id, m.id);
      expect((await methods.findByContact(alice.id, 'mobile', '+4915112345678'))?.id).toBe(m.id);
      expect(await methods.findByContact(alice.id, 'office', '+4915112345678')).toBeNull();
      expect(await methods.findByContact(alice.id, 'mobile', '+4915112345679')).toBeNull();
      expect(await methods.findByContact(bob.id, 'mobile', '+4915112345678')).toBeNull();
      const { lookup_hash } = await store.db.selectFrom('auth_methods').select('lookup_hash').where('id', '=', m.id).executeTakeFirstOrThrow();
      expect(lookup_hash).toBe(methods.contactHash('mobile', '+4915112345678'));
    });

    it('the first confirmed method becomes the default, and removing the default promotes the next confirmed one', async () => {
      const first = await methods.addContact(alice.id, 'email', 'a@example.test');
      const second = await methods.addContact(alice.id, 'mobile', '+4915112345678');
      const pending = await methods.addContact(alice.id, 'office', '+4930123456');
      expect((await methods.list(alice.id)).some((m) => m.isDefault)).toBe(false);
      fx.clock.advance(1000);
      await methods.confirm(alice.id, first.id);
      await methods.confirm(alice.id, second.id);
      expect((await methods.list(alice.id)).filter((m) => m.isDefault).map((m) => m.id)).toEqual([first.id]);
      expect((await methods.get(alice.id, first.id))?.lastUsedAt).toBe(fx.clock.now());
      // An unconfirmed method never becomes the default.
      await methods.setDefault(alice.id, pending.id);
      expect((await methods.list(alice.id)).some((m) => m.isDefault)).toBe(false);
      await methods.setDefault(alice.id, first.id);
      expect(await methods.remove(alice.id, first.id)).toBe(true);
      expect((await methods.list(alice.id, { confirmedOnly: true })).map((m) => [m.id, m.isDefault])).toEqual([[second.id, true]]);
    });

    it('removeUnconfirmed drops only unfinished registrations, of the given type only', async () => {
      const done = await methods.addContact(alice.id, 'email', 'a@example.test');
      await methods.confirm(alice.id, done.id);
      await methods.addContact(alice.id, 'email', 'b@example.test');
      const phone = await methods.addContact(alice.id, 'mobile', '+4915112345678');
      await methods.removeUnconfirmed(alice.id, 'email');
      expect((await methods.list(alice.id)).map((m) => m.id).sort()).toEqual([done.id, phone.id].sort());
      await methods.removeUnconfirmed(alice.id);
      expect((await methods.list(alice.id)).map((m) => m.id)).toEqual([done.id]);
    });

    it('a TOTP time step is claimed once: the same and earlier steps are refused afterwards', async () => {
      const m = await methods.addTotp(alice.id, 'JBSWY3DPEHPK3PXP', 'App');
      expect(await methods.claimTotpStep(m.id, 59_000_000)).toBe(true);
      expect(await methods.claimTotpStep(m.id, 59_000_000)).toBe(false);
      expect(await methods.claimTotpStep(m.id, 58_999_999)).toBe(false);
      expect(await methods.claimTotpStep(m.id, 59_000_001)).toBe(true);
    });

    it('of 20 parallel claims of one TOTP step exactly one wins', async () => {
      const m = await methods.addTotp(alice.id, 'JBSWY3DPEHPK3PXP', 'App');
      const claims = await Promise.all(Array.from({ length: 20 }, () => methods.claimTotpStep(m.id, 59_000_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('a passkey is stored confirmed with its public data, and its signature counter only moves forward', async () => {
      const m = await methods.addPasskey(alice.id, 'Work laptop', passkey('cred-1', 5));
      expect(m).toMatchObject({ type: 'passkey', label: 'Work laptop', confirmed: true, credentialId: 'cred-1' });
      expect(await methods.passkey(alice.id, 'cred-1')).toEqual({ id: m.id, ...passkey('cred-1', 5) });
      expect(await methods.passkeys(alice.id)).toEqual([{ id: m.id, ...passkey('cred-1', 5) }]);
      expect(await methods.passkey(bob.id, 'cred-1')).toBeNull();
      expect(await methods.advanceSignCount(m.id, 4)).toBe(false);
      expect(await methods.advanceSignCount(m.id, 9)).toBe(true);
      expect((await methods.passkey(alice.id, 'cred-1'))?.signCount).toBe(9);
      expect(await methods.advanceSignCount(m.id, 8)).toBe(false);
      expect((await methods.passkey(alice.id, 'cred-1'))?.signCount).toBe(9);
    });

    it('a credential id is registered once in the whole portal', async () => {
      await methods.addPasskey(alice.id, 'Key', passkey('cred-shared'));
      await expect(methods.addPasskey(bob.id, 'Key', passkey('cred-shared'))).rejects.toThrow();
      expect(await methods.passkeys(bob.id)).toEqual([]);
    });

    it("deleting a user removes their methods and no one else's", async () => {
      await methods.addContact(alice.id, 'email', 'a@example.test');
      const kept = await methods.addContact(bob.id, 'email', 'b@example.test');
      await store.db.deleteFrom('users').where('id', '=', alice.id).execute();
      expect(await store.db.selectFrom('auth_methods').select('id').execute()).toEqual([{ id: kept.id }]);
    });
  });
});
