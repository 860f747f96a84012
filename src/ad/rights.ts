import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { AndFilter, Control, EqualityFilter, ExtensibleFilter, OrFilter, ResultCodeError, type BerWriter, type Client, type Entry } from 'ldapts';
import { createLogger } from '../logging/logger.js';
import { AdConnection, type AdConnectionOptions, type ServiceSession } from './ad-connection.js';
import { MATCHING_RULE_IN_CHAIN, policyHintsFor } from './controls.js';
import { DOMAIN_POLICY_ATTRIBUTES, domainPolicyFromEntry, first, type PasswordPolicy } from './domain-policy.js';
import { guidFromBytes } from './guid.js';
import { ACE_FLAG, FULL_CONTROL, RIGHT, aceToSddl, parseSddlDacl, parseSecurityDescriptor, type Ace, type SddlSids } from './security-descriptor.js';
import { sidFromBytes, sidToBytes } from './sid.js';
import { describeConnectionError, isConnectionError } from './verdicts.js';

/**
 * The rights check behind `sspr agent doctor`: does the service account hold exactly what
 * writeback needs on the user objects under its search base — Reset Password, Write
 * lockoutTime, Write pwdLastSet — and nothing dangerous beyond (administrator groups at any
 * depth, full control, WriteDACL, WriteOwner, write-all-properties)? Read as the service account
 * itself: its own entry (objectSid, tokenGroups), the base's nTSecurityDescriptor (DACL only, with
 * the SD-flags control), the domain root (SID, policy, DACL) and the user class's default
 * security descriptor from the schema. Also which DC answered over what TLS, which controls it
 * supports, and the domain password policy. Never writes anything.
 */

export const SD_FLAGS_OID = '1.2.840.113556.1.4.801';
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';
export const DIRSYNC_OID = '1.2.840.113556.1.4.841';

/** DACL_SECURITY_INFORMATION: owner, group and SACL are not asked for (the SACL needs a privilege). */
const DACL_SECURITY_INFORMATION = 0x4;

