import { EqualityFilter, ExtensibleFilter, NotFilter, OrFilter, ResultCodeError, type Entry, type Filter } from 'ldapts';
import type { Clock } from '../shared/clock.js';
import type { ServiceSession } from './ad-connection.js';
import { MATCHING_RULE_IN_CHAIN } from './controls.js';
import { first } from './domain-policy.js';
import { bufferOf, intOf } from './entry-values.js';
import { PROTECTED_BUILTIN_GROUPS, PROTECTED_DOMAIN_GROUPS, PROTECTED_USER_RIDS } from './principals.js';
import { sidFromBytes, sidToBytes } from './sid.js';

/**
 * Which users the connector must not write to unless allowProtected is on: the protected
 * accounts and groups (AdminSDHolder, "Protected Accounts and Groups in Active Directory"),
 * known by SID because names are localised and can be renamed.
 */

const PROTECTED_BUILTIN_GROUP_SIDS = Object.keys(PROTECTED_BUILTIN_GROUPS);
const PROTECTED_DOMAIN_GROUP_RIDS = Object.keys(PROTECTED_DOMAIN_GROUPS).map(Number);
const PROTECTED_GROUPS_TTL_MS = 10 * 60_000;

interface Protection {
  domainSid: string;
  groupDns: string[];
  at: number;
}

export class ProtectedAccounts {
  private protection: Protection | null = null;

  constructor(private readonly clock: Clock) {}

  /**
   * What the user search must add so that the protection check needs no search of its own:
   * "and NOT a member of a protected group at any depth" (LDAP_MATCHING_RULE_IN_CHAIN on
   * memberOf, evaluated by the DC). The usual user (found, no protected membership) is then
   * answered by one search; when that search finds nobody, the user is either absent or a
   * member, and a second search without this part tells which (`isProtected(…, member: true)`).
   * A DC that cannot evaluate the rule finds nobody: the user counts as protected (fails closed).
   * Null when the domain has no protected groups to exclude.
   */
  async notMemberFilter(s: ServiceSession): Promise<Filter | null> {
    const groups = await this.protectedGroups(s);
    if (groups.length === 0) return null;
    return new NotFilter({
      filter: new OrFilter({
        filters: groups.map((dn) => new ExtensibleFilter({ matchType: 'memberOf', rule: MATCHING_RULE_IN_CHAIN, value: dn })),
      }),
    });
  }

  /**
   * adminCount=1 (AD's own mark; Samba never sets it by SDProp), Administrator or krbtgt, a
   * protected group as primary group, or membership of a protected group at any depth (`member`:
   * what the search with `notMemberFilter` found out).
   */
  isProtected(entry: Entry, sidBytes: Buffer | null, member: boolean): boolean {
    if (member) return true;
    if (first(entry, 'adminCount') === '1') return true;
    if (PROTECTED_DOMAIN_GROUP_RIDS.includes(intOf(entry, 'primaryGroupID'))) return true;
    if (sidBytes !== null) {
      const rid = Number(sidFromBytes(sidBytes).split('-').pop());
      if (PROTECTED_USER_RIDS.includes(rid)) return true;
    }
    return false;
  }

  /** DNs of the protected groups, found by SID under the domain root; cached for a few minutes. */
  private async protectedGroups(s: ServiceSession): Promise<string[]> {
    const now = this.clock.now();
    if (this.protection !== null && now - this.protection.at < PROTECTED_GROUPS_TTL_MS) return this.protection.groupDns;
    const domainRoot = s.rootDse.defaultNamingContext;
    const { searchEntries: roots } = await s.client.search(domainRoot, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
    const rootSid = roots[0] === undefined ? null : bufferOf(roots[0], 'objectSid');
    if (rootSid === null) throw new ResultCodeErrorInsufficient('the domain SID could not be read');
    const domainSid = sidFromBytes(rootSid);
    const sids = [...PROTECTED_BUILTIN_GROUP_SIDS, ...PROTECTED_DOMAIN_GROUP_RIDS.map((rid) => `${domainSid}-${rid}`)];
    const { searchEntries } = await s.client.search(domainRoot, {
      scope: 'sub',
      filter: new OrFilter({ filters: sids.map((sid) => new EqualityFilter({ attribute: 'objectSid', value: sidToBytes(sid) })) }),
      attributes: ['1.1'],
    });
    this.protection = { domainSid, groupDns: searchEntries.map((e) => e.dn), at: now };
    return this.protection.groupDns;
  }
}

class ResultCodeErrorInsufficient extends ResultCodeError {
  constructor(message: string) {
    super(50, message);
    this.name = 'InsufficientAccessError';
  }
}
