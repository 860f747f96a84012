import { Control, type BerWriter } from 'ldapts';

/** LDAP_SERVER_POLICY_HINTS_OID (Windows Server 2012 R2 and later). */
export const POLICY_HINTS_OID = '1.2.840.113556.1.4.2239';
/** LDAP_SERVER_POLICY_HINTS_DEPRECATED_OID (Windows Server 2008 R2 / 2012 with a hotfix). */
export const POLICY_HINTS_DEPRECATED_OID = '1.2.840.113556.1.4.2066';
/** LDAP_MATCHING_RULE_IN_CHAIN: transitive group membership in one search. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

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
