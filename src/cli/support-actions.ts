import type { Command } from 'commander';
import type { Portal } from '../app/portal.js';
import type { User } from '../directory/users.js';
import { isMessageKey, translator } from '../i18n/index.js';
import { ADMIN_VIEWER } from '../support/access.js';
import type { SupportActionName } from '../support/support-actions.js';
import { CliExit, EXIT, withPortal, type CliIO } from './context.js';
import { CLI_ACTOR, lengthVars, passwordFrom, report, say } from './output.js';

const t = translator('en');

/**
 * A hybrid user's account is changed by an agent, and agents connect to the running portal, not
 * to the command line. On PostgreSQL the command line hands the job to the instance holding the
 * agent (the same store-routed path as between portal instances); on the embedded SQLite store
 * there is no such path: it refuses with words that say where to go instead.
 */
async function reachAgentFromCli(portal: Portal, username: string): Promise<void> {
  if (portal.store.dialect !== 'postgres') {
    throw new CliExit(EXIT.refused, `error: ${username} is in Active Directory, and the command line cannot reach the agent with the embedded SQLite store: use the admin console (Users, then ${username}) or the API of the running portal (/api/v1/users/${username}/…). Nothing was changed.`);
  }
  await portal.agentHub.start();
}

const lockoutCleared = (u: User) => `The sign-in lockout of ${u.username} is cleared: they can sign in again now; they were told by email.`;

/**
 * `sspr user unblock|unlock|clear-lockout|require-registration NAME --reason TEXT`:
 * the support desk's actions from the command line, through the same SupportActions as the
 * console and the API (the reason goes into the audit log; the user is told by email). The
 * exit codes are the other commands': 0 done, 2 usage (a missing or bad reason), 4 no such user, 5 refused.
 */
export function registerSupportActionCommands(user: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  /** `action` may depend on the user (unlock: AD's lockout for a hybrid user, the portal's sign-in lockout for a cloud user). */
  const run = (cmd: Command, username: string, action: SupportActionName | ((u: User) => SupportActionName), reason: string | undefined, done: (u: User) => string) =>
    withPortal(io, cfg(cmd), async (portal) => {
      const u = await portal.supportAccess.find(ADMIN_VIEWER, username);
      if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
      const name = typeof action === 'function' ? action(u) : action;
      if (name === 'unlockAd') await reachAgentFromCli(portal, u.username);
      const r = await portal.supportActions.run(name, CLI_ACTOR, ADMIN_VIEWER, u, { reason: reason ?? '' });
      if (r.ok) {
        io.stdout.write(`${done(u)}\n`);
        setExit(EXIT.ok);
      } else if (r.reason === 'invalid') {
        for (const key of Object.values(r.errors)) io.stderr.write(`error: --reason: ${isMessageKey(key) ? t(key) : key}\n`);
        setExit(EXIT.usage);
      } else {
        io.stderr.write(`error: ${isMessageKey(r.message) ? t(r.message) : r.message}\n`);
        setExit(r.reason === 'not_found' ? EXIT.notFound : EXIT.refused);
      }
    });

  user
    .command('reset-password <username>')
    .description("an administrator's reset: a cloud user's password in the portal, a hybrid user's written back to Active Directory (through the agent); ends the user's sessions")
    .option('--password-stdin', 'read the password from standard input')
    .option('--generate-password', 'generate a random password and print it once')
    .option('--must-change', 'a hybrid user must change it at the next sign-in')
    .action(async (username: string, opts: { passwordStdin?: boolean; generatePassword?: boolean; mustChange?: boolean }, cmd: Command) => {
      const pw = await passwordFrom(io, opts);
      if (!pw) throw new CliExit(EXIT.usage, 'give --password-stdin or --generate-password (a password is never taken from the command line)');
      await withPortal(io, cfg(cmd), async (portal) => {
        const u = await portal.users.byUsername(username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        if (u.source === 'onprem') await reachAgentFromCli(portal, u.username);
        const r = await portal.hybridAccounts.resetPassword(CLI_ACTOR, u, { password: pw.password, ...(opts.mustChange ? { mustChange: true } : {}) });
        setExit(
          report(io, r, () => {
            say(io, `Password of ${u.username} set${u.source === 'onprem' ? ' in Active Directory' : ''}${opts.mustChange ? '; it must be changed at the next sign-in' : ''}; their sessions have ended.`);
            if (pw.generated) say(io, `Password: ${pw.password}`);
          }, lengthVars(portal)),
        );
      });
    });

  user
    .command('unblock <username>')
    .description('unblock self-service: clear the wrong-answer and sent-code counters and lift a "this wasn\'t me" block (check the account with the user first)')
    .option('--reason <text>', 'why (3-200 characters): goes into the audit log')
    .action((username: string, opts: { reason?: string }, cmd: Command) => run(cmd, username, 'unblock', opts.reason, (u) => `Self-service is unblocked for ${u.username}; they were told by email.`));

  user
    .command('unlock <username>')
    .description("unlock the account: a hybrid user's lockout in Active Directory (through the agent), a cloud user's sign-in lockout in the portal")
    .option('--reason <text>', 'why (3-200 characters): goes into the audit log')
    .action((username: string, opts: { reason?: string }, cmd: Command) =>
      run(cmd, username, (u) => (u.source === 'onprem' ? 'unlockAd' : 'clearLockout'), opts.reason, (u) =>
        u.source === 'onprem' ? `${u.username} is unlocked in Active Directory; they were told by email.` : lockoutCleared(u),
      ),
    );

  user
    .command('clear-lockout <username>')
    .description("forget the user's failed sign-ins to the portal, so they can sign in again at once (AD's lockout: sspr user unlock)")
    .option('--reason <text>', 'why (3-200 characters): goes into the audit log')
    .action((username: string, opts: { reason?: string }, cmd: Command) =>
      run(cmd, username, 'clearLockout', opts.reason, lockoutCleared),
    );

  user
    .command('require-registration <username>')
    .description('at the user\'s next sign-in remove every method, answer and recovery code, and have them register again')
    .option('--reason <text>', 'why (3-200 characters): goes into the audit log')
    .action((username: string, opts: { reason?: string }, cmd: Command) =>
      run(cmd, username, 'requireRegistration', opts.reason, (u) => `Re-registration is required for ${u.username}: at the next sign-in they register again; they were told by email.`),
    );

  user
    .command('require-change <username>')
    .description('a hybrid user must change their password at the next sign-in (AD: pwdLastSet 0, through the agent); --off clears it')
    .option('--off', 'clear the requirement instead')
    .action((username: string, opts: { off?: boolean }, cmd: Command) =>
      withPortal(io, cfg(cmd), async (portal) => {
        const u = await portal.supportAccess.find(ADMIN_VIEWER, username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        const on = !opts.off;
        if (u.source === 'onprem') await reachAgentFromCli(portal, u.username);
        const r = await portal.hybridAccounts.requireChange(CLI_ACTOR, u, on);
        setExit(report(io, r, () => say(io, on ? `${u.username} must change their password at the next sign-in (set in Active Directory).` : `${u.username} no longer has to change their password at the next sign-in.`)));
      }),
    );
}
