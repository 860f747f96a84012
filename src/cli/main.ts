import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, configFromEnv, loadConfig } from '../config/load.js';
import { configTemplate } from '../config/template.js';
import { loadMasterKey, newKeyBase64 } from '../config/secret-key.js';
import type { Config } from '../config/schema.js';
import { checkStoreKey, storeHasSealedData } from '../store/key-canary.js';
import { explainWrongKey } from './key-check.js';
import { roles, type Role } from '../directory/names.js';
import type { User } from '../directory/users.js';
import { migratorFor, openStore, type Store } from '../store/database.js';
import { CliExit, EXIT, loadCliConfig, openCliStore, openPortal, type CliIO } from './context.js';
import { doctor } from './doctor.js';
import { startCommand } from './start.js';
import { registerPolicyCommands } from './policy.js';
import { registerSettingsCommands } from './settings.js';
import { registerBrandCommands } from './brand.js';
import { registerTokenCommands } from './tokens.js';
import { registerPasswordCommands } from './password.js';
import { registerAgentCommands } from './agent.js';
import { registerSyncCommands } from './sync.js';
import { registerScopeCommand } from './scope.js';
import { registerUserSupportCommand } from './support.js';
import { registerSupportActionCommands } from './support-actions.js';
import { registerGroupCommands } from './groups.js';
import { CLI_ACTOR, lengthVars, passwordFrom, report, say } from './output.js';

type StoreState = { state: 'none' | 'empty' | 'sealed'; description: string } | { state: 'unknown'; description: string; error: string };

/**
 * What `sspr init` would write over: the store the new file points at (the template's
 * sqlite:./data/sspr.db next to it, or SSPR_DATABASE__URL) and the key in use now. Creates nothing.
 */
