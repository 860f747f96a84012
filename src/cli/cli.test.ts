import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/load.js';
import { newKeyBase64 } from '../config/secret-key.js';
import { openStore } from '../store/database.js';
import { EXIT } from './context.js';

/**
 * The CLI driven in-process through main(argv, io), over a real SQLite file in a temp folder.
 * The config file carries the key and cheap argon2 parameters; the store location comes from
 * SSPR_DATABASE__URL as an operator's environment would give it.
 */

const UNREACHABLE_POSTGRES = 'postgres://postgres@127.0.0.1:1/x';

const sb = useCliSandbox('sspr-cli-');
const { run: sspr, ok } = sb;

/** Output lines, sorted; every line (the last too) must end in a newline. */
function lines(out: string): string[] {
  expect(out.endsWith('\n')).toBe(true);
  return out.slice(0, -1).split('\n').sort();
}

async function usersJson(): Promise<Array<Record<string, unknown>>> {
  return JSON.parse(await ok(['user', 'list', '--json'])) as Array<Record<string, unknown>>;
}

/** A real sign-in through the portal built from the same config and store the CLI used. */
async function signIn(username: string, password: string): Promise<string> {
  return sb.withPortal(async (portal) => {
    const r = await portal.signIn.attempt({ username, password, ip: '192.0.2.10', userAgent: 'cli-test', browserId: 'cli-test', next: '/account' });
    return r.kind;
  });
}

async function addAdmin(name = 'root'): Promise<void> {
  await ok(['user', 'add', name, '--display-name', 'Root', '--role', 'administrator', '--password-stdin'], { stdin: ['root password 1\n'] });
}

