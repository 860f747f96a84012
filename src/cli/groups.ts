import type { Command } from 'commander';
import { CliExit, EXIT, withPortal, type CliIO } from './context.js';
import type { Portal } from '../app/portal.js';
import { CLI_ACTOR, report, say } from './output.js';

/** `sspr group add|list|rename|remove|add-member|remove-member`: the console's group rules, audited as "cli". */
export function registerGroupCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const group = program.command('group').description('manage groups');

  const withStore = (cmd: Command, fn: (portal: Portal) => Promise<void>) => withPortal(io, cfg(cmd), fn);
  const existing = async (portal: Portal, name: string) => {
    const g = await portal.groups.byName(name);
    if (!g) throw new CliExit(EXIT.notFound, `error: no group named ${name}`);
    return g;
  };
  /** The member named by exactly one of --user and --group (checked before the store is opened). */
  const memberSpec = (opts: { user?: string; group?: string }) => {
    if (!!opts.user === !!opts.group) throw new CliExit(EXIT.usage, 'give exactly one of --user and --group');
    return opts.user ? { type: 'user' as const, name: opts.user } : { type: 'group' as const, name: opts.group! };
  };
  /** That member, which must exist. */
  const memberOf = async (portal: Portal, spec: { type: 'user' | 'group'; name: string }) => {
    const found = spec.type === 'user' ? await portal.users.byUsername(spec.name) : await portal.groups.byName(spec.name);
    if (!found) throw new CliExit(EXIT.notFound, `error: no ${spec.type} named ${spec.name}`);
    return { type: spec.type, name: 'username' in found ? found.username : found.name, id: found.id };
  };

  group
    .command('add <name>')
    .description('create a group')
    .option('--description <text>', 'what the group is for')
    .action((name: string, opts: { description?: string }, cmd: Command) =>
      withStore(cmd, async (portal) => setExit(report(io, await portal.directory.createGroup(CLI_ACTOR, { name, description: opts.description ?? '' }), (g) => say(io, `Created group ${g.name}.`)))),
    );

  group
    .command('list')
    .description('list groups (tab-separated: name, direct members, description)')
    .action((_opts: unknown, cmd: Command) =>
      withStore(cmd, async (portal) => {
        for (const g of await portal.groups.list()) say(io, `${g.name}\t${g.directMembers}\t${g.description}`);
        setExit(EXIT.ok);
      }),
    );

  group
    .command('rename <name> <new-name>')
    .description('rename a cloud group (the policy and helpdesk scopes that use it follow it)')
    .action((name: string, newName: string, _opts: unknown, cmd: Command) =>
      withStore(cmd, async (portal) => {
        const g = await existing(portal, name);
        setExit(report(io, await portal.directory.renameGroup(CLI_ACTOR, g.id, { name: newName }), (r) => say(io, `Renamed group ${g.name} to ${r.name}.`)));
      }),
    );

  group
    .command('remove <name>')
    .description('delete a cloud group and its memberships (its members stay); refused while the policy uses it')
    .action((name: string, _opts: unknown, cmd: Command) =>
      withStore(cmd, async (portal) => {
        const g = await existing(portal, name);
        setExit(report(io, await portal.directory.deleteGroup(CLI_ACTOR, g.id), () => say(io, `Deleted group ${g.name}.`)));
      }),
    );

  group
    .command('add-member <group>')
    .description('add a user or a nested group to a group')
    .option('--user <username>', 'the user to add')
    .option('--group <name>', 'the group to nest')
    .action((groupName: string, opts: { user?: string; group?: string }, cmd: Command) => {
      const spec = memberSpec(opts);
      return withStore(cmd, async (portal) => {
        const g = await existing(portal, groupName);
        const member = await memberOf(portal, spec);
        setExit(report(io, await portal.directory.addMember(CLI_ACTOR, g.id, member), () => say(io, `Added ${member.name} to ${g.name}.`)));
      });
    });

  group
    .command('remove-member <group>')
    .description('take a user or a nested group out of a group')
    .option('--user <username>', 'the user to take out')
    .option('--group <name>', 'the nested group to take out')
    .action((groupName: string, opts: { user?: string; group?: string }, cmd: Command) => {
      const spec = memberSpec(opts);
      return withStore(cmd, async (portal) => {
        const g = await existing(portal, groupName);
        const member = await memberOf(portal, spec);
        setExit(report(io, await portal.directory.removeMember(CLI_ACTOR, g.id, member), () => say(io, `Removed ${member.name} from ${g.name}.`)));
      });
    });
}
