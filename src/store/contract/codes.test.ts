import { createHash, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { contractFixture, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import { CodeService } from '../../methods/codes.js';
import type { Store } from '../database.js';

const ATTEMPTS = 3;

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  let codes: CodeService;
  beforeEach(() => {
    ({ store, clock } = fx);
    codes = new CodeService(store.db, clock, randomBytes(32), { digits: 6, ttlMs: 5 * MINUTE, maxAttempts: ATTEMPTS });
  });
  const refused = (reason: string) => ({ ok: false, reason });
  const accepted = { ok: true, value: undefined };
  /** A six-digit code that is not `code`. */
  const other = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  describe('verification codes', () => {
    it('a code is stored only as a keyed hash, never as itself or its plain hash', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      expect(code).toMatch(/^\d{6}$/);
      const rows = await store.db.selectFrom('verification_codes').selectAll().execute();
      expect(rows).toHaveLength(1);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(code);
      for (const alg of ['sha256', 'sha1'] as const) {
        expect(dump).not.toContain(createHash(alg).update(code).digest('hex'));
        expect(dump).not.toContain(createHash(alg).update(code).digest('base64url'));
      }
    });

    it('a code is single use', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      expect(await codes.verify('user-1', 'method-1', 'register', code)).toEqual(accepted);
      expect(await codes.verify('user-1', 'method-1', 'register', code)).toEqual(refused('no_code'));
    });

    it('of 20 parallel verifications of one correct code exactly one accepts it', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'sign-in');
      const results = await Promise.all(Array.from({ length: 20 }, () => codes.verify('user-1', 'method-1', 'sign-in', code)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && (r.reason === 'no_code' || r.reason === 'too_many_tries'))).toBe(true);
    });

    it('every try is counted: after the last one even the right code is refused', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      expect(await codes.verify('user-1', 'method-1', 'register', other(code))).toEqual(refused('wrong'));
      expect(await codes.verify('user-1', 'method-1', 'register', 'not a code')).toEqual(refused('wrong'));
      expect(await codes.verify('user-1', 'method-1', 'register', other(code))).toEqual(refused('too_many_tries'));
      expect(await codes.verify('user-1', 'method-1', 'register', code)).toEqual(refused('too_many_tries'));
      const row = await store.db.selectFrom('verification_codes').select('attempts').executeTakeFirstOrThrow();
      expect(Number(row.attempts)).toBe(ATTEMPTS);
    });

    it('20 parallel wrong guesses are counted up to the limit and no further, and the code is void after', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      const results = await Promise.all(Array.from({ length: 20 }, () => codes.verify('user-1', 'method-1', 'register', other(code))));
      expect(results.every((r) => !r.ok)).toBe(true);
      const row = await store.db.selectFrom('verification_codes').select('attempts').executeTakeFirstOrThrow();
      expect(Number(row.attempts)).toBe(ATTEMPTS);
      expect(await codes.verify('user-1', 'method-1', 'register', code)).toEqual(refused('too_many_tries'));
    });

    it('a code is accepted until its time to live is over, then refused as expired', async () => {
      const first = await codes.issue('user-1', 'method-1', 'register');
      expect(first.expiresAt).toBe(clock.now() + 5 * MINUTE);
      clock.advance(5 * MINUTE - 1);
      expect(await codes.verify('user-1', 'method-1', 'register', first.code)).toEqual(accepted);
      const second = await codes.issue('user-1', 'method-1', 'register');
      clock.advance(5 * MINUTE);
      expect(await codes.verify('user-1', 'method-1', 'register', second.code)).toEqual(refused('expired'));
    });

    it('a newer code voids the older one', async () => {
      const older = await codes.issue('user-1', 'method-1', 'register');
      clock.advance(1000);
      const newer = await codes.issue('user-1', 'method-1', 'register');
      if (older.code !== newer.code) expect(await codes.verify('user-1', 'method-1', 'register', older.code)).toEqual(refused('wrong'));
      expect(await codes.verify('user-1', 'method-1', 'register', newer.code)).toEqual(accepted);
      expect(await codes.verify('user-1', 'method-1', 'register', older.code)).toEqual(refused('no_code'));
    });

    it('a code is bound to its user, method and purpose', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      expect(await codes.verify('user-2', 'method-1', 'register', code)).toEqual(refused('no_code'));
      expect(await codes.verify('user-1', 'method-2', 'register', code)).toEqual(refused('no_code'));
      expect(await codes.verify('user-1', 'method-1', 'sign-in', code)).toEqual(refused('no_code'));
      expect(await codes.verify('user-1', 'method-1', 'register', code)).toEqual(accepted);
    });

    it('spaces and dashes typed into a code do not matter', async () => {
      const { code } = await codes.issue('user-1', 'method-1', 'register');
      expect(await codes.verify('user-1', 'method-1', 'register', ` ${code.slice(0, 3)}-${code.slice(3)} `)).toEqual(accepted);
    });

    it("voidAll voids every open code of the user and no one else's", async () => {
      const a = await codes.issue('user-1', 'method-1', 'register');
      const b = await codes.issue('user-1', 'method-2', 'reset');
      const kept = await codes.issue('user-2', 'method-3', 'reset');
      await codes.voidAll('user-1');
      expect(await codes.verify('user-1', 'method-1', 'register', a.code)).toEqual(refused('no_code'));
      expect(await codes.verify('user-1', 'method-2', 'reset', b.code)).toEqual(refused('no_code'));
      expect(await codes.verify('user-2', 'method-3', 'reset', kept.code)).toEqual(accepted);
    });
  });
});
