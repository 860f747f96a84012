import { UF_ACCOUNTDISABLE, UF_DONT_EXPIRE_PASSWD } from '../ad/account-control.js';
import {
  AndFilter,
  Control,
  EqualityFilter,
  ExtensibleFilter,
  FilterParser,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  ResultCodeError,
  type Client,
  type Entry,
  type Filter,
} from 'ldapts';
import { AdConfigurationError, AdConnection, type AdConnectionOptions, type ServiceSession } from '../ad/ad-connection.js';
import { fileTimeToDate } from '../ad/ad-time.js';
import { MATCHING_RULE_IN_CHAIN } from '../ad/controls.js';
import { first } from '../ad/domain-policy.js';
import { guidFromBytes, parseGuid } from '../ad/guid.js';
import { failure, failureFromError, type AdResult } from '../ad/verdicts.js';
import type { Logger } from '../logging/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { ATTRIBUTE_NAME, DEFAULT_ATTRIBUTE_MAP, type SyncAttributeMap, type SyncCursor, type SyncGroup, type SyncPage, type SyncUser } from '../agent-protocol/index.js';

/**
 * The agent's reading of Active Directory for the portal's directory (issue 6): users and
 * groups under the configured base DNs, as full imports and as deltas by uSNChanged.
 * docs/active-directory.md ("Sync (reading AD)") explains each rule; in short:
 *
 * - Every search is paged (the paged-results control 1.2.840.113556.1.4.319, through ldapts's
 *   searchPaginated); each LDAP page becomes one SyncPage, so a page never holds more than
 *   `pageSize` users and groups. Group members AD sends in ranges (`member;range=0-1499`) are
 *   fetched range by range.
 * - The anchor is objectGUID. DNs are AD's, for resolving group members only.
 * - A cursor is the DC's invocationId (its NTDS Settings object, named by the rootDSE's
 *   dsServiceName) and highestCommittedUSN. USNs are per DC, so a delta against another DC (or a
 *   restored one) is refused with `fullNeeded: dc_changed`; one older than the tombstone
 *   lifetime with `cursor_too_old`.
 * - A read takes the cursor FIRST, returns it, and delivers only objects created at or before
 *   it (`uSNCreated <= cursor`): what changes during a read has a higher uSNChanged and comes
 *   again with the next delta, and the portal never holds an object created after its cursor —
 *   so a delta need not report objects created since (and moved away or deleted since).
 * - A delta: users and groups in scope with `uSNChanged > cursor`; everything below an OU or
 *   container that changed (a rename or move changes the DNs below it, not their uSNChanged);
 *   `gone` = tombstones (show-deleted control 1.2.840.113556.1.4.417, `isDeleted=TRUE`, from
 *   the domain root) plus users and groups that changed but are not in scope now (moved out of
 *   the base DNs, a user no longer matching userFilter). AD keeps no record of where an object
 *   was, so `gone` may name objects that never were in scope; the portal ignores anchors it
 *   does not have.
 * - In every delta filter `uSNChanged >= …` comes first: Samba evaluates an AND's parts in order,
 *   and the test that rules out most entries first makes its searches ~25% faster (measured on
 *   12,000 users; see docs/performance.md).
 * - Every filter is built from ldapts Filter objects (BER-encoded, a value is never parsed as
 *   filter text); the only filter text is the administrator's `userFilter`, parsed once when the
 *   reader is constructed (values in it escaped with src/ad/escape.ts escapeFilterValue).
 */

/** LDAP_SERVER_SHOW_DELETED_OID: tombstones are returned too. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';
/** LDAP_SERVER_SHOW_RECYCLED_OID: with the AD Recycle Bin on, recycled objects too (implies show-deleted). */
export const SHOW_RECYCLED_OID = '1.2.840.113556.1.4.2064';

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 5000;
/** AD's default when tombstoneLifetime is not set on CN=Directory Service (forests created before 2003 SP1). */
const DEFAULT_TOMBSTONE_LIFETIME_DAYS = 60;
/** Tombstones are collected every 12 hours once older than the lifetime: a day of margin. */
const TOMBSTONE_MARGIN_MS = 86_400_000;
/** How many changed groups one LDAP_MATCHING_RULE_IN_CHAIN search asks about. */
const IN_CHAIN_BATCH = 20;


