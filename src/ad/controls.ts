import { Control, type BerWriter } from 'ldapts';

/**
 * Every LDAP control and matching rule the project sends to AD, and the OIDs of the controls the
 * rights check looks for in a DC's rootDSE. One place, so the encoding of each is written once.
 */

/** LDAP_SERVER_POLICY_HINTS_OID (Windows Server 2012 R2 and later). */
export const POLICY_HINTS_OID = '1.2.840.113556.1.4.2239';
/** LDAP_SERVER_POLICY_HINTS_DEPRECATED_OID (Windows Server 2008 R2 / 2012 with a hotfix). */
export const POLICY_HINTS_DEPRECATED_OID = '1.2.840.113556.1.4.2066';
/** LDAP_MATCHING_RULE_IN_CHAIN: transitive group membership in one search. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';
/** LDAP_SERVER_SD_FLAGS_OID: which parts of nTSecurityDescriptor to return. */
export const SD_FLAGS_OID = '1.2.840.113556.1.4.801';
/** The simple paged results control (RFC 2696): the sync reads a domain page by page. */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
/** LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';
/** LDAP_SERVER_SHOW_RECYCLED_OID: with the AD Recycle Bin on, recycled objects too (implies show-deleted). */
export const SHOW_RECYCLED_OID = '1.2.840.113556.1.4.2064';
/** LDAP_SERVER_DIRSYNC_OID: the rights check reports whether the DC offers it. */
export const DIRSYNC_OID = '1.2.840.113556.1.4.841';

/**
 * The policy-hints control: sent with an administrative reset, it asks AD to apply the
 * password history (and minimum age) as it does for a change by the user — otherwise a reset
 * could set a remembered password. Value: BER `SEQUENCE { INTEGER 1 }` = 30 03 02 01 01.
 * Sent only to a DC whose rootDSE advertises it, so it can be critical.
 */
export class PolicyHintsControl extends Control {
  constructor(oid: typeof POLICY_HINTS_OID | typeof POLICY_HINTS_DEPRECATED_OID) {
    super(oid, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    writer.writeBuffer(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]), 0x04);
  }
}

/** The policy-hints OID to send to a DC advertising `supportedControl`, or null when it supports neither. */
export function policyHintsFor(supportedControl: readonly string[]): typeof POLICY_HINTS_OID | typeof POLICY_HINTS_DEPRECATED_OID | null {
  if (supportedControl.includes(POLICY_HINTS_OID)) return POLICY_HINTS_OID;
  if (supportedControl.includes(POLICY_HINTS_DEPRECATED_OID)) return POLICY_HINTS_DEPRECATED_OID;
  return null;
}

/** DACL_SECURITY_INFORMATION: owner, group and SACL are not asked for (the SACL needs a privilege). */
const DACL_SECURITY_INFORMATION = 0x4;

/** The SD-flags control. Value: BER `SEQUENCE { INTEGER flags }`. */
export class SdFlagsControl extends Control {
  constructor(private readonly flags: number = DACL_SECURITY_INFORMATION) {
    super(SD_FLAGS_OID, { critical: true });
  }

  protected override writeControl(writer: BerWriter): void {
    if (this.flags < 0 || this.flags > 0x7f) throw new RangeError('SD flags fit in one byte');
    writer.writeBuffer(Buffer.from([0x30, 0x03, 0x02, 0x01, this.flags]), 0x04);
  }
}

/** The show-deleted control, without a value. */
export class ShowDeletedControl extends Control {
  constructor() {
    // Critical: a DC that ignored it would answer "no deletions" instead of failing.
    super(SHOW_DELETED_OID, { critical: true });
  }
}

/** The show-recycled control, without a value; not critical, sent only to a DC that advertises it. */
export class ShowRecycledControl extends Control {
  constructor() {
    super(SHOW_RECYCLED_OID, { critical: false });
  }
}
