import { randomUUID } from 'node:crypto';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adConnector } from '../../test/helpers/ad-connector.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { NotClaimed, type AdConnector } from './ad-connector.js';

/**
 * The connector against a real Samba AD DC (one per file): lookups by objectGUID, the policy
 * read from AD, and every password verdict produced by the DC itself — then explained from
 * the policy and the user's attributes, never from AD's message text.
 */

let dc: SambaDc;
let ad: AdConnector;
let alice: SambaUser;
let carol: SambaUser;

const ALICE_PASSWORD = 'Al1ce!Start#1';

beforeAll(async () => {
  dc = await startSambaDc();
  // Samba's defaults (complexity, length 7, history 24) but no minimum age, so a user can change twice; the age test sets it itself.
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  alice = await dc.addUser('alice', ALICE_PASSWORD, {
    givenName: 'Alice',
    surname: 'Liddell',
    displayName: 'Alice Liddell-Hargreaves',
    mail: 'alice@corp.example.test',
    mobile: '+44 7700 900123',
    telephoneNumber: '+44 20 7946 0000',
  });
  carol = await dc.addUser('carol', 'C4rol!Start#1', { displayName: 'Carol Wong' });
  ad = adConnector(dc);
}, 120_000);

afterAll(async () => {
  await ad?.close();
  await dc?.stop();
});

