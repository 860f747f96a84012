import { BerWriter, type Control } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  POLICY_HINTS_DEPRECATED_OID,
  POLICY_HINTS_OID,
  PolicyHintsControl,
  SD_FLAGS_OID,
  SHOW_DELETED_OID,
  SHOW_RECYCLED_OID,
  SdFlagsControl,
  ShowDeletedControl,
  ShowRecycledControl,
  policyHintsFor,
} from './controls.js';

const encoded = (control: Control): string => {
  const writer = new BerWriter();
  control.write(writer);
  return writer.buffer.toString('hex');
};

/** BER `SEQUENCE { OCTET STRING oid, rest }` as hex, rest already hex. */
const sequence = (oid: string, rest: string): string => {
  const body = `04${oid.length.toString(16).padStart(2, '0')}${Buffer.from(oid).toString('hex')}${rest}`;
  return `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
};

describe('policy-hints control', () => {
  it('is sent as a critical control whose value is BER 30 03 02 01 01', () => {
    const writer = new BerWriter();
    new PolicyHintsControl(POLICY_HINTS_OID).write(writer);
    const bytes = writer.buffer.toString('hex');
    // SEQUENCE { OCTET STRING oid, BOOLEAN TRUE, OCTET STRING { 30 03 02 01 01 } }
    expect(bytes).toBe(`30${(2 + POLICY_HINTS_OID.length + 3 + 7).toString(16).padStart(2, '0')}04${POLICY_HINTS_OID.length.toString(16).padStart(2, '0')}${Buffer.from(POLICY_HINTS_OID).toString('hex')}0101ff04053003020101`);
  });

  it('is chosen from what the DC advertises: the current OID, else the deprecated one, else none', () => {
    expect(policyHintsFor(['1.2.840.113556.1.4.319', POLICY_HINTS_OID, POLICY_HINTS_DEPRECATED_OID])).toBe(POLICY_HINTS_OID);
    expect(policyHintsFor([POLICY_HINTS_DEPRECATED_OID])).toBe(POLICY_HINTS_DEPRECATED_OID);
    expect(policyHintsFor(['1.2.840.113556.1.4.319'])).toBeNull();
  });
});

describe('SD-flags control', () => {
  it('asks for the DACL only by default: critical, value BER SEQUENCE { INTEGER 4 }', () => {
    expect(encoded(new SdFlagsControl())).toBe(sequence(SD_FLAGS_OID, '0101ff04053003020104'));
  });

  it('carries other flags in the same one-byte INTEGER and refuses what does not fit', () => {
    expect(encoded(new SdFlagsControl(0x7))).toBe(sequence(SD_FLAGS_OID, '0101ff04053003020107'));
    expect(() => encoded(new SdFlagsControl(0x80))).toThrow(RangeError);
  });
});

describe('show-deleted and show-recycled controls', () => {
  it('show-deleted is critical and has no value, so a DC that cannot show tombstones refuses the search', () => {
    expect(encoded(new ShowDeletedControl())).toBe(sequence(SHOW_DELETED_OID, '0101ff'));
  });

  it('show-recycled is not critical and has no value', () => {
    expect(encoded(new ShowRecycledControl())).toBe(sequence(SHOW_RECYCLED_OID, '010100'));
  });
});
