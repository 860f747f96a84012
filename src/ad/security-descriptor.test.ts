import { describe, expect, it } from 'vitest';
import { SddlError, aceToSddl, maskToSddl, parseSddlAce, parseSddlDacl, securityDescriptorToSddl, sidToSddl } from './sddl.js';
import { ACE_FLAG, ACE_TYPE, FULL_CONTROL, RIGHT, SD_CONTROL, SecurityDescriptorError, parseSecurityDescriptor } from './security-descriptor.js';

/**
 * The binary security descriptor (MS-DTYP 2.4.6) and SDDL. The byte sequences are written out
 * field by field here; the second one was produced by Samba's own NDR encoder
 * (`security.descriptor.from_sddl(…)` + `ndr_pack`) and its SDDL is what Samba prints for it.
 * rights/check.test.ts also parses the live domain root's descriptor and compares with `samba-tool dsacl get`.
 */

const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');

const DOMAIN = 'S-1-5-21-1-2-3';

/** O:BA G:DU D:P(A;;RPLC;;;WD) — built by hand. */
const SMALL = hex(
  // header: revision 1, Sbz1 0, control 0x9004 (SELF_RELATIVE | DACL_PROTECTED | DACL_PRESENT)
  '01 00 0490',
  // OffsetOwner 0x14, OffsetGroup 0x24, OffsetSacl 0, OffsetDacl 0x40
  '14000000 24000000 00000000 40000000',
  // owner S-1-5-32-544: revision 1, 2 sub-authorities, authority 5, 32, 544
  '01 02 000000000005 20000000 20020000',
  // group S-1-5-21-1-2-3-513
  '01 05 000000000005 15000000 01000000 02000000 03000000 01020000',
  // DACL: revision 2, Sbz1, size 0x1c, 1 ACE, Sbz2
  '02 00 1c00 0100 0000',
  // ACCESS_ALLOWED_ACE: type 0, flags 0, size 0x14, mask 0x14 (RP | LC), SID S-1-1-0
  '00 00 1400 14000000 01 01 000000000001 00000000',
);

/** D:AI with object ACEs (both GUIDs, one GUID), a deny, NP, ID, an unmapped mask bit — from Samba's encoder. */
const FROM_SAMBA = hex(
  '01000484000000000000000000000000140000000400080107000000050a48000001000003000000709529006d24d011a768',
  '00aa006e0529ba7a96bfe60dd011a28500aa003049e20105000000000005150000000100000002000000030000005104000000',
  '002400ff011f000105000000000005150000000100000002000000030000000002000001021800000004100102000000000005',
  '200000002002000000002400ff010f000105000000000005150000000100000002000000030000000702000000001800ff0100',
  '000102000000000005200000002d020000060428002000000001000000bf0e6328d541d111a9c10000f80367c101010000000000',
  '050b000000001018000100000001020000000000052000000030020000',
);
const FROM_SAMBA_SDDL =
  'D:AI(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1105)(A;;0x001f01ff;;;DA)(D;CI;WDGA;;;BA)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;EA)(A;;RPWPCRCCDCLCLODTSW;;;S-1-5-32-557)(OD;NP;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;;AU)(A;ID;CC;;;S-1-5-32-560)';

