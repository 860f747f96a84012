import { SMTP_PASSWORD, startSmtp } from '../../test/helpers/smtp-sink.js';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliSandbox } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/load.js';
import { newKeyBase64 } from '../config/secret-key.js';
import { openStore } from '../store/database.js';
import { EXIT } from './context.js';
import { cliFixtures } from '../../test/helpers/cli-fixtures.js';

/**
 * The CLI driven in-process through main(argv, io), over a real SQLite file in a temp folder.
 * The config file carries the key and cheap argon2 parameters; the store location comes from
 * SSPR_DATABASE__URL as an operator's environment would give it.
 */

const UNREACHABLE_POSTGRES = 'postgres://postgres@127.0.0.1:1/x';

const sb = useCliSandbox('sspr-cli-');
const { run: sspr, ok } = sb;
const { usersJson, addAdmin } = cliFixtures(sb);

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

  it('checks the delivery saved in the console, not the file\'s: an SMTP server set with sspr settings is tried with its saved password', async () => {
    const smtp = await startSmtp();
    try {
      await ok(['migrate']);
      await ok(['settings', 'set', 'delivery', 'mode=smtp', 'smtp.host=127.0.0.1', `smtp.port=${smtp.port}`, 'smtp.user=mailer', 'smtp.password=-', 'smtp.rejectUnauthorized=false'], { stdin: [SMTP_PASSWORD] });
      const r = await sspr(['doctor']);
      expect(r.stdout).toContain(`✔ delivery: SMTP 127.0.0.1:${smtp.port} (saved settings) accepted the connection and the login`);
      expect(r.stdout).not.toContain(SMTP_PASSWORD);
      expect(smtp.calls.auth).toBe(1);
    } finally {
      await smtp.close();
    }
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
