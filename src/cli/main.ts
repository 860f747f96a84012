import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { configTemplate } from '../config/template.js';
import { newKeyBase64 } from '../config/secret-key.js';
import { roles, type Role } from '../directory/names.js';
import type { User } from '../directory/users.js';
import { generatePassword } from '../shared/crypto.js';
import { migratorFor } from '../store/database.js';
import { CliExit, EXIT, loadCliConfig, openCliStore, openPortal, readStdin, type CliIO } from './context.js';
import { doctor } from './doctor.js';
import { startCommand } from './start.js';
import { registerPolicyCommands } from './policy.js';
import { registerTokenCommands } from './tokens.js';
import { registerPasswordCommands } from './password.js';
import { registerAgentCommands } from './agent.js';
import { registerSyncCommands } from './sync.js';
import { registerScopeCommand } from './scope.js';
import { registerUserSupportCommand } from './support.js';
import { registerSupportActionCommands } from './support-actions.js';
import { registerGroupCommands } from './groups.js';
import { CLI_ACTOR, report, say } from './output.js';

function userLine(u: User): string {
  return [u.username, u.displayName, u.email ?? '-', u.roles.join(','), u.enabled ? 'enabled' : 'disabled', u.source].join('\t');
}

async function passwordFrom(io: CliIO, opts: { passwordStdin?: boolean; generatePassword?: boolean }): Promise<{ password: string; generated: boolean } | null> {
  if (opts.passwordStdin && opts.generatePassword) throw new CliExit(EXIT.usage, 'choose one of --password-stdin and --generate-password');
  if (opts.passwordStdin) return { password: await readStdin(io.stdin), generated: false };
  if (opts.generatePassword) return { password: generatePassword(), generated: true };
  return null;
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
    .description('write a commented sspr.yaml with a fresh encryption key')
    .option('--force', 'overwrite an existing file')
    .action((opts: { force?: boolean }, cmd: Command) => {
      const target = resolve(io.cwd, cfg(cmd) ?? 'sspr.yaml');
      if (existsSync(target) && !opts.force) throw new CliExit(EXIT.refused, `${target} already exists; nothing was changed (use --force to overwrite)`);
      writeFileSync(target, configTemplate(newKeyBase64()), { mode: 0o600 });
      say(io, `Wrote ${target} with a new encryption key. Keep the file private and backed up.`);
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
  registerTokenCommands(program, io, setExit, cfg);
  registerPasswordCommands(program, io, setExit, cfg);
  registerAgentCommands(program, io, setExit, cfg);
  registerSyncCommands(program, io, setExit, cfg);
  return program;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() });

/** The length rules in force (the policy's, loaded by the password check) for the messages that name them. */
function lengthVars(portal: { policy: { snapshot(): { policy: { passwords: { minLength: number; maxLength: number } } } } }): { min: number; max: number } {
  const p = portal.policy.snapshot().policy.passwords;
  return { min: p.minLength, max: p.maxLength };
}

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