describe('parseSecurityDescriptor', () => {
  it('reads header, owner, group and a DACL built by hand', () => {
    const sd = parseSecurityDescriptor(SMALL);
    expect(sd).toEqual({
      revision: 1,
      control: SD_CONTROL.SELF_RELATIVE | SD_CONTROL.DACL_PROTECTED | SD_CONTROL.DACL_PRESENT,
      owner: 'S-1-5-32-544',
      group: `${DOMAIN}-513`,
      dacl: { revision: 2, aces: [{ type: ACE_TYPE.ACCESS_ALLOWED, kind: 'allow', object: false, flags: 0, mask: RIGHT.READ_PROPERTY | RIGHT.LIST_CHILDREN, objectType: null, inheritedObjectType: null, sid: 'S-1-1-0' }] },
      sacl: null,
    });
    expect(securityDescriptorToSddl(sd, { domainSid: DOMAIN })).toBe('O:BAG:DUD:P(A;;RPLC;;;WD)');
  });

  it("reads object ACEs, denies and inheritance flags exactly as Samba's encoder wrote them", () => {
    const sd = parseSecurityDescriptor(FROM_SAMBA);
    expect(sd.owner).toBeNull();
    expect(sd.group).toBeNull();
    expect(sd.sacl).toBeNull();
    const aces = sd.dacl!.aces;
    expect(aces).toHaveLength(7);
    expect(aces[0]).toEqual({
      type: ACE_TYPE.ACCESS_ALLOWED_OBJECT,
      kind: 'allow',
      object: true,
      flags: ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY,
      mask: RIGHT.CONTROL_ACCESS,
      objectType: '00299570-246d-11d0-a768-00aa006e0529',
      inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2',
      sid: `${DOMAIN}-1105`,
    });
    expect(aces[1]).toMatchObject({ kind: 'allow', mask: 0x001f01ff, sid: `${DOMAIN}-512` });
    expect(aces[2]).toMatchObject({ kind: 'deny', object: false, flags: ACE_FLAG.CONTAINER_INHERIT, mask: (RIGHT.GENERIC_ALL | RIGHT.WRITE_DAC) >>> 0, sid: 'S-1-5-32-544' });
    expect(aces[3]).toMatchObject({ mask: FULL_CONTROL, sid: `${DOMAIN}-519` });
    // Only the object type present (object flags 1): the inherited object type stays null.
    expect(aces[5]).toMatchObject({ type: ACE_TYPE.ACCESS_DENIED_OBJECT, kind: 'deny', object: true, flags: ACE_FLAG.NO_PROPAGATE_INHERIT, objectType: '28630ebf-41d5-11d1-a9c1-0000f80367c1', inheritedObjectType: null, sid: 'S-1-5-11' });
    expect(aces[6]).toMatchObject({ flags: ACE_FLAG.INHERITED, mask: RIGHT.CREATE_CHILD, sid: 'S-1-5-32-560' });
    expect(securityDescriptorToSddl(sd, { domainSid: DOMAIN })).toBe(FROM_SAMBA_SDDL);
  });

  it('keeps ACE types it does not interpret (callback, label …) without failing', () => {
    // One SYSTEM_MANDATORY_LABEL_ACE (0x11), 20 bytes, then an ACCESS_ALLOWED_ACE.
    const sd = hex('01000480 00000000 00000000 00000000 14000000', '02003000 02000000', '11001400 01000000 0101000000000010 00300000', '00001400 10000000 0101000000000001 00000000');
    const aces = parseSecurityDescriptor(sd).dacl!.aces;
    expect(aces.map((a) => a.kind)).toEqual(['other', 'allow']);
    expect(aces[0]).toMatchObject({ type: 0x11, sid: null, mask: 0 });
    expect(aces[1]).toMatchObject({ sid: 'S-1-1-0', mask: RIGHT.READ_PROPERTY });
  });

  it('an SD without a DACL has dacl null (distinct from an empty DACL)', () => {
    const noDacl = hex('01000080 00000000 00000000 00000000 00000000');
    expect(parseSecurityDescriptor(noDacl).dacl).toBeNull();
    const empty = hex('01000480 00000000 00000000 00000000 14000000', '02000800 00000000');
    expect(parseSecurityDescriptor(empty).dacl).toEqual({ revision: 2, aces: [] });
  });

  it('refuses malformed input, saying where', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [SMALL.subarray(0, 10), /header/],
      [hex('02', SMALL.subarray(1).toString('hex')), /revision 2/],
      [hex('01000400', SMALL.subarray(4).toString('hex')), /not self-relative/],
      // The DACL claims 2 ACEs but holds one.
      [Buffer.concat([SMALL.subarray(0, 0x44), Buffer.from([0x02]), SMALL.subarray(0x45)]), /ACE 1/],
      // The ACL size runs past the end.
      [Buffer.concat([SMALL.subarray(0, 0x42), Buffer.from([0xff]), SMALL.subarray(0x43)]), /DACL/],
      // An ACE whose size is not a multiple of 4.
      [Buffer.concat([SMALL.subarray(0, 0x4a), Buffer.from([0x13]), SMALL.subarray(0x4b)]), /ACE 0: size 19/],
      // The ACE's SID claims 9 sub-authorities.
      [Buffer.concat([SMALL.subarray(0, 0x51), Buffer.from([0x09]), SMALL.subarray(0x52)]), /ACE 0: SID/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => parseSecurityDescriptor(bytes)).toThrow(SecurityDescriptorError);
      expect(() => parseSecurityDescriptor(bytes)).toThrow(message);
    }
  });
});

describe('SDDL formatting', () => {
  it('rights codes in Samba order; hex when a bit has no code', () => {
    expect(maskToSddl(FULL_CONTROL)).toBe('RPWPCRCCDCLCLORCWOWDSDDTSW');
    expect(maskToSddl(RIGHT.CONTROL_ACCESS)).toBe('CR');
    expect(maskToSddl(RIGHT.WRITE_PROPERTY | RIGHT.READ_PROPERTY)).toBe('RPWP');
    expect(maskToSddl(RIGHT.GENERIC_ALL)).toBe('GA');
    expect(maskToSddl(RIGHT.GENERIC_READ)).toBe('GR');
    expect(maskToSddl(0x001f01ff)).toBe('0x001f01ff');
  });

  it('aliases for well-known and domain-relative SIDs; other SIDs as they are', () => {
    expect(sidToSddl('S-1-5-32-544')).toBe('BA');
    expect(sidToSddl('S-1-5-11')).toBe('AU');
    expect(sidToSddl(`${DOMAIN}-512`)).toBe(`${DOMAIN}-512`);
    expect(sidToSddl(`${DOMAIN}-512`, { domainSid: DOMAIN })).toBe('DA');
    expect(sidToSddl(`${DOMAIN}-519`, { domainSid: DOMAIN })).toBe('EA');
    expect(sidToSddl('S-1-5-21-9-9-9-519', { domainSid: DOMAIN, rootDomainSid: 'S-1-5-21-9-9-9' })).toBe('EA');
    expect(sidToSddl(`${DOMAIN}-1105`, { domainSid: DOMAIN })).toBe(`${DOMAIN}-1105`);
  });

  it('the delegation ACE reads back to itself', () => {
    const text = `(OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;${DOMAIN}-1105)`;
    const ace = parseSddlAce(text);
    expect(ace).toEqual({
      type: ACE_TYPE.ACCESS_ALLOWED_OBJECT,
      kind: 'allow',
      object: true,
      flags: ACE_FLAG.CONTAINER_INHERIT | ACE_FLAG.INHERIT_ONLY,
      mask: RIGHT.WRITE_PROPERTY,
      objectType: 'bf967a0a-0de6-11d0-a285-00aa003049e2',
      inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2',
      sid: `${DOMAIN}-1105`,
    });
    expect(aceToSddl(ace)).toBe(text);
  });
});

