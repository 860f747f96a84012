import { rootCertificates } from 'node:tls';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adOptions, withConnector } from '../../../test/helpers/ad-connector.js';
import { closedPort } from '../../../test/helpers/net.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../../test/helpers/samba-dc.js';
import { formatRightsReport } from '../../agent/doctor.js';
import type { AdConnectionOptions } from '../ad-connection.js';
import { SdFlagsControl } from '../controls.js';
import { securityDescriptorToSddl } from '../sddl.js';
import { parseSecurityDescriptor } from '../security-descriptor.js';
import { AD_GUID, checkRights, type RightsReport } from './index.js';

/**
 * The rights check against a real Samba AD DC, and against what the DC then really allows:
 * every verdict on the rights is followed by a reset (or unlock) with the same account.
 */

const PW = 'Svc!Rights#Pass1';
let dc: SambaDc;
let target: SambaUser;
let domainSid: string;
/** Distinct passwords for the target's resets (the history remembers 24). */
let resets = 0;
const nextPassword = () => `Target!Reset#${++resets}x`;

function options(bindDn: string, bindPassword: string, over: Partial<AdConnectionOptions> = {}): AdConnectionOptions {
  return adOptions(dc, { bindDn, bindPassword, timeoutMs: 5_000, ...over });
}

/** The three ACEs of ../shared/design/active-directory.md, applied with samba-tool as an administrator would. */
async function delegate(sid: string, objectDn = dc.baseDn): Promise<void> {
  for (const [right, guid] of [
    ['CR', AD_GUID.resetPassword],
    ['WP', AD_GUID.lockoutTime],
    ['WP', AD_GUID.pwdLastSet],
  ] as const) {
    await dc.samba(['dsacl', 'set', `--objectdn=${objectDn}`, `--sddl=(OA;CIIO;${right};${guid};${AD_GUID.userClass};${sid})`]);
  }
}

