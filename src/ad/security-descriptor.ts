import { guidFromBytes, parseGuid } from './guid.js';
import { sidFromBytes } from './sid.js';

/**
 * Security descriptors (MS-DTYP 2.4.6): the self-relative binary form AD returns for
 * nTSecurityDescriptor, parsed into owner, group and ACLs; ACEs formatted as SDDL (MS-DTYP
 * 2.5.1) for messages; and SDDL ACE strings parsed back (the schema's
 * defaultSecurityDescriptor is SDDL text). A data format only: no access decisions here
 * (those are in rights.ts).
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

function kindOf(type: number): { kind: AceKind; object: boolean } {
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

// ---------------------------------------------------------------------------------------------
// SDDL (MS-DTYP 2.5.1)

const TYPE_CODES: Record<number, string> = {
  [ACE_TYPE.ACCESS_ALLOWED]: 'A',
  [ACE_TYPE.ACCESS_DENIED]: 'D',
  [ACE_TYPE.SYSTEM_AUDIT]: 'AU',
  [ACE_TYPE.SYSTEM_ALARM]: 'AL',
  [ACE_TYPE.ACCESS_ALLOWED_OBJECT]: 'OA',
  [ACE_TYPE.ACCESS_DENIED_OBJECT]: 'OD',
  [ACE_TYPE.SYSTEM_AUDIT_OBJECT]: 'OU',
  [ACE_TYPE.SYSTEM_ALARM_OBJECT]: 'OL',
};

const FLAG_CODES: Array<[string, number]> = [
  ['OI', ACE_FLAG.OBJECT_INHERIT],
  ['CI', ACE_FLAG.CONTAINER_INHERIT],
  ['NP', ACE_FLAG.NO_PROPAGATE_INHERIT],
  ['IO', ACE_FLAG.INHERIT_ONLY],
  ['ID', ACE_FLAG.INHERITED],
  ['SA', ACE_FLAG.SUCCESSFUL_ACCESS],
  ['FA', ACE_FLAG.FAILED_ACCESS],
];

/** Directory-object rights, in the order Samba's `samba-tool dsacl get` prints them. */
const RIGHT_CODES: Array<[string, number]> = [
  ['RP', RIGHT.READ_PROPERTY],
  ['WP', RIGHT.WRITE_PROPERTY],
  ['CR', RIGHT.CONTROL_ACCESS],
  ['CC', RIGHT.CREATE_CHILD],
  ['DC', RIGHT.DELETE_CHILD],
  ['LC', RIGHT.LIST_CHILDREN],
  ['LO', RIGHT.LIST_OBJECT],
  ['RC', RIGHT.READ_CONTROL],
  ['WO', RIGHT.WRITE_OWNER],
  ['WD', RIGHT.WRITE_DAC],
  ['SD', RIGHT.DELETE],
  ['DT', RIGHT.DELETE_TREE],
  ['SW', RIGHT.SELF_WRITE],
  ['GA', RIGHT.GENERIC_ALL],
  ['GR', RIGHT.GENERIC_READ],
  ['GW', RIGHT.GENERIC_WRITE],
  ['GX', RIGHT.GENERIC_EXECUTE],
];

/** File and registry rights SDDL also allows (read only; never printed for directory objects). */
const EXTRA_RIGHT_CODES: Record<string, number> = {
  FA: 0x001f01ff,
  FR: 0x00120089,
  FW: 0x00120116,
  FX: 0x001200a0,
  KA: 0x000f003f,
  KR: 0x00020019,
  KW: 0x00020006,
  KX: 0x00020019,
};

