import type { RightsReport } from '../ad/rights/index.js';
import type { PasswordPolicy } from '../ad/domain-policy.js';

/**
 * `sspr agent doctor` as text: the rights check (src/ad/rights.ts) in sections with ✔/✖/⚠
 * marks and, when something is wrong, the exact commands that apply the least-privilege
 * delegation. The console shows the same RightsReport.
 */

export type { RightsReport, RightHeld, NeededRight, NotedRight, RightsVerdict, TlsReport, ControlsReport } from '../ad/rights/index.js';

const OK = '✔';
const FAIL = '✖';
const WARN = '⚠';

const NEEDED_LABELS: Record<RightsReport['needed'][number]['right'], string> = {
  reset_password: 'Reset Password (extended right 00299570-246d-11d0-a768-00aa006e0529)',
  write_lockout_time: 'Write lockoutTime (28630ebf-41d5-11d1-a9c1-0000f80367c1) — unlock',
  write_pwd_last_set: 'Write pwdLastSet (bf967a0a-0de6-11d0-a285-00aa003049e2) — "must change at next sign-in"',
};

const NOTED_LABELS: Record<RightsReport['noted'][number]['right'], string> = {
  change_password: 'Change Password (ab721a53-1e2f-11d0-9819-00aa0040529b) on user objects — used for changes by users who must change their password',
  unexpire_password: 'Unexpire Password (ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501) on the domain object — lets a reset keep pwdLastSet ≠ 0',
};

const VERDICT_TEXT: Record<RightsReport['verdict'], string> = {
  ok: `${OK} OK: the service account holds exactly what writeback needs.`,
  missing_rights: `${FAIL} MISSING RIGHTS: resets, unlocks or "must change" will be refused by AD. Apply the delegation above.`,
  over_privileged: `${FAIL} OVER-PRIVILEGED: the service account can do far more than reset passwords. Apply the delegation above, then take the extra rights away.`,
  unreachable: `${FAIL} UNREACHABLE: the check could not be made (see above).`,
};

function duration(ms: number | null, never: string): string {
  if (ms === null) return never;
  if (ms === 0) return 'none';
  const minutes = ms / 60_000;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${Math.round(hours * 10) / 10} h`;
  return `${Math.round((hours / 24) * 10) / 10} days`;
}

function policyLines(p: PasswordPolicy): string[] {
  return [
    `minimum length ${p.minLength}, complexity ${p.complexity ? 'on' : 'off'}, history ${p.historyLength} password(s)`,
    `minimum age ${duration(p.minAgeMs, 'none')}, maximum age ${duration(p.maxAgeMs, 'never expires')}`,
    p.lockoutThreshold === 0 ? 'account lockout off' : `lockout after ${p.lockoutThreshold} wrong password(s), for ${duration(p.lockoutDurationMs, 'until an administrator unlocks')}`,
  ];
}

/** The report as terminal text, ending with the verdict line. */
export function formatRightsReport(r: RightsReport): string {
  const out: string[] = [];
  const line = (text = '') => out.push(text);
  const section = (title: string) => {
    if (out.length > 0) line();
    line(title);
  };

  line(`Active Directory rights check for the agent's service account (${r.checkedAt})`);

  section('Connection');
  if (r.tls.url === null) {
    line(`  ${FAIL} no domain controller could be used`);
  } else {
    line(`  ${OK} ${r.tls.url} answered (${r.tls.mode === 'starttls' ? 'LDAP + StartTLS' : 'LDAPS'}${r.tls.protocol ? `, ${r.tls.protocol}` : ''})`);
    line(`  ${OK} certificate chain and name verified${r.tls.serverName ? ` (${r.tls.serverName})` : ''}`);
    if (r.tls.certificate) line(`      ${r.tls.certificate.subject}; issued by ${r.tls.certificate.issuer}; valid until ${r.tls.certificate.validTo}`);
  }
  line(r.tls.pinned ? `  ${OK} CA pinning in use: only the configured CA (caCertFile) is trusted` : `  ${WARN} no CA pinned: any public CA Node trusts is accepted — set agent.ad.caCertFile to your DCs' CA`);
  for (const f of r.tls.failed) line(`  ${WARN} ${f.url} failed: ${f.detail}`);

  section('Service account');
  line(`  ${r.account.dn}${r.account.sid ? ` (${r.account.sid})` : ''}`);
  if (r.account.groups.length > 0) line(`  groups (all, nested included): ${r.account.groups.map((g) => g.name ?? g.sid).join(', ')}`);

  if (r.verdict !== 'unreachable') {
    section(`Needed on user objects under ${r.base}`);
    for (const n of r.needed) {
      line(`  ${n.held ? OK : FAIL} ${NEEDED_LABELS[n.right]}`);
      if (n.via) line(`      held via ${n.via}`);
      if (n.deniedBy) line(`      DENIED by ${n.deniedBy}`);
    }

    section('Also noted (not required)');
    for (const n of r.noted) {
      line(`  ${n.held ? OK : WARN} ${NOTED_LABELS[n.right]}${n.held ? '' : ': not held'}`);
      if (n.via) line(`      held via ${n.via}`);
      if (n.deniedBy) line(`      denied by ${n.deniedBy}`);
    }

    section('More than needed');
    if (r.excessive.length === 0) line(`  ${OK} nothing: no administrators' group, no full control, WriteDACL, WriteOwner or GenericWrite`);
    for (const e of r.excessive) line(`  ${e.severity === 'critical' ? `${FAIL} CRITICAL:` : `${WARN} warning:`} ${e.what}`);
  }

  if (r.controls) {
    section('Domain controller');
    line(
      r.controls.policyHints
        ? `  ${OK} password-policy hints supported (${r.controls.policyHintsOid}): history and minimum age are enforced on resets`
        : `  ${WARN} password-policy hints NOT advertised (1.2.840.113556.1.4.2239 / …2066): AD does not enforce the password history or minimum age on resets — only on changes by the user`,
    );
    line(`  ${r.controls.pagedResults ? OK : WARN} paged results${r.controls.pagedResults ? '' : ' not supported'}`);
    line(`  ${r.controls.sdFlags ? OK : WARN} SD flags (reading permissions)${r.controls.sdFlags ? '' : ' not supported'}`);
  }

  if (r.domainPolicy) {
    section(`Domain password policy (${r.domainPolicy.source.dn})`);
    for (const l of policyLines(r.domainPolicy)) line(`  ${l}`);
  }

  if (r.problems.length > 0) {
    section('Notes');
    for (const p of r.problems) line(`  ${WARN} ${p}`);
  }

  if (r.verdict !== 'ok' && r.delegation.sddl.length > 0) {
    section(`Delegation to apply on ${r.base} (for ${r.account.sAMAccountName ?? r.account.dn})`);
    line('  The three ACEs (SDDL), inherited by user objects only:');
    for (const s of r.delegation.sddl) line(`    ${s}`);
    line('  On Windows (a Domain Admin, in cmd or PowerShell):');
    for (const c of r.delegation.dsacls) line(`    ${c}`);
    line('  On a Samba DC (as root on the DC; elsewhere add -H ldaps://DC -U Administrator):');
    for (const c of r.delegation.sambaTool) line(`    ${c}`);
    if (r.verdict === 'over_privileged') {
      line('  Then remove the account from the groups above and delete the extra permissions, and run `sspr agent doctor` again.');
      line('  Better still: a dedicated account in no administrators\' group — create it, run these commands with its SID, point agent.ad.bindDn at it.');
    }
  }

  section(VERDICT_TEXT[r.verdict]);
  return `${out.join('\n')}\n`;
}
