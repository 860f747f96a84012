import { parseGuid } from './guid.js';
import { ACE_FLAG, ACE_TYPE, RIGHT, SD_CONTROL, kindOf, type Ace, type SecurityDescriptor } from './security-descriptor.js';

/**
 * SDDL (MS-DTYP 2.5.1), the text form of security descriptors: ACEs formatted for messages and
 * for the delegation commands the rights check prints, and SDDL parsed back (the schema's
 * defaultSecurityDescriptor is SDDL text).
 */

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