describe('SDDL parsing', () => {
  // The start of the user class's defaultSecurityDescriptor as Samba's schema holds it (upper-case GUIDs, aliases).
  const userDefault =
    'D:(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;DA)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;SY)(A;;RPWPCRCCDCLCLORCWOWDSDDTSW;;;AO)(A;;RPLCLORC;;;PS)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;PS)(OA;;RPWP;77B5B886-944A-11d1-AEBD-0000F80367C1;;PS)(OA;;RP;4c164200-20c0-11d0-a768-00aa006e0529;;RS)(A;;RC;;;AU)(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(OA;;WPRP;6db69a1c-9422-11d1-aebd-0000f80367c1;;S-1-5-32-561)';

  it("reads a schema default: aliases resolved with the domain SID, GUIDs lower-cased", () => {
    const { protected: isProtected, aces } = parseSddlDacl(userDefault, { domainSid: DOMAIN });
    expect(isProtected).toBe(false);
    expect(aces).toHaveLength(10);
    expect(aces[0]).toMatchObject({ kind: 'allow', mask: FULL_CONTROL, sid: `${DOMAIN}-512` });
    expect(aces[2]).toMatchObject({ sid: 'S-1-5-32-548' });
    expect(aces[5]).toMatchObject({ objectType: '77b5b886-944a-11d1-aebd-0000f80367c1', mask: RIGHT.READ_PROPERTY | RIGHT.WRITE_PROPERTY });
    expect(aces[6]).toMatchObject({ sid: `${DOMAIN}-553` });
    expect(aces[8]).toMatchObject({ kind: 'allow', object: true, mask: RIGHT.CONTROL_ACCESS, objectType: 'ab721a53-1e2f-11d0-9819-00aa0040529b', sid: 'S-1-1-0' });
    expect(aces[9]).toMatchObject({ sid: 'S-1-5-32-561' });
    expect(aces.map((a) => aceToSddl(a, { domainSid: DOMAIN })).join('')).toBe(userDefault.slice(2).replace('77B5B886-944A-11d1-AEBD-0000F80367C1', '77b5b886-944a-11d1-aebd-0000f80367c1').replace('WPRP', 'RPWP'));
  });

  it('reads owner, group, DACL flags and SACL around the DACL', () => {
    const { protected: isProtected, aces } = parseSddlDacl('O:BAG:DUD:PAI(D;CI;WD;;;WD)(A;;0x00000100;;;S-1-5-21-1-2-3-77)S:AI(AU;SA;WP;;;WD)', { domainSid: DOMAIN });
    expect(isProtected).toBe(true);
    expect(aces.map((a) => [a.kind, a.mask, a.sid])).toEqual([
      ['deny', RIGHT.WRITE_DAC, 'S-1-1-0'],
      ['allow', RIGHT.CONTROL_ACCESS, 'S-1-5-21-1-2-3-77'],
    ]);
    expect(parseSddlDacl('O:BAG:BA', {}).aces).toEqual([]);
  });

  it('refuses what it cannot read', () => {
    expect(() => parseSddlAce('(A;;RP;;;DA)')).toThrow(/needs the domain SID/);
    expect(() => parseSddlAce('(A;;RP;;;XX)')).toThrow(/unknown trustee/);
    expect(() => parseSddlAce('(A;;QQ;;;WD)')).toThrow(/unknown right/);
    expect(() => parseSddlAce('(A;ZZ;RP;;;WD)')).toThrow(/unknown ACE flag/);
    expect(() => parseSddlAce('(A;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;WD)')).toThrow(/only object ACEs/);
    expect(() => parseSddlAce('(OA;;RP;not-a-guid;;WD)')).toThrow(/not a GUID/);
    expect(() => parseSddlAce('(A;;RP;;WD)')).toThrow(SddlError);
    expect(() => parseSddlDacl('D:(A;;RP;;;WD')).toThrow(/unterminated/);
  });
});
