import type { Command } from 'commander';
import { isMessageKey, translator } from '../i18n/index.js';
import type { HelpdeskScope } from '../support/scope-store.js';
import { CliExit, EXIT, openPortal, type CliIO } from './context.js';

const t = translator('en');
const CLI_ACTOR = { id: null, name: 'cli' };

const collect = (value: string, previous: string[]) => [...previous, value];

/** The scope as lines a script can read: `group<TAB>name`, `ou<TAB>DN`, or `all users`. */
function scopeLines(scope: HelpdeskScope): string[] {
  if (scope.entries.length === 0) return ['all users'];
  return scope.entries.map((e) => (e.kind === 'group' ? `group\t${e.name ?? `(deleted group ${e.groupId})`}` : `ou\t${e.dn}`));
}

/** `sspr user scope NAME [--group G]... [--ou DN]... [--clear]`: show or set a helpdesk user's scope (audited like the console's form). */
export function registerScopeCommand(user: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  user
    .command('scope <username>')
    .description('show or set which users a helpdesk user (password_administrator) may see: groups (nested included) and AD OUs; without options it shows the scope')
    .option('--group <name>', 'members of this group (repeat for more); replaces the scope', collect, [])
    .option('--ou <dn>', 'hybrid users under this AD OU, e.g. OU=Sales,DC=corp,DC=example (repeat for more); replaces the scope', collect, [])
    .option('--clear', 'no scope: every user (never administrators or other helpdesk users)')
    .action(async (username: string, opts: { group: string[]; ou: string[]; clear?: boolean }, cmd: Command) => {
      const setting = opts.group.length > 0 || opts.ou.length > 0;
      if (opts.clear && setting) throw new CliExit(EXIT.usage, 'give --clear alone, or --group/--ou to set the scope');
      const { portal } = await openPortal(io, cfg(cmd), { createKey: true });
      try {
        const u = await portal.users.byUsername(username);
        if (!u) throw new CliExit(EXIT.notFound, `error: no user named ${username}`);
        if (!setting && !opts.clear) {
          for (const line of scopeLines(await portal.helpdeskScopes.of(u.id))) io.stdout.write(`${line}\n`);
          return setExit(EXIT.ok);
        }
        const groupIds: string[] = [];
        for (const name of opts.group) {
          const g = await portal.groups.byName(name);
          if (!g) throw new CliExit(EXIT.usage, `error: --group: no group named ${name}`);
          groupIds.push(g.id);
        }
        const r = await portal.helpdeskScopes.set(CLI_ACTOR, u, { groupIds, ous: opts.ou });
        if (r.ok) {
          io.stdout.write(`Helpdesk scope of ${u.username}: ${scopeLines(r.value).join('; ').replace(/\t/g, ' ')}\n`);
          return setExit(EXIT.ok);
        }
        if (r.reason === 'invalid') {
          for (const [field, key] of Object.entries(r.errors)) io.stderr.write(`error: ${field === 'ous' ? '--ou' : '--group'}: ${isMessageKey(key) ? t(key) : key}\n`);
          return setExit(EXIT.usage);
        }
        io.stderr.write(`error: ${isMessageKey(r.message) ? t(r.message) : r.message}\n`);
        return setExit(r.reason === 'not_found' ? EXIT.notFound : EXIT.refused);
      } finally {
        await portal.store.close();
      }
    });
}
