import { guidFromBytes } from './guid.js';
import { sidFromBytes } from './sid.js';

/**
 * Security descriptors (MS-DTYP 2.4.6): the self-relative binary form AD returns for
 * nTSecurityDescriptor, parsed into owner, group and ACLs, with the ACE types, flags and rights
 * bits. Their text form is in sddl.ts. A data format only: no access decisions here (those are
 * in rights/evaluate.ts).
 */

/** AceType values (MS-DTYP 2.4.4.1). */
export const ACE_TYPE = {
  ACCESS_ALLOWED: 0x00,
  ACCESS_DENIED: 0x01,
  SYSTEM_AUDIT: 0x02,
  SYSTEM_ALARM: 0x03,
  ACCESS_ALLOWED_OBJECT: 0x05,
  ACCESS_DENIED_OBJECT: 0x06,
  SYSTEM_AUDIT_OBJECT: 0x07,
  SYSTEM_ALARM_OBJECT: 0x08,
} as const;

/** AceFlags (MS-DTYP 2.4.4.1). */
export const ACE_FLAG = {
  OBJECT_INHERIT: 0x01,
  CONTAINER_INHERIT: 0x02,
  NO_PROPAGATE_INHERIT: 0x04,
  INHERIT_ONLY: 0x08,
  INHERITED: 0x10,
  SUCCESSFUL_ACCESS: 0x40,
  FAILED_ACCESS: 0x80,
} as const;

