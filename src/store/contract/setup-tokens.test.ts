import { beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../../test/helpers/test-portal.js';
import { createAuditLog } from '../../audit/audit-log.js';
import { DirectoryService } from '../../directory/directory-service.js';
import { createPasswordHasher } from '../../passwords/password-hash.js';
import { FirstRun } from '../../setup/first-run.js';
import { SessionStore } from '../../state/sessions.js';
import { contractFixture, HOUR, MINUTE, type ManualClock } from '../../../test/helpers/store-contract.js';
import type { Store } from '../database.js';
import type { UserStore } from '../../directory/users.js';
import type { GroupStore } from '../../directory/groups.js';

describe.each(dialects)('store contract on %s', (dialect) => {
  const fx = contractFixture(dialect);
  let store: Store;
  let clock: ManualClock;
  let users: UserStore;
  let groups: GroupStore;
  beforeEach(() => {
    ({ store, clock, users, groups } = fx);
  });

  describe('setup tokens', () => {
    let firstRun: FirstRun;
    const form = (username: string) => ({ username, displayName: 'First Admin', email: '', password: 'a long enough password', confirm: 'a long enough password' });
    beforeEach(() => {
      const audit = createAuditLog(store, clock);
      const sessions = new SessionStore(store, clock, { idleMs: 30 * MINUTE, absoluteMs: 8 * HOUR });
      const hasher = createPasswordHasher({ memoryKiB: 1024, iterations: 1, parallelism: 1 });
      const directory = new DirectoryService({ users, groups, hasher, audit, sessions, passwordRules: { minLength: 8, maxLength: 256 } });
      firstRun = new FirstRun({ store, clock, users, directory, tokenTtlMs: 15 * MINUTE });
    });

    it('a setup token creates the first administrator once and is stored only hashed', async () => {
      const { token } = await firstRun.issueToken();
      expect(JSON.stringify(await store.db.selectFrom('setup_tokens').selectAll().execute())).not.toContain(token);
      expect(await firstRun.isTokenValid(token)).toBe(true);
      const first = await firstRun.complete(token, form('admin'));
      expect(first.ok && first.value.roles).toEqual(['administrator']);
      // Even with setup needed again (the administrator disabled), the used token stays spent.
      await users.setEnabled(first.ok ? first.value.id : '', false);
      expect(await firstRun.needsSetup()).toBe(true);
      expect(await firstRun.isTokenValid(token)).toBe(false);
      expect(await firstRun.complete(token, form('admin2'))).toMatchObject({ ok: false, reason: 'refused' });
      expect(await users.byUsername('admin2')).toBeNull();
    });

    it('of 5 parallel completions with one token exactly one creates an administrator', async () => {
      const { token } = await firstRun.issueToken();
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => firstRun.complete(token, form(`admin${i}`))));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'refused')).toHaveLength(4);
      expect(await users.countEnabledWithRole('administrator')).toBe(1);
    });

    it('issuing a new token voids the older unused one', async () => {
      const older = await firstRun.issueToken();
      const newer = await firstRun.issueToken();
      expect(await firstRun.isTokenValid(older.token)).toBe(false);
      expect(await firstRun.isTokenValid(newer.token)).toBe(true);
    });

    it('an expired setup token is refused', async () => {
      const { token } = await firstRun.issueToken();
      clock.advance(15 * MINUTE);
      expect(await firstRun.isTokenValid(token)).toBe(false);
      expect(await firstRun.complete(token, form('admin'))).toMatchObject({ ok: false, reason: 'refused' });
      expect(await firstRun.needsSetup()).toBe(true);
    });

    it('a token survives a form that fails validation', async () => {
      const { token } = await firstRun.issueToken();
      expect(await firstRun.complete(token, form('not a valid name'))).toMatchObject({ ok: false, reason: 'invalid' });
      expect(await firstRun.isTokenValid(token)).toBe(true);
      expect((await firstRun.complete(token, form('admin'))).ok).toBe(true);
    });
  });
});
