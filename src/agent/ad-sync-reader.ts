import { AndFilter, type Control, EqualityFilter, ExtensibleFilter, FilterParser, NotFilter, OrFilter, ResultCodeError, type Client, type Filter } from 'ldapts';
import { AdConfigurationError, AdConnection, type AdConnectionOptions, type ServiceSession } from '../ad/ad-connection.js';
import { MATCHING_RULE_IN_CHAIN, SHOW_RECYCLED_OID, ShowDeletedControl, ShowRecycledControl } from '../ad/controls.js';
import { parseGuid } from '../ad/guid.js';
import { failure, failureFromError, type AdResult } from '../ad/verdicts.js';
import type { Logger } from '../logging/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { DEFAULT_ATTRIBUTE_MAP, type SyncAttributeMap, type SyncCursor, type SyncPage } from '../agent-protocol/index.js';
import { cursorTooOld, readDcState } from './ad-sync-dc.js';
import { anchorOf, createdAtOrBefore, dnKey, emit, groupFromEntry, isGroup, isUnder, memberAttribute, syncUserFromEntry, usnFilter } from './ad-sync-entries.js';
import { attributesFor, syncScopeProblems, type SyncScope } from './ad-sync-scope.js';

export { OBJECT_ATTRIBUTES, syncScopeProblems, type SyncScope } from './ad-sync-scope.js';
export { syncUserFromEntry } from './ad-sync-entries.js';

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

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 5000;
/** How many changed groups one LDAP_MATCHING_RULE_IN_CHAIN search asks about. */
const IN_CHAIN_BATCH = 20;

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
    return this.run(async (s) => ({ ok: true as const, value: (await readDcState(s, this.timeLimit)).cursor }));
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
      const dc = await readDcState(s, this.timeLimit);
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
      const dc = await readDcState(s, this.timeLimit);
      if (sinceInvocation === null || sinceUsnText === null || sinceInvocation !== dc.cursor.invocationId) {
        return { ok: true as const, value: { fullNeeded: true as const, reason: 'dc_changed' as const } };
      }
      const sinceUsn = BigInt(sinceUsnText);
      if (sinceUsn > dc.usn) return { ok: true as const, value: { fullNeeded: true as const, reason: 'dc_changed' as const } };
      if (await cursorTooOld(s.client, dc, sinceUsn, this.clock.now(), this.timeLimit)) return { ok: true as const, value: { fullNeeded: true as const, reason: 'cursor_too_old' as const } };
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
        if (isGroup(e)) page.groups.push(await groupFromEntry(client, e, anchor, { timeLimit: this.timeLimit, memberRangeSize: this.deps.memberRangeSize }));
        else {
          const u = syncUserFromEntry(e, this.map);
          if (u !== null) page.users.push(u);
        }
      }
      await emit(page, pageSize, onPage);
    }
  }

}

async function deliver(onPage: (page: SyncPage) => Promise<void>, page: SyncPage): Promise<void> {
  try {
    await onPage(page);
  } catch (err) {
    throw new PageHandlerError(err);
  }
}

