import { FilterParser } from 'ldapts';
import { ATTRIBUTE_NAME, DEFAULT_ATTRIBUTE_MAP, type SyncAttributeMap } from '../agent-protocol/index.js';

/** Where the agent reads users and groups, and which of them (agent.sync in its configuration). */
export interface SyncScope {
  /** Where users and groups are read (OUs or the domain root). */
  baseDns: string[];
  /** An extra LDAP filter users must match, e.g. (memberOf=CN=SSPR Users,…); empty = all users. */
  userFilter?: string;
  /** Which AD attribute fills which field (agent.sync.attributes); the rest as DEFAULT_ATTRIBUTE_MAP. */
  attributes?: Partial<SyncAttributeMap>;
}

/** What the sync asks AD for on every user and group (the benchmark's raw read asks for the same). */
export const OBJECT_ATTRIBUTES = [
  'objectGUID',
  'objectClass',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'mail',
  'mobile',
  'telephoneNumber',
  'userAccountControl',
  'adminCount',
  'pwdLastSet',
  // Constructed: only returned when asked for by name.
  'msDS-UserPasswordExpiryTimeComputed',
  'name',
  'cn',
  'description',
];

/** Every problem with a scope, as the connection options are checked. */
export function syncScopeProblems(scope: SyncScope): string[] {
  const problems: string[] = [];
  if (!Array.isArray(scope.baseDns) || scope.baseDns.length === 0) problems.push('baseDns: at least one OU or the domain root is needed');
  for (const dn of scope.baseDns ?? []) {
    if (typeof dn !== 'string' || dn.trim() === '' || !dn.includes('=')) problems.push(`baseDns: ${JSON.stringify(dn)} is not a DN`);
  }
  if (scope.userFilter !== undefined && scope.userFilter.trim() !== '') {
    try {
      FilterParser.parseString(scope.userFilter.trim());
    } catch (err) {
      problems.push(`userFilter: not an LDAP filter (${(err as Error).message.split('\n')[0]}); values must be escaped (\\28 for "(", \\29 for ")", \\2a for "*", \\5c for "\\")`);
    }
  }
  for (const [field, name] of Object.entries(scope.attributes ?? {})) {
    if (!(field in DEFAULT_ATTRIBUTE_MAP)) problems.push(`attributes: ${field} cannot be mapped (only ${Object.keys(DEFAULT_ATTRIBUTE_MAP).join(', ')})`);
    else if (typeof name !== 'string' || !ATTRIBUTE_NAME.test(name)) problems.push(`attributes.${field}: ${JSON.stringify(name)} is not an LDAP attribute name`);
  }
  return problems;
}

/** The attributes a read asks for: OBJECT_ATTRIBUTES and the mapped ones. */
export function attributesFor(map: SyncAttributeMap): string[] {
  const all = [...OBJECT_ATTRIBUTES, ...Object.values(map)];
  return all.filter((a, i) => all.findIndex((b) => b.toLowerCase() === a.toLowerCase()) === i);
}
