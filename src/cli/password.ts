import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { translator } from '../i18n/index.js';
import { passwordSettings } from '../policy/password-settings.js';
import { wordsOfFile } from '../policy/password-rules.js';
import { setAt, valueAt } from '../policy/settings.js';
import { CliExit, EXIT, openPortal, readStdin, type CliIO } from './context.js';
import { savePolicyPatch } from './policy.js';

const t = translator('en');

function say(io: CliIO, text: string): void {
  io.stdout.write(`${text}\n`);
}

/** The keys `password rules set` takes: each setting's path under `passwords.` (minLength, breached.mode, …). */
const ruleKeys = passwordSettings.map((s) => s.path.slice('passwords.'.length));

function parseRule(arg: string): { key: string; value: unknown } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliExit(EXIT.usage, `${arg}: expected key=value (for example minLength=12)`);
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1);
  if (!ruleKeys.includes(key)) throw new CliExit(EXIT.usage, `${key}: not a password rule (the rules are: ${ruleKeys.join(', ')})`);
  if (key === 'bannedCustom') throw new CliExit(EXIT.usage, 'bannedCustom: use `sspr password banned import FILE` (one word per line)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if ((key === 'breached.localFolder' || key === 'breached.localUrl') && value === '') value = null;
  return { key, value };
}

/** `sspr password check|rules|banned`: the rules in force, through the services the console and the API use. */
export function registerPasswordCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const password = program.command('password').description('test a password against the rules, show and change the password rules');

  password
    .command('check')
    .description('check a password read from standard input against every rule in force (the breached check included, never the history); prints the verdict as JSON, exit 0 accepted, 5 refused')
    .option('--user <username>', "check it as this user's password (their names count)")
    .option('--stdin', 'read the password from standard input (required: a password is never taken from the command line)')
    .action(async (opts: { user?: string; stdin?: boolean }, cmd: Command) => {
      if (!opts.stdin) throw new CliExit(EXIT.usage, 'give --stdin and the password on standard input (a password is never taken from the command line)');
      const pw = await readStdin(io.stdin);
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const user = opts.user === undefined ? null : await portal.users.byUsername(opts.user);
        if (opts.user !== undefined && !user) throw new CliExit(EXIT.notFound, `error: no user named ${opts.user}`);
        const verdict = await portal.directory.testPassword(pw, user ?? {});
        const rules = await portal.directory.passwordRules();
        const reasons = verdict.reasons.map((r) => ({ code: r.key.replace(/^v\.password\./, ''), message: t(r.key, { min: rules.minLength, max: rules.maxLength, ...r.values }) }));
        const out = { accepted: verdict.ok, user: user?.username ?? null, reasons, breachCount: verdict.breachCount ?? null, score: verdict.score, bannedPoints: verdict.banned?.points ?? null };
        say(io, JSON.stringify(out, null, 2));
        setExit(verdict.ok ? EXIT.ok : EXIT.refused);
      } finally {
        await portal.store.close();
      }
    });

  const rules = password.command('rules').description('show or change the password rules (a section of the policy: versioned, see sspr policy history)');

  rules
    .command('show', { isDefault: true })
    .description('print the password rules in force')
    .option('--json', 'as JSON, with the policy version')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const v = await portal.policy.refresh();
        if (opts.json) say(io, JSON.stringify({ version: v.version, passwords: v.policy.passwords }, null, 2));
        else {
          say(io, `Password rules (policy version ${v.version}${v.version === 0 ? ', from the configuration file' : ''}):`);
          for (const s of passwordSettings) {
            const value = valueAt(v.policy, s.path);
            const shown = Array.isArray(value) ? `${value.length} words (sspr password banned export)` : value === null ? '-' : String(value);
            say(io, `  ${s.path.slice('passwords.'.length).padEnd(22)} ${shown.padEnd(32)} ${t(s.label)}`);
          }
        }
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  rules
    .command('set <settings...>')
    .description('change rules: key=value, e.g. minLength=12 breached.mode=hibp breached.failureMode=closed')
    .option('--comment <text>', 'why, for the history and the audit log')
    .action(async (assignments: string[], opts: { comment?: string }, cmd: Command) => {
      const patch: Record<string, unknown> = {};
      for (const { key, value } of assignments.map(parseRule)) setAt(patch, `passwords.${key}`, value);
      await save(cmd, patch, opts.comment);
    });

  const banned = password.command('banned').description("the organisation's banned words, as text (one word per line)");

  banned
    .command('export')
    .description('print the banned words, one per line')
    .action(async (_opts: unknown, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const words = (await portal.policy.refresh()).policy.passwords.bannedCustom;
        if (words.length) io.stdout.write(`${words.join('\n')}\n`);
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  banned
    .command('import <file>')
    .description('replace the banned words with those of a text file (one per line; - for standard input)')
    .option('--comment <text>', 'why, for the history and the audit log')
    .action(async (file: string, opts: { comment?: string }, cmd: Command) => {
      let bytes: Uint8Array;
      try {
        bytes = file === '-' ? Buffer.from(await readStdin(io.stdin), 'utf8') : readFileSync(resolve(io.cwd, file));
      } catch (err) {
        throw new CliExit(EXIT.usage, `${file}: cannot read it (${(err as Error).message})`);
      }
      const words = wordsOfFile(bytes);
      if (!words) throw new CliExit(EXIT.usage, `${file}: ${t('policy.passwords.banned.notText')}`);
      await save(cmd, { passwords: { bannedCustom: words } }, opts.comment);
    });

  async function save(cmd: Command, patch: Record<string, unknown>, comment: string | undefined): Promise<void> {
    const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
    try {
      setExit(await savePolicyPatch(io, portal, patch, { comment }));
    } finally {
      await portal.store.close();
    }
  }
}