async function currentKeyAndStore(io: CliIO, target: string): Promise<{ store: StoreState; keySource: string | null; fileKey: string | null }> {
  const baseDir = dirname(target);
  const fromEnv = configFromEnv(io.env).values as { database?: { url?: unknown }; secrets?: { key?: unknown; keyFile?: unknown } };
  let fileKey: string | null = null;
  if (existsSync(target)) {
    try {
      fileKey = loadConfig({ path: target, env: {}, cwd: io.cwd }).config.secrets.key ?? null;
    } catch {
      fileKey = null;
    }
  }
  const keyFile = resolve(baseDir, typeof fromEnv.secrets?.keyFile === 'string' ? fromEnv.secrets.keyFile : './data/secret.key');
  const keySource = typeof fromEnv.secrets?.key === 'string' ? 'the SSPR_SECRETS__KEY variable' : fileKey ? `secrets.key in ${target}` : existsSync(keyFile) ? `the key file ${keyFile}` : null;

  const url = typeof fromEnv.database?.url === 'string' ? fromEnv.database.url : 'sqlite:./data/sspr.db';
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === ':memory:' || !existsSync(resolve(baseDir, path))) return { store: { state: 'none', description: `SQLite ${resolve(baseDir, path)}` }, keySource, fileKey };
  }
  let store: Store | null = null;
  try {
    store = openStore(url, { baseDir, poolSize: 1 });
    await store.ping();
    return { store: { state: (await storeHasSealedData(store)) ? 'sealed' : 'empty', description: store.description }, keySource, fileKey };
  } catch (err) {
    return { store: { state: 'unknown', description: store?.description ?? url, error: (err as Error).message }, keySource, fileKey };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** The master key when one is configured or its file exists; null otherwise (never created here). */
function keyIfAny(config: Config, baseDir: string): Buffer | null {
  try {
    return loadMasterKey(config, baseDir, { create: false }).key;
  } catch (err) {
    if (err instanceof ConfigError) return null;
    throw err;
  }
}

function userLine(u: User): string {
  return [u.username, u.displayName, u.email ?? '-', u.roles.join(','), u.enabled ? 'enabled' : 'disabled', u.source].join('\t');
}

export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('sspr')
    .description('OpenSSPR: self-service password reset portal')
    .option('-c, --config <path>', 'path to sspr.yaml (default: ./sspr.yaml when it exists)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const cfg = (cmd: Command) => cmd.optsWithGlobals<{ config?: string }>().config;

  program
    .command('start')
    .description('start the portal (creates the SQLite store and key on first run, prints the one-time admin setup link)')
    .option('--demo', 'also create demo users and groups and print how to sign in as them')
    .action(async (opts: { demo?: boolean }, cmd: Command) => setExit(await startCommand(io, cfg(cmd), { demo: !!opts.demo })));

  program
    .command('init')
    .description('write a commented sspr.yaml with a fresh encryption key (refused while a store with encrypted data exists; see --keep-key)')
    .option('--force', 'overwrite an existing file')
    .option('--keep-key', 'write the file without a new key: the key in use (the key file, SSPR_SECRETS__KEY, or the secrets.key of the file overwritten) stays')
    .action(async (opts: { force?: boolean; keepKey?: boolean }, cmd: Command) => {
      const target = resolve(io.cwd, cfg(cmd) ?? 'sspr.yaml');
      if (existsSync(target) && !opts.force) throw new CliExit(EXIT.refused, `${target} already exists; nothing was changed (use --force to overwrite)`);
      const current = await currentKeyAndStore(io, target);
      if (opts.keepKey) {
        writeFileSync(target, configTemplate(current.fileKey), { mode: 0o600 });
        say(io, `Wrote ${target}, keeping the encryption key in use (${current.keySource ?? 'the key file ./data/secret.key, created at the first start'}).`);
      } else {
        if (current.store.state === 'sealed') {
          throw new CliExit(
            EXIT.refused,
            `the store ${current.store.description} already holds data encrypted with a key (${current.keySource ?? 'one no longer configured'}); a new key in ${target} would take its place and make that data unreadable. Nothing was written.\n` +
              '  fix: run `sspr init --keep-key` (the same file, keeping the key in use), or move the store aside to start over with a new key.',
          );
        }
        if (current.store.state === 'unknown') {
          throw new CliExit(EXIT.refused, `cannot tell whether the store (${current.store.description}) holds encrypted data: ${current.store.error}. Nothing was written.\n  fix: make the store reachable and run \`sspr init\` again, or run \`sspr init --keep-key\`.`);
        }
        writeFileSync(target, configTemplate(newKeyBase64()), { mode: 0o600 });
        say(io, `Wrote ${target} with a new encryption key. Keep the file private and backed up.`);
      }
      say(io, 'Next: `sspr doctor` to check it, then `sspr start`.');
      setExit(EXIT.ok);
    });

  program
    .command('migrate')
    .description('bring the store schema up to date')
    .option('--status', 'list migrations and whether each has run, without changing anything')
    .action(async (opts: { status?: boolean }, cmd: Command) => {
      const { config, baseDir } = loadCliConfig(io, cfg(cmd));
      const store = openCliStore(config.database.url, { baseDir, poolSize: 2 });
      try {
        await store.ping().catch((err: Error) => {
          throw new CliExit(EXIT.store, `Cannot reach the store (${store.description}): ${err.message}`);
        });
        const migrator = migratorFor(store);
        if (opts.status) {
          for (const m of await migrator.getMigrations()) say(io, `${m.executedAt ? 'applied' : 'pending'}\t${m.name}`);
          return setExit(EXIT.ok);
        }
        const result = await migrator.migrateToLatest();
        for (const r of result.results ?? []) say(io, `${r.status === 'Success' ? 'applied' : r.status.toLowerCase()}\t${r.migrationName}`);
        if (result.error) throw new CliExit(EXIT.store, `Migration failed: ${(result.error as Error).message}`);
        if (!result.results?.length) say(io, `${store.description} is up to date.`);
        // With the key at hand, the store's key check is written (or a wrong key reported) now rather than at the next start.
        const key = keyIfAny(config, baseDir);
        const check = key ? await checkStoreKey(store, key, { write: true }) : null;
        if (check?.state === 'wrong') {
          const wrong = await explainWrongKey(loadCliConfig(io, cfg(cmd)), store, check);
          throw new CliExit(EXIT.config, `${wrong.problem}. The schema is up to date; nothing else was changed.\n  fix: ${wrong.fix}.`);
        }
        setExit(EXIT.ok);
      } finally {
        await store.close();
      }
    });

  const user = program.command('user').description('manage cloud users');
  user
    .command('add <username>')
    .description('create a user')
    .requiredOption('--display-name <name>', 'the name shown in the portal')
    .option('--email <address>', 'email address')
    .addOption(new Option('--role <role...>', 'roles (repeatable)').choices([...roles]).default(['user']))
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a random password and print it once')
    .action(async (username: string, opts: { displayName: string; email?: string; role: Role[]; passwordStdin?: boolean; generatePassword?: boolean }, cmd: Command) => {
      const pw = await passwordFrom(io, opts);
      // An empty password means "no password" to the service; from --password-stdin it is a mistake.
      if (pw && pw.password === '') throw new CliExit(EXIT.usage, 'password: standard input was empty (leave out --password-stdin to create the user without a password)');
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const outcome = await portal.directory.createUser(CLI_ACTOR, { username, displayName: opts.displayName, email: opts.email ?? '', roles: opts.role, password: pw?.password ?? '' });
        setExit(
          report(io, outcome, (u) => {
            say(io, `Created ${u.username} (${u.roles.join(', ')}).`);
            if (pw?.generated) say(io, `Password: ${pw.password}`);
            else if (!pw) say(io, 'No password set: the user cannot sign in until one is set (sspr user set-password).');
          }, lengthVars(portal)),
        );
      } finally {
        await portal.store.close();
      }
    });

  user
    .command('list')
    .description('list users (tab-separated: username, name, email, roles, status, source)')
    .option('--search <text>', 'only users whose username, name or email contains this')
    .option('--json', 'print JSON')
    .action(async (opts: { search?: string; json?: boolean }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const all: User[] = [];
        for (let page = 1; ; page++) {
          const r = await portal.users.list({ q: opts.search, page, pageSize: 200 });
          all.push(...r.items);
          if (all.length >= r.total || r.items.length === 0) break;
        }
        if (opts.json) say(io, JSON.stringify(all, null, 2));
        else for (const u of all) say(io, userLine(u));
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  user
    .command('show <username>')
    .description('show one user with roles and groups')
    .option('--json', 'print JSON')
    .action(async (username: string, opts: { json?: boolean }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const u = await portal.users.byUsername(username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        const groups = await portal.groups.groupsOfUser(u.id);
        if (opts.json) say(io, JSON.stringify({ ...u, groups: groups.map((g) => ({ name: g.name, direct: g.direct })) }, null, 2));
        else {
          say(io, `username:     ${u.username}\ndisplay name: ${u.displayName}\nemail:        ${u.email ?? '-'}\nroles:        ${u.roles.join(', ')}`);
          say(io, `status:       ${u.enabled ? 'enabled' : 'disabled'}\nsource:       ${u.source}\npassword:     ${u.passwordChangedAt ? `set ${new Date(u.passwordChangedAt).toISOString()}` : 'not set'}`);
          say(io, `groups:       ${groups.map((g) => (g.direct ? g.name : `${g.name} (nested)`)).join(', ') || '-'}`);
          const block = await portal.notMe.block(u.id);
          if (block) say(io, `self-service: off since ${new Date(block.blockedAt).toISOString()} (reported "this wasn't me" for ${block.reportedEvent}; sspr user unblock ${u.username} --reason …)`);
        }
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  user
    .command('set-password <username>')
    .description('set a cloud user\'s password (ends the user\'s sessions)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a random password and print it once')
    .action(async (username: string, opts: { passwordStdin?: boolean; generatePassword?: boolean }, cmd: Command) => {
      const pw = await passwordFrom(io, opts);
      if (!pw) throw new CliExit(EXIT.usage, 'give --password-stdin or --generate-password (a password is never taken from the command line)');
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const u = await portal.users.byUsername(username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        setExit(
          report(io, await portal.directory.setPassword(CLI_ACTOR, u.id, { password: pw.password }), () => {
            say(io, `Password of ${u.username} set; their sessions have ended.`);
            if (pw.generated) say(io, `Password: ${pw.password}`);
          }, lengthVars(portal)),
        );
      } finally {
        await portal.store.close();
      }
    });

  for (const [name, enabled] of [['disable', false], ['enable', true]] as const) {
    user
      .command(`${name} <username>`)
      .description(enabled ? 'enable a user' : 'disable a user (ends their sessions)')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
        try {
          const u = await portal.users.byUsername(username);
          if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
          setExit(report(io, await portal.directory.setEnabled(CLI_ACTOR, u.id, enabled), (x) => say(io, `${x.username} is ${enabled ? 'enabled' : 'disabled'}.`)));
        } finally {
          await portal.store.close();
        }
      });
  }

  registerSupportActionCommands(user, io, setExit, cfg);

  registerScopeCommand(user, io, setExit, cfg);
  registerUserSupportCommand(user, io, setExit, cfg);

  registerGroupCommands(program, io, setExit, cfg);

  program
    .command('doctor')
    .description('check configuration, key, store and delivery; print what is wrong and how to fix it')
    .action(async (_opts: unknown, cmd: Command) => setExit(await doctor(io, cfg(cmd))));

  registerPolicyCommands(program, io, setExit, cfg);
  registerSettingsCommands(program, io, setExit, cfg);
  registerBrandCommands(program, io, setExit, cfg);
  registerTokenCommands(program, io, setExit, cfg);
  registerPasswordCommands(program, io, setExit, cfg);
  registerAgentCommands(program, io, setExit, cfg);
  registerSyncCommands(program, io, setExit, cfg);
  return program;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() });

/** Runs the CLI and returns the exit code (see EXIT). */
export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      // `sspr` or `sspr user` without a subcommand prints help to stderr: a usage error, not success.
      if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      // Commander already printed the message.
      return EXIT.usage;
    }
    if (err instanceof CliExit) {
      io.stderr.write(`${err.message.startsWith('error:') ? err.message : `error: ${err.message}`}\n`);
      return err.code;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`error: ${err.message}\n`);
      return EXIT.config;
    }
    io.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}