/** What the sync asks AD for on every user and group (the benchmark's raw read asks for the same). */
export const OBJECT_ATTRIBUTES = [
  'objectGUID',
  'objectClass',
  'sAMAccountName',
  'userPrincipalName',
  'displayName',
  'mail',
  'mobile',
  'telephoneNumber',
  'userAccountControl',
  'adminCount',
  'pwdLastSet',
  // Constructed: only returned when asked for by name.
  'msDS-UserPasswordExpiryTimeComputed',
  'name',
  'cn',
  'description',
];

class ShowDeletedControl extends Control {
  constructor() {
    // Critical: a DC that ignored it would answer "no deletions" instead of failing.
    super(SHOW_DELETED_OID, { critical: true });
  }
}

class ShowRecycledControl extends Control {
  constructor() {
    super(SHOW_RECYCLED_OID, { critical: false });
  }
}

/**
 * An exception from the caller's onPage, carried through the connection layer untouched: it
 * must not look like a dropped connection (a database error with a `code` would), or the read
 * would be retried on the next DC.
 */
class PageHandlerError extends Error {
  constructor(readonly inner: unknown) {
    super('the page handler failed');
    this.name = 'PageHandlerError';
  }
}

/** Where the agent reads users and groups, and which of them (agent.sync in its configuration). */
export interface SyncScope {
  /** Where users and groups are read (OUs or the domain root). */
  baseDns: string[];
  /** An extra LDAP filter users must match, e.g. (memberOf=CN=SSPR Users,…); empty = all users. */
  userFilter?: string;
  /** Which AD attribute fills which field (agent.sync.attributes); the rest as DEFAULT_ATTRIBUTE_MAP. */
  attributes?: Partial<SyncAttributeMap>;
}

export type DeltaOutcome = { cursor: SyncCursor } | { fullNeeded: true; reason: 'dc_changed' | 'cursor_too_old' };

export interface AdSyncReaderDeps {
  clock?: Clock;
  logger?: Logger;
  /**
   * Ask for group members in ranges of this many values (`member;range=0-N`), as AD itself
   * answers for groups with more than MaxValRange (1500) members. Default: ask for `member` and
   * follow whatever ranges the DC answers with.
   */
  memberRangeSize?: number;
}

/** Every problem with a scope, as the connection options are checked. */
export function syncScopeProblems(scope: SyncScope): string[] {
  const problems: string[] = [];
  if (!Array.isArray(scope.baseDns) || scope.baseDns.length === 0) problems.push('baseDns: at least one OU or the domain root is needed');
  for (const dn of scope.baseDns ?? []) {
    if (typeof dn !== 'string' || dn.trim() === '' || !dn.includes('=')) problems.push(`baseDns: ${JSON.stringify(dn)} is not a DN`);
  }
  if (scope.userFilter !== undefined && scope.userFilter.trim() !== '') {
    try {
      FilterParser.parseString(scope.userFilter.trim());
    } catch (err) {
      problems.push(`userFilter: not an LDAP filter (${(err as Error).message.split('\n')[0]}); values must be escaped (\\28 for "(", \\29 for ")", \\2a for "*", \\5c for "\\")`);
    }
  }
  for (const [field, name] of Object.entries(scope.attributes ?? {})) {
    if (!(field in DEFAULT_ATTRIBUTE_MAP)) problems.push(`attributes: ${field} cannot be mapped (only ${Object.keys(DEFAULT_ATTRIBUTE_MAP).join(', ')})`);
    else if (typeof name !== 'string' || !ATTRIBUTE_NAME.test(name)) problems.push(`attributes.${field}: ${JSON.stringify(name)} is not an LDAP attribute name`);
  }
  return problems;
}