/** LDAP_SERVER_SD_FLAGS_OID: which parts of nTSecurityDescriptor to return. Value: BER `SEQUENCE { INTEGER flags }`. */
export class SdFlagsControl extends Control {
  constructor(private readonly flags: number = DACL_SECURITY_INFORMATION) {
    super(SD_FLAGS_OID, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    if (this.flags < 0 || this.flags > 0x7f) throw new RangeError('SD flags fit in one byte');
    writer.writeBuffer(Buffer.from([0x30, 0x03, 0x02, 0x01, this.flags]), 0x04);
  }
}

/** Schema GUIDs (MS-ADA, MS-ADTS 5.1.3.2.1), lower case. */
export const AD_GUID = {
  userClass: 'bf967aba-0de6-11d0-a285-00aa003049e2',
  resetPassword: '00299570-246d-11d0-a768-00aa006e0529',
  changePassword: 'ab721a53-1e2f-11d0-9819-00aa0040529b',
  unexpirePassword: 'ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501',
  lockoutTime: '28630ebf-41d5-11d1-a9c1-0000f80367c1',
  pwdLastSet: 'bf967a0a-0de6-11d0-a285-00aa003049e2',
  /** The Account Restrictions property set, to which pwdLastSet belongs (its attributeSecurityGUID). */
  accountRestrictions: '4c164200-20c0-11d0-a768-00aa006e0529',
  replicationGetChanges: '1131f6aa-9c07-11d1-f79f-00c04fc2dcd2',
  replicationGetChangesAll: '1131f6ad-9c07-11d1-f79f-00c04fc2dcd2',
  keyCredentialLink: '5b47d60f-6090-40b2-9f37-2a4de88f3063',
  allowedToActOnBehalf: '3f78c3e5-f79a-46bd-a0b8-9d18116ddc79',
} as const;

/** Names for GUIDs an ACE may name, for messages. */
const GUID_NAMES: Record<string, string> = {
  [AD_GUID.userClass]: 'user objects',
  [AD_GUID.resetPassword]: 'Reset Password',
  [AD_GUID.changePassword]: 'Change Password',
  [AD_GUID.unexpirePassword]: 'Unexpire Password',
  [AD_GUID.lockoutTime]: 'lockoutTime',
  [AD_GUID.pwdLastSet]: 'pwdLastSet',
  [AD_GUID.accountRestrictions]: 'the Account Restrictions property set (userAccountControl, accountExpires, pwdLastSet …)',
  [AD_GUID.replicationGetChanges]: 'Replicating Directory Changes',
  [AD_GUID.replicationGetChangesAll]: 'Replicating Directory Changes All',
  [AD_GUID.keyCredentialLink]: 'msDS-KeyCredentialLink',
  [AD_GUID.allowedToActOnBehalf]: 'msDS-AllowedToActOnBehalfOfOtherIdentity',
  'bf967a68-0de6-11d0-a285-00aa003049e2': 'userAccountControl',
  'bf9679c0-0de6-11d0-a285-00aa003049e2': 'member',
  'f3a64788-5306-11d1-a9c5-0000f80367c1': 'servicePrincipalName',
  'bf9679a8-0de6-11d0-a285-00aa003049e2': 'scriptPath',
  '5f202010-79a5-11d0-9020-00c04fc2d4cf': 'the Logon Information property set',
  'bf967950-0de6-11d0-a285-00aa003049e2': 'description',
  '800d94d7-b7a1-42a1-b14d-7cae1423d07f': 'msDS-AllowedToDelegateTo',
};

/** Attributes whose write lets the holder take over the account: as bad as full control. */
const TAKEOVER_PROPERTIES = new Set<string>([AD_GUID.keyCredentialLink, AD_GUID.allowedToActOnBehalf, '800d94d7-b7a1-42a1-b14d-7cae1423d07f']);

export type NeededRight = 'reset_password' | 'write_lockout_time' | 'write_pwd_last_set';
export type NotedRight = 'change_password' | 'unexpire_password';
export type RightsVerdict = 'ok' | 'missing_rights' | 'over_privileged' | 'unreachable';

export interface RightHeld<R extends string> {
  right: R;
  held: boolean;
  /** The ACE that grants it (trustee, SDDL, where it is). */
  via?: string;
  /** The ACE that denies it, when a deny decided. */
  deniedBy?: string;
}

export interface TlsReport {
  /** The DC that answered; null when none did. */
  url: string | null;
  /** DCs tried before it (or instead of it) that failed, and why. */
  failed: Array<{ url: string; detail: string }>;
  mode: 'ldaps' | 'starttls' | null;
  /** The certificate chain and name were verified (always, when a DC answered: the connector never skips verification). */
  verified: boolean;
  /** caCertPem was given: only that CA is trusted. Otherwise Node's public CAs are. */
  pinned: boolean;
  /** The name the certificate had to carry. */
  serverName: string | null;
  protocol: string | null;
  certificate: { subject: string; issuer: string; validTo: string; fingerprint256: string } | null;
}

export interface ControlsReport {
  /** The password-policy-hints control (…4.2239, or the older …4.2066): without it AD does not enforce history on a reset. */
  policyHints: boolean;
  policyHintsOid: string | null;
  pagedResults: boolean;
  sdFlags: boolean;
  showDeleted: boolean;
  dirSync: boolean;
  /** Everything the rootDSE advertises. */
  supported: string[];
}

export interface RightsReport {
  checkedAt: string;
  account: {
    /** The service account's DN as AD returned it (the configured bindDn when it could not be read). */
    dn: string;
    /** null when the account could not be read. */
    sid: string | null;
    sAMAccountName: string | null;
    /** tokenGroups: every group at any depth, the primary group included. */
    groups: Array<{ sid: string; name?: string }>;
  };
  /** The search base the rights were checked on. */
  base: string;
  /** The domain root (defaultNamingContext), null when unknown. */
  domainRoot: string | null;
  needed: Array<RightHeld<NeededRight>>;
  noted: Array<RightHeld<NotedRight>>;
  excessive: Array<{ what: string; severity: 'critical' | 'warning' }>;
  /** The three ACEs to put on the base for this account, and the commands that do it. */
  delegation: { sddl: string[]; dsacls: string[]; sambaTool: string[] };
  tls: TlsReport;
  controls: ControlsReport | null;
  domainPolicy: PasswordPolicy | null;
  verdict: RightsVerdict;
  /** What limited the check or needs attention besides the rights: one sentence each. */
  problems: string[];
}

const NEEDED: Array<{ right: NeededRight; label: string }> = [
  { right: 'reset_password', label: 'Reset Password' },
  { right: 'write_lockout_time', label: 'Write lockoutTime' },
  { right: 'write_pwd_last_set', label: 'Write pwdLastSet' },
];

/** What each needed right is in SDDL, dsacls and LDAP terms. */
const DELEGATION: Record<NeededRight, { rights: 'CR' | 'WP'; guid: string; dsacls: string }> = {
  reset_password: { rights: 'CR', guid: AD_GUID.resetPassword, dsacls: 'CA;Reset Password;user' },
  write_lockout_time: { rights: 'WP', guid: AD_GUID.lockoutTime, dsacls: 'WP;lockoutTime;user' },
  write_pwd_last_set: { rights: 'WP', guid: AD_GUID.pwdLastSet, dsacls: 'WP;pwdLastSet;user' },
};

/** The three inheritable object ACEs of the least-privilege delegation (../shared/design/active-directory.md). */
export function delegationFor(accountSid: string, base: string): RightsReport['delegation'] {
  const sddl = NEEDED.map(({ right }) => `(OA;CIIO;${DELEGATION[right].rights};${DELEGATION[right].guid};${AD_GUID.userClass};${accountSid})`);
  return {
    sddl,
    dsacls: NEEDED.map(({ right }) => `dsacls ${dq(base)} /I:S /G ${dq(`${accountSid}:${DELEGATION[right].dsacls}`)}`),
    sambaTool: sddl.map((ace) => `samba-tool dsacl set --objectdn=${shellQuote(base)} --sddl=${shellQuote(ace)}`),
  };
}

/** POSIX shell single quotes. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Windows command-line double quotes (a `"` inside is doubled by backslash, as CommandLineToArgvW reads it). */
function dq(text: string): string {
  return `"${text.replaceAll('"', '\\"')}"`;
}

/** Groups whose members can do far more than reset passwords (the protected groups of AdminSDHolder, plus Key Admins). */
const ADMIN_BUILTIN: Record<string, string> = {
  'S-1-5-32-544': 'Administrators',
  'S-1-5-32-548': 'Account Operators',
  'S-1-5-32-549': 'Server Operators',
  'S-1-5-32-550': 'Print Operators',
  'S-1-5-32-551': 'Backup Operators',
  'S-1-5-32-552': 'Replicator',
};
const ADMIN_RIDS: Record<number, string> = {
  512: 'Domain Admins',
  516: 'Domain Controllers',
  518: 'Schema Admins',
  519: 'Enterprise Admins',
  521: 'Read-only Domain Controllers',
  526: 'Key Admins',
  527: 'Enterprise Key Admins',
};

/** The admin group a SID is (in any domain of the forest), or null. */
function adminGroupName(sid: string): string | null {
  const builtin = ADMIN_BUILTIN[sid];
  if (builtin !== undefined) return builtin;
  const m = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/.exec(sid);
  return m === null ? null : (ADMIN_RIDS[Number(m[1])] ?? null);
}

/** SIDs every signed-in account's token holds besides tokenGroups (an LDAP bind is a network logon). */
const IMPLICIT_SIDS: Record<string, string> = {
  'S-1-1-0': 'Everyone',
  'S-1-5-2': 'Network',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-15': 'This Organization',
};

const WELL_KNOWN_NAMES: Record<string, string> = {
  ...IMPLICIT_SIDS,
  'S-1-5-9': 'Enterprise Domain Controllers',
  'S-1-5-10': 'Principal Self',
  'S-1-5-18': 'Local System',
  'S-1-3-0': 'Creator Owner',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-554': 'Pre-Windows 2000 Compatible Access',
  ...ADMIN_BUILTIN,
};

/** Grantees every account is in: their default grants are nobody's extra privilege (only critical rights count for them). */
function isBroad(sid: string): boolean {
  if (sid in IMPLICIT_SIDS || sid === 'S-1-5-32-545' || sid === 'S-1-5-32-554') return true;
  return /^S-1-5-21-\d+-\d+-\d+-(513|515)$/.test(sid);
}

function normaliseDn(dn: string): string {
  return dn
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .join(',');
}

function values(entry: Entry, attribute: string): Array<string | Buffer> {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function bufferValue(entry: Entry, attribute: string): Buffer | null {
  const v = values(entry, attribute)[0];
  return Buffer.isBuffer(v) ? v : null;
}

// ---------------------------------------------------------------------------------------------
// Access evaluation

/** An ACE as it applies to the object being evaluated, with where it came from. */
export interface PlacedAce {
  ace: Ace;
  /** The ACE as written where it lives (the base's inheritable ACE, not its inherited copy). */
  original: Ace;
  where: string;
}

export interface RightQuery {
  bit: number;
  objectType: string;
  /** The property set the property belongs to (attributeSecurityGUID). */
  propertySet?: string | null;
  /** The class of the object: an object ACE naming it applies to the whole object. */
  objectClass?: string | null;
}

function covers(ace: Ace, q: RightQuery): boolean {
  const generic = (ace.mask & RIGHT.GENERIC_ALL) !== 0 || (q.bit === RIGHT.WRITE_PROPERTY && (ace.mask & RIGHT.GENERIC_WRITE) !== 0);
  if ((ace.mask & q.bit) === 0 && !generic) return false;
  if (!ace.object || ace.objectType === null) return true;
  return ace.objectType === q.objectType || (q.propertySet != null && ace.objectType === q.propertySet) || (q.objectClass != null && ace.objectType === q.objectClass);
}

/**
 * MS-DTYP 2.5.3.2 for one right: the DACL in order, the first ACE of the token that covers the
 * right (its object type, the property set it belongs to, or no object type) decides.
 */
export function evaluateRight(acl: PlacedAce[], token: ReadonlySet<string>, q: RightQuery): { held: boolean; by: PlacedAce | null } {
  for (const p of acl) {
    const { ace } = p;
    if ((ace.kind !== 'allow' && ace.kind !== 'deny') || ace.sid === null || !token.has(ace.sid)) continue;
    if (!covers(ace, q)) continue;
    return { held: ace.kind === 'allow', by: p };
  }
  return { held: false, by: null };
}

/** The ACEs of an object's own DACL that apply to the object itself (not inherit-only). */
export function effectiveOn(aces: Ace[], where: string): PlacedAce[] {
  return aces.filter((a) => (a.flags & ACE_FLAG.INHERIT_ONLY) === 0).map((a) => ({ ace: a, original: a, where }));
}

/**
 * The ACEs a child of class `childClass` inherits from `aces` (MS-DTYP 2.5.3.4.5): container-inherit
 * ones (every directory object is a container) whose inherited object type is absent or the
 * child's class, now effective on the child. NP ones reach direct children only.
 */
export function inheritedBy(aces: Ace[], childClass: string, where: string): PlacedAce[] {
  return aces
    .filter((a) => (a.flags & ACE_FLAG.CONTAINER_INHERIT) !== 0 && (a.inheritedObjectType === null || a.inheritedObjectType === childClass))
    .map((a) => {
      const keep = (a.flags & ACE_FLAG.NO_PROPAGATE_INHERIT) !== 0 ? 0 : a.flags & (ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.OBJECT_INHERIT);
      return { ace: { ...a, flags: keep | ACE_FLAG.INHERITED }, original: a, where };
    });
}

// ---------------------------------------------------------------------------------------------
// Reading AD

interface Gathered {
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
class CheckIncomplete extends Error {}

function ldapText(err: unknown): string {
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

async function gather(s: ServiceSession, options: AdConnectionOptions): Promise<Gathered> {
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
async function membershipPaths(client: Client, g: Gathered, adminSids: string[]): Promise<Map<string, string[] | 'direct'>> {
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

function certificateOf(s: ServiceSession): { protocol: string | null; certificate: TlsReport['certificate'] } {
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

// ---------------------------------------------------------------------------------------------
// The report

function tlsBase(options: AdConnectionOptions): TlsReport {
  return { url: null, failed: [], mode: null, verified: false, pinned: options.caCertPem !== undefined, serverName: null, protocol: null, certificate: null };
}

function unreachableReport(options: AdConnectionOptions, tls: TlsReport, problem: string, now: Date): RightsReport {
  return {
    checkedAt: now.toISOString(),
    account: { dn: options.bindDn, sid: null, sAMAccountName: null, groups: [] },
    base: options.baseDn,
    domainRoot: null,
    needed: NEEDED.map(({ right }) => ({ right, held: false })),
    noted: [
      { right: 'change_password', held: false },
      { right: 'unexpire_password', held: false },
    ],
    excessive: [],
    delegation: { sddl: [], dsacls: [], sambaTool: [] },
    tls,
    controls: null,
    domainPolicy: null,
    verdict: 'unreachable',
    problems: [problem],
  };
}

function controlsOf(supported: string[]): ControlsReport {
  const hints = policyHintsFor(supported);
  return {
    policyHints: hints !== null,
    policyHintsOid: hints,
    pagedResults: supported.includes(PAGED_RESULTS_OID),
    sdFlags: supported.includes(SD_FLAGS_OID),
    showDeleted: supported.includes(SHOW_DELETED_OID),
    dirSync: supported.includes(DIRSYNC_OID),
    supported,
  };
}

export interface CheckRightsDeps {
  /** Use this connection (made with the same options) instead of opening one; it is not closed. */
  connection?: AdConnection;
  now?: () => Date;
}

/**
 * Checks the service account of `options` against the least-privilege delegation on
 * `options.baseDn`. Never throws for an unreachable DC or a refused bind (verdict
 * `unreachable`); AdConfigurationError for options that cannot be used at all.
 */
export async function checkRights(options: AdConnectionOptions, deps: CheckRightsDeps = {}): Promise<RightsReport> {
  const now = (deps.now ?? (() => new Date()))();
  const tls = tlsBase(options);
  // The connection logs each DC it gives up on; those lines tell which URLs failed and why.
  const failed: Array<{ url: string; detail: string }> = [];
  const capture = createLogger('warn', {
    write(line: string) {
      try {
        const o = JSON.parse(line) as { dc?: string; detail?: string };
        if (typeof o.dc === 'string') failed.push({ url: o.dc, detail: o.detail ?? '' });
      } catch {
        // not a line of ours
      }
    },
  });
  const connection = deps.connection ?? new AdConnection(options, { logger: capture });
  try {
    let g: Gathered;
    try {
      g = await connection.asService((s) => gather(s, options), { idempotent: true });
    } catch (err) {
      tls.failed = failed;
      if (isConnectionError(err)) return unreachableReport(options, tls, describeConnectionError('DC', err), now);
      if (err instanceof ResultCodeError && err.code === 49) {
        return unreachableReport(options, tls, `the service account could not sign in (${ldapText(err)}): check agent.ad.bindDn and bindPassword`, now);
      }
      if (err instanceof ResultCodeError || err instanceof CheckIncomplete) return unreachableReport(options, tls, `the check could not be completed: ${ldapText(err)}`, now);
      throw err;
    }
    const url = new URL(g.url);
    const { protocol, certificate } = certificateOf(g.session);
    Object.assign(tls, {
      url: g.url,
      failed: failed.filter((f) => f.url !== g.url),
      mode: url.protocol === 'ldaps:' ? 'ldaps' : 'starttls',
      verified: true,
      serverName: options.tlsServerName ?? url.hostname,
      protocol,
      certificate,
    } satisfies Partial<TlsReport>);

    let adminPaths = new Map<string, string[] | 'direct'>();
    const token = new Set([g.account.sid, ...g.account.tokenGroups, ...Object.keys(IMPLICIT_SIDS)]);
    const adminSids = [g.account.sid, ...g.account.tokenGroups].filter((sid) => adminGroupName(sid) !== null);
    if (adminSids.length > 0) {
      adminPaths = await connection.asService((s) => membershipPaths(s.client, g, adminSids), { idempotent: true }).catch((err: unknown) => {
        if (!isConnectionError(err) && !(err instanceof ResultCodeError)) throw err;
        return new Map<string, string[] | 'direct'>();
      });
    }
    return buildReport(options, g, token, adminSids, adminPaths, tls, now);
  } finally {
    if (deps.connection === undefined) await connection.close();
  }
}

function buildReport(
  options: AdConnectionOptions,
  g: Gathered,
  token: ReadonlySet<string>,
  adminSids: string[],
  adminPaths: Map<string, string[] | 'direct'>,
  tls: TlsReport,
  now: Date,
): RightsReport {
  const base = options.baseDn;
  const problems = [...g.problems];
  const sids: SddlSids = { domainSid: g.domainSid, ...(g.rootDomainSid !== null ? { rootDomainSid: g.rootDomainSid } : {}) };
  const nameOf = (sid: string): string => {
    if (sid === g.account.sid) return g.account.sAMAccountName ?? sid;
    return g.groupsBySid.get(sid)?.name ?? WELL_KNOWN_NAMES[sid] ?? adminGroupName(sid) ?? sid;
  };
  const describe = (p: PlacedAce): string => `${nameOf(p.original.sid ?? '')}: ${aceToSddl(p.original, sids)} ${p.where}`;

  // What a user object under the base gets: the class's default ACEs (explicit, first), then what it inherits from the base.
  const defaultWhere = "in the user class's default security descriptor (schema)";
  const baseWhere = `on ${base}`;
  const userAcl: PlacedAce[] = [
    ...(g.userDefaultAces ?? []).map((a) => ({ ace: a, original: a, where: defaultWhere })),
    ...(g.baseAces === null ? [] : inheritedBy(g.baseAces, AD_GUID.userClass, baseWhere)),
  ];
  const npAces = (g.baseAces ?? []).filter((a) => (a.flags & (ACE_FLAG.NO_PROPAGATE_INHERIT | ACE_FLAG.CONTAINER_INHERIT)) === (ACE_FLAG.NO_PROPAGATE_INHERIT | ACE_FLAG.CONTAINER_INHERIT) && a.sid !== null && token.has(a.sid));
  if (npAces.length > 0) problems.push(`${npAces.length} inheritable ACE(s) for the account on ${base} have NP (no propagation): they reach only objects directly in ${base}, not users in OUs below it`);

  const queries: Record<NeededRight | 'change_password', RightQuery> = {
    reset_password: { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.resetPassword, objectClass: AD_GUID.userClass },
    write_lockout_time: { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.lockoutTime, propertySet: g.propertySets.lockoutTime, objectClass: AD_GUID.userClass },
    write_pwd_last_set: { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.pwdLastSet, propertySet: g.propertySets.pwdLastSet, objectClass: AD_GUID.userClass },
    change_password: { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.changePassword, objectClass: AD_GUID.userClass },
  };
  const held = <R extends string>(right: R, acl: PlacedAce[], q: RightQuery): RightHeld<R> => {
    const r = evaluateRight(acl, token, q);
    if (r.by === null) return { right, held: false };
    return r.held ? { right, held: true, via: describe(r.by) } : { right, held: false, deniedBy: describe(r.by) };
  };
  const baseReadable = g.baseAces !== null;
  const needed = NEEDED.map(({ right }) => (baseReadable || g.userDefaultAces !== null ? held(right, userAcl, queries[right]) : { right, held: false }));
  const domainRootAcl = g.domainRootAces === null ? [] : effectiveOn(g.domainRootAces, `on ${g.domainRoot}`);
  const noted: Array<RightHeld<NotedRight>> = [held('change_password', userAcl, queries.change_password), held('unexpire_password', domainRootAcl, { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.unexpirePassword })];

  // More than needed: admin groups (at any depth), then dangerous ACEs held through anything else.
  const excessive: RightsReport['excessive'] = [];
  const flagged = new Set(adminSids);
  for (const sid of adminSids) {
    const path = adminPaths.get(sid);
    const how = path === undefined || (Array.isArray(path) && path.length === 0) ? '' : path === 'direct' ? ' (directly)' : ` (through ${path.join(', ')})`;
    const who = sid === g.account.sid ? `the account is ${adminGroupName(sid)}` : `member of ${nameOf(sid)}${how}`;
    excessive.push({ what: `${who}: a protected administrators' group, far more than resetting passwords needs`, severity: 'critical' });
  }
  if (/^S-1-5-21-\d+-\d+-\d+-500$/.test(g.account.sid)) {
    excessive.unshift({ what: "this is the domain's built-in Administrator account: use a dedicated service account", severity: 'critical' });
  }
  const seen = new Set<string>();
  const add = (what: string, severity: 'critical' | 'warning') => {
    if (seen.has(what)) return;
    seen.add(what);
    excessive.push({ what, severity });
  };
  const views: Array<{ label: string; acl: PlacedAce[]; objectClass: string | null; isDomainRoot: boolean }> = [];
  if (g.baseAces !== null) views.push({ label: base, acl: effectiveOn(g.baseAces, baseWhere), objectClass: null, isDomainRoot: normaliseDn(base) === normaliseDn(g.domainRoot) });
  if (normaliseDn(base) !== normaliseDn(g.domainRoot) && g.domainRootAces !== null) views.push({ label: g.domainRoot, acl: domainRootAcl, objectClass: null, isDomainRoot: true });
  views.push({ label: `user objects under ${base}`, acl: userAcl, objectClass: AD_GUID.userClass, isDomainRoot: false });
  for (const view of views) {
    for (const p of view.acl) {
      const { ace } = p;
      if (ace.kind !== 'allow' || ace.sid === null || !token.has(ace.sid) || flagged.has(ace.sid)) continue;
      for (const f of dangerousRights(ace, view)) {
        if (f.severity === 'warning' && isBroad(ace.sid)) continue;
        add(`${f.what} on ${view.label}, via ${describe(p)}`, f.severity);
      }
    }
  }

  const missing = needed.filter((n) => !n.held);
  const critical = excessive.some((e) => e.severity === 'critical');
  const verdict: RightsVerdict = critical ? 'over_privileged' : missing.length > 0 ? 'missing_rights' : excessive.length > 0 ? 'over_privileged' : 'ok';
  if (!g.baseExists) problems.push(`the search base ${base} was not found: check agent.ad.baseDn`);

  return {
    checkedAt: now.toISOString(),
    account: {
      dn: g.account.dn,
      sid: g.account.sid,
      sAMAccountName: g.account.sAMAccountName,
      groups: g.account.tokenGroups.map((sid) => {
        const name = g.groupsBySid.get(sid)?.name ?? WELL_KNOWN_NAMES[sid];
        return name === undefined ? { sid } : { sid, name };
      }),
    },
    base,
    domainRoot: g.domainRoot,
    needed,
    noted,
    excessive,
    delegation: delegationFor(g.account.sid, base),
    tls,
    controls: controlsOf(g.session.rootDse.supportedControl),
    domainPolicy: g.domainPolicy,
    verdict,
    problems,
  };
}

/** The rights of one allow ACE that are more than a reset portal needs, and how bad each is. */
function dangerousRights(ace: Ace, view: { objectClass: string | null; isDomainRoot: boolean }): Array<{ what: string; severity: 'critical' | 'warning' }> {
  const out: Array<{ what: string; severity: 'critical' | 'warning' }> = [];
  const m = ace.mask;
  const wholeObject = !ace.object || ace.objectType === null || (view.objectClass !== null && ace.objectType === view.objectClass);
  const named = ace.objectType === null ? '' : (GUID_NAMES[ace.objectType] ?? ace.objectType);
  if (wholeObject && ((m & RIGHT.GENERIC_ALL) !== 0 || (m & FULL_CONTROL) === FULL_CONTROL)) return [{ what: 'GenericAll (full control)', severity: 'critical' }];
  if (m & RIGHT.WRITE_DAC) out.push({ what: 'WriteDACL (can rewrite the permissions, so can grant itself anything)', severity: 'critical' });
  if (m & RIGHT.WRITE_OWNER) out.push({ what: 'WriteOwner (can take ownership, then rewrite the permissions)', severity: 'critical' });
  if (wholeObject && ((m & RIGHT.GENERIC_WRITE) !== 0 || (m & RIGHT.WRITE_PROPERTY) !== 0)) {
    out.push({ what: 'GenericWrite (write all properties: logon scripts, SPNs, key credentials …)', severity: 'critical' });
  } else if (!wholeObject && (m & RIGHT.WRITE_PROPERTY) !== 0 && ace.objectType !== AD_GUID.lockoutTime && ace.objectType !== AD_GUID.pwdLastSet) {
    out.push(TAKEOVER_PROPERTIES.has(ace.objectType!) ? { what: `write ${named} (takes over the account)`, severity: 'critical' } : { what: `write ${named}`, severity: 'warning' });
  }
  if (m & RIGHT.CONTROL_ACCESS) {
    if (wholeObject) {
      out.push(view.isDomainRoot ? { what: 'All extended rights on the domain object (DCSync included)', severity: 'critical' } : { what: 'All extended rights', severity: 'warning' });
    } else if (view.isDomainRoot && ace.objectType === AD_GUID.replicationGetChangesAll) {
      out.push({ what: 'Replicating Directory Changes All (DCSync: reads every password hash)', severity: 'critical' });
    }
  }
  if (m & (RIGHT.CREATE_CHILD | RIGHT.DELETE_CHILD | RIGHT.DELETE | RIGHT.DELETE_TREE)) out.push({ what: `create or delete objects${named === '' ? '' : ` (${named})`}`, severity: 'warning' });
  if (wholeObject && (m & RIGHT.SELF_WRITE) !== 0) out.push({ what: 'all validated writes', severity: 'warning' });
  return out;
}
