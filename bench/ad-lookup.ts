/**
 * The user look-up by objectGUID with the protected-account check, each way a DC can answer it:
 * `npx tsx bench/ad-lookup.ts` (`--users 200`, `--rounds 2`).
 *
 * One Samba AD DC (test/helpers/samba-dc.ts, its own loopback address), N users in one OU, one
 * LDAPS connection bound as the domain administrator. Each variant looks up every user once, one
 * at a time, in each round:
 *
 * - the IN_CHAIN search: objectGUID under the base AND NOT a member of any of the 12 protected
 *   groups at any depth (LDAP_MATCHING_RULE_IN_CHAIN on memberOf) — what src/ad/user-lookup.ts
 *   falls back to where tokenGroups cannot be read;
 * - the plain search by objectGUID under the base (no protection: a user's own change);
 * - a base search on `<GUID=…>` without and with `tokenGroups` (what the connector does now),
 *   and with `memberOf` (direct groups only, for comparison).
 *
 * Printed: p50 per look-up and the DC's CPU per look-up (from /proc). Loopback only, bounded; it
 * stops and removes what it starts. Figures compare on one machine; never assert on them.
 */
import { AndFilter, EqualityFilter, ExtensibleFilter, NotFilter, OrFilter, type Client } from 'ldapts';
import { startSambaDc } from '../test/helpers/samba-dc.js';
import { guidToBytes, parseGuid } from '../src/ad/guid.js';
import { MATCHING_RULE_IN_CHAIN } from '../src/ad/controls.js';
import { adminClient, createAdUsers } from './ad-users.js';
import { cpuMeter, intOptions, ms, onCleanUp, p50, printHeader, runBench, startWatchdog, table } from './lib.js';

const opts = intOptions('bench/ad-lookup.ts', { users: [200, 10, 2000], rounds: [2, 1, 5] });
startWatchdog((60 + opts.users * opts.rounds * 0.1) * 1000);

const ATTRIBUTES = ['objectGUID', 'objectSid', 'sAMAccountName', 'userPrincipalName', 'displayName', 'mail', 'mobile', 'telephoneNumber', 'userAccountControl', 'msDS-User-Account-Control-Computed', 'pwdLastSet', 'lockoutTime', 'msDS-UserPasswordExpiryTimeComputed', 'msDS-ResultantPSO', 'adminCount', 'primaryGroupID'];
const PROTECTED = ['Domain Admins', 'Enterprise Admins', 'Schema Admins', 'Administrators', 'Account Operators', 'Server Operators', 'Print Operators', 'Backup Operators', 'Replicator', 'Domain Controllers', 'Read-only Domain Controllers', 'Cert Publishers'];

async function main(): Promise<void> {
  printHeader('AD look-up benchmark', ['src', 'package.json']);
  const dc = await startSambaDc();
  onCleanUp(() => dc.stop());
  const users = await createAdUsers(dc, opts.users, { ou: 'OU=Lookup Bench', ouName: 'Lookup Bench', prefix: 'lkbench', password: (i) => `Lk0-Reset!${i}x` });
  const c: Client = await adminClient(dc);
  onCleanUp(() => c.unbind().catch(() => undefined));
  const groups = (await c.search(dc.baseDn, { scope: 'sub', filter: new OrFilter({ filters: PROTECTED.map((cn) => new EqualityFilter({ attribute: 'cn', value: cn })) }), attributes: ['1.1'] })).searchEntries.map((e) => e.dn);
  const person = (g: string) => [new EqualityFilter({ attribute: 'objectClass', value: 'user' }), new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(parseGuid(g)!) })];
  const notMember = new NotFilter({ filter: new OrFilter({ filters: groups.map((dn) => new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: dn })) }) });
  const buffers = ['objectGUID', 'objectSid', 'tokenGroups'];
  const variants: Array<[string, (guid: string) => Promise<unknown>]> = [
    [`IN_CHAIN search (${groups.length} protected groups)`, (g) => c.search(dc.baseDn, { scope: 'sub', filter: new AndFilter({ filters: [...person(g), notMember] }), sizeLimit: 2, attributes: ATTRIBUTES, explicitBufferAttributes: buffers })],
    ['plain search by objectGUID', (g) => c.search(dc.baseDn, { scope: 'sub', filter: new AndFilter({ filters: person(g) }), sizeLimit: 2, attributes: ATTRIBUTES, explicitBufferAttributes: buffers })],
    ['base <GUID=…>', (g) => c.search(`<GUID=${g}>`, { scope: 'base', attributes: ATTRIBUTES, explicitBufferAttributes: buffers })],
    ['base <GUID=…> + tokenGroups (the connector)', (g) => c.search(`<GUID=${g}>`, { scope: 'base', attributes: [...ATTRIBUTES, 'tokenGroups'], explicitBufferAttributes: buffers })],
    ['base <GUID=…> + memberOf', (g) => c.search(`<GUID=${g}>`, { scope: 'base', attributes: [...ATTRIBUTES, 'memberOf'], explicitBufferAttributes: buffers })],
  ];
  const rows: string[][] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    for (const [name, lookUp] of variants) {
      const times: number[] = [];
      const meter = cpuMeter(dc.pid);
      const t0 = performance.now();
      for (const u of users) {
        const a = performance.now();
        await lookUp(u.guid);
        times.push(performance.now() - a);
      }
      const wall = performance.now() - t0;
      const cpu = meter();
      rows.push([name, String(round), ms(p50(times)), ms((cpu.samba * wall) / users.length), cpu.others.toFixed(2)]);
    }
  }
  console.log(`\n${users.length} users, one look-up at a time on one LDAPS connection:\n`);
  console.log(table(['look-up', 'round', 'p50 ms', 'Samba CPU ms/look-up', 'others CPU'], rows));
}

await runBench(main);