describe('reading from AD', () => {
  it('reads the rootDSE: naming context, host, USN, controls (no policy hints on Samba 4.17)', async () => {
    const r = await ad.rootDse();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.defaultNamingContext).toBe(dc.baseDn);
    expect(r.value.dnsHostName).toBe(dc.tlsServerName);
    expect(Number(r.value.highestCommittedUSN)).toBeGreaterThan(1000);
    expect(r.value.supportedControl).toContain('1.2.840.113556.1.4.319');
    expect(r.value.supportedControl).not.toContain('1.2.840.113556.1.4.2239');
  });

  it('reads the domain password policy from the domain object', async () => {
    const r = await ad.domainPolicy();
    expect(r).toEqual({
      ok: true,
      value: {
        minLength: 7,
        complexity: true,
        historyLength: 24,
        minAgeMs: 0,
        maxAgeMs: 42 * 86_400_000,
        lockoutThreshold: 0,
        lockoutDurationMs: 30 * 60_000,
        source: { kind: 'domain', dn: dc.baseDn },
      },
    });
  });

  it('finds a user by objectGUID with the attributes the portal needs', async () => {
    const r = await ad.findUserByGuid(alice.guid.toUpperCase());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      guid: alice.guid,
      dn: alice.dn,
      sAMAccountName: 'alice',
      userPrincipalName: 'alice@corp.example.test',
      displayName: 'Alice Liddell-Hargreaves',
      mail: 'alice@corp.example.test',
      mobile: '+44 7700 900123',
      telephoneNumber: '+44 20 7946 0000',
      enabled: true,
      protected: false,
      lockedOut: false,
      mustChange: false,
      passwordExpired: false,
      passwordNeverExpires: false,
      resultantPsoDn: null,
    });
    expect(Math.abs(r.value.pwdLastSet!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('answers not_found for a GUID no user has', async () => {
    expect(await ad.findUserByGuid(randomUUID())).toMatchObject({ ok: false, reason: 'not_found' });
    expect(await ad.reset(randomUUID(), 'Any!Passw0rd9')).toMatchObject({ ok: false, reason: 'not_found' });
  });

  it('finds people only: a computer account\'s GUID is not_found', async () => {
    const shown = await dc.samba(['computer', 'show', 'DC1', '--attributes=objectGUID']);
    const computerGuid = /objectGUID: (\S+)/.exec(shown)![1]!;
    expect(await ad.findUserByGuid(computerGuid)).toMatchObject({ ok: false, reason: 'not_found' });
  });

  it('finds nobody outside the search base', async () => {
    const scoped = adConnector(dc, { baseDn: `OU=Domain Controllers,${dc.baseDn}` });
    try {
      expect(await scoped.findUserByGuid(alice.guid)).toMatchObject({ ok: false, reason: 'not_found' });
    } finally {
      await scoped.close();
    }
  });

  it('reads the fine-grained policy (PSO) that applies to a user instead of the domain one', async () => {
    const pso = await dc.addUser('pso-user', 'Pso!User#2024long');
    await dc.samba(['domain', 'passwordsettings', 'pso', 'create', 'Long-Passwords', '10', '--min-pwd-length=14', '--complexity=on', '--history-length=5', '--min-pwd-age=0', '--max-pwd-age=90']);
    await dc.samba(['domain', 'passwordsettings', 'pso', 'apply', 'Long-Passwords', 'pso-user']);
    const r = await ad.effectivePolicy(pso.guid);
    expect(r).toMatchObject({ ok: true, value: { minLength: 14, complexity: true, historyLength: 5, minAgeMs: 0, maxAgeMs: 90 * 86_400_000, source: { kind: 'fine_grained' } } });
    if (!r.ok) return;
    expect(r.value.source.dn).toMatch(/^CN=Long-Passwords,CN=Password Settings Container,CN=System,/);
    // ... and AD enforces it: 12 characters pass the domain policy but not this one.
    expect(await ad.reset(pso.guid, 'Twelve!Chars')).toMatchObject({ ok: false, reason: 'too_short' });
    expect(await ad.effectivePolicy(alice.guid)).toMatchObject({ ok: true, value: { minLength: 7, source: { kind: 'domain' } } });
  });
});

describe('reset by the service account', () => {
  it('sets the password; a bind with the new one works; history is reported as not enforced (no policy hints)', async () => {
    const next = 'Res3t!Works#1';
    expect(await ad.reset(alice.guid, next)).toEqual({ ok: true, historyEnforced: false });
    // Samba may still accept the old password for a while: only the new one is checked.
    expect(await ad.bindAsUser(alice.guid, next)).toEqual({ ok: true });
  });

  it('too short: checked before, and AD refuses it the same way', async () => {
    const user = await mustFind(carol.guid);
    const policy = await mustPolicy(carol.guid);
    expect(ad.checkPassword(user, 'Sh0rt!', policy)).toEqual({ ok: false, reason: 'too_short', reasons: ['too_short'] });
    expect(await ad.reset(carol.guid, 'Sh0rt!')).toMatchObject({ ok: false, reason: 'too_short', detail: expect.stringContaining('LDAP 19') });
  });

  it('not complex: checked before, and AD refuses it the same way', async () => {
    const user = await mustFind(carol.guid);
    const policy = await mustPolicy(carol.guid);
    expect(ad.checkPassword(user, 'alllowercaseletters', policy)).toMatchObject({ ok: false, reason: 'not_complex' });
    expect(await ad.reset(carol.guid, 'alllowercaseletters')).toMatchObject({ ok: false, reason: 'not_complex' });
  });

  it('contains the user\'s name: refused by our check, by AD\'s definition (Samba 4.17 itself does not apply this rule)', async () => {
    const user = await mustFind(carol.guid);
    const policy = await mustPolicy(carol.guid);
    expect(ad.checkPassword(user, 'xxCAROL!2024', policy)).toMatchObject({ ok: false, reason: 'contains_name' });
    expect(ad.checkPassword(user, 'Wong!Wong!2024', policy)).toMatchObject({ ok: false, reason: 'contains_name' });
    expect(ad.checkPassword(user, 'Mango!Tree#24', policy)).toEqual({ ok: true });
  });

  it('can unlock and set "must change" in the same request', async () => {
    const u = await dc.addUser('reset-must', 'Reset!Must#1');
    expect(await ad.reset(u.guid, 'Reset!Must#2', { mustChange: true })).toEqual({ ok: true, historyEnforced: false });
    expect(await ad.findUserByGuid(u.guid)).toMatchObject({ ok: true, value: { mustChange: true, pwdLastSet: null } });
    expect(await ad.bindAsUser(u.guid, 'Reset!Must#2')).toMatchObject({ ok: false, reason: 'must_change' });
  });

  it('a write waits for its go-ahead (the agent\'s claim on disk): the user is looked up at once, AD is written only once it resolves true; false or a rejection writes nothing', async () => {
    const u = await dc.addUser('gated-user', 'Gated!Start#1');
    const pwdLastSet = async () => (await mustFind(u.guid)).pwdLastSet?.getTime();
    const before = await pwdLastSet();
    const lookups = vi.spyOn(ad, 'findUserByGuid');
    let open!: (granted: boolean) => void;
    const pending = ad.reset(u.guid, 'Gated!Next#2', { ready: new Promise<boolean>((r) => (open = r)) });
    await vi.waitFor(() => expect(lookups).toHaveBeenCalledTimes(1));
    lookups.mockRestore();
    await new Promise((r) => setTimeout(r, 300));
    expect(await pwdLastSet()).toBe(before);
    open(true);
    expect(await pending).toEqual({ ok: true, historyEnforced: false });
    expect(await ad.bindAsUser(u.guid, 'Gated!Next#2')).toEqual({ ok: true });
    const afterReset = await pwdLastSet();
    expect(afterReset).not.toBe(before);

    // Not claimed: nothing is written, whichever write it was.
    await expect(ad.reset(u.guid, 'Gated!Never#3', { ready: Promise.resolve(false) })).rejects.toBeInstanceOf(NotClaimed);
    // (Handled at once, as the agent does: the connector awaits it only after the look-up.)
    const failed = Promise.reject(new Error('disk full'));
    failed.catch(() => undefined);
    await expect(ad.reset(u.guid, 'Gated!Never#4', { ready: failed })).rejects.toThrow('disk full');
    await expect(ad.change(u.guid, 'Gated!Next#2', 'Gated!Never#5', { ready: Promise.resolve(false) })).rejects.toBeInstanceOf(NotClaimed);
    await expect(ad.setMustChange(u.guid, true, { ready: Promise.resolve(false) })).rejects.toBeInstanceOf(NotClaimed);
    // A sign-in's bind too: a wrong password would count against the user's lockout.
    await expect(ad.bindAsUser(u.guid, 'Not!The#Password1', { withPolicy: true, ready: Promise.resolve(false) })).rejects.toBeInstanceOf(NotClaimed);
    expect(await pwdLastSet()).toBe(afterReset);
    expect(await mustFind(u.guid)).toMatchObject({ mustChange: false });
    expect(await ad.bindAsUser(u.guid, 'Gated!Never#3')).toMatchObject({ ok: false, reason: 'wrong_password' });
  });

  it('refuses a disabled account up front', async () => {
    const u = await dc.addUser('disabled-user', 'Disabled!Us3r');
    await dc.samba(['user', 'disable', 'disabled-user']);
    expect(await ad.findUserByGuid(u.guid)).toMatchObject({ ok: true, value: { enabled: false } });
    expect(await ad.reset(u.guid, 'Another!Passw0rd')).toMatchObject({ ok: false, reason: 'account_disabled' });
    expect(await ad.unlock(u.guid)).toMatchObject({ ok: false, reason: 'account_disabled' });
  });
});

describe('protected accounts', () => {
  let direct: SambaUser;
  let nested: SambaUser;

  beforeAll(async () => {
    direct = await dc.addUser('da-direct', 'Domain!Admin#1');
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'da-direct']);
    // Nested twice: user → Tier0 Operators → Tier0 → Domain Admins.
    nested = await dc.addUser('da-nested', 'Domain!Admin#2');
    await dc.samba(['group', 'add', 'Tier0']);
    await dc.samba(['group', 'add', 'Tier0 Operators']);
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'Tier0']);
    await dc.samba(['group', 'addmembers', 'Tier0', 'Tier0 Operators']);
    await dc.samba(['group', 'addmembers', 'Tier0 Operators', 'da-nested']);
  }, 60_000);

  it('refuses a direct member of Domain Admins, with nothing changed', async () => {
    expect(await ad.findUserByGuid(direct.guid)).toMatchObject({ ok: true, value: { protected: true } });
    expect(await ad.reset(direct.guid, 'Changed!By#Portal1')).toMatchObject({ ok: false, reason: 'protected_account' });
    expect(await ad.unlock(direct.guid)).toMatchObject({ ok: false, reason: 'protected_account' });
    expect(await ad.setMustChange(direct.guid, true)).toMatchObject({ ok: false, reason: 'protected_account' });
    expect(await ad.bindAsUser(direct.guid, 'Domain!Admin#1')).toEqual({ ok: true });
  });

  it('refuses a member through nested groups', async () => {
    expect(await ad.findUserByGuid(nested.guid)).toMatchObject({ ok: true, value: { protected: true } });
    expect(await ad.reset(nested.guid, 'Changed!By#Portal1')).toMatchObject({ ok: false, reason: 'protected_account' });
  });

  it('an ordinary user and a nested member are each found, protection checked, in one base search on <GUID=…> with tokenGroups (no IN_CHAIN search)', async () => {
    expect(await ad.findUserByGuid(carol.guid)).toMatchObject({ ok: true, value: { protected: false } });
    const searches = vi.spyOn(Client.prototype, 'search');
    try {
      expect(await ad.findUserByGuid(carol.guid)).toMatchObject({ ok: true, value: { protected: false } });
      expect(await ad.findUserByGuid(nested.guid)).toMatchObject({ ok: true, value: { protected: true } });
      expect(searches).toHaveBeenCalledTimes(2);
      for (const [base, o] of searches.mock.calls) {
        expect(base).toMatch(/^<GUID=[0-9a-f-]{36}>$/);
        expect(o).toMatchObject({ scope: 'base', attributes: expect.arrayContaining(['tokenGroups']) });
      }
    } finally {
      searches.mockRestore();
    }
  });

  it('where tokenGroups cannot be read (a service account without the right), the DC decides with LDAP_MATCHING_RULE_IN_CHAIN: an ordinary user in one search more, a nested member in two, still protected', async () => {
    const real = Client.prototype.search;
    // The DC answers as it does to an account that may not read tokenGroups: the entry without it.
    const searches = vi.spyOn(Client.prototype, 'search').mockImplementation(async function (this: Client, ...args: Parameters<Client['search']>) {
      const r = await real.apply(this, args);
      for (const e of r.searchEntries) delete e['tokenGroups'];
      return r;
    });
    const inChain = () => searches.mock.calls.filter(([, o]) => String(o?.filter ?? '').includes('1.2.840.113556.1.4.1941')).length;
    try {
      // The first one also finds the protected groups by SID (kept for ten minutes).
      expect(await ad.findUserByGuid(carol.guid)).toMatchObject({ ok: true, value: { protected: false } });
      searches.mockClear();
      expect(await ad.findUserByGuid(carol.guid)).toMatchObject({ ok: true, value: { protected: false } });
      expect([searches.mock.calls.length, inChain()]).toEqual([2, 1]);
      searches.mockClear();
      expect(await ad.findUserByGuid(nested.guid)).toMatchObject({ ok: true, value: { protected: true } });
      expect([searches.mock.calls.length, inChain()]).toEqual([3, 1]);
      expect(await ad.reset(nested.guid, 'Changed!By#Portal2')).toMatchObject({ ok: false, reason: 'protected_account' });
      expect(await ad.findUserByGuid(direct.guid)).toMatchObject({ ok: true, value: { protected: true } });
    } finally {
      searches.mockRestore();
    }
  });

  it('a user\'s own change looks the user up without the protection searched; a sign-in\'s bind brings the policy with the protection told', async () => {
    const searches = vi.spyOn(Client.prototype, 'search');
    const protection = () => searches.mock.calls.filter(([, o]) => String(o?.filter ?? '').includes('1.2.840.113556.1.4.1941') || (o?.attributes ?? []).includes('tokenGroups')).length;
    try {
      expect(await ad.change(carol.guid, 'C4rol!Start#1', 'C4rol!Second#2')).toEqual({ ok: true, historyEnforced: true });
      expect(protection()).toBe(0);
      expect(await ad.bindAsUser(carol.guid, 'C4rol!Second#2', { withPolicy: true })).toMatchObject({ ok: true, policy: { policy: { minLength: 7 }, protectedAccount: false } });
      expect(protection()).toBe(1);
      expect(await ad.bindAsUser(direct.guid, 'Domain!Admin#1', { withPolicy: true })).toMatchObject({ ok: true, policy: { protectedAccount: true } });
    } finally {
      searches.mockRestore();
    }
  });

  it('a password policy object is read once for all its users within a minute', async () => {
    await ad.accountPolicy(carol.guid);
    const searches = vi.spyOn(Client.prototype, 'search');
    try {
      expect(await ad.accountPolicy(alice.guid)).toMatchObject({ ok: true, value: { policy: { minLength: 7, source: { kind: 'domain' } } } });
      expect(await ad.accountPolicy(carol.guid)).toMatchObject({ ok: true, value: { policy: { minLength: 7 } } });
      // Two user searches, and not one read of the domain object.
      expect(searches.mock.calls.filter(([base, o]) => o?.scope === 'base' && base === dc.baseDn)).toHaveLength(0);
      expect(searches).toHaveBeenCalledTimes(2);
    } finally {
      searches.mockRestore();
    }
  });

  it('refuses the built-in Administrator and members of BUILTIN groups (Account Operators)', async () => {
    const acct = await dc.addUser('acct-op', 'Account!Op3r');
    await dc.samba(['group', 'addmembers', 'Account Operators', 'acct-op']);
    expect(await ad.reset(acct.guid, 'Changed!By#Portal1')).toMatchObject({ ok: false, reason: 'protected_account' });
    const admin = await dc.samba(['user', 'show', 'Administrator', '--attributes=objectGUID']);
    const adminGuid = /objectGUID: (\S+)/.exec(admin)![1]!;
    expect(await ad.reset(adminGuid, 'Changed!By#Portal1')).toMatchObject({ ok: false, reason: 'protected_account' });
  });

  it('resets them only when the administrator allows protected accounts', async () => {
    const allowing = adConnector(dc, { allowProtected: true });
    try {
      expect(await allowing.reset(nested.guid, 'Allowed!Reset#1')).toEqual({ ok: true, historyEnforced: false });
      expect(await allowing.bindAsUser(nested.guid, 'Allowed!Reset#1')).toEqual({ ok: true });
    } finally {
      await allowing.close();
    }
  });
});

