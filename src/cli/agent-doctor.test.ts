import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../test/helpers/cli.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../../test/helpers/samba-dc.js';
import { AD_GUID, type RightsReport } from '../ad/rights/index.js';
import { EXIT } from './context.js';

/**
 * `sspr agent doctor` in-process through main(argv, io), with a temp sspr.yaml whose agent.ad
 * points at a real Samba AD DC (the CA PEM written to a file for caCertFile, as an operator would).
 */

const PW = 'Svc!Doctor#Pass1';
let dc: SambaDc;
let dir: string;
let least: SambaUser;
let plain: SambaUser;

beforeAll(async () => {
  dc = await startSambaDc();
  dir = mkdtempSync(join(tmpdir(), 'sspr-agent-doctor-'));
  writeFileSync(join(dir, 'dc-ca.pem'), dc.caCertPem);
  least = await dc.addUser('svc-doctor', PW);
  for (const [right, guid] of [
    ['CR', AD_GUID.resetPassword],
    ['WP', AD_GUID.lockoutTime],
    ['WP', AD_GUID.pwdLastSet],
  ] as const) {
    await dc.samba(['dsacl', 'set', `--objectdn=${dc.baseDn}`, `--sddl=(OA;CIIO;${right};${guid};${AD_GUID.userClass};${least.sid})`]);
  }
  plain = await dc.addUser('svc-doctor-plain', PW);
}, 120_000);

afterAll(async () => {
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface AdYaml {
  urls?: string[];
  bindDn?: string;
  bindPassword?: string;
  caCertFile?: string;
  omitAd?: boolean;
}

/** A fresh sspr.yaml (JSON strings are valid YAML scalars) and `sspr -c it agent doctor ARGS`. */
async function doctor(ad: AdYaml, args: string[] = []): Promise<CliResult> {
  const config = join(dir, `sspr-${Math.random().toString(36).slice(2)}.yaml`);
  const lines = ['logging:', '  level: warn'];
  if (!ad.omitAd) {
    lines.push(
      'agent:',
      '  ad:',
      `    urls: ${JSON.stringify(ad.urls ?? [dc.url])}`,
      `    caCertFile: ${JSON.stringify(ad.caCertFile ?? './dc-ca.pem')}`,
      `    tlsServerName: ${JSON.stringify(dc.tlsServerName)}`,
      `    bindDn: ${JSON.stringify(ad.bindDn ?? least.dn)}`,
      `    bindPassword: ${JSON.stringify(ad.bindPassword ?? PW)}`,
      `    baseDn: ${JSON.stringify(dc.baseDn)}`,
      '    timeoutMs: 5000',
    );
  }
  writeFileSync(config, `${lines.join('\n')}\n`);
  return runCli(['agent', 'doctor', '-c', config, ...args], { env: {}, cwd: dir });
}

describe('sspr agent doctor', () => {
  it('exit 0 for the least-privilege account, every section with ✔', async () => {
    const r = await doctor({});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(`✔ ${dc.url} answered (LDAPS, TLSv1.`);
    expect(r.stdout).toContain(`✔ certificate chain and name verified (${dc.tlsServerName})`);
    expect(r.stdout).toContain('✔ CA pinning in use: only the configured CA (caCertFile) is trusted');
    expect(r.stdout).toContain(`${least.dn} (${least.sid})`);
    expect(r.stdout).toMatch(/^ {2}✔ Reset Password \(extended right 00299570-246d-11d0-a768-00aa006e0529\)$/m);
    expect(r.stdout).toMatch(/^ {2}✔ Write lockoutTime/m);
    expect(r.stdout).toMatch(/^ {2}✔ Write pwdLastSet/m);
    expect(r.stdout).toContain("✔ nothing: no administrators' group");
    expect(r.stdout).toContain('⚠ password-policy hints NOT advertised');
    expect(r.stdout).toContain(`Domain password policy (${dc.baseDn})`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✔ OK: the service account holds exactly what writeback needs.');
  });

  it('exit 1 for an account without delegation, printing the commands with its SID', async () => {
    const r = await doctor({ bindDn: plain.dn });
    expect(r.code).toBe(EXIT.failure);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}✖ Reset Password/m);
    expect(r.stdout).toContain(`    samba-tool dsacl set --objectdn='${dc.baseDn}' --sddl='(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;${plain.sid})'`);
    expect(r.stdout).toContain(`    dsacls "${dc.baseDn}" /I:S /G "${plain.sid}:WP;pwdLastSet;user"`);
    expect(r.stdout).toContain('✖ MISSING RIGHTS');
  });

  it('exit 1 for the Administrator account: over-privileged', async () => {
    const r = await doctor({ bindDn: dc.adminDn, bindPassword: dc.adminPassword });
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout).toContain('✖ CRITICAL: member of Domain Admins (directly)');
    expect(r.stdout).toContain('✖ OVER-PRIVILEGED');
  });

  it('exit 1 when no DC answers, saying which and why', async () => {
    const r = await doctor({ urls: ['ldaps://127.0.0.1:1'] });
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout).toContain('✖ no domain controller could be used');
    expect(r.stdout).toContain('ldaps://127.0.0.1:1: connection refused');
    expect(r.stdout).toContain('✖ UNREACHABLE');
  });

  it('--json prints the report itself', async () => {
    const r = await doctor({}, ['--json']);
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout) as RightsReport;
    expect(report.verdict).toBe('ok');
    expect(report.account.sid).toBe(least.sid);
    expect(report.needed.every((n) => n.held)).toBe(true);
    expect(report.delegation.sddl).toHaveLength(3);
  });

  it('configuration problems: exit 3 with an error line, nothing on stdout', async () => {
    const none = await doctor({ omitAd: true });
    expect(none.code).toBe(EXIT.config);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^error: agent\.ad is not configured/);
    const noCa = await doctor({ caCertFile: './missing-ca.pem' });
    expect(noCa.code).toBe(EXIT.config);
    expect(noCa.stderr).toMatch(/^error: agent\.ad\.caCertFile: cannot read \.\/missing-ca\.pem/);
  });
});
