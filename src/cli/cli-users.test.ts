import { beforeEach, describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { EXIT } from './context.js';
import { cliFixtures } from '../../test/helpers/cli-fixtures.js';

/** `sspr user …` and `sspr group …` in-process over a real SQLite file: what each command stores, prints and refuses. */

const sb = useCliSandbox('sspr-cli-');
const { run: sspr, ok } = sb;
const { lines, usersJson, signIn, addAdmin } = cliFixtures(sb);

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
      if (!r.ok || r.value.kind !== 'signed_in') expect.fail(`sign-in gave ${r.ok ? r.value.kind : r.reason}`);
      expect(await portal.sessions.validate(r.value.sessionToken)).not.toBeNull();
      await ok(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['brand new password'] });
      expect(await portal.sessions.validate(r.value.sessionToken)).toBeNull();
    });
  });

  it('ends the user\'s open flows: a sign-in elsewhere that passed its password step cannot go on', async () => {
    await sb.withPortal(async (portal) => {
      const alice = (await portal.users.byUsername('alice'))!;
      const email = await portal.methods.addContact(alice.id, 'email', 'alice@example.com');
      await portal.methods.confirm(alice.id, email.id);
      const r = await portal.signIn.attempt({ username: 'alice', password: 'old tortoise 1865', ip: '192.0.2.10', userAgent: 'cli-test', browserId: 'cli-test', next: '/account' });
      if (!r.ok || r.value.kind !== 'second_factor_required') return expect.fail(`sign-in gave ${r.ok ? r.value.kind : r.reason}`);
      expect((await portal.secondFactor.view(r.value.flowId, 'cli-test')).kind).toBe('choose');
      await ok(['user', 'set-password', 'alice', '--password-stdin'], { stdin: ['brand new password'] });
      expect((await portal.secondFactor.view(r.value.flowId, 'cli-test')).kind).toBe('voided');
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
    expect(await signIn('root', 'tall oak password 1')).toBe('signed_in');
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

  it('rename renames a cloud group; a taken name exits 5 and changes nothing', async () => {
    await ok(['group', 'add', 'staff', '--description', 'Everyone']);
    await ok(['group', 'add', 'it']);
    expect(await ok(['group', 'rename', 'STAFF', 'Everyone'])).toBe('Renamed group staff to Everyone.\n');
    const taken = await sspr(['group', 'rename', 'it', 'everyone']);
    expect(taken).toEqual({ code: EXIT.refused, stdout: '', stderr: 'error: A group with this name already exists.\n' });
    const blank = await sspr(['group', 'rename', 'it', '   ']);
    expect(blank.code).toBe(EXIT.usage);
    expect(blank.stderr).toMatch(/^error: name: /);
    expect(lines(await ok(['group', 'list']))).toEqual(['Everyone\t0\tEveryone', 'it\t0\t']);
    expect(await sspr(['group', 'rename', 'nosuch', 'x'])).toEqual({ code: EXIT.notFound, stdout: '', stderr: 'error: no group named nosuch\n' });
  });

  it('remove deletes a group and its memberships, its members stay; refused (exit 5) while the policy uses it', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    await ok(['group', 'add', 'staff']);
    await ok(['group', 'add', 'it']);
    await ok(['group', 'add-member', 'staff', '--group', 'it']);
    await ok(['group', 'add-member', 'it', '--user', 'alice']);
    await ok(['policy', 'set', 'enabledFor=selected', 'groups=it']);
    const refused = await sspr(['group', 'remove', 'it']);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toContain('The self-service policy uses this group');
    expect(lines(await ok(['group', 'list']))).toEqual(['it\t1\t', 'staff\t1\t']);
    await ok(['policy', 'set', 'groups=staff']);
    expect(await ok(['group', 'remove', 'it'])).toBe('Deleted group it.\n');
    expect(lines(await ok(['group', 'list']))).toEqual(['staff\t0\t']);
    expect(await ok(['user', 'show', 'alice'])).toContain('groups:       -\n');
  });

  it('remove-member takes a user or a nested group out; one that is not a direct member exits 4', async () => {
    await ok(['user', 'add', 'alice', '--display-name', 'Alice']);
    await ok(['group', 'add', 'staff']);
    await ok(['group', 'add', 'it']);
    await ok(['group', 'add-member', 'staff', '--group', 'it']);
    await ok(['group', 'add-member', 'staff', '--user', 'alice']);
    expect(await ok(['group', 'remove-member', 'staff', '--user', 'ALICE'])).toBe('Removed alice from staff.\n');
    expect(await ok(['group', 'remove-member', 'staff', '--group', 'it'])).toBe('Removed it from staff.\n');
    const again = await sspr(['group', 'remove-member', 'staff', '--user', 'alice']);
    expect(again.code).toBe(EXIT.notFound);
    expect(await sspr(['group', 'remove-member', 'staff'])).toMatchObject({ code: EXIT.usage });
    expect(lines(await ok(['group', 'list']))).toEqual(['it\t0\t', 'staff\t0\t']);
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
