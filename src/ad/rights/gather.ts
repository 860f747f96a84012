import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { AndFilter, EqualityFilter, ExtensibleFilter, OrFilter, ResultCodeError, type Client, type Entry } from 'ldapts';
import type { AdConnectionOptions, ServiceSession } from '../ad-connection.js';
import { MATCHING_RULE_IN_CHAIN, SdFlagsControl } from '../controls.js';
import { DOMAIN_POLICY_ATTRIBUTES, domainPolicyFromEntry, first, type PasswordPolicy } from '../domain-policy.js';
import { guidFromBytes } from '../guid.js';
import { normaliseDn } from '../entry-values.js';
import { parseSddlDacl } from '../sddl.js';
import { ACE_FLAG, RIGHT, parseSecurityDescriptor, type Ace } from '../security-descriptor.js';
import { sidFromBytes, sidToBytes } from '../sid.js';
import { isConnectionError } from '../verdicts.js';
import type { TlsReport } from './report.js';
import { AD_GUID } from './schema-guids.js';

/**
 * What the rights check reads from AD, as the service account itself: its own entry (objectSid,
 * tokenGroups), the base's and the domain root's DACLs (with the SD-flags control), the domain
 * policy, and the user class's default security descriptor from the schema. Never writes.
 */


function values(entry: Entry, attribute: string): Array<string | Buffer> {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function bufferValue(entry: Entry, attribute: string): Buffer | null {
  const v = values(entry, attribute)[0];
  return Buffer.isBuffer(v) ? v : null;
}

export interface Gathered {
  url: string;
  session: ServiceSession;
  account: { dn: string; sid: string; sAMAccountName: string | null; memberOf: string[]; primaryGroupSid: string | null; tokenGroups: string[] };
  domainRoot: string;
  domainSid: string;
  rootDomainSid: string | null;
  domainPolicy: PasswordPolicy | null;
  domainRootAces: Ace[] | null;
  baseAces: Ace[] | null;
  baseExists: boolean;
  userDefaultAces: Ace[] | null;
  propertySets: { lockoutTime: string | null; pwdLastSet: string | null };
  groupsBySid: Map<string, { dn: string; name: string }>;
  problems: string[];
}

/** Something the check cannot do without (the domain object, the account's own entry). */
export class CheckIncomplete extends Error {}

export function ldapText(err: unknown): string {
  if (err instanceof ResultCodeError) return `LDAP ${err.code}: ${err.message.split('\n')[0]}`;
  return err instanceof Error ? err.message : String(err);
}

async function readDacl(client: Client, dn: string): Promise<{ aces: Ace[] | null; problem: string | null; exists: boolean }> {
  let entry: Entry | undefined;
  try {
    const r = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['nTSecurityDescriptor'], explicitBufferAttributes: ['nTSecurityDescriptor'] }, new SdFlagsControl());
    entry = r.searchEntries[0];
  } catch (err) {
    if (isConnectionError(err)) throw err;
    if (err instanceof ResultCodeError && err.code === 32) return { aces: null, problem: `${dn} does not exist (${ldapText(err)})`, exists: false };
    return { aces: null, problem: `the security descriptor of ${dn} could not be read (${ldapText(err)})`, exists: true };
  }
  const bytes = entry === undefined ? null : bufferValue(entry, 'nTSecurityDescriptor');
  if (bytes === null) return { aces: null, problem: `the service account may not read the permissions of ${dn} (no nTSecurityDescriptor returned: it needs Read Permissions there, which Authenticated Users have by default)`, exists: entry !== undefined };
  try {
    const sd = parseSecurityDescriptor(bytes);
    // No DACL at all would mean full access for everyone: report it as such, never as "no rights".
    if (sd.dacl === null) return { aces: [{ type: 0, kind: 'allow', object: false, flags: ACE_FLAG.CONTAINER_INHERIT, mask: RIGHT.GENERIC_ALL, objectType: null, inheritedObjectType: null, sid: 'S-1-1-0' }], problem: `${dn} has no DACL: everyone has full control`, exists: true };
    return { aces: sd.dacl.aces, problem: null, exists: true };
  } catch (err) {
    return { aces: null, problem: `the security descriptor of ${dn} could not be parsed: ${(err as Error).message}`, exists: true };
  }
}

/** The service account's own entry, from the configured bindDn (a DN, user@domain, DOMAIN\user or a bare name). */
async function findSelf(client: Client, bindDn: string, domainRoot: string): Promise<string | null> {
  if (bindDn.includes('=')) return bindDn;
  const byName = async (filter: EqualityFilter): Promise<string | null> => {
    const { searchEntries } = await client.search(domainRoot, {
      scope: 'sub',
      filter: new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'user' }), filter] }),
      sizeLimit: 2,
      attributes: ['1.1'],
    });
    return searchEntries.length === 1 ? searchEntries[0]!.dn : null;
  };
  if (bindDn.includes('@')) {
    const upn = await byName(new EqualityFilter({ attribute: 'userPrincipalName', value: bindDn }));
    if (upn !== null) return upn;
  }
  const name = bindDn.includes('\\') ? bindDn.slice(bindDn.lastIndexOf('\\') + 1) : bindDn.split('@')[0]!;
  return byName(new EqualityFilter({ attribute: 'sAMAccountName', value: name }));
}