describe('exit codes and usage errors', () => {
  it('--help exits 0 and prints usage on stdout', async () => {
    const r = await sspr(['--help'], { config: null });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain('Usage: sspr');
  });

  it('an unknown command exits 2 and names it on stderr', async () => {
    const r = await sspr(['frobnicate']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('an unknown subcommand exits 2', async () => {
    const r = await sspr(['user', 'frob']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("unknown command 'frob'");
  });

  it('an unknown option exits 2 and names it on stderr', async () => {
    const r = await sspr(['user', 'list', '--frob']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("unknown option '--frob'");
  });

  it('no command at all, or a command group without a subcommand, is a usage error (2) with help on stderr', async () => {
    for (const args of [[], ['user'], ['group']]) {
      const r = await sspr(args);
      expect(r.code, args.join(' ')).toBe(EXIT.usage);
      expect(r.stderr).toContain('Usage: sspr');
      expect(r.stdout).toBe('');
    }
  });

  it('a missing required option exits 2 and names the option', async () => {
    const r = await sspr(['user', 'add', 'alice']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('--display-name');
  });

  it('a role outside the list exits 2 and names the allowed roles', async () => {
    const r = await sspr(['user', 'add', 'alice', '--display-name', 'Alice', '--role', 'superuser']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('superuser');
    expect(r.stderr).toContain('administrator');
    expect(await usersJson()).toEqual([]);
  });

  it('both password sources at once exit 2', async () => {
    const r = await sspr(['user', 'add', 'alice', '--display-name', 'Alice', '--password-stdin', '--generate-password'], { stdin: ['a long password\n'] });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('choose one of --password-stdin and --generate-password');
    expect(await usersJson()).toEqual([]);
  });

  it('the global --config option is accepted after the subcommand too', async () => {
    const r = await sspr(['user', 'list', '--config', sb.configPath], { config: null });
    expect(r).toEqual({ code: EXIT.ok, stdout: '', stderr: '' });
  });
});

describe('configuration problems', () => {
  it('a bad config makes `user list` exit 3 listing each problem with its key, and creates no store', async () => {
    writeFileSync(sb.configPath, `${readFileSync(sb.configPath, 'utf8')}listen:\n  prot: 8080\npublicUrl: nope\n`);
    const r = await sspr(['user', 'list']);
    expect(r.code).toBe(EXIT.config);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Configuration \(.*sspr\.yaml \+ SSPR_\* environment\) is not valid:/);
    expect(r.stderr).toContain('  - listen.prot: is not a known setting');
    expect(r.stderr).toContain('  - publicUrl: must be an absolute http:// or https:// URL');
    expect(existsSync(join(sb.dir, 'sspr.db'))).toBe(false);
  });

  it('a bad SSPR_* value exits 3 and says it came from the environment', async () => {
    const r = await sspr(['user', 'list'], { env: { ...sb.env, SSPR_LISTEN__PORT: 'eighty' } });
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toContain('listen.port');
    expect(r.stderr).toContain('(from environment)');
  });

  it('--config naming a missing file exits 3 and names the file', async () => {
    const r = await sspr(['user', 'list'], { config: 'missing.yaml' });
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toContain(`--config: file not found: ${join(sb.dir, 'missing.yaml')}`);
  });

  it('camelCase settings with inner capitals are reachable from the environment (SSPR_PASSWORD_HASHING__MEMORY_KIB)', async () => {
    // No config file at all: everything comes from SSPR_* variables.
    const envOnly = {
      SSPR_DATABASE__URL: `sqlite:${join(sb.dir, 'env.db')}`,
      SSPR_SECRETS__KEY: newKeyBase64(),
      SSPR_PASSWORD_HASHING__MEMORY_KIB: '1024',
      SSPR_PASSWORD_HASHING__ITERATIONS: '1',
    };
    const empty = join(sb.dir, 'empty');
    mkdirSync(empty);
    const r = await sspr(['user', 'add', 'alice', '--display-name', 'Alice', '--password-stdin'], { env: envOnly, cwd: empty, config: null, stdin: ['a long password\n'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.ok);
    const store = openStore(envOnly.SSPR_DATABASE__URL);
    try {
      const row = await store.db.selectFrom('users').select('password_hash').where('username', '=', 'alice').executeTakeFirstOrThrow();
      // argon2's encoding: $argon2id$v=19$m=<KiB>,p=<lanes>,t=<iterations>$...
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    } finally {
      await store.close();
    }
  });
});

describe('store problems', () => {
  it('an unreachable PostgreSQL makes `user list` exit 6 with the store named and no credentials', async () => {
    const r = await sspr(['user', 'list'], { env: { SSPR_DATABASE__URL: 'postgres://postgres:hunter2@127.0.0.1:1/x' } });
    expect(r.code).toBe(EXIT.store);
    expect(r.stderr).toContain('PostgreSQL 127.0.0.1:1/x');
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toContain('hunter2');
  });

  it('an unreachable PostgreSQL makes `migrate` exit 6', async () => {
    const r = await sspr(['migrate'], { env: { SSPR_DATABASE__URL: UNREACHABLE_POSTGRES } });
    expect(r.code).toBe(EXIT.store);
    expect(r.stderr).toMatch(/^error: Cannot reach the store \(PostgreSQL 127\.0\.0\.1:1\/x\)/);
  });

  it('an SQLite path that cannot be created exits 6 with a one-line message, not a stack trace', async () => {
    writeFileSync(join(sb.dir, 'blocker'), 'a file where a folder should be');
    const blocked = { SSPR_DATABASE__URL: `sqlite:${join(sb.dir, 'blocker', 'sspr.db')}` };
    for (const args of [['user', 'list'], ['migrate']]) {
      const r = await sspr(args, { env: blocked });
      expect(r.code, args.join(' ')).toBe(EXIT.store);
      expect(r.stderr).toMatch(/^error: Cannot open the store \(database\.url sqlite:.*blocker.*\): /);
      expect(r.stderr).not.toContain('    at ');
    }
  });
});

describe('user add', () => {
  it('with --password-stdin creates a user who can sign in with that password (one trailing newline is not part of it)', async () => {
    const out = await ok(['user', 'add', 'alice', '--display-name', 'Alice Liddell', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865\n'] });
    expect(out).toBe('Created alice (user).\n');
    expect(await signIn('alice', 'wonderland 1865')).toBe('signed_in');
    expect(await signIn('alice', 'wonderland 1865\n')).toBe('invalid');
  });

  it('with --generate-password prints the password exactly once, and it works', async () => {
    const r = await sspr(['user', 'add', 'bob', '--display-name', 'Bob', '--generate-password']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe('');
    const m = /^Password: (\S+)$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    const password = m![1]!;
    expect(password.length).toBeGreaterThanOrEqual(8);
    expect(r.stdout.split(password)).toHaveLength(2);
    expect(await signIn('bob', password)).toBe('signed_in');
  });

  it('without a password creates a user who cannot sign in, and says so', async () => {
    const out = await ok(['user', 'add', 'carol', '--display-name', 'Carol']);
    expect(out).toContain('Created carol (user).');
    expect(out).toContain('No password set');
    expect(await ok(['user', 'show', 'carol'])).toContain('password:     not set');
    expect(await signIn('carol', '')).toBe('invalid');
  });

  it('with --password-stdin and empty input exits 2 instead of silently creating a user without a password', async () => {
    const r = await sspr(['user', 'add', 'dave', '--display-name', 'Dave', '--password-stdin'], { stdin: ['\n'] });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error: password: standard input was empty/);
    expect(await usersJson()).toEqual([]);
  });

  it('with several roles stores them all', async () => {
    await ok(['user', 'add', 'erin', '--display-name', 'Erin', '--role', 'administrator', 'password_administrator']);
    const [erin] = await usersJson();
    expect(erin!['roles']).toEqual(['administrator', 'password_administrator']);
  });

  it('of an existing username exits 5 and changes nothing (case-insensitive names)', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['first password 1'] });
    const before = await usersJson();
    for (const name of ['alice', 'ALICE']) {
      const r = await sspr(['user', 'add', name, '--display-name', 'Impostor', '--role', 'administrator', '--password-stdin'], { stdin: ['second password 2'] });
      expect(r.code, name).toBe(EXIT.refused);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('error: A user with this username already exists.\n');
    }
    expect(await usersJson()).toEqual(before);
    expect(await signIn('alice', 'first password 1')).toBe('signed_in');
    expect(await signIn('alice', 'second password 2')).toBe('invalid');
  });

  it.each([
    { what: 'a username with a space', args: ['bad name', '--display-name', 'X'], stdin: [] as string[], field: 'username', text: 'A username may contain letters, digits' },
    { what: 'a malformed email', args: ['frank', '--display-name', 'Frank', '--email', 'not-an-email'], stdin: [], field: 'email', text: 'Enter a valid email address' },
    { what: 'a too short password', args: ['grace', '--display-name', 'Grace', '--password-stdin'], stdin: ['short'], field: 'password', text: 'Use at least 8 characters.' },
    { what: 'a blank display name', args: ['heidi', '--display-name', '   '], stdin: [], field: 'displayName', text: 'Enter a display name.' },
  ])('with $what exits 2 naming the field ($field) and changes nothing', async ({ args, stdin, field, text }) => {
    await ok(['user', 'add', 'existing', '--display-name', 'Existing']);
    const before = await usersJson();
    const r = await sspr(['user', 'add', ...args], { stdin });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: ${field}: `));
    expect(r.stderr).toContain(text);
    expect(await usersJson()).toEqual(before);
  });
});

describe('user list and show', () => {
  beforeEach(async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice Liddell', '--email', 'alice@example.com', '--password-stdin'], { stdin: ['wonderland 1865'] });
    await ok(['user', 'add', 'bob', '--display-name', 'Bob Builder', '--role', 'administrator']);
  });

  it('list prints one tab-separated line per user: username, name, email, roles, status, source', async () => {
    expect(lines(await ok(['user', 'list']))).toEqual(['alice\tAlice Liddell\talice@example.com\tuser\tenabled\tcloud', 'bob\tBob Builder\t-\tadministrator\tenabled\tcloud']);
  });

  it('list --search filters by username, name or email', async () => {
    expect(await ok(['user', 'list', '--search', 'builder'])).toBe('bob\tBob Builder\t-\tadministrator\tenabled\tcloud\n');
    expect(await ok(['user', 'list', '--search', 'nobody-matches'])).toBe('');
  });

  it('list --json prints the users as JSON without password hashes', async () => {
    const out = await ok(['user', 'list', '--json']);
    expect(out).not.toContain('$argon2');
    const users = JSON.parse(out) as Array<Record<string, unknown>>;
    const alice = users.find((u) => u['username'] === 'alice');
    expect(alice).toMatchObject({ displayName: 'Alice Liddell', email: 'alice@example.com', roles: ['user'], enabled: true, source: 'cloud', hasPassword: true });
    expect(users.find((u) => u['username'] === 'bob')).toMatchObject({ hasPassword: false, roles: ['administrator'] });
  });

  it('show prints the user, and --json the same with groups', async () => {
    const text = await ok(['user', 'show', 'ALICE']);
    expect(text).toContain('username:     alice\n');
    expect(text).toContain('display name: Alice Liddell\n');
    expect(text).toContain('email:        alice@example.com\n');
    expect(text).toContain('status:       enabled\n');
    expect(text).toMatch(/password: {5}set \d{4}-\d\d-\d\dT/);
    expect(text).toContain('groups:       -\n');
    const json = JSON.parse(await ok(['user', 'show', 'alice', '--json'])) as Record<string, unknown>;
    expect(json).toMatchObject({ username: 'alice', groups: [] });
  });

  it('show of an unknown user exits 4 naming it', async () => {
    const r = await sspr(['user', 'show', 'nobody']);
    expect(r).toEqual({ code: EXIT.notFound, stdout: '', stderr: 'error: no user named nobody\n' });
  });
});

describe('user set-password', () => {
  beforeEach(async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--password-stdin'], { stdin: ['old tortoise 1865'] });
  });

  it('from stdin replaces the password: the new one signs in, the old one no longer does', async () => {
    const out = await ok(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['brand new password\n'] });
    expect(out).toContain('Password of alice set');
    expect(await signIn('alice', 'brand new password')).toBe('signed_in');
    expect(await signIn('alice', 'old tortoise 1865')).toBe('invalid');
  });

  it('ends the user\'s existing sessions', async () => {
    await sb.withPortal(async (portal) => {
      const r = await portal.signIn.attempt({ username: 'alice', password: 'old tortoise 1865', ip: '192.0.2.10', userAgent: 'cli-test', browserId: 'cli-test', next: '/account' });
      if (r.kind !== 'signed_in') expect.fail(`sign-in gave ${r.kind}`);
      expect(await portal.sessions.validate(r.sessionToken)).not.toBeNull();
      await ok(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['brand new password'] });
      expect(await portal.sessions.validate(r.sessionToken)).toBeNull();
    });
  });

  it('with --generate-password prints a password that works', async () => {
    const out = await ok(['user', 'set-password', 'alice', '--generate-password']);
    const password = /^Password: (\S+)$/m.exec(out)![1]!;
    expect(await signIn('alice', password)).toBe('signed_in');
  });

  it('without a password source exits 2 and explains where a password may come from', async () => {
    const r = await sspr(['user', 'set-password', 'alice']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('give --password-stdin or --generate-password');
  });

  it('with a too short password exits 2 naming the field, and the old password still works', async () => {
    const r = await sspr(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['short'] });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe('error: password: Use at least 8 characters.\n');
    expect(await signIn('alice', 'old tortoise 1865')).toBe('signed_in');
  });

  it('with empty stdin exits 2 with "Enter a password"', async () => {
    const r = await sspr(['user', 'set-password', 'alice', '--password-stdin'], { stdin: [] });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe('error: password: Enter a password.\n');
  });

  it('of an unknown user exits 4', async () => {
    const r = await sspr(['user', 'set-password', 'nobody', '--password-stdin'], { stdin: ['a long password'] });
    expect(r.code).toBe(EXIT.notFound);
    expect(r.stderr).toBe('error: no user named nobody\n');
  });
});

describe('user disable and enable', () => {
  it('disable stops sign-in and enable restores it', async () => {
    await addAdmin();
    await ok(['user', 'add', 'alice', '--display-name', 'Alice', '--password-stdin'], { stdin: ['wonderland 1865'] });
    expect(await ok(['user', 'disable', 'alice'])).toBe('alice is disabled.\n');
    expect(await ok(['user', 'show', 'alice'])).toContain('status:       disabled');
    expect(await signIn('alice', 'wonderland 1865')).toBe('disabled');
    expect(await ok(['user', 'enable', 'alice'])).toBe('alice is enabled.\n');
    expect(await signIn('alice', 'wonderland 1865')).toBe('signed_in');
  });

  it('refuses to disable the last enabled administrator (exit 5) and leaves them enabled', async () => {
    await addAdmin('root');
    const r = await sspr(['user', 'disable', 'root']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe('error: This is the last enabled administrator; keep at least one.\n');
    expect(await ok(['user', 'show', 'root'])).toContain('status:       enabled');
    expect(await signIn('root', 'root password 1')).toBe('signed_in');
  });

  it('allows disabling an administrator while another one stays enabled', async () => {
    await addAdmin('root');
    await addAdmin('root2');
    await ok(['user', 'disable', 'root']);
    const r = await sspr(['user', 'disable', 'root2']);
    expect(r.code).toBe(EXIT.refused);
    expect((await usersJson()).map((u) => [u['username'], u['enabled']])).toEqual(expect.arrayContaining([['root', false], ['root2', true]]));
  });

  it('of an unknown user exits 4', async () => {
    for (const cmd of ['disable', 'enable']) {
      const r = await sspr(['user', cmd, 'nobody']);
      expect(r.code, cmd).toBe(EXIT.notFound);
      expect(r.stderr).toBe('error: no user named nobody\n');
    }
  });
});

describe('groups', () => {
  it('add and list: name, direct member count, description', async () => {
    expect(await ok(['group', 'add', 'staff', '--description', 'Everyone'])).toBe('Created group staff.\n');
    await ok(['group', 'add', 'it']);
    expect(lines(await ok(['group', 'list']))).toEqual(['it\t0\t', 'staff\t0\tEveryone']);
  });

  it('add of an existing name exits 5', async () => {
    await ok(['group', 'add', 'staff']);
    const r = await sspr(['group', 'add', 'STAFF']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe('error: A group with this name already exists.\n');
  });

  it('add-member adds users and nested groups; membership through a nested group shows on the user', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    await ok(['group', 'add', 'staff']);
    await ok(['group', 'add', 'it']);
    expect(await ok(['group', 'add-member', 'staff', '--group', 'it'])).toBe('Added it to staff.\n');
    expect(await ok(['group', 'add-member', 'it', '--user', 'alice'])).toBe('Added alice to it.\n');
    expect(lines(await ok(['group', 'list']))).toEqual(['it\t1\t', 'staff\t1\t']);
    const show = await ok(['user', 'show', 'alice']);
    expect(show).toMatch(/groups: {7}.*\bit\b/);
    expect(show).toContain('staff (nested)');
    const json = JSON.parse(await ok(['user', 'show', 'alice', '--json'])) as { groups: Array<{ name: string; direct: boolean }> };
    expect(json.groups).toEqual(expect.arrayContaining([{ name: 'it', direct: true }, { name: 'staff', direct: false }]));
    expect(json.groups).toHaveLength(2);
  });

  it('add-member to an unknown group exits 4 naming the group', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    const r = await sspr(['group', 'add-member', 'nosuch', '--user', 'alice']);
    expect(r).toEqual({ code: EXIT.notFound, stdout: '', stderr: 'error: no group named nosuch\n' });
  });

  it('add-member of an unknown user or nested group exits 4 naming it', async () => {
    await ok(['group', 'add', 'staff']);
    expect(await sspr(['group', 'add-member', 'staff', '--user', 'ghost'])).toEqual({ code: EXIT.notFound, stdout: '', stderr: 'error: no user named ghost\n' });
    expect(await sspr(['group', 'add-member', 'staff', '--group', 'ghosts'])).toEqual({ code: EXIT.notFound, stdout: '', stderr: 'error: no group named ghosts\n' });
    expect(await ok(['group', 'list'])).toBe('staff\t0\t\n');
  });

  it('add-member needs exactly one of --user and --group (exit 2)', async () => {
    await ok(['group', 'add', 'staff']);
    for (const extra of [[], ['--user', 'a', '--group', 'b']]) {
      const r = await sspr(['group', 'add-member', 'staff', ...extra]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toContain('give exactly one of --user and --group');
    }
  });

  it('add-member refuses a group inside itself and a duplicate member (exit 5)', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    await ok(['group', 'add', 'staff']);
    const self = await sspr(['group', 'add-member', 'staff', '--group', 'staff']);
    expect(self.code).toBe(EXIT.refused);
    expect(self.stderr).toBe('error: A group cannot be a member of itself.\n');
    await ok(['group', 'add-member', 'staff', '--user', 'alice']);
    const again = await sspr(['group', 'add-member', 'staff', '--user', 'alice']);
    expect(again.code).toBe(EXIT.refused);
    expect(again.stderr).toBe('error: That is already a direct member.\n');
  });
});

describe('migrate', () => {
  it('--status lists every migration as pending on a new store and changes nothing', async () => {
    const before = await ok(['migrate', '--status']);
    const rows = before.trimEnd().split('\n');
    expect(rows.length).toBeGreaterThan(0);
    for (const line of rows) expect(line).toMatch(/^pending\t\S+$/);
    expect(await ok(['migrate', '--status'])).toBe(before);
  });

  it('applies every pending migration once, then reports the store up to date', async () => {
    const pending = (await ok(['migrate', '--status'])).trimEnd().split('\n').map((l) => l.split('\t')[1]);
    const applied = (await ok(['migrate'])).trimEnd().split('\n');
    expect(applied).toEqual(pending.map((name) => `applied\t${name}`));
    expect(await ok(['migrate'])).toBe(`SQLite ${join(sb.dir, 'sspr.db')} is up to date.\n`);
    expect((await ok(['migrate', '--status'])).trimEnd().split('\n')).toEqual(pending.map((name) => `applied\t${name}`));
  });
});

describe('init', () => {
  it('writes ./sspr.yaml (mode 0600) that loadConfig accepts, with a 32-byte base64 key', async () => {
    const cwd = join(sb.dir, 'fresh');
    mkdirSync(cwd);
    const r = await sspr(['init'], { cwd, config: null });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe('');
    const file = join(cwd, 'sspr.yaml');
    expect(r.stdout).toContain(`Wrote ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { config } = loadConfig({ cwd, env: {} });
    expect(config.secrets.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(config.secrets.key!, 'base64')).toHaveLength(32);
  });

  it('writes to the --config path, and two runs produce different keys', async () => {
    const a = await sspr(['init'], { config: 'a.yaml' });
    const b = await sspr(['init'], { config: 'b.yaml' });
    expect([a.code, b.code]).toEqual([EXIT.ok, EXIT.ok]);
    const keyA = loadConfig({ cwd: sb.dir, path: 'a.yaml', env: {} }).config.secrets.key;
    const keyB = loadConfig({ cwd: sb.dir, path: 'b.yaml', env: {} }).config.secrets.key;
    expect(keyA).not.toBe(keyB);
  });

  it('refuses to overwrite an existing file (exit 5, file unchanged) unless --force', async () => {
    const before = readFileSync(sb.configPath, 'utf8');
    const r = await sspr(['init']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain(`${sb.configPath} already exists; nothing was changed (use --force to overwrite)`);
    expect(readFileSync(sb.configPath, 'utf8')).toBe(before);

    const forced = await sspr(['init', '--force']);
    expect(forced.code).toBe(EXIT.ok);
    const after = readFileSync(sb.configPath, 'utf8');
    expect(after).not.toBe(before);
    expect(loadConfig({ cwd: sb.dir, path: sb.configPath, env: {} }).config.secrets.key).toBeDefined();
  });
});

describe('doctor', () => {
  it('on a healthy, migrated SQLite config exits 0 and warns about the outbox and the missing administrator', async () => {
    await ok(['migrate']);
    const r = await sspr(['doctor']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(`✔ configuration: read ${sb.configPath}`);
    expect(r.stdout).toContain('✔ secret key: secrets.key is set');
    expect(r.stdout).toContain('✔ store: SQLite');
    expect(r.stdout).toContain('✔ store schema: up to date');
    expect(r.stdout).toContain('⚠ administrators: no enabled administrator yet');
    expect(r.stdout).toContain('⚠ delivery: outbox');
    expect(r.stdout).toContain('0 problem(s), 2 warning(s).');
  });

  it('counts enabled administrators once there is one', async () => {
    await addAdmin();
    const r = await sspr(['doctor']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain('✔ administrators: 1 enabled');
    expect(r.stdout).toContain('0 problem(s), 1 warning(s).');
  });

  it('warns that passkeys cannot work when the public URL is an IP address', async () => {
    await ok(['migrate']);
    const r = await sspr(['doctor'], { env: { SSPR_PUBLIC_URL: 'http://127.0.0.1:8080' } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain('⚠ passkeys: 127.0.0.1 is an IP address');
    expect(r.stdout).toContain('fix: set publicUrl to a host name');
  });

  it('on a new store warns that migrations are pending, with the fix', async () => {
    const r = await sspr(['doctor']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/⚠ store schema: \d+ migration\(s\) pending/);
    expect(r.stdout).toContain('fix: run `sspr migrate`');
  });

  it('with an unreachable PostgreSQL exits 1 and prints a fix: line', async () => {
    const r = await sspr(['doctor'], { env: { SSPR_DATABASE__URL: UNREACHABLE_POSTGRES } });
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout).toContain('✖ store: PostgreSQL 127.0.0.1:1/x: ');
    expect(r.stdout).toContain('    fix: check that PostgreSQL runs and database.url (host, port, user, database) is right');
    expect(r.stdout).toContain('1 problem(s)');
  });

  it('with an SQLite path that cannot be created exits 1 with a fix instead of crashing', async () => {
    writeFileSync(join(sb.dir, 'blocker'), 'a file where a folder should be');
    const r = await sspr(['doctor'], { env: { SSPR_DATABASE__URL: `sqlite:${join(sb.dir, 'blocker', 'sspr.db')}` } });
    expect(r.code).toBe(EXIT.failure);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/✖ store: cannot open sqlite:.*blocker/);
    expect(r.stdout).toContain('fix: check database.url');
  });

  it('with an invalid config exits 1 listing every problem', async () => {
    writeFileSync(sb.configPath, 'listen:\n  port: -1\npasswords:\n  minLength: 100\n  maxLength: 50\nsesions: {}\n');
    const r = await sspr(['doctor']);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout).toContain('✖ configuration: listen.port ');
    expect(r.stdout).toContain('✖ configuration: passwords.minLength must not exceed passwords.maxLength');
    expect(r.stdout).toContain('✖ configuration: sesions is not a known setting');
    expect(r.stdout).toContain('3 problem(s)');
    expect(r.stdout).toContain('fix: edit sspr.yaml');
  });

  it('without any secret key exits 1 and says to run `sspr init`', async () => {
    writeFileSync(sb.configPath, 'passwordHashing:\n  memoryKiB: 1024\n  iterations: 1\n');
    const r = await sspr(['doctor']);
    expect(r.code).toBe(EXIT.failure);
    expect(r.stdout).toMatch(/✖ secret key: .*secret\.key does not exist/);
    expect(r.stdout).toContain('fix: run `sspr init`');
    expect(existsSync(join(sb.dir, 'data', 'secret.key'))).toBe(false);
  });
});
