import { BerWriter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { POLICY_HINTS_DEPRECATED_OID, POLICY_HINTS_OID, PolicyHintsControl, policyHintsFor } from './controls.js';

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