/** SDDL SID aliases that are the same in every domain (MS-DTYP 2.4.2.4). */
const WELL_KNOWN_ALIASES: Record<string, string> = {
  WD: 'S-1-1-0',
  CO: 'S-1-3-0',
  CG: 'S-1-3-1',
  OW: 'S-1-3-4',
  NU: 'S-1-5-2',
  IU: 'S-1-5-4',
  SU: 'S-1-5-6',
  AN: 'S-1-5-7',
  ED: 'S-1-5-9',
  PS: 'S-1-5-10',
  AU: 'S-1-5-11',
  RC: 'S-1-5-12',
  SY: 'S-1-5-18',
  LS: 'S-1-5-19',
  NS: 'S-1-5-20',
  WR: 'S-1-5-33',
  BA: 'S-1-5-32-544',
  BU: 'S-1-5-32-545',
  BG: 'S-1-5-32-546',
  PU: 'S-1-5-32-547',
  AO: 'S-1-5-32-548',
  SO: 'S-1-5-32-549',
  PO: 'S-1-5-32-550',
  BO: 'S-1-5-32-551',
  RE: 'S-1-5-32-552',
  RU: 'S-1-5-32-554',
  RD: 'S-1-5-32-555',
  NO: 'S-1-5-32-556',
  MU: 'S-1-5-32-558',
  LU: 'S-1-5-32-559',
  IS: 'S-1-5-32-568',
  CY: 'S-1-5-32-569',
  ER: 'S-1-5-32-573',
  CD: 'S-1-5-32-574',
  RA: 'S-1-5-32-575',
  ES: 'S-1-5-32-576',
  MS: 'S-1-5-32-577',
  HA: 'S-1-5-32-578',
  AA: 'S-1-5-32-579',
  RM: 'S-1-5-32-580',
  AC: 'S-1-15-2-1',
  LW: 'S-1-16-4096',
  ME: 'S-1-16-8192',
  MP: 'S-1-16-8448',
  HI: 'S-1-16-12288',
  SI: 'S-1-16-16384',
  AS: 'S-1-18-1',
  SS: 'S-1-18-2',
};

/** Aliases relative to the domain's SID (RID appended). */
const DOMAIN_ALIASES: Record<string, number> = {
  LA: 500,
  LG: 501,
  DA: 512,
  DU: 513,
  DG: 514,
  DC: 515,
  DD: 516,
  CA: 517,
  PA: 520,
  CN: 522,
  AP: 525,
  KA: 526,
  RS: 553,
};

/** Aliases relative to the forest root domain's SID. */
const ROOT_DOMAIN_ALIASES: Record<string, number> = {
  RO: 498,
  SA: 518,
  EA: 519,
  EK: 527,
};

export interface SddlSids {
  /** The domain's SID, for DA, DU, … (without it, such SIDs stay numeric, and such aliases cannot be parsed). */
  domainSid?: string;
  /** The forest root domain's SID, for EA, SA, EK, RO; defaults to domainSid. */
  rootDomainSid?: string;
}

const ALIAS_OF_SID = new Map(Object.entries(WELL_KNOWN_ALIASES).map(([alias, sid]) => [sid, alias]));

/** The SDDL alias of a SID (`BA`, `DA`, …) when it has one, else the SID itself. */
export function sidToSddl(sid: string, sids: SddlSids = {}): string {
  const known = ALIAS_OF_SID.get(sid);
  if (known !== undefined) return known;
  const relative = (domain: string | undefined, table: Record<string, number>): string | null => {
    if (domain === undefined || !sid.startsWith(`${domain}-`)) return null;
    const rid = Number(sid.slice(domain.length + 1));
    return Object.entries(table).find(([, r]) => r === rid)?.[0] ?? null;
  };
  return relative(sids.domainSid, DOMAIN_ALIASES) ?? relative(sids.rootDomainSid ?? sids.domainSid, ROOT_DOMAIN_ALIASES) ?? sid;
}

/** Rights as SDDL codes (`RPWPCR`), or `0x…` when some bit has no code. */
export function maskToSddl(mask: number): string {
  let rest = mask >>> 0;
  let text = '';
  for (const [code, bit] of RIGHT_CODES) {
    if ((rest & bit) >>> 0 === bit) {
      text += code;
      rest = (rest & ~bit) >>> 0;
    }
  }
  return rest === 0 && text !== '' ? text : `0x${(mask >>> 0).toString(16).padStart(8, '0')}`;
}

