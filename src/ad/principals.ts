/**
 * The principals AD knows by SID rather than by name (names are localised and can be renamed):
 * the protected groups and accounts of AdminSDHolder, and the well-known SIDs an access token
 * or an ACE may carry. The connector refuses to write to protected accounts; the rights check
 * flags a service account that is in a protected group, and names the SIDs it prints.
 */

/**
 * Built-in groups whose members can do far more than reset passwords ("Protected Accounts and
 * Groups in Active Directory").
 */
export const PROTECTED_BUILTIN_GROUPS: Readonly<Record<string, string>> = {
  'S-1-5-32-544': 'Administrators',
  'S-1-5-32-548': 'Account Operators',
  'S-1-5-32-549': 'Server Operators',
  'S-1-5-32-550': 'Print Operators',
  'S-1-5-32-551': 'Backup Operators',
  'S-1-5-32-552': 'Replicator',
};

/** The protected groups of every domain, by RID (the protected groups of AdminSDHolder, plus Key Admins). */
export const PROTECTED_DOMAIN_GROUPS: Readonly<Record<number, string>> = {
  512: 'Domain Admins',
  516: 'Domain Controllers',
  518: 'Schema Admins',
  519: 'Enterprise Admins',
  521: 'Read-only Domain Controllers',
  526: 'Key Admins',
  527: 'Enterprise Key Admins',
};

/** Administrator and krbtgt. */
export const PROTECTED_USER_RIDS: readonly number[] = [500, 502];

/** The protected (administrators') group a SID is, in any domain of the forest, or null. */
export function adminGroupName(sid: string): string | null {
  const builtin = PROTECTED_BUILTIN_GROUPS[sid];
  if (builtin !== undefined) return builtin;
  const m = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/.exec(sid);
  return m === null ? null : (PROTECTED_DOMAIN_GROUPS[Number(m[1])] ?? null);
}

/** SIDs every signed-in account's token holds besides tokenGroups (an LDAP bind is a network logon). */
export const IMPLICIT_SIDS: Readonly<Record<string, string>> = {
  'S-1-1-0': 'Everyone',
  'S-1-5-2': 'Network',
  'S-1-5-11': 'Authenticated Users',
  'S-1-5-15': 'This Organization',
};

export const WELL_KNOWN_NAMES: Readonly<Record<string, string>> = {
  ...IMPLICIT_SIDS,
  'S-1-5-9': 'Enterprise Domain Controllers',
  'S-1-5-10': 'Principal Self',
  'S-1-5-18': 'Local System',
  'S-1-3-0': 'Creator Owner',
  'S-1-5-32-545': 'Users',
  'S-1-5-32-554': 'Pre-Windows 2000 Compatible Access',
  ...PROTECTED_BUILTIN_GROUPS,
};

/** Grantees every account is in: their default grants are nobody's extra privilege (only critical rights count for them). */
export function isBroad(sid: string): boolean {
  if (sid in IMPLICIT_SIDS || sid === 'S-1-5-32-545' || sid === 'S-1-5-32-554') return true;
  return /^S-1-5-21-\d+-\d+-\d+-(513|515)$/.test(sid);
}
