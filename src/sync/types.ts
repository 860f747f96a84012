/**
 * What the agent reads from Active Directory for the portal's directory (issue 6), shared by
 * the agent (src/sync/ad-reader.ts) and the portal (src/sync/sync-service.ts).
 * Anchors are objectGUIDs (lower-case 8-4-4-4-12); DNs are AD's, used only to resolve members.
 */

export interface SyncUser {
  anchor: string;
  dn: string;
  sAMAccountName: string;
  userPrincipalName: string | null;
  displayName: string | null;
  mail: string | null;
  mobile: string | null;
  telephoneNumber: string | null;
  /** userAccountControl bit 2 clear. */
  enabled: boolean;
  /** adminCount = 1. */
  protected: boolean;
  /** userAccountControl 0x10000. */
  passwordNeverExpires: boolean;
  /** msDS-UserPasswordExpiryTimeComputed (ms since the epoch); null = never expires / must change now (see mustChange). */
  passwordExpiresAt: number | null;
  /** pwdLastSet (ms since the epoch); null when 0 (must change at next logon). */
  pwdLastSet: number | null;
}

export interface SyncGroup {
  anchor: string;
  dn: string;
  name: string;
  description: string | null;
  /** DNs of the members (users and groups), as AD lists them in `member`. */
  memberDns: string[];
  /**
   * The group is too big for one message: `memberDns` holds the first of its members, the rest
   * follow in `members` parts of the next pages (src/sync/page-split.ts).
   */
  partial?: true;
}

/** More members of a partial group, in order; `last` on the final part. */
export interface SyncMemberPart {
  anchor: string;
  memberDns: string[];
  last: boolean;
}

/** Where a delta continues from: the DC it came from and that DC's highest committed USN. */
export interface SyncCursor {
  invocationId: string;
  usn: string;
  /** The DC's DNS name, for the console. */
  dc: string;
}

export interface SyncScope {
  /** Where users and groups are read (OUs or the domain root). */
  baseDns: string[];
  /** An extra LDAP filter users must match, e.g. (memberOf=CN=SSPR Users,…); empty = all users. */
  userFilter?: string;
  /** Which AD attribute fills which field (agent.sync.attributes); the rest as DEFAULT_ATTRIBUTE_MAP. */
  attributes?: Partial<SyncAttributeMap>;
}

/** The AD attribute read for each of these SyncUser fields, e.g. mobile numbers kept in `pager` or an extension attribute. */
export interface SyncAttributeMap {
  displayName: string;
  mail: string;
  mobile: string;
  telephoneNumber: string;
}

export const DEFAULT_ATTRIBUTE_MAP: Readonly<SyncAttributeMap> = Object.freeze({ displayName: 'displayName', mail: 'mail', mobile: 'mobile', telephoneNumber: 'telephoneNumber' });

/** An LDAP attribute description (a name, not an OID or options): letters, digits and hyphens, starting with a letter. */
export const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/** One page of changes; a full read yields pages of everything, a delta pages of changes since the cursor. */
export interface SyncPage {
  users: SyncUser[];
  groups: SyncGroup[];
  /** Anchors of users and groups deleted (tombstones) or moved out of scope since the cursor. */
  gone: string[];
  /** The rest of a partial group's members (at most one part per page). */
  members?: SyncMemberPart[];
}