function flagsToSddl(flags: number): string {
  return FLAG_CODES.filter(([, bit]) => (flags & bit) !== 0)
    .map(([code]) => code)
    .join('');
}

/**
 * One ACE as SDDL: `(OA;CIIO;CR;00299570-…;bf967aba-…;S-1-5-21-…)`. Well-known trustees use
 * their alias (`BA`, `AU`; `DA` and the like when `domainSid` is given), like `samba-tool dsacl get`.
 */
export function aceToSddl(ace: Ace, sids: SddlSids = {}): string {
  if (ace.kind === 'other' || ace.sid === null) return `(0x${ace.type.toString(16).padStart(2, '0')};${flagsToSddl(ace.flags)};;;;)`;
  const type = TYPE_CODES[ace.type] ?? `0x${ace.type.toString(16)}`;
  return `(${type};${flagsToSddl(ace.flags)};${maskToSddl(ace.mask)};${ace.objectType ?? ''};${ace.inheritedObjectType ?? ''};${sidToSddl(ace.sid, sids)})`;
}

function aclFlagsToSddl(control: number, protectedBit: number, requestBit: number, inheritedBit: number): string {
  return `${control & protectedBit ? 'P' : ''}${control & requestBit ? 'AR' : ''}${control & inheritedBit ? 'AI' : ''}`;
}

/** The whole descriptor as SDDL (`O:…G:…D:AI(…)S:…`), the parts present only. */
export function securityDescriptorToSddl(sd: SecurityDescriptor, sids: SddlSids = {}): string {
  let text = '';
  if (sd.owner !== null) text += `O:${sidToSddl(sd.owner, sids)}`;
  if (sd.group !== null) text += `G:${sidToSddl(sd.group, sids)}`;
  if (sd.dacl !== null) {
    text += `D:${aclFlagsToSddl(sd.control, SD_CONTROL.DACL_PROTECTED, SD_CONTROL.DACL_AUTO_INHERIT_REQ, SD_CONTROL.DACL_AUTO_INHERITED)}`;
    text += sd.dacl.aces.map((a) => aceToSddl(a, sids)).join('');
  }
  if (sd.sacl !== null) {
    text += `S:${aclFlagsToSddl(sd.control, SD_CONTROL.SACL_PROTECTED, SD_CONTROL.SACL_AUTO_INHERIT_REQ, SD_CONTROL.SACL_AUTO_INHERITED)}`;
    text += sd.sacl.aces.map((a) => aceToSddl(a, sids)).join('');
  }
  return text;
}

/** SDDL text that cannot be read. */
export class SddlError extends Error {
  constructor(message: string) {
    super(`invalid SDDL: ${message}`);
    this.name = 'SddlError';
  }
}

const SDDL_TYPES: Record<string, number> = Object.fromEntries(Object.entries(TYPE_CODES).map(([type, code]) => [code, Number(type)]));

function parseSddlSid(text: string, sids: SddlSids): string {
  const upper = text.toUpperCase();
  if (/^S-1-\d+(-\d+)*$/i.test(text)) return upper;
  const wellKnown = WELL_KNOWN_ALIASES[upper];
  if (wellKnown !== undefined) return wellKnown;
  const domainRid = DOMAIN_ALIASES[upper];
  const rootRid = ROOT_DOMAIN_ALIASES[upper];
  if (domainRid !== undefined || rootRid !== undefined) {
    const base = domainRid !== undefined ? sids.domainSid : (sids.rootDomainSid ?? sids.domainSid);
    if (base === undefined) throw new SddlError(`the alias ${text} needs the domain SID`);
    return `${base}-${domainRid ?? rootRid}`;
  }
  throw new SddlError(`unknown trustee ${JSON.stringify(text)}`);
}

function parseSddlMask(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16) >>> 0;
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  if (text.length % 2 !== 0) throw new SddlError(`rights ${JSON.stringify(text)}`);
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) {
    const code = text.slice(i, i + 2).toUpperCase();
    const bit = RIGHT_CODES.find(([c]) => c === code)?.[1] ?? EXTRA_RIGHT_CODES[code];
    if (bit === undefined) throw new SddlError(`unknown right ${JSON.stringify(code)} in ${JSON.stringify(text)}`);
    mask = (mask | bit) >>> 0;
  }
  return mask;
}

