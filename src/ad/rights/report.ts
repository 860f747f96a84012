import type { AdConnectionOptions } from '../ad-connection.js';
import { DIRSYNC_OID, PAGED_RESULTS_OID, SD_FLAGS_OID, SHOW_DELETED_OID, policyHintsFor } from '../controls.js';
import type { PasswordPolicy } from '../domain-policy.js';
import { adminGroupName, isBroad, WELL_KNOWN_NAMES } from '../principals.js';
import { aceToSddl, type SddlSids } from '../sddl.js';
import { ACE_FLAG, RIGHT } from '../security-descriptor.js';
import { dangerousRights, effectiveOn, evaluateRight, inheritedBy, type PlacedAce, type RightQuery } from './evaluate.js';
import { normaliseDn } from '../entry-values.js';
import type { Gathered } from './gather.js';
import { AD_GUID } from './schema-guids.js';

/**
 * The rights report: what the service account holds of what writeback needs, what it holds
 * beyond, the verdict, what limited the check, and the delegation commands that would fix it.
 */

export type NeededRight = 'reset_password' | 'write_lockout_time' | 'write_pwd_last_set';
export type NotedRight = 'change_password' | 'unexpire_password';
export type RightsVerdict = 'ok' | 'missing_rights' | 'over_privileged' | 'unreachable';

export interface RightHeld<R extends string> {
  right: R;
  held: boolean;
  /** The ACE that grants it (trustee, SDDL, where it is). */
  via?: string;
  /** The ACE that denies it, when a deny decided. */
  deniedBy?: string;
}

export interface TlsReport {
  /** The DC that answered; null when none did. */
  url: string | null;
  /** DCs tried before it (or instead of it) that failed, and why. */
  failed: Array<{ url: string; detail: string }>;
  mode: 'ldaps' | 'starttls' | null;
  /** The certificate chain and name were verified (always, when a DC answered: the connector never skips verification). */
  verified: boolean;
  /** caCertPem was given: only that CA is trusted. Otherwise Node's public CAs are. */
  pinned: boolean;
  /** The name the certificate had to carry. */
  serverName: string | null;
  protocol: string | null;
  certificate: { subject: string; issuer: string; validTo: string; fingerprint256: string } | null;
}

export interface ControlsReport {
  /** The password-policy-hints control (…4.2239, or the older …4.2066): without it AD does not enforce history on a reset. */
  policyHints: boolean;
  policyHintsOid: string | null;
  pagedResults: boolean;
  sdFlags: boolean;
  showDeleted: boolean;
  dirSync: boolean;
  /** Everything the rootDSE advertises. */
  supported: string[];
}

export interface RightsReport {
  checkedAt: string;
  account: {
    /** The service account's DN as AD returned it (the configured bindDn when it could not be read). */
    dn: string;
    /** null when the account could not be read. */
    sid: string | null;
    sAMAccountName: string | null;
    /** tokenGroups: every group at any depth, the primary group included. */
    groups: Array<{ sid: string; name?: string }>;
  };
  /** The search base the rights were checked on. */
  base: string;
  /** The domain root (defaultNamingContext), null when unknown. */
  domainRoot: string | null;
  needed: Array<RightHeld<NeededRight>>;
  noted: Array<RightHeld<NotedRight>>;
  excessive: Array<{ what: string; severity: 'critical' | 'warning' }>;
  /** The three ACEs to put on the base for this account, and the commands that do it. */
  delegation: { sddl: string[]; dsacls: string[]; sambaTool: string[] };
  tls: TlsReport;
  controls: ControlsReport | null;
  domainPolicy: PasswordPolicy | null;
  verdict: RightsVerdict;
  /** What limited the check or needs attention besides the rights: one sentence each. */
  problems: string[];
}

const NEEDED: Array<{ right: NeededRight; label: string }> = [
  { right: 'reset_password', label: 'Reset Password' },
  { right: 'write_lockout_time', label: 'Write lockoutTime' },
  { right: 'write_pwd_last_set', label: 'Write pwdLastSet' },
];

/** What each needed right is in SDDL, dsacls and LDAP terms. */
const DELEGATION: Record<NeededRight, { rights: 'CR' | 'WP'; guid: string; dsacls: string }> = {
  reset_password: { rights: 'CR', guid: AD_GUID.resetPassword, dsacls: 'CA;Reset Password;user' },
  write_lockout_time: { rights: 'WP', guid: AD_GUID.lockoutTime, dsacls: 'WP;lockoutTime;user' },
  write_pwd_last_set: { rights: 'WP', guid: AD_GUID.pwdLastSet, dsacls: 'WP;pwdLastSet;user' },
};

