import { ResultCodeError, GreaterThanEqualsFilter, LessThanEqualsFilter, type Client, type Entry, type Filter } from 'ldapts';
import { UF_ACCOUNTDISABLE, UF_DONT_EXPIRE_PASSWD } from '../ad/account-control.js';
import { fileTimeToDate } from '../ad/ad-time.js';
import { first } from '../ad/domain-policy.js';
import { guidFromBytes } from '../ad/guid.js';
import { DEFAULT_ATTRIBUTE_MAP, type SyncAttributeMap, type SyncGroup, type SyncPage, type SyncUser } from '../agent-protocol/index.js';

/** LDAP entries as the sync's users and groups, and the small LDAP helpers of the reader (ad-sync-reader.ts). */

export function values(entry: Entry, attribute: string): (string | Buffer)[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as (string | Buffer)[];
}

export function strings(entry: Entry, attribute: string): string[] {
  return values(entry, attribute).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

export function anchorOf(entry: Entry): string | null {
  const [g] = values(entry, 'objectGUID');
  return Buffer.isBuffer(g) && g.length === 16 ? guidFromBytes(g) : null;
}

export function isGroup(entry: Entry): boolean {
  return strings(entry, 'objectClass').some((c) => c.toLowerCase() === 'group');
}

function timeOf(fileTime: string | null): number | null {
  return fileTimeToDate(fileTime)?.getTime() ?? null;
}

/** A user entry as the portal's SyncUser (agent-protocol/sync-pages.ts documents each field), with the mapped attributes. */
export function syncUserFromEntry(entry: Entry, map: SyncAttributeMap = DEFAULT_ATTRIBUTE_MAP): SyncUser | null {
  const anchor = anchorOf(entry);
  if (anchor === null) return null;
  const uac = Number(first(entry, 'userAccountControl') ?? '0');
  const flags = Number.isSafeInteger(uac) ? uac : 0;
  return {
    anchor,
    dn: entry.dn,
    sAMAccountName: first(entry, 'sAMAccountName') ?? '',
    userPrincipalName: first(entry, 'userPrincipalName'),
    displayName: first(entry, map.displayName),
    mail: first(entry, map.mail),
    mobile: first(entry, map.mobile),
    telephoneNumber: first(entry, map.telephoneNumber),
    enabled: (flags & UF_ACCOUNTDISABLE) === 0,
    protected: first(entry, 'adminCount') === '1',
    passwordNeverExpires: (flags & UF_DONT_EXPIRE_PASSWD) !== 0,
    // 0 (must change) and 0x7FFFFFFFFFFFFFFF (never) are both null.
    passwordExpiresAt: timeOf(first(entry, 'msDS-UserPasswordExpiryTimeComputed')),
    pwdLastSet: timeOf(first(entry, 'pwdLastSet')),
  };
}

const MEMBER_RANGE = /^member;range=(\d+)-(\d+|\*)$/i;

/** Where the member values of an entry end: null when complete, else the next index to ask for. */
export function memberChunk(entry: Entry): { dns: string[]; next: number | null } {
  const dns: string[] = [];
  let next: number | null = null;
  for (const key of Object.keys(entry)) {
    if (key.toLowerCase() === 'member') {
      dns.push(...strings(entry, key));
      continue;
    }
    const m = MEMBER_RANGE.exec(key);
    if (m === null) continue;
    const got = strings(entry, key);
    dns.push(...got);
    if (m[2] !== '*' && got.length > 0) next = Number(m[2]) + 1;
  }
  return { dns, next };
}

export function memberAttribute(from: number, rangeSize: number | undefined): string {
  if (rangeSize === undefined) return from === 0 ? 'member' : `member;range=${from}-*`;
  return `member;range=${from}-${from + rangeSize - 1}`;
}

export function usnFilter(attribute: 'uSNChanged' | 'uSNCreated', op: '>=' | '<=', usn: bigint): Filter {
  const value = usn.toString();
  return op === '>=' ? new GreaterThanEqualsFilter({ attribute, value }) : new LessThanEqualsFilter({ attribute, value });
}

export function createdAtOrBefore(entry: Entry, usn: bigint): boolean {
  const created = first(entry, 'uSNCreated');
  return created === null || !/^\d{1,20}$/.test(created) || BigInt(created) <= usn;
}


/** Lower-case DN for comparisons (AD's own DNs: no spaces around separators). */
export function dnKey(dn: string): string {
  return dn.toLowerCase();
}

export function isUnder(dn: string, base: string): boolean {
  const d = dnKey(dn);
  const b = dnKey(base);
  return d === b || d.endsWith(`,${b}`);
}

/** A group entry as a SyncGroup, with every member: AD answers `member;range=0-1499` for big groups. */
export async function groupFromEntry(client: Client, entry: Entry, anchor: string, read: { timeLimit: number; memberRangeSize: number | undefined }): Promise<SyncGroup> {
  let { dns, next } = memberChunk(entry);
  const memberDns = [...dns];
  // AD answers `member;range=0-1499` for big groups: ask for the rest, range by range.
  while (next !== null) {
    const attribute = memberAttribute(next, read.memberRangeSize);
    const { searchEntries } = await client.search(entry.dn, { timeLimit: read.timeLimit, scope: 'base', filter: '(objectClass=*)', attributes: [attribute] });
    const e = searchEntries[0];
    if (e === undefined) break;
    const from: number = next;
    ({ dns, next } = memberChunk(e));
    memberDns.push(...dns);
    if (next !== null && next <= from) throw new ResultCodeErrorUnreadable(`ranged retrieval of ${entry.dn}'s members does not advance`);
    if (dns.length === 0) break;
  }
  return {
    anchor,
    dn: entry.dn,
    name: first(entry, 'name') ?? first(entry, 'cn') ?? first(entry, 'sAMAccountName') ?? '',
    description: first(entry, 'description'),
    memberDns,
  };
}

/** A page as it is, or split when it holds more than pageSize (AD never sends more per page; kept as a promise anyway). */
export async function emit(page: SyncPage, pageSize: number, onPage: (page: SyncPage) => Promise<void>): Promise<void> {
  const total = page.users.length + page.groups.length;
  if (total === 0) return;
  if (total <= pageSize) return onPage(page);
  for (let i = 0; i < page.users.length; i += pageSize) await onPage({ users: page.users.slice(i, i + pageSize), groups: [], gone: [] });
  for (let i = 0; i < page.groups.length; i += pageSize) await onPage({ users: [], groups: page.groups.slice(i, i + pageSize), gone: [] });
}

/** The DC answered, but not with what every AD DC has (an LDAP "other" answer, reported as dc_unreachable). */
export class ResultCodeErrorUnreadable extends ResultCodeError {
  constructor(message: string) {
    super(80, message);
    this.name = 'UnreadableDirectoryError';
  }
}
