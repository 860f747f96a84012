import { z } from 'zod';

/**
 * What the agent reads from Active Directory for the portal's directory (issue 6): pages of
 * users, groups and departures, and the cursor a delta continues from. Read by the agent
 * (src/agent/ad-sync-reader.ts), applied by the portal (src/sync/sync-service.ts).
 * Anchors are objectGUIDs (lower-case 8-4-4-4-12); DNs are AD's, used only to resolve members.
 */

/** A sync page's JSON, at most: bigger pages are split (page-split.ts), well inside MAX_FRAME. */
export const SYNC_MESSAGE_BYTES = 1024 * 1024;
/** Member DNs in one group entry or member part, at most. */
export const MAX_MEMBERS_PER_MESSAGE = 50_000;

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const dn = z.string().min(1).max(2048);
const text = (max: number) => z.string().max(max).nullable();

export const syncUserSchema = z.strictObject({
  anchor: guid,
  dn,
  sAMAccountName: z.string().min(1).max(256),
  userPrincipalName: text(256),
  displayName: text(256),
  mail: text(320),
  mobile: text(64),
  telephoneNumber: text(64),
  /** userAccountControl bit 2 clear. */
  enabled: z.boolean(),
  /** adminCount = 1. */
  protected: z.boolean(),
  /** userAccountControl 0x10000. */
  passwordNeverExpires: z.boolean(),
  /** msDS-UserPasswordExpiryTimeComputed (ms since the epoch); null = never expires / must change now (see mustChange). */
  passwordExpiresAt: z.number().nullable(),
  /** pwdLastSet (ms since the epoch); null when 0 (must change at next logon). */
  pwdLastSet: z.number().nullable(),
});
export type SyncUser = z.output<typeof syncUserSchema>;

export const syncGroupSchema = z.strictObject({
  anchor: guid,
  dn,
  name: z.string().min(1).max(256),
  description: text(1024),
  /** DNs of the members (users and groups), as AD lists them in `member`. */
  memberDns: z.array(dn).max(MAX_MEMBERS_PER_MESSAGE),
  /**
   * The group is too big for one message: `memberDns` holds the first of its members, the rest
   * follow in `members` parts of the next pages (page-split.ts).
   */
  partial: z.literal(true).optional(),
});
export type SyncGroup = z.output<typeof syncGroupSchema>;

/** More members of a partial group, in order; `last` on the final part. */
export const syncMemberPartSchema = z.strictObject({ anchor: guid, memberDns: z.array(dn).max(MAX_MEMBERS_PER_MESSAGE), last: z.boolean() });
export type SyncMemberPart = z.output<typeof syncMemberPartSchema>;

/** Where a delta continues from: the DC it came from and that DC's highest committed USN; `dc` is the DC's DNS name, for the console. */
export const syncCursorSchema = z.strictObject({ invocationId: z.string().min(1).max(64), usn: z.string().min(1).max(32), dc: z.string().max(256) });
export type SyncCursor = z.output<typeof syncCursorSchema>;

/** One page of changes; a full read yields pages of everything, a delta pages of changes since the cursor. */
export const syncPageSchema = z.strictObject({
  users: z.array(syncUserSchema).max(1000),
  groups: z.array(syncGroupSchema).max(1000),
  /** Anchors of users and groups deleted (tombstones) or moved out of scope since the cursor. */
  gone: z.array(z.string().max(64)).max(10_000),
  /** The rest of a partial group's members (at most one part per page). */
  members: z.array(syncMemberPartSchema).max(1).optional(),
});
export type SyncPage = z.output<typeof syncPageSchema>;

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
