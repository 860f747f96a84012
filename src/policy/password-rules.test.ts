import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';

/**
 * The password rules as the policy's `passwords` section, through the real PolicyService on a
 * fresh store of each dialect: seeded from the configuration, saved as versions, bad input
 * refused with every field named and nothing stored, and the directory using what is stored.
 */

const ADA = { id: null, name: 'ada' };

describe.each(dialects)('password rules in the policy on %s', (dialect) => {
  let tp: TestPortal;
  beforeEach(async () => {
    tp = await createTestPortal({ dialect, config: { passwords: { minLength: 10, bannedCustom: ['widgetmax'] } } });
  });
  afterEach(() => tp.cleanup());

  it('start from the configuration file, and a stored policy from before the section existed takes them too', async () => {
    expect((await tp.portal.policy.refresh()).policy.passwords).toMatchObject({ minLength: 10, bannedCustom: ['widgetmax'], refuseNames: true, breached: { mode: 'off', minCount: 1, failureMode: 'open' } });
    const old = { ...(await tp.portal.policy.refresh()).policy } as Record<string, unknown>;
    delete old['passwords'];
    await tp.store.db.insertInto('policy_versions').values({ version: 1, document: JSON.stringify(old), created_at: Date.now(), actor_id: null, actor_name: 'old', comment: null }).execute();
    expect((await tp.portal.policy.refresh()).policy.passwords.minLength).toBe(10);
  });

  it('saved rules win over the configuration and apply to every password set', async () => {
    const r = await tp.portal.policy.update(ADA, { passwords: { minLength: 20, bannedCustom: ['harbourview'] } });
    expect(r.ok && r.value.version).toBe(1);
    expect((await tp.portal.directory.testPassword('lantern orchid', {})).reasons[0]).toEqual({ key: 'v.password.tooShort', values: { min: 20 } });
    expect((await tp.portal.directory.testPassword('harbourview24#', {})).reasons.map((x) => x.key)).toContain('v.password.bannedWord');
  });

  it('bad input — 1,001 banned words, min above max, an unknown mode, local without a source — is refused with every field named and changes nothing', async () => {
    const words = Array.from({ length: 1001 }, (_, i) => `word${i}xx`);
    const r = await tp.portal.policy.update(ADA, { passwords: { bannedCustom: words, minLength: 40, maxLength: 30, breached: { mode: 'sometimes' } } });
    expect(r).toMatchObject({ ok: false, reason: 'invalid', errors: { 'passwords.bannedCustom': 'v.policy.passwords.bannedTooMany', 'passwords.breached.mode': 'v.policy.passwords.breachedMode' } });
    const minMax = await tp.portal.policy.update(ADA, { passwords: { minLength: 40, maxLength: 30 } });
    expect(minMax).toMatchObject({ ok: false, errors: { 'passwords.minLength': 'v.policy.passwords.minAboveMax' } });
    const local = await tp.portal.policy.update(ADA, { passwords: { breached: { mode: 'local' } } });
    expect(local).toMatchObject({ ok: false, errors: { 'passwords.breached.localFolder': 'v.policy.passwords.localSource' } });
    const term = await tp.portal.policy.update(ADA, { passwords: { bannedCustom: ['abc', 'fine-word'] } });
    expect(term).toMatchObject({ ok: false, errors: { 'passwords.bannedCustom.0': 'v.policy.passwords.bannedTerm' } });
    expect((await tp.portal.policy.refresh()).version).toBe(0);
    expect(await tp.portal.policy.history()).toEqual([]);
  });
});