/** The attributes a read asks for: OBJECT_ATTRIBUTES and the mapped ones. */
function attributesFor(map: SyncAttributeMap): string[] {
  const all = [...OBJECT_ATTRIBUTES, ...Object.values(map)];
  return all.filter((a, i) => all.findIndex((b) => b.toLowerCase() === a.toLowerCase()) === i);
}

function values(entry: Entry, attribute: string): (string | Buffer)[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]) as (string | Buffer)[];
}

function strings(entry: Entry, attribute: string): string[] {
  return values(entry, attribute).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

function anchorOf(entry: Entry): string | null {
  const [g] = values(entry, 'objectGUID');
  return Buffer.isBuffer(g) && g.length === 16 ? guidFromBytes(g) : null;
}

function isGroup(entry: Entry): boolean {
  return strings(entry, 'objectClass').some((c) => c.toLowerCase() === 'group');
}

function timeOf(fileTime: string | null): number | null {
  return fileTimeToDate(fileTime)?.getTime() ?? null;
}

/** A user entry as the portal's SyncUser (types.ts documents each field), with the mapped attributes. */
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
function memberChunk(entry: Entry): { dns: string[]; next: number | null } {
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

function memberAttribute(from: number, rangeSize: number | undefined): string {
  if (rangeSize === undefined) return from === 0 ? 'member' : `member;range=${from}-*`;
  return `member;range=${from}-${from + rangeSize - 1}`;
}

function usnFilter(attribute: 'uSNChanged' | 'uSNCreated', op: '>=' | '<=', usn: bigint): Filter {
  const value = usn.toString();
  return op === '>=' ? new GreaterThanEqualsFilter({ attribute, value }) : new LessThanEqualsFilter({ attribute, value });
}

function createdAtOrBefore(entry: Entry, usn: bigint): boolean {
  const created = first(entry, 'uSNCreated');
  return created === null || !/^\d{1,20}$/.test(created) || BigInt(created) <= usn;
}

function parseGeneralizedTime(value: string | null): number | null {
  const m = value === null ? null : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,]\d+)?Z$/.exec(value);
  if (m === null) return null;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Lower-case DN for comparisons (AD's own DNs: no spaces around separators). */
function dnKey(dn: string): string {
  return dn.toLowerCase();
}

function isUnder(dn: string, base: string): boolean {
  const d = dnKey(dn);
  const b = dnKey(base);
  return d === b || d.endsWith(`,${b}`);
}

interface DcState {
  cursor: SyncCursor;
  usn: bigint;
  defaultNamingContext: string;
  configurationNamingContext: string;
  supportedControl: string[];
}

/**
 * Reads users and groups from AD for the sync. Construct with the connection to use (shared
 * with nothing that minds a long read) or with connection options (the reader then owns its
 * connection and close() closes it). Throws AdConfigurationError for an unusable scope.
 */
export class AdSyncReader {
  private readonly connection: AdConnection;
  private readonly ownsConnection: boolean;
  private readonly scope: { baseDns: string[]; userFilter: Filter | null; userFilterText: string | null };
  private readonly clock: Clock;
  private readonly personFilter: Filter;
  private readonly usersFilter: Filter;
  private readonly inScopeFilter: Filter;
  private readonly map: SyncAttributeMap;
  private readonly attributes: string[];

  constructor(
    source: AdConnection | AdConnectionOptions,
    scope: SyncScope,
    private readonly deps: AdSyncReaderDeps = {},
  ) {
    const problems = syncScopeProblems(scope);
    const r = deps.memberRangeSize;
    if (r !== undefined && (!Number.isInteger(r) || r < 1)) problems.push('memberRangeSize: 1 or more');
    if (problems.length > 0) throw new AdConfigurationError(problems);
    if (source instanceof AdConnection) {
      this.connection = source;
      this.ownsConnection = false;
    } else {
      this.connection = new AdConnection(source, { ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.logger ? { logger: deps.logger } : {}) });
      this.ownsConnection = true;
    }
    this.clock = deps.clock ?? systemClock;
    const text = scope.userFilter?.trim() ?? '';
    this.scope = { baseDns: [...scope.baseDns], userFilter: text === '' ? null : FilterParser.parseString(text), userFilterText: text === '' ? null : text };
    // People only: computers (and managed service accounts) are users too, of another category.
    this.personFilter = new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectCategory', value: 'person' }), new EqualityFilter({ attribute: 'objectClass', value: 'user' })] });
    this.usersFilter = this.scope.userFilter === null ? this.personFilter : new AndFilter({ filters: [this.personFilter, this.scope.userFilter] });
    this.inScopeFilter = new OrFilter({ filters: [this.usersFilter, new EqualityFilter({ attribute: 'objectClass', value: 'group' })] });
    this.map = { ...DEFAULT_ATTRIBUTE_MAP, ...scope.attributes };
    this.attributes = attributesFor(this.map);
  }

  /**
   * The time limit every search asks the DC for, in seconds: the connection's request timeout
   * (agent.sync.timeoutMs, 5 minutes by default). Without it ldapts asks for 10 s, and Samba
   * answers a paged search of ~100,000 users — it evaluates the whole search on the first page —
   * with "Operations error" once 10 s have passed.
   */
  private get timeLimit(): number {
    return Math.ceil(this.connection.requestTimeoutMs / 1000);
  }

  /** Where a delta taken now would start: the DC's invocationId, highestCommittedUSN and name. */
  async cursor(): Promise<AdResult<SyncCursor>> {
    return this.run(async (s) => ({ ok: true as const, value: (await this.dcState(s)).cursor }));
  }

  /**
   * Everything in scope, in pages of at most `pageSize` users and groups (`gone` is empty: the
   * portal retires what a complete full import did not bring). Returns the cursor read BEFORE
   * reading, for the next delta. When the DC's connection breaks during the read, the read
   * starts again on the next DC, so some pages may come twice (each is an upsert by anchor).
   */
  async full(onPage: (page: SyncPage) => Promise<void>, pageSize = DEFAULT_PAGE_SIZE): Promise<AdResult<SyncCursor>> {
    this.checkPageSize(pageSize);
    return this.run(async (s) => {
      const dc = await this.dcState(s);
      const bases = await this.resolveBases(s.client);
      if (!bases.ok) return bases;
      const seen = new Set<string>();
      const createdBefore = usnFilter('uSNCreated', '<=', dc.usn);
      let users = 0;
      let groups = 0;
      for (const base of bases.value) {
        const filter = new AndFilter({ filters: [this.inScopeFilter, createdBefore] });
        await this.readObjects(s.client, base, filter, pageSize, seen, async (page) => {
          users += page.users.length;
          groups += page.groups.length;
          await deliver(onPage, page);
        });
      }
      this.deps.logger?.info({ dc: dc.cursor.dc, usn: dc.cursor.usn, users, groups }, 'AD sync: full import read');
      return { ok: true as const, value: dc.cursor };
    });
  }

  /**
   * What changed since `since`, in pages: changed users and groups in scope, then `gone`
   * (deleted, moved out of scope, or no longer matching userFilter). Answers `fullNeeded` —
   * without calling onPage — when the cursor is from another DC (or a different database of it:
   * a restore gives a new invocationId; a USN above the DC's own also counts), or older than the
   * tombstone lifetime (deletions since then may be forgotten by AD).
   */
  async delta(since: SyncCursor, onPage: (page: SyncPage) => Promise<void>, pageSize = DEFAULT_PAGE_SIZE): Promise<AdResult<DeltaOutcome>> {
    this.checkPageSize(pageSize);
    const sinceInvocation = parseGuid(since?.invocationId);
    const sinceUsnText = typeof since?.usn === 'string' && /^\d{1,20}$/.test(since.usn) ? since.usn : null;
    return this.run<DeltaOutcome>(async (s) => {
      const dc = await this.dcState(s);
      if (sinceInvocation === null || sinceUsnText === null || sinceInvocation !== dc.cursor.invocationId) {
        return { ok: true as const, value: { fullNeeded: true as const, reason: 'dc_changed' as const } };
      }
      const sinceUsn = BigInt(sinceUsnText);
      if (sinceUsn > dc.usn) return { ok: true as const, value: { fullNeeded: true as const, reason: 'dc_changed' as const } };
      if (await this.tooOld(s.client, dc, sinceUsn)) return { ok: true as const, value: { fullNeeded: true as const, reason: 'cursor_too_old' as const } };
      if (sinceUsn === dc.usn) return { ok: true as const, value: { cursor: dc.cursor } };

      const bases = await this.resolveBases(s.client);
      if (!bases.ok) return bases;
      const changedSince = usnFilter('uSNChanged', '>=', sinceUsn + 1n);
      const createdBefore = usnFilter('uSNCreated', '<=', dc.usn);
      const seen = new Set<string>();
      const counts = { users: 0, groups: 0, gone: 0 };
      const pass = async (page: SyncPage) => {
        counts.users += page.users.length;
        counts.groups += page.groups.length;
        await deliver(onPage, page);
      };

      // 1. Changed users and groups in scope.
      for (const base of bases.value) {
        await this.readObjects(s.client, base, new AndFilter({ filters: [changedSince, this.inScopeFilter, createdBefore] }), pageSize, seen, pass);
      }

      // 2. Renamed or moved OUs and containers: AD changes the DN of everything below them but
      // not their uSNChanged. Below one in scope now, every user and group comes again (new
      // DNs, or moved into the scope); below one outside, every user and group may have left.
      const maybeLeft: string[] = [];
      const containers = new AndFilter({
        filters: [
          new OrFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'organizationalUnit' }), new EqualityFilter({ attribute: 'objectClass', value: 'container' })] }),
          changedSince,
          usnFilter('uSNCreated', '<=', sinceUsn),
        ],
      });
      const changedContainers: string[] = [];
      for await (const result of s.client.searchPaginated(dc.defaultNamingContext, { scope: 'sub', filter: containers, attributes: ['1.1'], paged: { pageSize }, timeLimit: this.timeLimit })) {
        changedContainers.push(...result.searchEntries.map((e) => e.dn));
      }
      for (const container of changedContainers) {
        // A base DN that still has its DN was not renamed or moved (the configured DN would not resolve).
        if (bases.value.some((b) => dnKey(b) === dnKey(container))) continue;
        if (bases.value.some((b) => isUnder(container, b))) {
          await this.readObjects(s.client, container, new AndFilter({ filters: [this.inScopeFilter, createdBefore] }), pageSize, seen, pass);
          continue;
        }
        const below = new AndFilter({ filters: [new OrFilter({ filters: [this.personFilter, new EqualityFilter({ attribute: 'objectClass', value: 'group' })] }), usnFilter('uSNCreated', '<=', sinceUsn)] });
        for await (const result of s.client.searchPaginated(container, { scope: 'sub', filter: below, attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize }, timeLimit: this.timeLimit })) {
          for (const e of result.searchEntries) {
            const anchor = anchorOf(e);
            // A base DN may lie below a container outside the scope: what is in it has not left.
            if (anchor !== null && !bases.value.some((b) => isUnder(e.dn, b))) maybeLeft.push(anchor);
          }
        }
      }

      // 3. Every changed user and group of the domain, anchors only: those not in scope now
      // may have been before (moved out, no longer matching the filter).
      const changed: { anchor: string; dn: string; group: boolean; known: boolean }[] = [];
      const changedFilter = new AndFilter({ filters: [changedSince, new OrFilter({ filters: [this.personFilter, new EqualityFilter({ attribute: 'objectClass', value: 'group' })] }), createdBefore] });
      for await (const result of s.client.searchPaginated(dc.defaultNamingContext, { scope: 'sub', filter: changedFilter, attributes: ['objectGUID', 'objectClass', 'uSNCreated'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize }, timeLimit: this.timeLimit })) {
        for (const e of result.searchEntries) {
          const anchor = anchorOf(e);
          // Created after `since`: the portal cannot have it (no read delivers objects created after its cursor).
          if (anchor !== null) changed.push({ anchor, dn: e.dn, group: isGroup(e), known: createdAtOrBefore(e, sinceUsn) });
        }
      }

      // 4. A filter on memberOf changes with the groups, not the users (a member added to a
      // group leaves the user's uSNChanged alone): users in scope now matching it who are, at
      // any depth, members of a group that changed, come too.
      if (this.scope.userFilterText !== null && /memberof/i.test(this.scope.userFilterText)) {
        const changedGroups = changed.filter((c) => c.group).map((c) => c.dn);
        for (let i = 0; i < changedGroups.length; i += IN_CHAIN_BATCH) {
          const inChain = new OrFilter({ filters: changedGroups.slice(i, i + IN_CHAIN_BATCH).map((dn) => new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: dn })) });
          for (const base of bases.value) {
            await this.readObjects(s.client, base, new AndFilter({ filters: [this.usersFilter, createdBefore, inChain] }), pageSize, seen, pass);
          }
        }
      }

      const gone: string[] = [];
      const goneSet = new Set<string>();
      const leave = (anchor: string) => {
        if (seen.has(anchor) || goneSet.has(anchor)) return;
        goneSet.add(anchor);
        gone.push(anchor);
      };
      for (const c of changed) if (c.known) leave(c.anchor);
      for (const anchor of maybeLeft) leave(anchor);

      // 5. Tombstones: deleted users and groups (not computers), from the whole domain.
      const controls: Control[] = [new ShowDeletedControl()];
      if (dc.supportedControl.includes(SHOW_RECYCLED_OID)) controls.push(new ShowRecycledControl());
      const tombstones = new AndFilter({
        filters: [
          changedSince,
          new EqualityFilter({ attribute: 'isDeleted', value: 'TRUE' }),
          usnFilter('uSNCreated', '<=', sinceUsn),
          new OrFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'user' }), new EqualityFilter({ attribute: 'objectClass', value: 'group' })] }),
          new NotFilter({ filter: new EqualityFilter({ attribute: 'objectClass', value: 'computer' }) }),
        ],
      });
      for await (const result of s.client.searchPaginated(dc.defaultNamingContext, { scope: 'sub', filter: tombstones, attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'], paged: { pageSize }, timeLimit: this.timeLimit }, controls)) {
        for (const e of result.searchEntries) {
          const anchor = anchorOf(e);
          if (anchor !== null) leave(anchor);
        }
      }

      for (let i = 0; i < gone.length; i += pageSize) {
        const chunk = gone.slice(i, i + pageSize);
        counts.gone += chunk.length;
        await deliver(onPage, { users: [], groups: [], gone: chunk });
      }
      this.deps.logger?.info({ dc: dc.cursor.dc, since: since.usn, usn: dc.cursor.usn, ...counts }, 'AD sync: delta read');
      return { ok: true as const, value: { cursor: dc.cursor } };
    });
  }

  /** Closes the connection when the reader opened it (not one it was given). */
  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  /** A page size out of range is the caller's mistake, not an answer from AD. */
  private checkPageSize(pageSize: number): void {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw new RangeError(`pageSize must be 1 to ${MAX_PAGE_SIZE}, not ${pageSize}`);
  }

  /** One read on one DC (the cursor and the searches on the same connection), errors as verdicts; the caller's own errors are rethrown as they were. */
  private async run<T>(work: (s: ServiceSession) => Promise<AdResult<T>>): Promise<AdResult<T>> {
    try {
      return await this.connection.asService(work, { idempotent: true, opLimitMs: null });
    } catch (err) {
      if (err instanceof PageHandlerError) throw err.inner;
      return failureFromError(err);
    }
  }

  /** The rootDSE read now (the pooled session's copy is from when it connected) and the DC's invocationId. */
  private async dcState(s: ServiceSession): Promise<DcState> {
    const { searchEntries } = await s.client.search('', {
      timeLimit: this.timeLimit,
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['highestCommittedUSN', 'dsServiceName', 'dnsHostName', 'defaultNamingContext', 'configurationNamingContext'],
    });
    const root = searchEntries[0];
    const usnText = root === undefined ? null : first(root, 'highestCommittedUSN');
    const dsServiceName = root === undefined ? null : first(root, 'dsServiceName');
    if (root === undefined || usnText === null || !/^\d{1,20}$/.test(usnText) || dsServiceName === null) {
      throw new ResultCodeErrorUnreadable('the rootDSE has no highestCommittedUSN or dsServiceName');
    }
    const { searchEntries: ntds } = await s.client.search(dsServiceName, { timeLimit: this.timeLimit, scope: 'base', filter: '(objectClass=*)', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'] });
    const [id] = ntds[0] === undefined ? [] : values(ntds[0], 'invocationId');
    if (!Buffer.isBuffer(id) || id.length !== 16) throw new ResultCodeErrorUnreadable(`the invocationId of ${dsServiceName} cannot be read`);
    return {
      cursor: { invocationId: guidFromBytes(id), usn: usnText, dc: first(root, 'dnsHostName') || new URL(s.url).hostname },
      usn: BigInt(usnText),
      defaultNamingContext: first(root, 'defaultNamingContext') ?? '',
      configurationNamingContext: first(root, 'configurationNamingContext') ?? '',
      supportedControl: s.rootDse.supportedControl,
    };
  }

  /** The base DNs as AD spells them (each must exist), without those inside another one. */
  private async resolveBases(client: Client): Promise<AdResult<string[]>> {
    const resolved: string[] = [];
    for (const dn of this.scope.baseDns) {
      try {
        const { searchEntries } = await client.search(dn.trim(), { timeLimit: this.timeLimit, scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
        const e = searchEntries[0];
        if (e === undefined) return failure('not_found', `the sync base DN ${dn} cannot be read`);
        resolved.push(e.dn);
      } catch (err) {
        if (err instanceof ResultCodeError && (err.code === 32 || err.code === 34)) return failure('not_found', `the sync base DN ${dn} does not exist (LDAP ${err.code})`);
        throw err;
      }
    }
    const outer = resolved.filter((dn, i) => !resolved.some((other, j) => j !== i && isUnder(dn, other) && (dnKey(dn) !== dnKey(other) || j < i)));
    return { ok: true, value: outer };
  }

  /** A paged search of users and groups, each LDAP page one SyncPage (objects already delivered in this read are left out). */
  private async readObjects(client: Client, base: string, filter: Filter, pageSize: number, seen: Set<string>, onPage: (page: SyncPage) => Promise<void>): Promise<void> {
    const range = this.deps.memberRangeSize;
    const attributes = [...this.attributes, memberAttribute(0, range)];
    for await (const result of client.searchPaginated(base, { scope: 'sub', filter, attributes, explicitBufferAttributes: ['objectGUID'], paged: { pageSize }, timeLimit: this.timeLimit })) {
      const page: SyncPage = { users: [], groups: [], gone: [] };
      for (const e of result.searchEntries) {
        const anchor = anchorOf(e);
        if (anchor === null || seen.has(anchor)) continue;
        seen.add(anchor);
        if (isGroup(e)) page.groups.push(await this.groupFromEntry(client, e, anchor));
        else {
          const u = syncUserFromEntry(e, this.map);
          if (u !== null) page.users.push(u);
        }
      }
      await emit(page, pageSize, onPage);
    }
  }

  private async groupFromEntry(client: Client, entry: Entry, anchor: string): Promise<SyncGroup> {
    let { dns, next } = memberChunk(entry);
    const memberDns = [...dns];
    // AD answers `member;range=0-1499` for big groups: ask for the rest, range by range.
    while (next !== null) {
      const attribute = memberAttribute(next, this.deps.memberRangeSize);
      const { searchEntries } = await client.search(entry.dn, { timeLimit: this.timeLimit, scope: 'base', filter: '(objectClass=*)', attributes: [attribute] });
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

  /**
   * Whether deletions since `sinceUsn` may already be forgotten: AD removes tombstones after the
   * tombstone lifetime. A USN carries no time, so the time of the newest change at or before it
   * (whenChanged of the object with the highest uSNChanged ≤ the cursor) stands in — never later
   * than when the cursor was taken, so the answer errs towards a full import, which is always right.
   */
  private async tooOld(client: Client, dc: DcState, sinceUsn: bigint): Promise<boolean> {
    const lifetimeMs = await this.tombstoneLifetimeMs(client, dc);
    let changedAt: number | null = null;
    for (const window of [64n, 4096n, 262_144n]) {
      const low = sinceUsn - window + 1n;
      const filter = new AndFilter({ filters: [usnFilter('uSNChanged', '>=', low < 0n ? 0n : low), usnFilter('uSNChanged', '<=', sinceUsn)] });
      let best: bigint | null = null;
      for await (const result of client.searchPaginated(dc.defaultNamingContext, { scope: 'sub', filter, attributes: ['uSNChanged', 'whenChanged'], paged: { pageSize: 1000 }, timeLimit: this.timeLimit })) {
        for (const e of result.searchEntries) {
          const usnText = first(e, 'uSNChanged');
          if (usnText === null || !/^\d+$/.test(usnText)) continue;
          const usn = BigInt(usnText);
          if (best === null || usn > best) {
            best = usn;
            changedAt = parseGeneralizedTime(first(e, 'whenChanged'));
          }
        }
      }
      if (best !== null) break;
      if (low <= 0n) break;
    }
    if (changedAt === null) return true;
    return this.clock.now() - changedAt > lifetimeMs - TOMBSTONE_MARGIN_MS;
  }

  /** tombstoneLifetime (and, with the Recycle Bin, msDS-DeletedObjectLifetime if shorter) from CN=Directory Service. */
  private async tombstoneLifetimeMs(client: Client, dc: DcState): Promise<number> {
    let days = DEFAULT_TOMBSTONE_LIFETIME_DAYS;
    try {
      const { searchEntries } = await client.search(`CN=Directory Service,CN=Windows NT,CN=Services,${dc.configurationNamingContext}`, {
        timeLimit: this.timeLimit,
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: ['tombstoneLifetime', 'msDS-DeletedObjectLifetime'],
      });
      const e = searchEntries[0];
      const t = Number(e === undefined ? NaN : (first(e, 'tombstoneLifetime') ?? NaN));
      if (Number.isInteger(t) && t > 0) days = t;
      const d = Number(e === undefined ? NaN : (first(e, 'msDS-DeletedObjectLifetime') ?? NaN));
      if (Number.isInteger(d) && d > 0) days = Math.min(days, d);
    } catch (err) {
      if (!(err instanceof ResultCodeError)) throw err;
      // Not readable: AD's default.
    }
    return days * 86_400_000;
  }
}

/** A page as it is, or split when it holds more than pageSize (AD never sends more per page; kept as a promise anyway). */
async function emit(page: SyncPage, pageSize: number, onPage: (page: SyncPage) => Promise<void>): Promise<void> {
  const total = page.users.length + page.groups.length;
  if (total === 0) return;
  if (total <= pageSize) return onPage(page);
  for (let i = 0; i < page.users.length; i += pageSize) await onPage({ users: page.users.slice(i, i + pageSize), groups: [], gone: [] });
  for (let i = 0; i < page.groups.length; i += pageSize) await onPage({ users: [], groups: page.groups.slice(i, i + pageSize), gone: [] });
}

async function deliver(onPage: (page: SyncPage) => Promise<void>, page: SyncPage): Promise<void> {
  try {
    await onPage(page);
  } catch (err) {
    throw new PageHandlerError(err);
  }
}

/** The DC answered, but not with what every AD DC has (an LDAP "other" answer, reported as dc_unreachable). */
class ResultCodeErrorUnreadable extends ResultCodeError {
  constructor(message: string) {
    super(80, message);
    this.name = 'UnreadableDirectoryError';
  }
}
