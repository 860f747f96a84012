import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliSandbox, useCliSandbox, type CliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';

/** `sspr settings show|set|history|export|import` in-process over a real SQLite file: the same SettingsService as the console and the API. */

const sb = useCliSandbox('sspr-settings-cli-');
const SECRET = 'smtp-Pass-7731-secret';

describe('sspr settings', () => {
  let other: CliSandbox | undefined;
  afterEach(() => {
    other?.cleanup();
    other = undefined;
  });

  it('show prints every setting with its section; set changes dotted keys in one new version; history lists it', async () => {
    const shown = await sb.ok(['settings', 'show', 'throttling']);
    expect(shown).toContain('# throttling: version 0 (the configuration file)');
    expect(shown).toMatch(/^throttling\.failedVerificationsPerDay = 5$/m);
    const out = await sb.ok(['settings', 'set', 'throttling', 'failedVerificationsPerDay=3', 'throttling.blockHours=2', '--comment', 'pilot']);
    expect(out).toBe('throttling: saved as version 1.\n');
    expect(await sb.ok(['settings', 'show', 'throttling'])).toMatch(/^throttling\.blockHours = 2$/m);
    const history = await sb.ok(['settings', 'history', 'throttling']);
    expect(history.split('\n')[0]).toMatch(/^1\t\d{4}-\d\d-\d\dT[^\t]+\tcli\tpilot$/);
    await sb.withPortal(async (p) => expect((await p.settings.refresh()).throttling.values).toMatchObject({ failedVerificationsPerDay: 3, blockHours: 2 }));
  });

  it('refuses in words and changes nothing: an unknown section or key, a value out of range, a secret typed on the command line', async () => {
    const section = await sb.run(['settings', 'show', 'colours']);
    expect(section.code).toBe(EXIT.usage);
    expect(section.stderr).toContain('colours: not a settings section (the sections are: delivery, throttling, signIn, sessions, setup, methods, reset, reminders, sync, writeback)');
    const key = await sb.run(['settings', 'set', 'throttling', 'blockDays=2']);
    expect(key.code).toBe(EXIT.usage);
    expect(key.stderr).toContain('blockDays: not a setting of throttling');
    const range = await sb.run(['settings', 'set', 'throttling', 'blockHours=0']);
    expect(range.code).toBe(EXIT.usage);
    expect(range.stderr).toBe('error: throttling.blockHours: Must be at least 1.\n');
    const secret = await sb.run(['settings', 'set', 'delivery', `smtp.password=${SECRET}`]);
    expect(secret.code).toBe(EXIT.usage);
    expect(secret.stderr).toContain('smtp.password is a secret: give it as smtp.password=- and type it on standard input');
    await sb.withPortal(async (p) => {
      const all = await p.settings.refresh();
      expect([all.throttling.version, all.delivery.version]).toEqual([0, 0]);
    });
  });

  it('a secret from standard input is saved sealed, shown only as (set), and left out of the export; import is a dry run until --apply', async () => {
    await sb.ok(['settings', 'set', 'delivery', 'mode=smtp', 'smtp.host=mail.corp.test', 'smtp.user=mailer', 'smtp.password=-', 'limits.globalPerHour=300'], { stdin: [SECRET] });
    const shown = await sb.ok(['settings', 'show', 'delivery']);
    expect(shown).toMatch(/^delivery\.smtp\.password = \(set\)$/m);
    expect(shown).not.toContain(SECRET);
    const exported = await sb.ok(['settings', 'export']);
    expect(exported).not.toContain(SECRET);
    const doc = JSON.parse(exported) as { format: string; sections: Record<string, Record<string, any>> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.format).toBe('openssspr-settings/1');
    expect(doc.sections['delivery']!['smtp']).toMatchObject({ host: 'mail.corp.test', user: 'mailer' });
    expect(doc.sections['delivery']!['smtp']).not.toHaveProperty('password');

    // Into another portal: the dry run tells what would change and saves nothing; --apply saves it.
    other = cliSandbox('sspr-settings-import-');
    const file = join(other.dir, 'settings.json');
    writeFileSync(file, exported);
    const dry = await other.ok(['settings', 'import', file]);
    expect(dry).toContain('delivery: would change mode, limits.globalPerHour, smtp');
    expect(dry).toContain('throttling: nothing would change');
    expect(dry).toContain('Dry run: nothing was saved.');
    await other.withPortal(async (p) => expect((await p.settings.refresh()).delivery.version).toBe(0));
    expect(await other.ok(['settings', 'import', file, '--apply'])).toContain('delivery: saved as version 1.');
    await other.withPortal(async (p) => expect((await p.settings.refresh()).delivery.values).toMatchObject({ mode: 'smtp', smtp: { host: 'mail.corp.test' }, limits: { globalPerHour: 300 } }));

    // A file with one bad section changes nothing at all, even with --apply.
    const bad = JSON.parse(exported) as typeof doc;
    bad.sections['throttling']!['blockHours'] = 0;
    bad.sections['reminders']!['enabled'] = false;
    writeFileSync(file, JSON.stringify(bad));
    const refused = await other.run(['settings', 'import', file, '--apply']);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('throttling.blockHours: Must be at least 1.');
    await other.withPortal(async (p) => expect((await p.settings.refresh()).reminders.version).toBe(0));
  });
});

describe('sspr user reset-password', () => {
  it("sets a cloud user's password (generated, printed once); must-change is refused for a cloud user and changes nothing", async () => {
    await sb.ok(['user', 'add', 'carol', '--display-name', 'Carol', '--password-stdin'], { stdin: ['old tortoise 1865'] });
    const out = await sb.ok(['user', 'reset-password', 'carol', '--generate-password']);
    expect(out).toMatch(/^Password of carol set; their sessions have ended\.\nPassword: \S+\n$/);
    const refused = await sb.run(['user', 'reset-password', 'carol', '--password-stdin', '--must-change'], { stdin: ['Brand new password 77'] });
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toBe('error: Only a user from Active Directory can be made to change the password at the next sign-in. Nothing was changed: set the password without it.\n');
    const none = await sb.run(['user', 'reset-password', 'carol']);
    expect(none.code).toBe(EXIT.usage);
  });

  it("a hybrid user's reset needs the running portal's agent: on SQLite it is refused in words, nothing changed", async () => {
    await sb.withPortal((p) => p.users.create({ username: 'hy.brid', displayName: 'Hy Brid', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: 'anchor-hybrid' }));
    const r = await sb.run(['user', 'reset-password', 'hy.brid', '--generate-password', '--must-change']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain('the command line cannot reach the agent with the embedded SQLite store');
    expect(r.stdout).toBe('');
  });
});
