import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { rangeDataset, rangeFolder } from '../../test/helpers/pwned-ranges.js';
import { EXIT } from './context.js';

/**
 * `sspr password check|rules|banned` in-process through main(argv, io), over a real SQLite file:
 * the verdict with every reason as JSON (exit 0 accepted, 5 refused), and the rules shown and
 * changed as a versioned section of the policy; bad input changes nothing.
 */

const LEAKED = 'marmalade sunrise 2009';
// The clean password's range is there too (a full download has every range; a missing one is a failed check).
const folder = rangeFolder(rangeDataset({ [LEAKED]: 912, 'lantern orchid velvet': 0 }));
afterAll(() => folder.cleanup());

const sb = useCliSandbox('sspr-password-cli-', ['branding:', '  organisationName: Probecorp', 'passwords:', '  breached:', '    mode: local', `    localFolder: ${folder.dir}`]);
const { run: sspr, ok } = sb;

interface Verdict {
  accepted: boolean;
  user: string | null;
  reasons: Array<{ code: string; message: string }>;
  breachCount: number | null;
}

async function check(password: string, ...args: string[]): Promise<{ code: number; verdict: Verdict }> {
  const r = await sspr(['password', 'check', '--stdin', ...args], { stdin: [`${password}\n`] });
  return { code: r.code, verdict: JSON.parse(r.stdout) as Verdict };
}

describe('sspr password check', () => {
  it('prints an accepted password as JSON and exits 0', async () => {
    const { code, verdict } = await check('lantern orchid velvet');
    expect(code).toBe(EXIT.ok);
    expect(verdict).toMatchObject({ accepted: true, user: null, reasons: [], breachCount: 0 });
  });

  it('prints every reason of a refused password and exits 5: breached, organisation name, too short', async () => {
    const breached = await check(LEAKED);
    expect(breached.code).toBe(EXIT.refused);
    expect(breached.verdict.reasons).toEqual([{ code: 'breached', message: 'This password appeared in a data breach 912 times. Attackers try such passwords first: choose another one.' }]);
    const org = await check('Probecorp#2025x');
    expect(org.code).toBe(EXIT.refused);
    expect(org.verdict.reasons.map((r) => r.code)).toEqual(['organisation']);
    const lookalike = await check('Pr0bec0rp');
    expect(lookalike.verdict.reasons.map((r) => r.code)).toEqual(['organisation', 'weak']);
    const short = await check('Zq8#k2');
    expect(short.verdict.reasons.map((r) => r.code)).toEqual(['tooShort', 'weak']);
    expect(short.verdict.reasons[0]!.message).toBe('Use at least 8 characters.');
  });

  it('--user checks it as that user’s password: their username counts; an unknown user exits 4', async () => {
    await ok(['user', 'add', 'kowalski', '--display-name', 'Ada Kowalski', '--password-stdin'], { stdin: ['lantern orchid velvet\n'] });
    const own = await check('kowalski28Zq8#k2', '--user', 'kowalski');
    expect(own.code).toBe(EXIT.refused);
    expect(own.verdict).toMatchObject({ user: 'kowalski', reasons: [{ code: 'name' }] });
    expect((await check('kowalski28Zq8#k2')).code).toBe(EXIT.ok);
    const missing = await sspr(['password', 'check', '--stdin', '--user', 'nobody'], { stdin: ['x\n'] });
    expect(missing.code).toBe(EXIT.notFound);
  });

  it('never takes the password from the command line', async () => {
    const r = await sspr(['password', 'check']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('give --stdin');
  });
});

describe('sspr password rules and banned', () => {
  it('shows the rules, changes them in a new policy version, and the check follows', async () => {
    expect(await ok(['password', 'rules', 'show'])).toContain('Password rules (policy version 0, from the configuration file):');
    expect(await ok(['password', 'rules', 'set', 'minLength=20', 'breached.minCount=1000', '--comment', 'longer'])).toBe('Saved policy version 1 (changed: passwords.minLength, passwords.breached.minCount).\n');
    const shown = JSON.parse(await ok(['password', 'rules', 'show', '--json'])) as { version: number; passwords: { minLength: number } };
    expect(shown).toMatchObject({ version: 1, passwords: { minLength: 20 } });
    // 912 sightings are now under the minimum; 'lantern orchid velvet' (21) is long enough.
    expect((await check(LEAKED)).verdict.reasons.map((r) => r.code)).toEqual([]);
    expect((await check('lantern orchid')).verdict.reasons[0]).toEqual({ code: 'tooShort', message: 'Use at least 20 characters.' });
  });

  it('refuses min > max, an unknown mode and an unknown key with a clear error, and changes nothing', async () => {
    const minMax = await sspr(['password', 'rules', 'set', 'minLength=40', 'maxLength=30']);
    expect(minMax.code).toBe(EXIT.usage);
    expect(minMax.stderr).toBe('error: passwords.minLength: The minimum length cannot be more than the maximum length.\n');
    const mode = await sspr(['password', 'rules', 'set', 'breached.mode=sometimes']);
    expect(mode.stderr).toBe('error: passwords.breached.mode: Choose off, online (Pwned Passwords) or our own copy.\n');
    const key = await sspr(['password', 'rules', 'set', 'colour=blue']);
    expect(key.code).toBe(EXIT.usage);
    expect(key.stderr).toContain('colour: not a password rule');
    expect(JSON.parse(await ok(['password', 'rules', 'show', '--json']))).toMatchObject({ version: 0 });
  });

  it('imports and exports the banned words as text; 1,001 words are refused and the list stays', async () => {
    writeFileSync(join(sb.dir, 'words.txt'), 'widgetmax\r\nharbourview\r\n\r\n');
    expect(await ok(['password', 'banned', 'import', 'words.txt'])).toBe('Saved policy version 1 (changed: passwords.bannedCustom).\n');
    expect(await ok(['password', 'banned', 'export'])).toBe('widgetmax\nharbourview\n');
    expect((await check('widgetmax24')).verdict.reasons.map((r) => r.code)).toContain('bannedWord');
    writeFileSync(join(sb.dir, 'many.txt'), Array.from({ length: 1001 }, (_, i) => `term${i}xx`).join('\n'));
    const many = await sspr(['password', 'banned', 'import', 'many.txt']);
    expect(many.code).toBe(EXIT.usage);
    expect(many.stderr).toBe('error: passwords.bannedCustom: Add at most 1,000 banned words.\n');
    expect(await ok(['password', 'banned', 'export'])).toBe('widgetmax\nharbourview\n');
  });
});