describe('change by the user (bound as the user)', () => {
  let bob: SambaUser;
  const first = 'B0b!First#Pass';
  const second = 'B0b!Second#Pass';

  beforeAll(async () => {
    bob = await dc.addUser('bob', first, { displayName: 'Robert Tables' });
  });

  it('changes the password with the current one; the new one works', async () => {
    expect(await ad.change(bob.guid, first, second)).toEqual({ ok: true, historyEnforced: true });
    expect(await ad.bindAsUser(bob.guid, second)).toEqual({ ok: true });
  });

  it('in history: AD refuses a password used before, and the policy explains it', async () => {
    const r = await ad.change(bob.guid, second, first);
    expect(r).toMatchObject({ ok: false, reason: 'in_history' });
  });

  it('wrong current password', async () => {
    expect(await ad.change(bob.guid, 'Not!The#Current1', 'B0b!Third#Pass')).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect(await ad.change(bob.guid, '', 'B0b!Third#Pass')).toMatchObject({ ok: false, reason: 'wrong_password' });
  });

  it('too short and not complex on a change as well', async () => {
    expect(await ad.change(bob.guid, second, 'B!1x')).toMatchObject({ ok: false, reason: 'too_short' });
    expect(await ad.change(bob.guid, second, 'onlysmallletters')).toMatchObject({ ok: false, reason: 'not_complex' });
  });

  it('too young: with a minimum age of one day, a second change is refused by AD and explained from pwdLastSet', async () => {
    await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=1']);
    try {
      const policy = await mustPolicy(bob.guid);
      expect(policy.minAgeMs).toBe(86_400_000);
      const user = await mustFind(bob.guid);
      expect(ad.checkPassword(user, 'B0b!Fourth#Pass', policy)).toEqual({ ok: false, reason: 'too_young', reasons: ['too_young'] });
      expect(await ad.change(bob.guid, second, 'B0b!Fourth#Pass')).toMatchObject({ ok: false, reason: 'too_young' });
    } finally {
      await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
    }
  });
});

async function mustFind(guid: string) {
  const r = await ad.findUserByGuid(guid);
  if (!r.ok) throw new Error(`user ${guid}: ${r.reason} ${r.detail ?? ''}`);
  return r.value;
}

async function mustPolicy(guid: string) {
  const r = await ad.effectivePolicy(guid);
  if (!r.ok) throw new Error(`policy for ${guid}: ${r.reason} ${r.detail ?? ''}`);
  return r.value;
}
