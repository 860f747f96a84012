import { AndFilter, EqualityFilter, ResultCodeError, type Entry, type Filter } from 'ldapts';
import type { ServiceSession } from './ad-connection.js';
import { buffersOf, isUnderDn } from './entry-values.js';
import { guidToBytes } from './guid.js';
import { adminGroupName } from './principals.js';
import type { ProtectedAccounts } from './protected-accounts.js';
import { sidFromBytes } from './sid.js';

/** A user's entry found by objectGUID, and whether it is a member of a protected group at any depth (false when that was not asked). */
export interface FoundUser {
  entry: Entry;
  protectedMember: boolean;
}

/** LDAP's noSuchObject: a `<GUID=…>` base that names no entry. */
const NO_SUCH_OBJECT = 32;

/** People only: computers are users too. */
const PERSON: Filter[] = [new EqualityFilter({ attribute: 'objectClass', value: 'user' }), new EqualityFilter({ attribute: 'objectCategory', value: 'person' })];

/**
 * The person with this objectGUID under `baseDn`, or null. `protection` (for the writes that
 * refuse protected accounts) also asks whether the user is a member of a protected group at any
 * depth, the cheapest way the DC answers it:
 * 1. one base search on `<GUID=…>` with `tokenGroups` (constructed by the DC: every security
 *    group at any depth, the primary group included) — against Samba 4.17 with 200 users
 *    (bench/ad-lookup.ts): 1.1–1.3 ms and 0.9 ms of the DC's CPU, against 2.3–2.4 ms and
 *    1.9–2.1 ms for the search with LDAP_MATCHING_RULE_IN_CHAIN;
 * 2. where tokenGroups comes back empty (every user has a primary group, so the service account
 *    may not read it: in AD that right comes with the Windows Authorization Access Group), the
 *    search under the base with "not a member at any depth" evaluated by the DC, then without
 *    it when that finds nobody (ProtectedAccounts.notMemberFilter; it fails closed).
 * Without `protection`, one search by objectGUID under the base.
 */
export async function findUserEntry(s: ServiceSession, o: { baseDn: string; guid: string; attributes: string[]; protection: ProtectedAccounts | null }): Promise<FoundUser | null> {
  const byGuid = new EqualityFilter({ attribute: 'objectGUID', value: guidToBytes(o.guid) });
  const search = async (filters: Filter[]) => {
    const { searchEntries } = await s.client.search(o.baseDn, { scope: 'sub', filter: new AndFilter({ filters: [...PERSON, byGuid, ...filters] }), sizeLimit: 2, attributes: o.attributes, explicitBufferAttributes: ['objectGUID', 'objectSid'] });
    return searchEntries.length === 1 ? searchEntries[0]! : null;
  };
  if (o.protection === null) {
    const entry = await search([]);
    return entry === null ? null : { entry, protectedMember: false };
  }
  const token = await tokenGroupsEntry(s, o);
  if (token === null) return null;
  const groups = token === undefined ? [] : buffersOf(token, 'tokenGroups');
  if (token !== undefined && groups.length > 0) return { entry: token, protectedMember: groups.some((sid) => adminGroupName(sidFromBytes(sid)) !== null) };
  // One search for the usual user: found, and no member of a protected group.
  const notMember = await o.protection.notMemberFilter(s);
  const plain = notMember === null ? null : await search([notMember]);
  if (plain !== null) return { entry: plain, protectedMember: false };
  const entry = await search([]);
  return entry === null ? null : { entry, protectedMember: notMember !== null };
}

/** The user's entry with tokenGroups, by a base search on `<GUID=…>`; null when no person under the base has that GUID, undefined when the DC refuses the search. */
async function tokenGroupsEntry(s: ServiceSession, o: { baseDn: string; guid: string; attributes: string[] }): Promise<Entry | null | undefined> {
  try {
    const { searchEntries } = await s.client.search(`<GUID=${o.guid}>`, { scope: 'base', filter: new AndFilter({ filters: PERSON }), attributes: [...o.attributes, 'tokenGroups'], explicitBufferAttributes: ['objectGUID', 'objectSid', 'tokenGroups'] });
    const entry = searchEntries[0];
    return entry === undefined || !isUnderDn(entry.dn, o.baseDn) ? null : entry;
  } catch (err) {
    // A lost connection is the caller's to handle (and retry); any other refusal of this form: the searches under the base decide.
    if (!(err instanceof ResultCodeError)) throw err;
    return err.code === NO_SUCH_OBJECT ? null : undefined;
  }
}
