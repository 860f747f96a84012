import type { Command } from 'commander';
import { systemClock } from '../shared/clock.js';
import { AgentPresence } from '../writeback/agent-presence.js';
import type { Agent } from '../writeback/agent-registry.js';
import { CliExit, EXIT, withPortal, type CliIO } from './context.js';
import { CLI_ACTOR, say } from './output.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

type AgentState = 'connected' | 'not connected' | 'revoked';

/**
 * `sspr agent token|list|revoke`: the console's Agents page on the command line, over the same
 * AgentRegistry (the token is shown once, only its hash is stored; creating and revoking are
 * audited as "cli"). Which instance holds an agent's connection comes from agent_presence, which
 * every portal instance keeps, so the CLI sees it without being a portal itself.
 */
export function registerAgentAdminCommands(agent: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  agent
    .command('token')
    .description('create a one-time registration token for a new agent and print the command to run on its machine')
    .action((_opts: unknown, cmd: Command) =>
      withPortal(io, cfg(cmd), async (portal, loaded) => {
        const { token, expiresAt } = await portal.agents.createRegistrationToken(CLI_ACTOR);
        say(io, `Token: ${token}`);
        say(io, `It registers one agent and expires at ${iso(expiresAt)}. On the agent's machine run:`);
        say(io, `  sspr agent register --portal ${loaded.config.publicUrl} --token ${token}`);
        setExit(EXIT.ok);
      }),
    );

  agent
    .command('list')
    .description('list registered agents (tab-separated: id, name, state, domain, version, instance, last seen, registered)')
    .option('--json', 'print the list as JSON')
    .action((opts: { json?: boolean }, cmd: Command) =>
      withPortal(io, cfg(cmd), async (portal) => {
        const [agents, online] = await Promise.all([portal.agents.list(), new AgentPresence(portal.store, systemClock, 'cli').online()]);
        const instanceOf = new Map(online.map((p) => [p.agentId, p.instanceId]));
        const rows = agents.map((a) => ({ agent: a, state: stateOf(a, instanceOf), instance: instanceOf.get(a.id) ?? null }));
        if (opts.json) {
          const json = rows.map(({ agent: a, state, instance }) => ({ id: a.id, name: a.name, state, domain: a.domain, version: a.version, instance, lastSeenAt: iso(a.lastSeenAt), registeredAt: iso(a.registeredAt), revokedAt: iso(a.revokedAt) }));
          say(io, JSON.stringify(json, null, 2));
        } else if (rows.length === 0) {
          say(io, 'No agent is registered. Hybrid users need one: `sspr agent token` creates a registration token.');
        } else {
          for (const { agent: a, state, instance } of rows) say(io, [a.id, a.name, state, a.domain ?? '-', a.version ?? '-', instance ?? '-', iso(a.lastSeenAt), iso(a.registeredAt)].join('\t'));
        }
        setExit(EXIT.ok);
      }),
    );

  agent
    .command('revoke <id-or-name>')
    .description('revoke an agent: its connection is refused from now on (register it again with a new token)')
    .action((idOrName: string, _opts: unknown, cmd: Command) =>
      withPortal(io, cfg(cmd), async (portal) => {
        const active = (await portal.agents.list()).filter((a) => a.revokedAt === null);
        const byId = active.find((a) => a.id === idOrName);
        const byName = active.filter((a) => a.name.toLowerCase() === idOrName.toLowerCase());
        const target = byId ?? (byName.length === 1 ? byName[0] : undefined);
        if (!target && byName.length > 1) throw new CliExit(EXIT.usage, `error: ${byName.length} agents are named ${idOrName}; give the id (sspr agent list): ${byName.map((a) => a.id).join(', ')}`);
        if (!target) throw new CliExit(EXIT.notFound, `error: no registered agent with the id or name ${idOrName} (revoked agents are not listed as active)`);
        if (!(await portal.agents.revoke(CLI_ACTOR, target.id))) throw new CliExit(EXIT.refused, `error: ${target.name} was revoked already`);
        say(io, `Revoked agent ${target.name} (${target.id}). It can no longer connect; a connection open now ends at its next heartbeat.`);
        setExit(EXIT.ok);
      }),
    );
}

function stateOf(a: Agent, instanceOf: Map<string, string>): AgentState {
  if (a.revokedAt !== null) return 'revoked';
  return instanceOf.has(a.id) ? 'connected' : 'not connected';
}
