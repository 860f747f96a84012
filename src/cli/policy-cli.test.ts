import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

/**
 * `sspr policy show|set|history` in-process through main(argv, io), over a real SQLite file in
 * a temp folder: the same PolicyService the console uses, with the CLI's parsing in front.
 */

const sb = useCliSandbox('sspr-policy-cli-');
const { run: sspr, ok } = sb;

interface Shown {
  version: number;
  changedAt: string | null;
  changedBy: string | null;
  comment: string | null;
  policy: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function showJson(...extra: string[]): Promise<Shown> {
  return JSON.parse(await ok(['policy', 'show', '--json', ...extra])) as Shown;
}

describe('sspr policy show', () => {
  it('prints every section with the dotted keys `policy set` takes, and the two-gate rule for administrators', async () => {
    const out = await ok(['policy', 'show']);
    expect(out).toContain('SSPR policy version 0 (the starting policy from the configuration)');
    for (const heading of ['Properties', 'Authentication methods', 'Registration', 'Notifications', 'Customization', 'On-premises integration']) expect(out).toMatch(new RegExp(`^${heading}$`, 'm'));
    expect(out).toMatch(/^ {2}enabledFor +all$/m);
    expect(out).toMatch(/^ {2}methodsRequired +1$/m);
    expect(out).toMatch(/^ {2}methodsAvailable +email, mobile_sms, mobile_voice, office_voice, totp, passkey$/m);
    expect(out).toMatch(/^ {2}questions\.toAnswer +3$/m);
    expect(out).toMatch(/^ {2}registration\.reconfirmDays +180$/m);
    expect(out).toMatch(/^ {2}customization\.helpdesk +-$/m);
    expect(out).toMatch(/^ {2}onPremises\.passwordHashSync +false$/m);
    expect(out).toContain('Administrators always use the stricter two-gate policy');
  });

  it('--json prints the document with its version; --version shows an earlier one; an unknown version exits 4', async () => {
    const initial = await showJson();
    expect(initial).toMatchObject({ version: 0, changedAt: null, changedBy: null, comment: null });
    expect(initial.policy['methodsRequired']).toBe(1);
    await ok(['policy', 'set', 'methodsRequired=2']);
    expect((await showJson()).policy['methodsRequired']).toBe(2);
    expect((await showJson('--version', '0')).policy['methodsRequired']).toBe(1);
    const missing = await sspr(['policy', 'show', '--version', '9']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stderr).toBe('error: no policy version 9\n');
    const bad = await sspr(['policy', 'show', '--version', 'latest']);
    expect(bad.code).toBe(EXIT.usage);
  });
});

describe('sspr policy set', () => {
  it('sets dotted keys with values read as JSON (numbers, booleans, lists) or as text, in one new version', async () => {
    const out = await ok(['policy', 'set', 'methodsRequired=2', 'questions.toRegister=5', 'questions.toAnswer=4', 'onPremises.allowUnlock=false', 'methodsAvailable=["email","totp","questions"]', 'customization.helpdesk=helpdesk@example.com', 'questions.custom=["Your first team?"]', '--comment', 'two gates']);
    expect(out).toBe('Saved policy version 1 (changed: methodsRequired, methodsAvailable, questions.toRegister, questions.toAnswer, questions.custom, customization.helpdesk, onPremises.allowUnlock).\n');
    const shown = await showJson();
    expect(shown).toMatchObject({ version: 1, changedBy: 'cli', comment: 'two gates' });
    expect(shown.policy).toMatchObject({
      methodsRequired: 2,
      methodsAvailable: ['email', 'totp', 'questions'],
      questions: { toRegister: 5, toAnswer: 4, custom: ['Your first team?'] },
      customization: { helpdesk: 'helpdesk@example.com' },
      onPremises: { writeback: true, allowUnlock: false, passwordHashSync: false },
    });
    // Lists may be written with commas; an empty helpdesk means none.
    await ok(['policy', 'set', 'methodsAvailable=email,passkey', 'customization.helpdesk=']);
    expect((await showJson()).policy).toMatchObject({ methodsAvailable: ['email', 'passkey'], customization: { helpdesk: null } });
  });

  it('groups may be named by name or by id, and show prints their names', async () => {
    await ok(['group', 'add', 'Pilot']);
    await ok(['group', 'add', 'Helpdesk']);
    await ok(['policy', 'set', 'enabledFor=selected', 'groups=Pilot']);
    const withPilot = await showJson();
    const pilotId = withPilot.policy['groups'][0] as string;
    expect(pilotId).toMatch(/^[0-9a-f-]{36}$/);
    await ok(['policy', 'set', `groups=${pilotId},helpdesk`]);
    const both = await showJson();
    expect(both.policy['groups']).toHaveLength(2);
    expect(both.policy['groups'][0]).toBe(pilotId);
    expect(await ok(['policy', 'show'])).toMatch(/^ {2}groups +Pilot, Helpdesk$/m);
  });

  it('invalid values print every problem as `error: path: text` and exit 2; nothing is stored', async () => {
    const r = await sspr(['policy', 'set', 'methodsRequired=3', 'registration.reconfirmDays=1000', 'customization.helpdesk=call Bob']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean).sort()).toEqual([
      'error: customization.helpdesk: Enter a web address starting with https:// (or http://), or an email address like helpdesk@example.com; at most 300 characters.',
      'error: methodsRequired: Choose 1 or 2 methods required to reset.',
      'error: registration.reconfirmDays: Enter a whole number of days from 0 to 730 (0 means never).',
    ]);
    const cross = await sspr(['policy', 'set', 'questions.toAnswer=5']);
    expect(cross.code).toBe(EXIT.usage);
    expect(cross.stderr).toBe('error: questions.toAnswer: Users cannot be asked to answer more questions than they register: lower the number to answer or raise the number to register.\n');
    const group = await sspr(['policy', 'set', 'enabledFor=selected', 'groups=Nobody']);
    expect(group.code).toBe(EXIT.usage);
    expect(group.stderr).toBe('error: groups.0: This is not a known group.\n');
    expect((await showJson()).version).toBe(0);
  });

  it('an unknown key, a word without =, or nothing to set is a usage error (exit 2)', async () => {
    const unknown = await sspr(['policy', 'set', 'methodsRequried=2']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/^error: methodsRequried: not a policy setting \(the settings are: enabledFor, groups, methodsRequired, /);
    const bare = await sspr(['policy', 'set', 'methodsRequired']);
    expect(bare.code).toBe(EXIT.usage);
    expect(bare.stderr).toContain('expected key=value');
    const nothing = await sspr(['policy', 'set']);
    expect(nothing.code).toBe(EXIT.usage);
    const badVersion = await sspr(['policy', 'set', 'methodsRequired=2', '--expected-version', 'one']);
    expect(badVersion.code).toBe(EXIT.usage);
    expect((await showJson()).version).toBe(0);
  });

  it('--expected-version that is no longer current is refused with the conflict message (exit 5) and stores nothing', async () => {
    await ok(['policy', 'set', 'methodsRequired=2', '--expected-version', '0']);
    const late = await sspr(['policy', 'set', 'registration.reconfirmDays=30', '--expected-version', '0']);
    expect(late.code).toBe(EXIT.refused);
    expect(late.stderr).toBe('error: Someone else changed the policy since you loaded it. Nothing was saved: look at the current settings and make your change again.\n');
    const shown = await showJson();
    expect(shown.version).toBe(1);
    expect(shown.policy['registration']['reconfirmDays']).toBe(180);
    await ok(['policy', 'set', 'registration.reconfirmDays=30', '--expected-version', '1']);
  });

  it('setting what is already there stores no new version', async () => {
    expect(await ok(['policy', 'set', 'methodsRequired=1'])).toBe('Nothing changed: the policy is still version 0.\n');
    expect((await showJson()).version).toBe(0);
  });

  it('--file merges a JSON document (from a file or standard input); key=value arguments win over it, and `show --json` output can be fed back', async () => {
    writeFileSync(join(sb.dir, 'policy.json'), JSON.stringify({ notifications: { usersOnReset: false }, onPremises: { passwordHashSync: true }, methodsRequired: 2 }));
    await ok(['policy', 'set', '--file', 'policy.json', 'methodsRequired=1', '--comment', 'from file']);
    const shown = await showJson();
    expect(shown.policy).toMatchObject({ methodsRequired: 1, notifications: { usersOnReset: false, adminsOnAdminReset: true }, onPremises: { writeback: true, passwordHashSync: true } });

    await ok(['policy', 'set', '--file', '-'], { stdin: [JSON.stringify({ registration: { required: false, reconfirmDays: 0 } })] });
    expect((await showJson()).policy['registration']).toEqual({ required: false, reconfirmDays: 0 });

    // Back to version 1 by feeding its JSON in.
    const v1 = await ok(['policy', 'show', '--json', '--version', '1']);
    expect(await ok(['policy', 'set', '--file', '-', '--comment', 'back to 1'], { stdin: [v1] })).toBe('Saved policy version 3 (changed: registration.required, registration.reconfirmDays).\n');
    expect((await showJson()).policy).toEqual(JSON.parse(v1).policy);

    const notJson = await sspr(['policy', 'set', '--file', '-'], { stdin: ['{ nope'] });
    expect(notJson.code).toBe(EXIT.usage);
    expect(notJson.stderr).toContain('--file -: not valid JSON');
    const list = await sspr(['policy', 'set', '--file', '-'], { stdin: ['[1,2]'] });
    expect(list.code).toBe(EXIT.usage);
    expect(list.stderr).toContain('The policy must be a JSON object');
    const missing = await sspr(['policy', 'set', '--file', 'nope.json']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('--file nope.json: cannot read it');
  });
});

describe('sspr policy history', () => {
  it('lists the versions newest first with who, the settings changed and the comment, then the starting policy; --limit shortens it', async () => {
    expect(await ok(['policy', 'history'])).toBe('0\t-\tconfiguration\t-\tstarting policy from the configuration\n');
    await ok(['policy', 'set', 'methodsRequired=2', '--comment', 'stricter']);
    await ok(['policy', 'set', 'questions.toRegister=4', 'onPremises.writeback=false']);
    const out = await ok(['policy', 'history']);
    const rows = out.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(['2', '1', '0']);
    expect(rows[0]!.slice(2)).toEqual(['cli', 'questions.toRegister,onPremises.writeback', '']);
    expect(rows[1]!.slice(2)).toEqual(['cli', 'methodsRequired', 'stricter']);
    expect(rows[0]![1]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const limited = await ok(['policy', 'history', '--limit', '1']);
    expect(limited.trimEnd().split('\n')).toHaveLength(1);
    expect(limited.startsWith('2\t')).toBe(true);
    expect((await sspr(['policy', 'history', '--limit', '0'])).code).toBe(EXIT.usage);
  });
});