function parseSddlFlags(text: string): number {
  if (text.length % 2 !== 0) throw new SddlError(`ACE flags ${JSON.stringify(text)}`);
  let flags = 0;
  for (let i = 0; i < text.length; i += 2) {
    const code = text.slice(i, i + 2).toUpperCase();
    const bit = FLAG_CODES.find(([c]) => c === code)?.[1];
    if (bit === undefined) throw new SddlError(`unknown ACE flag ${JSON.stringify(code)}`);
    flags |= bit;
  }
  return flags;
}

function parseSddlGuid(text: string): string | null {
  if (text === '') return null;
  const guid = parseGuid(text);
  if (guid === null) throw new SddlError(`${JSON.stringify(text)} is not a GUID`);
  return guid;
}

/** One SDDL ACE string, with or without its parentheses. */
export function parseSddlAce(text: string, sids: SddlSids = {}): Ace {
  const inner = text.trim().replace(/^\(/, '').replace(/\)$/, '');
  const fields = inner.split(';');
  if (fields.length !== 6) throw new SddlError(`an ACE has 6 fields: ${JSON.stringify(text)}`);
  const [typeText, flagText, rightsText, objectText, inheritedText, sidText] = fields as [string, string, string, string, string, string];
  const type = SDDL_TYPES[typeText.toUpperCase()];
  if (type === undefined) throw new SddlError(`unsupported ACE type ${JSON.stringify(typeText)}`);
  const { kind, object } = kindOf(type);
  const objectType = parseSddlGuid(objectText);
  const inheritedObjectType = parseSddlGuid(inheritedText);
  if (!object && (objectType !== null || inheritedObjectType !== null)) throw new SddlError(`only object ACEs (OA, OD, …) name object types: ${JSON.stringify(text)}`);
  return { type, kind, object, flags: parseSddlFlags(flagText), mask: parseSddlMask(rightsText), objectType, inheritedObjectType, sid: parseSddlSid(sidText, sids) };
}

/**
 * The DACL of an SDDL security descriptor (`O:…G:…D:AI(…)(…)S:…`, or `D:(…)` alone), as
 * the schema's defaultSecurityDescriptor holds it. Returns the ACEs and the DACL's flags.
 */
export function parseSddlDacl(sddl: string, sids: SddlSids = {}): { protected: boolean; aces: Ace[] } {
  let rest = sddl.replace(/\s+/g, '');
  let dacl: { protected: boolean; aces: Ace[] } = { protected: false, aces: [] };
  while (rest !== '') {
    const part = /^([OGDS]):/.exec(rest);
    if (part === null) throw new SddlError(`expected O:, G:, D: or S: at ${JSON.stringify(rest.slice(0, 40))}`);
    rest = rest.slice(2);
    if (part[1] === 'O' || part[1] === 'G') {
      // A SID string or a two-letter alias.
      const sid = /^S-1(-\d+)+/i.exec(rest)?.[0] ?? rest.slice(0, 2);
      parseSddlSid(sid, sids);
      rest = rest.slice(sid.length);
      continue;
    }
    const aclFlags = /^(P|AR|AI|NO_ACCESS_CONTROL)*/.exec(rest)?.[0] ?? '';
    rest = rest.slice(aclFlags.length);
    const aces: Ace[] = [];
    while (rest.startsWith('(')) {
      const close = rest.indexOf(')');
      if (close < 0) throw new SddlError('unterminated ACE');
      aces.push(parseSddlAce(rest.slice(0, close + 1), sids));
      rest = rest.slice(close + 1);
    }
    if (part[1] === 'D') dacl = { protected: aclFlags.replace(/AR|AI|NO_ACCESS_CONTROL/g, '').includes('P'), aces };
  }
  return dacl;
}