/** The words of a POSIX shell command line (single quotes with '\'' inside, as the report prints them). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      inWord = true;
      i += 1;
    } else if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const heldRights = (r: RightsReport) => r.needed.map((n) => [n.right, n.held]);
const ALL_HELD = [
  ['reset_password', true],
  ['write_lockout_time', true],
  ['write_pwd_last_set', true],
];
const NONE_HELD = [
  ['reset_password', false],
  ['write_lockout_time', false],
  ['write_pwd_last_set', false],
];

beforeAll(async () => {
  dc = await startSambaDc();
  await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
  target = await dc.addUser('rights-target', 'Target!First#1');
  domainSid = target.sid.replace(/-\d+$/, '');
}, 120_000);

afterAll(async () => {
  await dc?.stop();
});

describe('a least-privilege service account (the three delegated ACEs on the base)', () => {
  let svc: SambaUser;
  let report: RightsReport;

  beforeAll(async () => {
    svc = await dc.addUser('svc-least', PW);
    await delegate(svc.sid);
    report = await checkRights(options(svc.dn, PW));
  }, 60_000);

  it('ok: all three held through its own ACEs on the base, nothing more', () => {
    expect(report.verdict).toBe('ok');
    expect(heldRights(report)).toEqual(ALL_HELD);
    for (const n of report.needed) expect(n.via).toMatch(new RegExp(`^svc-least: \\(OA;CIIO;(CR|WP);[0-9a-f-]{36};${AD_GUID.userClass};${svc.sid}\\) on ${dc.baseDn}$`));
    expect(report.excessive).toEqual([]);
    expect(report.problems).toEqual([]);
    expect(report.account).toMatchObject({ dn: svc.dn, sid: svc.sid, sAMAccountName: 'svc-least' });
    expect(report.account.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['Domain Users', 'Users']));
    expect(report.base).toBe(dc.baseDn);
  });

  it('notes Change Password (Everyone, from the user class default) and Unexpire Password (Authenticated Users, on the domain)', () => {
    expect(report.noted).toEqual([
      { right: 'change_password', held: true, via: `Everyone: (OA;;CR;${AD_GUID.changePassword};;WD) in the user class's default security descriptor (schema)` },
      { right: 'unexpire_password', held: true, via: `Authenticated Users: (OA;;CR;${AD_GUID.unexpirePassword};;AU) on ${dc.baseDn}` },
    ]);
  });

  it('reports the TLS connection, the controls and the domain policy', () => {
    expect(report.tls).toMatchObject({ url: dc.url, failed: [], mode: 'ldaps', verified: true, pinned: true, serverName: dc.tlsServerName });
    expect(report.tls.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(report.tls.certificate?.subject).toMatch(/CN=DC1\.corp\.example\.test/i);
    expect(report.tls.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // Samba 4.17 has no policy hints: history is not enforced on resets.
    expect(report.controls).toMatchObject({ policyHints: false, policyHintsOid: null, pagedResults: true, sdFlags: true, showDeleted: true, dirSync: true });
    expect(report.domainPolicy).toMatchObject({ minLength: 7, complexity: true, historyLength: 24, minAgeMs: 0, source: { kind: 'domain', dn: dc.baseDn } });
  });

  it('agrees with reality: the account resets, unlocks and sets "must change"', async () => {
    await withConnector(options(svc.dn, PW), async (ad) => {
      const password = nextPassword();
      expect(await ad.reset(target.guid, password)).toEqual({ ok: true, historyEnforced: false });
      expect(await ad.bindAsUser(target.guid, password)).toEqual({ ok: true });
      expect(await ad.unlock(target.guid)).toEqual({ ok: true });
      expect(await ad.setMustChange(target.guid, false)).toEqual({ ok: true });
    });
  });

  it('prints ✔ lines, the history warning and no delegation section', () => {
    const text = formatRightsReport(report);
    expect(text).toContain(`✔ ${dc.url} answered (LDAPS, TLSv1.`);
    expect(text).toContain('✔ CA pinning in use');
    expect(text).toMatch(/^ {2}✔ Reset Password/m);
    expect(text).toMatch(/^ {2}✔ Write lockoutTime/m);
    expect(text).toMatch(/^ {2}✔ Write pwdLastSet/m);
    expect(text).toContain('⚠ password-policy hints NOT advertised');
    expect(text).toContain('does not enforce the password history or minimum age on resets');
    expect(text).toContain('minimum length 7, complexity on, history 24 password(s)');
    expect(text).not.toContain('Delegation to apply');
    expect(text.trimEnd().split('\n').at(-1)).toBe('✔ OK: the service account holds exactly what writeback needs.');
  });

  it('finds the account from user@domain or DOMAIN\\name too', async () => {
    for (const bindDn of ['svc-least@corp.example.test', 'CORP\\svc-least']) {
      const r = await checkRights(options(bindDn, PW));
      expect(r.account.dn, bindDn).toBe(svc.dn);
      expect(r.verdict, bindDn).toBe('ok');
    }
  });

  it('over StartTLS: mode starttls, still verified', async () => {
    const r = await checkRights(options(svc.dn, PW, { urls: [dc.startTlsUrl], startTls: true }));
    expect(r.tls).toMatchObject({ url: dc.startTlsUrl, mode: 'starttls', verified: true, pinned: true });
    expect(r.tls.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(r.verdict).toBe('ok');
  });
});

describe('a plain user without delegation', () => {
  it('missing_rights with all three, the exact commands with its SID; running the printed samba-tool commands makes it pass', async () => {
    const svc = await dc.addUser('svc-plain', PW);
    const before = await checkRights(options(svc.dn, PW));
    expect(before.verdict).toBe('missing_rights');
    expect(heldRights(before)).toEqual(NONE_HELD);
    expect(before.excessive).toEqual([]);
    expect(before.delegation.sddl).toEqual([
      `(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;${svc.sid})`,
      `(OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;bf967aba-0de6-11d0-a285-00aa003049e2;${svc.sid})`,
      `(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;${svc.sid})`,
    ]);
    expect(before.delegation.dsacls).toEqual([
      `dsacls "${dc.baseDn}" /I:S /G "${svc.sid}:CA;Reset Password;user"`,
      `dsacls "${dc.baseDn}" /I:S /G "${svc.sid}:WP;lockoutTime;user"`,
      `dsacls "${dc.baseDn}" /I:S /G "${svc.sid}:WP;pwdLastSet;user"`,
    ]);
    for (const c of before.delegation.sambaTool) expect(c).toContain(svc.sid);

    // Reality agrees: the DC refuses.
    await withConnector(options(svc.dn, PW), async (ad) => {
      expect(await ad.reset(target.guid, nextPassword())).toMatchObject({ ok: false, reason: 'insufficient_rights' });
      expect(await ad.unlock(target.guid)).toMatchObject({ ok: false, reason: 'insufficient_rights' });
    });

    const text = formatRightsReport(before);
    expect(text).toMatch(/^ {2}✖ Reset Password/m);
    expect(text).toMatch(/^ {2}✖ Write lockoutTime/m);
    expect(text).toMatch(/^ {2}✖ Write pwdLastSet/m);
    expect(text).toContain(`Delegation to apply on ${dc.baseDn} (for svc-plain)`);
    for (const c of [...before.delegation.sddl, ...before.delegation.dsacls, ...before.delegation.sambaTool]) expect(text).toContain(`    ${c}\n`);
    expect(text).toContain('✖ MISSING RIGHTS');

    // Run exactly what was printed (as root on the DC, which is what `dc.samba` does).
    const printed = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('samba-tool dsacl set '));
    expect(printed).toHaveLength(3);
    for (const line of printed) {
      const [program, ...args] = shellWords(line);
      expect(program).toBe('samba-tool');
      await dc.samba(args);
    }

    const after = await checkRights(options(svc.dn, PW));
    expect(after.verdict).toBe('ok');
    expect(heldRights(after)).toEqual(ALL_HELD);
    await withConnector(options(svc.dn, PW), async (ad) => {
      expect(await ad.reset(target.guid, nextPassword())).toEqual({ ok: true, historyEnforced: false });
      expect(await ad.unlock(target.guid)).toEqual({ ok: true });
    });
  });
});

describe('over-privileged accounts', () => {
  it('a member of Domain Admins: over_privileged, critical; it can reset (through the default ACEs of user objects)', async () => {
    const svc = await dc.addUser('svc-da', PW);
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'svc-da']);
    const r = await checkRights(options(svc.dn, PW));
    expect(r.verdict).toBe('over_privileged');
    expect(heldRights(r)).toEqual(ALL_HELD);
    expect(r.needed[0]!.via).toBe("Domain Admins: (A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA) in the user class's default security descriptor (schema)");
    expect(r.excessive).toEqual(
      expect.arrayContaining([
        { what: expect.stringMatching(/^member of Domain Admins \(directly\)/), severity: 'critical' },
        { what: expect.stringMatching(/^member of Administrators \(through Domain Admins\)/), severity: 'critical' },
      ]),
    );
    await withConnector(options(svc.dn, PW), async (ad) => {
      expect(await ad.reset(target.guid, nextPassword())).toEqual({ ok: true, historyEnforced: false });
    });
    const text = formatRightsReport(r);
    expect(text).toContain('✖ CRITICAL: member of Domain Admins (directly)');
    expect(text).toContain(`Delegation to apply on ${dc.baseDn} (for svc-da)`);
    expect(text).toContain('✖ OVER-PRIVILEGED');
  });

  it('nested: a member of a group inside Domain Admins is found, with the group it goes through', async () => {
    const svc = await dc.addUser('svc-nested', PW);
    await dc.samba(['group', 'add', 'Tier0 Helpers']);
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'Tier0 Helpers']);
    await dc.samba(['group', 'addmembers', 'Tier0 Helpers', 'svc-nested']);
    const r = await checkRights(options(svc.dn, PW));
    expect(r.verdict).toBe('over_privileged');
    expect(r.account.groups.map((g) => g.name)).toEqual(expect.arrayContaining(['Tier0 Helpers', 'Domain Admins', 'Administrators']));
    const critical = r.excessive.filter((e) => e.severity === 'critical').map((e) => e.what);
    expect(critical).toEqual(expect.arrayContaining([expect.stringMatching(/^member of Domain Admins \(through Tier0 Helpers\)/), expect.stringMatching(/^member of Administrators \(through Tier0 Helpers\)/)]));
  });

  it('a member of Account Operators: critical', async () => {
    const svc = await dc.addUser('svc-ao', PW);
    await dc.samba(['group', 'addmembers', 'Account Operators', 'svc-ao']);
    const r = await checkRights(options(svc.dn, PW));
    expect(r.verdict).toBe('over_privileged');
    expect(r.excessive).toContainEqual({ what: expect.stringMatching(/^member of Account Operators \(directly\)/), severity: 'critical' });
    // Account Operators have full control of user objects by the class default.
    expect(r.needed[0]!.via).toMatch(/^Account Operators: \(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;AO\)/);
  });

  it('the Administrator account itself: every admin group, and the built-in account named', async () => {
    const r = await checkRights(options(dc.adminDn, dc.adminPassword));
    expect(r.verdict).toBe('over_privileged');
    expect(heldRights(r)).toEqual(ALL_HELD);
    const whats = r.excessive.map((e) => e.what);
    expect(whats[0]).toMatch(/built-in Administrator account/);
    for (const group of ['Domain Admins', 'Enterprise Admins', 'Schema Admins', 'Administrators']) expect(whats).toContainEqual(expect.stringMatching(new RegExp(`^member of ${group} \\(directly\\)`)));
    expect(r.excessive.every((e) => e.severity === 'critical')).toBe(true);
  });

  describe('rights on an OU as the base', () => {
    const ou = () => `OU=Rights Staff,${dc.baseDn}`;
    beforeAll(async () => {
      await dc.samba(['ou', 'add', 'OU=Rights Staff']);
    });

    it('WriteDACL on the base: critical, even with exactly the three ACEs', async () => {
      const svc = await dc.addUser('svc-wd', PW);
      await delegate(svc.sid, ou());
      await dc.samba(['dsacl', 'set', `--objectdn=${ou()}`, `--sddl=(A;;WD;;;${svc.sid})`]);
      const r = await checkRights(options(svc.dn, PW, { baseDn: ou() }));
      expect(r.verdict).toBe('over_privileged');
      expect(heldRights(r)).toEqual(ALL_HELD);
      expect(r.excessive).toEqual([{ what: `WriteDACL (can rewrite the permissions, so can grant itself anything) on ${ou()}, via svc-wd: (A;;WD;;;${svc.sid}) on ${ou()}`, severity: 'critical' }]);
    });

    it('full control of the user objects: critical GenericAll', async () => {
      const svc = await dc.addUser('svc-ga', PW);
      await dc.samba(['dsacl', 'set', `--objectdn=${ou()}`, `--sddl=(OA;CIIO;RPWPCRCCDCLCLORCWOWDSDDTSW;;${AD_GUID.userClass};${svc.sid})`]);
      const r = await checkRights(options(svc.dn, PW, { baseDn: ou() }));
      expect(r.verdict).toBe('over_privileged');
      expect(heldRights(r)).toEqual(ALL_HELD);
      expect(r.excessive).toContainEqual({ what: expect.stringMatching(new RegExp(`^GenericAll \\(full control\\) on user objects under ${ou()}`)), severity: 'critical' });
    });

    it('writing userAccountControl besides the three: a warning, still over_privileged', async () => {
      const svc = await dc.addUser('svc-uac', PW);
      await delegate(svc.sid, ou());
      await dc.samba(['dsacl', 'set', `--objectdn=${ou()}`, `--sddl=(OA;CIIO;WP;bf967a68-0de6-11d0-a285-00aa003049e2;${AD_GUID.userClass};${svc.sid})`]);
      const r = await checkRights(options(svc.dn, PW, { baseDn: ou() }));
      expect(r.verdict).toBe('over_privileged');
      expect(r.excessive).toEqual([{ what: expect.stringMatching(/^write userAccountControl on user objects under OU=Rights Staff/), severity: 'warning' }]);
      expect(formatRightsReport(r)).toContain('⚠ warning: write userAccountControl');
    });

    it('the delegation counts only where it was made: on the OU, not on the domain root', async () => {
      const svc = await dc.addUser('svc-ou', PW);
      await delegate(svc.sid, ou());
      expect((await checkRights(options(svc.dn, PW, { baseDn: ou() }))).verdict).toBe('ok');
      const atRoot = await checkRights(options(svc.dn, PW));
      expect(atRoot.verdict).toBe('missing_rights');
      expect(heldRights(atRoot)).toEqual(NONE_HELD);
      expect(atRoot.delegation.sambaTool[0]).toContain(`--objectdn='${dc.baseDn}'`);
    });
  });
});

describe('a deny ACE', () => {
  it('for Reset Password beats the allow: missing, as the DC itself decides', async () => {
    const svc = await dc.addUser('svc-denied', PW);
    await delegate(svc.sid);
    const deny = `(OD;CIIO;CR;${AD_GUID.resetPassword};${AD_GUID.userClass};${svc.sid})`;
    await dc.samba(['dsacl', 'set', `--objectdn=${dc.baseDn}`, `--sddl=${deny}`]);
    const r = await checkRights(options(svc.dn, PW));
    expect(r.verdict).toBe('missing_rights');
    expect(heldRights(r)).toEqual([
      ['reset_password', false],
      ['write_lockout_time', true],
      ['write_pwd_last_set', true],
    ]);
    expect(r.needed[0]).toEqual({ right: 'reset_password', held: false, deniedBy: `svc-denied: ${deny} on ${dc.baseDn}` });
    expect(formatRightsReport(r)).toContain(`DENIED by svc-denied: ${deny}`);
    await withConnector(options(svc.dn, PW), async (ad) => {
      expect(await ad.reset(target.guid, nextPassword())).toMatchObject({ ok: false, reason: 'insufficient_rights' });
      expect(await ad.unlock(target.guid)).toEqual({ ok: true });
    });
  });
});

describe('when the check cannot be made', () => {
  it('an unreachable URL: unreachable, saying which URL and why', async () => {
    const port = await closedPort();
    const url = `ldaps://127.0.0.1:${port}`;
    const r = await checkRights(options(dc.adminDn, dc.adminPassword, { urls: [url], timeoutMs: 2_000 }));
    expect(r.verdict).toBe('unreachable');
    expect(r.tls).toMatchObject({ url: null, verified: false, pinned: true, failed: [{ url, detail: `${url}: connection refused` }] });
    expect(r.problems).toEqual([expect.stringContaining(`${url}: connection refused`)]);
    expect(r.delegation).toEqual({ sddl: [], dsacls: [], sambaTool: [] });
    expect(r.controls).toBeNull();
    const text = formatRightsReport(r);
    expect(text).toContain('✖ no domain controller could be used');
    expect(text).toContain(`⚠ ${url} failed: ${url}: connection refused`);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^✖ UNREACHABLE/);
  });

  it('a dead first DC: the next one answers and the dead one is listed', async () => {
    const url = `ldaps://127.0.0.1:${await closedPort()}`;
    const r = await checkRights(options(dc.adminDn, dc.adminPassword, { urls: [url, dc.url], timeoutMs: 2_000 }));
    expect(r.tls.url).toBe(dc.url);
    expect(r.tls.failed).toEqual([{ url, detail: `${url}: connection refused` }]);
    expect(r.verdict).toBe('over_privileged');
  });

  it('a wrong service password or an untrusted certificate: unreachable, saying so', async () => {
    const wrong = await checkRights(options(dc.adminDn, 'Not!The#Password1'));
    expect(wrong.verdict).toBe('unreachable');
    expect(wrong.problems[0]).toMatch(/^the service account could not sign in \(LDAP 49: .*data 52e/);
    const untrusted = await checkRights(options(dc.adminDn, dc.adminPassword, { caCertPem: rootCertificates[0]! }));
    expect(untrusted.verdict).toBe('unreachable');
    expect(untrusted.problems[0]).toMatch(/certificate is not signed by a trusted CA/);
  });
});

describe('the security descriptor read from the DC', () => {
  it("parses to exactly the DACL `samba-tool dsacl get` prints", async () => {
    const client = new Client({ url: dc.url, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
    let bytes: Buffer;
    try {
      await client.bind(dc.adminDn, dc.adminPassword);
      const { searchEntries } = await client.search(dc.baseDn, { scope: 'base', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] }, new SdFlagsControl());
      bytes = searchEntries[0]!['nTSecurityDescriptor'] as Buffer;
    } finally {
      await client.unbind().catch(() => undefined);
    }
    const sd = parseSecurityDescriptor(bytes);
    // DACL only was asked for: no owner, group or SACL.
    expect([sd.owner, sd.group, sd.sacl]).toEqual([null, null, null]);
    const printed = await dc.samba(['dsacl', 'get', `--objectdn=${dc.baseDn}`]);
    const dacl = /(D:[A-Z]*(?:\([^)]*\))+)/.exec(printed)?.[1];
    expect(dacl).toBeDefined();
    expect(securityDescriptorToSddl(sd, { domainSid })).toBe(dacl);
    expect(sd.dacl!.aces.length).toBeGreaterThan(40);
  });
});