/** Access mask bits of directory objects (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3). */
export const RIGHT = {
  CREATE_CHILD: 0x1,
  DELETE_CHILD: 0x2,
  LIST_CHILDREN: 0x4,
  SELF_WRITE: 0x8,
  READ_PROPERTY: 0x10,
  WRITE_PROPERTY: 0x20,
  DELETE_TREE: 0x40,
  LIST_OBJECT: 0x80,
  CONTROL_ACCESS: 0x100,
  DELETE: 0x10000,
  READ_CONTROL: 0x20000,
  WRITE_DAC: 0x40000,
  WRITE_OWNER: 0x80000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

/** What AD stores for "Full Control" (GENERIC_ALL mapped for directory objects). */
export const FULL_CONTROL = 0x000f01ff;

/** SECURITY_DESCRIPTOR_CONTROL bits (MS-DTYP 2.4.6). */
export const SD_CONTROL = {
  OWNER_DEFAULTED: 0x0001,
  GROUP_DEFAULTED: 0x0002,
  DACL_PRESENT: 0x0004,
  DACL_DEFAULTED: 0x0008,
  SACL_PRESENT: 0x0010,
  SACL_DEFAULTED: 0x0020,
  DACL_AUTO_INHERIT_REQ: 0x0100,
  SACL_AUTO_INHERIT_REQ: 0x0200,
  DACL_AUTO_INHERITED: 0x0400,
  SACL_AUTO_INHERITED: 0x0800,
  DACL_PROTECTED: 0x1000,
  SACL_PROTECTED: 0x2000,
  SELF_RELATIVE: 0x8000,
} as const;

/** Object ACE Flags field: which of the two GUIDs follow. */
const ACE_OBJECT_TYPE_PRESENT = 0x1;
const ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2;

export type AceKind = 'allow' | 'deny' | 'audit' | 'alarm' | 'other';

export interface Ace {
  /** The raw AceType. */
  type: number;
  /** allow / deny decide access; audit and alarm belong in a SACL; other = a type this parser does not read (callback, conditional, label …). */
  kind: AceKind;
  /** An object ACE (OA, OD, OU, OL): may name an object type and an inherited object type. */
  object: boolean;
  /** AceFlags (ACE_FLAG bits). */
  flags: number;
  /** The access mask, unsigned. 0 for kind 'other'. */
  mask: number;
  /** The property, property set, extended right, validated write or class the ACE is limited to (lower-case GUID), or null. */
  objectType: string | null;
  /** The class of child objects that inherit the ACE (lower-case GUID), or null for all. */
  inheritedObjectType: string | null;
  /** The trustee (`S-1-5-…`); null for kind 'other'. */
  sid: string | null;
}

export interface Acl {
  revision: number;
  aces: Ace[];
}

export interface SecurityDescriptor {
  revision: number;
  /** SECURITY_DESCRIPTOR_CONTROL (SD_CONTROL bits). */
  control: number;
  owner: string | null;
  group: string | null;
  /** null when absent (not requested with the SD-flags control, or no DACL: everyone has full access). */
  dacl: Acl | null;
  sacl: Acl | null;
}

/** A byte sequence that is not a well-formed self-relative security descriptor. */
export class SecurityDescriptorError extends Error {
  constructor(message: string) {
    super(`invalid security descriptor: ${message}`);
    this.name = 'SecurityDescriptorError';
  }
}

function need(bytes: Buffer, offset: number, length: number, what: string): void {
  if (offset < 0 || offset + length > bytes.length) throw new SecurityDescriptorError(`${what} at offset ${offset} (${length} bytes) runs past the end (${bytes.length} bytes)`);
}

/** A SID at `offset` whose length is given by its own sub-authority count, not bounded by `end`. */
function readSid(bytes: Buffer, offset: number, end: number, what: string): { sid: string; length: number } {
  if (offset + 8 > end) throw new SecurityDescriptorError(`${what}: SID at offset ${offset} runs past its container`);
  const count = bytes.readUInt8(offset + 1);
  if (bytes.readUInt8(offset) !== 1) throw new SecurityDescriptorError(`${what}: SID revision ${bytes.readUInt8(offset)} at offset ${offset}`);
  if (count > 15) throw new SecurityDescriptorError(`${what}: SID with ${count} sub-authorities at offset ${offset}`);
  const length = 8 + 4 * count;
  if (offset + length > end) throw new SecurityDescriptorError(`${what}: SID at offset ${offset} runs past its container`);
  return { sid: sidFromBytes(bytes.subarray(offset, offset + length)), length };
}

/** What an AceType is: allow or deny (or audit, alarm), and whether it is an object ACE naming GUIDs. */
export function kindOf(type: number): { kind: AceKind; object: boolean } {
  switch (type) {
    case ACE_TYPE.ACCESS_ALLOWED:
      return { kind: 'allow', object: false };
    case ACE_TYPE.ACCESS_DENIED:
      return { kind: 'deny', object: false };
    case ACE_TYPE.SYSTEM_AUDIT:
      return { kind: 'audit', object: false };
    case ACE_TYPE.SYSTEM_ALARM:
      return { kind: 'alarm', object: false };
    case ACE_TYPE.ACCESS_ALLOWED_OBJECT:
      return { kind: 'allow', object: true };
    case ACE_TYPE.ACCESS_DENIED_OBJECT:
      return { kind: 'deny', object: true };
    case ACE_TYPE.SYSTEM_AUDIT_OBJECT:
      return { kind: 'audit', object: true };
    case ACE_TYPE.SYSTEM_ALARM_OBJECT:
      return { kind: 'alarm', object: true };
    default:
      return { kind: 'other', object: false };
  }
}

function readAce(bytes: Buffer, offset: number, aclEnd: number, index: number): { ace: Ace; size: number } {
  const what = `ACE ${index}`;
  if (offset + 4 > aclEnd) throw new SecurityDescriptorError(`${what}: header at offset ${offset} runs past the ACL`);
  const type = bytes.readUInt8(offset);
  const flags = bytes.readUInt8(offset + 1);
  const size = bytes.readUInt16LE(offset + 2);
  if (size < 4 || size % 4 !== 0) throw new SecurityDescriptorError(`${what}: size ${size} at offset ${offset} (at least 4, a multiple of 4)`);
  const end = offset + size;
  if (end > aclEnd) throw new SecurityDescriptorError(`${what}: size ${size} at offset ${offset} runs past the ACL`);
  const { kind, object } = kindOf(type);
  if (kind === 'other') {
    // Callback, conditional, mandatory-label and resource-attribute ACEs: kept, not interpreted.
    return { ace: { type, kind, object: false, flags, mask: 0, objectType: null, inheritedObjectType: null, sid: null }, size };
  }
  if (offset + 8 > end) throw new SecurityDescriptorError(`${what}: too short for an access mask`);
  const mask = bytes.readUInt32LE(offset + 4);
  let at = offset + 8;
  let objectType: string | null = null;
  let inheritedObjectType: string | null = null;
  if (object) {
    if (at + 4 > end) throw new SecurityDescriptorError(`${what}: too short for the object flags`);
    const objectFlags = bytes.readUInt32LE(at);
    at += 4;
    if (objectFlags & ACE_OBJECT_TYPE_PRESENT) {
      if (at + 16 > end) throw new SecurityDescriptorError(`${what}: too short for the object type GUID`);
      objectType = guidFromBytes(bytes.subarray(at, at + 16));
      at += 16;
    }
    if (objectFlags & ACE_INHERITED_OBJECT_TYPE_PRESENT) {
      if (at + 16 > end) throw new SecurityDescriptorError(`${what}: too short for the inherited object type GUID`);
      inheritedObjectType = guidFromBytes(bytes.subarray(at, at + 16));
      at += 16;
    }
  }
  const { sid } = readSid(bytes, at, end, what);
  return { ace: { type, kind, object, flags, mask, objectType, inheritedObjectType, sid }, size };
}

function readAcl(bytes: Buffer, offset: number, what: string): Acl {
  need(bytes, offset, 8, what);
  const revision = bytes.readUInt8(offset);
  // ACL_REVISION (2) or ACL_REVISION_DS (4, needed for object ACEs).
  if (revision !== 2 && revision !== 4) throw new SecurityDescriptorError(`${what}: ACL revision ${revision}`);
  const size = bytes.readUInt16LE(offset + 2);
  const count = bytes.readUInt16LE(offset + 4);
  if (size < 8) throw new SecurityDescriptorError(`${what}: ACL size ${size}`);
  need(bytes, offset, size, what);
  const end = offset + size;
  const aces: Ace[] = [];
  let at = offset + 8;
  for (let i = 0; i < count; i++) {
    const { ace, size: aceSize } = readAce(bytes, at, end, i);
    aces.push(ace);
    at += aceSize;
  }
  return { revision, aces };
}

/**
 * Parses a self-relative security descriptor (MS-DTYP 2.4.6) as AD returns nTSecurityDescriptor.
 * Parts not returned (owner, group, SACL when the SD-flags control asked for the DACL only) are
 * null. Throws SecurityDescriptorError for anything malformed, naming where.
 */
export function parseSecurityDescriptor(bytes: Buffer): SecurityDescriptor {
  need(bytes, 0, 20, 'header');
  const revision = bytes.readUInt8(0);
  if (revision !== 1) throw new SecurityDescriptorError(`revision ${revision} (expected 1)`);
  const control = bytes.readUInt16LE(2);
  if ((control & SD_CONTROL.SELF_RELATIVE) === 0) throw new SecurityDescriptorError('not self-relative (SE_SELF_RELATIVE is not set)');
  const ownerAt = bytes.readUInt32LE(4);
  const groupAt = bytes.readUInt32LE(8);
  const saclAt = bytes.readUInt32LE(12);
  const daclAt = bytes.readUInt32LE(16);
  const owner = ownerAt === 0 ? null : readSid(bytes, ownerAt, bytes.length, 'owner').sid;
  const group = groupAt === 0 ? null : readSid(bytes, groupAt, bytes.length, 'group').sid;
  const dacl = (control & SD_CONTROL.DACL_PRESENT) !== 0 && daclAt !== 0 ? readAcl(bytes, daclAt, 'DACL') : null;
  const sacl = (control & SD_CONTROL.SACL_PRESENT) !== 0 && saclAt !== 0 ? readAcl(bytes, saclAt, 'SACL') : null;
  return { revision, control, owner, group, dacl, sacl };
}