/** The three inheritable object ACEs of the least-privilege delegation (../shared/design/active-directory.md). */
export function delegationFor(accountSid: string, base: string): RightsReport['delegation'] {
  const sddl = NEEDED.map(({ right }) => `(OA;CIIO;${DELEGATION[right].rights};${DELEGATION[right].guid};${AD_GUID.userClass};${accountSid})`);
  return {
    sddl,
    dsacls: NEEDED.map(({ right }) => `dsacls ${dq(base)} /I:S /G ${dq(`${accountSid}:${DELEGATION[right].dsacls}`)}`),
    sambaTool: sddl.map((ace) => `samba-tool dsacl set --objectdn=${shellQuote(base)} --sddl=${shellQuote(ace)}`),
  };
}

/** POSIX shell single quotes. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Windows command-line double quotes (a `"` inside is doubled by backslash, as CommandLineToArgvW reads it). */
function dq(text: string): string {
  return `"${text.replaceAll('"', '\\"')}"`;
}

export function tlsBase(options: AdConnectionOptions): TlsReport {
  return { url: null, failed: [], mode: null, verified: false, pinned: options.caCertPem !== undefined, serverName: null, protocol: null, certificate: null };
}

export function unreachableReport(options: AdConnectionOptions, tls: TlsReport, problem: string, now: Date): RightsReport {
  return {
    checkedAt: now.toISOString(),
    account: { dn: options.bindDn, sid: null, sAMAccountName: null, groups: [] },
    base: options.baseDn,
    domainRoot: null,
    needed: NEEDED.map(({ right }) => ({ right, held: false })),
    noted: [
      { right: 'change_password', held: false },
      { right: 'unexpire_password', held: false },
    ],
    excessive: [],
    delegation: { sddl: [], dsacls: [], sambaTool: [] },
    tls,
    controls: null,
    domainPolicy: null,
    verdict: 'unreachable',
    problems: [problem],
  };
}

function controlsOf(supported: string[]): ControlsReport {
  const hints = policyHintsFor(supported);
  return {
    policyHints: hints !== null,
    policyHintsOid: hints,
    pagedResults: supported.includes(PAGED_RESULTS_OID),
    sdFlags: supported.includes(SD_FLAGS_OID),
    showDeleted: supported.includes(SHOW_DELETED_OID),
    dirSync: supported.includes(DIRSYNC_OID),
    supported,
  };
}