export async function gather(s: ServiceSession, options: AdConnectionOptions): Promise<Gathered> {
  const { client } = s;
  const problems: string[] = [];
  const domainRoot = s.rootDse.defaultNamingContext;

  // The rootDSE read by the connection has no schema/root-domain naming contexts.
  const { searchEntries: dse } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['schemaNamingContext', 'rootDomainNamingContext'] });
  const schemaNc = dse[0] === undefined ? null : first(dse[0], 'schemaNamingContext');
  const rootDomainNc = dse[0] === undefined ? null : first(dse[0], 'rootDomainNamingContext');

  // The domain object: its SID, the password policy and its DACL (Unexpire Password, DCSync).
  const { searchEntries: roots } = await client.search(domainRoot, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectSid', ...DOMAIN_POLICY_ATTRIBUTES], explicitBufferAttributes: ['objectSid'] });
  const rootEntry = roots[0];
  const rootSidBytes = rootEntry === undefined ? null : bufferValue(rootEntry, 'objectSid');
  if (rootEntry === undefined || rootSidBytes === null) throw new CheckIncomplete(`the domain object ${domainRoot} could not be read`);
  const domainSid = sidFromBytes(rootSidBytes);
  const domainPolicy = first(rootEntry, 'minPwdLength') === null ? null : domainPolicyFromEntry(rootEntry);
  if (domainPolicy === null) problems.push(`the domain password policy could not be read from ${domainRoot}`);
  const rootDacl = await readDacl(client, domainRoot);
  if (rootDacl.problem !== null) problems.push(rootDacl.problem);

  let rootDomainSid: string | null = domainSid;
  if (rootDomainNc !== null && normaliseDn(rootDomainNc) !== normaliseDn(domainRoot)) {
    try {
      const { searchEntries } = await client.search(rootDomainNc, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
      const b = searchEntries[0] === undefined ? null : bufferValue(searchEntries[0], 'objectSid');
      rootDomainSid = b === null ? null : sidFromBytes(b);
    } catch (err) {
      if (isConnectionError(err)) throw err;
      rootDomainSid = null;
    }
  }

  // The base (when it is not the domain root itself).
  const sameAsRoot = normaliseDn(options.baseDn) === normaliseDn(domainRoot);
  const baseDacl = sameAsRoot ? rootDacl : await readDacl(client, options.baseDn);
  if (!sameAsRoot && baseDacl.problem !== null) problems.push(baseDacl.problem);

  // The service account: its entry, then tokenGroups (constructed: only on a base search of the entry itself).
  const selfDn = await findSelf(client, options.bindDn, domainRoot);
  if (selfDn === null) throw new CheckIncomplete(`the service account ${options.bindDn} was not found under ${domainRoot}`);
  const { searchEntries: selves } = await client.search(selfDn, {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['objectSid', 'sAMAccountName', 'memberOf', 'primaryGroupID', 'tokenGroups'],
    explicitBufferAttributes: ['objectSid', 'tokenGroups'],
  });
  const self = selves[0];
  const selfSid = self === undefined ? null : bufferValue(self, 'objectSid');
  if (self === undefined || selfSid === null) throw new CheckIncomplete(`the service account's entry ${selfDn} could not be read`);
  const tokenGroups = values(self, 'tokenGroups')
    .filter((v): v is Buffer => Buffer.isBuffer(v))
    .map((b) => sidFromBytes(b));
  if (tokenGroups.length === 0) problems.push('tokenGroups of the service account came back empty: group memberships could not be taken into account');
  const primaryGroupId = first(self, 'primaryGroupID');
  const account = {
    dn: self.dn,
    sid: sidFromBytes(selfSid),
    sAMAccountName: first(self, 'sAMAccountName'),
    memberOf: values(self, 'memberOf').map(String),
    primaryGroupSid: primaryGroupId === null ? null : `${domainSid}-${primaryGroupId}`,
    tokenGroups: [...new Set(tokenGroups)],
  };

  // Names (and DNs) of the groups, by SID; 100 SIDs per search.
  const groupsBySid = new Map<string, { dn: string; name: string }>();
  const lookup = account.tokenGroups.filter((sid) => sid.startsWith('S-1-5-'));
  for (let i = 0; i < lookup.length; i += 100) {
    const chunk = lookup.slice(i, i + 100);
    const { searchEntries } = await client.search(domainRoot, {
      scope: 'sub',
      filter: new OrFilter({ filters: chunk.map((sid) => new EqualityFilter({ attribute: 'objectSid', value: sidToBytes(sid) })) }),
      attributes: ['objectSid', 'sAMAccountName'],
      explicitBufferAttributes: ['objectSid'],
    });
    for (const e of searchEntries) {
      const b = bufferValue(e, 'objectSid');
      if (b !== null) groupsBySid.set(sidFromBytes(b), { dn: e.dn, name: first(e, 'sAMAccountName') ?? e.dn });
    }
  }

  // The user class's default security descriptor (what a new user object gets as explicit ACEs),
  // and the property sets of lockoutTime and pwdLastSet.
  let userDefaultAces: Ace[] | null = null;
  const propertySets: Gathered['propertySets'] = { lockoutTime: null, pwdLastSet: AD_GUID.accountRestrictions };
  if (schemaNc !== null) {
    try {
      const { searchEntries } = await client.search(schemaNc, {
        scope: 'one',
        filter: new OrFilter({ filters: ['user', 'lockoutTime', 'pwdLastSet'].map((n) => new EqualityFilter({ attribute: 'lDAPDisplayName', value: n })) }),
        attributes: ['lDAPDisplayName', 'defaultSecurityDescriptor', 'attributeSecurityGUID'],
        explicitBufferAttributes: ['attributeSecurityGUID'],
      });
      for (const e of searchEntries) {
        const name = first(e, 'lDAPDisplayName');
        if (name === 'user') {
          const sddl = first(e, 'defaultSecurityDescriptor');
          if (sddl !== null) userDefaultAces = parseSddlDacl(sddl, { domainSid, ...(rootDomainSid !== null ? { rootDomainSid } : {}) }).aces;
        } else if (name === 'lockoutTime' || name === 'pwdLastSet') {
          const b = bufferValue(e, 'attributeSecurityGUID');
          propertySets[name] = b !== null && b.length === 16 ? guidFromBytes(b) : null;
        }
      }
    } catch (err) {
      if (isConnectionError(err)) throw err;
      problems.push(`the schema could not be read (${(err as Error).message}); rights from the user class's default security descriptor were not counted`);
    }
  }
  if (userDefaultAces === null && !problems.some((p) => p.startsWith('the schema'))) {
    problems.push("the user class's default security descriptor could not be read from the schema; only the base's inheritable permissions were counted");
  }

  return {
    url: s.url,
    session: s,
    account,
    domainRoot,
    domainSid,
    rootDomainSid,
    domainPolicy,
    domainRootAces: rootDacl.aces,
    baseAces: baseDacl.aces,
    baseExists: baseDacl.exists,
    userDefaultAces,
    propertySets,
    groupsBySid,
    problems,
  };
}

/** For each admin group the account is in: "direct", or the account's own groups that lead to it. */
export async function membershipPaths(client: Client, g: Gathered, adminSids: string[]): Promise<Map<string, string[] | 'direct'>> {
  const paths = new Map<string, string[] | 'direct'>();
  const memberOf = new Set(g.account.memberOf.map(normaliseDn));
  const directGroups = g.account.memberOf;
  for (const sid of adminSids) {
    const group = g.groupsBySid.get(sid);
    if (sid === g.account.primaryGroupSid || (group !== undefined && memberOf.has(normaliseDn(group.dn)))) {
      paths.set(sid, 'direct');
      continue;
    }
    if (group === undefined) continue;
    const through: string[] = [];
    for (const dn of directGroups) {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: group.dn }),
        attributes: ['sAMAccountName'],
      });
      if (searchEntries.length > 0) through.push(first(searchEntries[0]!, 'sAMAccountName') ?? dn);
    }
    // Through the primary group (its membership is not in memberOf).
    if (through.length === 0 && g.account.primaryGroupSid !== null) {
      const primary = g.groupsBySid.get(g.account.primaryGroupSid);
      if (primary !== undefined) through.push(primary.name);
    }
    paths.set(sid, through);
  }
  return paths;
}

export function certificateOf(s: ServiceSession): { protocol: string | null; certificate: TlsReport['certificate'] } {
  // ldapts keeps the socket private; it is only looked at, never used.
  const socket = (s.client as unknown as { socket?: unknown }).socket;
  if (!(socket instanceof TLSSocket)) return { protocol: null, certificate: null };
  try {
    const peer = socket.getPeerCertificate();
    const cert = peer?.raw ? new X509Certificate(peer.raw) : null;
    return {
      protocol: socket.getProtocol(),
      certificate: cert === null ? null : { subject: cert.subject.replaceAll('\n', ', '), issuer: cert.issuer.replaceAll('\n', ', '), validTo: new Date(cert.validTo).toISOString(), fingerprint256: cert.fingerprint256 },
    };
  } catch {
    return { protocol: socket.getProtocol(), certificate: null };
  }
}