export function buildReport(
  options: AdConnectionOptions,
  g: Gathered,
  token: ReadonlySet<string>,
  adminSids: string[],
  adminPaths: Map<string, string[] | 'direct'>,
  tls: TlsReport,
  now: Date,
): RightsReport {
  const base = options.baseDn;
  const problems = [...g.problems];
  const sids: SddlSids = { domainSid: g.domainSid, ...(g.rootDomainSid !== null ? { rootDomainSid: g.rootDomainSid } : {}) };
  const nameOf = (sid: string): string => {
    if (sid === g.account.sid) return g.account.sAMAccountName ?? sid;
    return g.groupsBySid.get(sid)?.name ?? WELL_KNOWN_NAMES[sid] ?? adminGroupName(sid) ?? sid;
  };
  const describe = (p: PlacedAce): string => `${nameOf(p.original.sid ?? '')}: ${aceToSddl(p.original, sids)} ${p.where}`;

  // What a user object under the base gets: the class's default ACEs (explicit, first), then what it inherits from the base.
  const defaultWhere = "in the user class's default security descriptor (schema)";
  const baseWhere = `on ${base}`;
  const userAcl: PlacedAce[] = [
    ...(g.userDefaultAces ?? []).map((a) => ({ ace: a, original: a, where: defaultWhere })),
    ...(g.baseAces === null ? [] : inheritedBy(g.baseAces, AD_GUID.userClass, baseWhere)),
  ];
  const npAces = (g.baseAces ?? []).filter((a) => (a.flags & (ACE_FLAG.NO_PROPAGATE_INHERIT | ACE_FLAG.CONTAINER_INHERIT)) === (ACE_FLAG.NO_PROPAGATE_INHERIT | ACE_FLAG.CONTAINER_INHERIT) && a.sid !== null && token.has(a.sid));
  if (npAces.length > 0) problems.push(`${npAces.length} inheritable ACE(s) for the account on ${base} have NP (no propagation): they reach only objects directly in ${base}, not users in OUs below it`);

  const queries: Record<NeededRight | 'change_password', RightQuery> = {
    reset_password: { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.resetPassword, objectClass: AD_GUID.userClass },
    write_lockout_time: { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.lockoutTime, propertySet: g.propertySets.lockoutTime, objectClass: AD_GUID.userClass },
    write_pwd_last_set: { bit: RIGHT.WRITE_PROPERTY, objectType: AD_GUID.pwdLastSet, propertySet: g.propertySets.pwdLastSet, objectClass: AD_GUID.userClass },
    change_password: { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.changePassword, objectClass: AD_GUID.userClass },
  };
  const held = <R extends string>(right: R, acl: PlacedAce[], q: RightQuery): RightHeld<R> => {
    const r = evaluateRight(acl, token, q);
    if (r.by === null) return { right, held: false };
    return r.held ? { right, held: true, via: describe(r.by) } : { right, held: false, deniedBy: describe(r.by) };
  };
  const baseReadable = g.baseAces !== null;
  const needed = NEEDED.map(({ right }) => (baseReadable || g.userDefaultAces !== null ? held(right, userAcl, queries[right]) : { right, held: false }));
  const domainRootAcl = g.domainRootAces === null ? [] : effectiveOn(g.domainRootAces, `on ${g.domainRoot}`);
  const noted: Array<RightHeld<NotedRight>> = [held('change_password', userAcl, queries.change_password), held('unexpire_password', domainRootAcl, { bit: RIGHT.CONTROL_ACCESS, objectType: AD_GUID.unexpirePassword })];

  // More than needed: admin groups (at any depth), then dangerous ACEs held through anything else.
  const excessive: RightsReport['excessive'] = [];
  const flagged = new Set(adminSids);
  for (const sid of adminSids) {
    const path = adminPaths.get(sid);
    const how = path === undefined || (Array.isArray(path) && path.length === 0) ? '' : path === 'direct' ? ' (directly)' : ` (through ${path.join(', ')})`;
    const who = sid === g.account.sid ? `the account is ${adminGroupName(sid)}` : `member of ${nameOf(sid)}${how}`;
    excessive.push({ what: `${who}: a protected administrators' group, far more than resetting passwords needs`, severity: 'critical' });
  }
  if (/^S-1-5-21-\d+-\d+-\d+-500$/.test(g.account.sid)) {
    excessive.unshift({ what: "this is the domain's built-in Administrator account: use a dedicated service account", severity: 'critical' });
  }
  const seen = new Set<string>();
  const add = (what: string, severity: 'critical' | 'warning') => {
    if (seen.has(what)) return;
    seen.add(what);
    excessive.push({ what, severity });
  };
  const views: Array<{ label: string; acl: PlacedAce[]; objectClass: string | null; isDomainRoot: boolean }> = [];
  if (g.baseAces !== null) views.push({ label: base, acl: effectiveOn(g.baseAces, baseWhere), objectClass: null, isDomainRoot: normaliseDn(base) === normaliseDn(g.domainRoot) });
  if (normaliseDn(base) !== normaliseDn(g.domainRoot) && g.domainRootAces !== null) views.push({ label: g.domainRoot, acl: domainRootAcl, objectClass: null, isDomainRoot: true });
  views.push({ label: `user objects under ${base}`, acl: userAcl, objectClass: AD_GUID.userClass, isDomainRoot: false });
  for (const view of views) {
    for (const p of view.acl) {
      const { ace } = p;
      if (ace.kind !== 'allow' || ace.sid === null || !token.has(ace.sid) || flagged.has(ace.sid)) continue;
      for (const f of dangerousRights(ace, view)) {
        if (f.severity === 'warning' && isBroad(ace.sid)) continue;
        add(`${f.what} on ${view.label}, via ${describe(p)}`, f.severity);
      }
    }
  }

  const missing = needed.filter((n) => !n.held);
  const critical = excessive.some((e) => e.severity === 'critical');
  const verdict: RightsVerdict = critical ? 'over_privileged' : missing.length > 0 ? 'missing_rights' : excessive.length > 0 ? 'over_privileged' : 'ok';
  if (!g.baseExists) problems.push(`the search base ${base} was not found: check agent.ad.baseDn`);

  return {
    checkedAt: now.toISOString(),
    account: {
      dn: g.account.dn,
      sid: g.account.sid,
      sAMAccountName: g.account.sAMAccountName,
      groups: g.account.tokenGroups.map((sid) => {
        const name = g.groupsBySid.get(sid)?.name ?? WELL_KNOWN_NAMES[sid];
        return name === undefined ? { sid } : { sid, name };
      }),
    },
    base,
    domainRoot: g.domainRoot,
    needed,
    noted,
    excessive,
    delegation: delegationFor(g.account.sid, base),
    tls,
    controls: controlsOf(g.session.rootDse.supportedControl),
    domainPolicy: g.domainPolicy,
    verdict,
    problems,
  };
}
