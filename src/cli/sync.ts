import type { Command } from 'commander';
import { EXIT, openPortal, type CliIO } from './context.js';

/**
 * `sspr sync run|status`. The CLI has no agent connection of its own: `run` records a request in
 * the store, the running portal with a connected agent picks it up within seconds, and the CLI
 * waits for the run to finish.
 */
export function registerSyncCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const sync = program.command('sync').description('synchronise users and groups from Active Directory (through the agent)');
  const say = (s: string) => io.stdout.write(`${s}\n`);

  sync
    .command('run')
    .description('ask the running portal to sync now and wait for the result')
    .option('--full', 'a full import instead of the changes since the last run')
    .option('--wait <seconds>', 'how long to wait for the run to finish', '300')
    .action(async (opts: { full?: boolean; wait: string }, cmd: Command) => {
      const wait = Number.parseInt(opts.wait, 10);
      if (!Number.isFinite(wait) || wait < 0 || wait > 86_400) {
        io.stderr.write('error: --wait must be a number of seconds (0–86400)\n');
        return setExit(EXIT.usage);
      }
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const at = await portal.sync.request(!!opts.full);
        say(`Asked for a ${opts.full ? 'full import' : 'sync'}; the portal starts it within seconds when an agent is connected.`);
        const deadline = Date.now() + wait * 1000;
        while (Date.now() < deadline) {
          const run = (await portal.sync.runs(5)).find((r) => r.startedAt >= at && r.status !== 'running');
          if (run) {
            say(`${run.kind} sync ${run.status}: ${run.added} added, ${run.updated} updated, ${run.disabled} disabled, ${run.errors} errors.`);
            for (const c of run.conflicts) say(`  conflict: ${c.name} (${c.reason})`);
            for (const p of run.problems) say(`  problem: ${p}`);
            return setExit(run.status === 'done' && run.errors === 0 ? EXIT.ok : EXIT.failure);
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
        if (wait > 0) {
          io.stderr.write('error: no sync finished in time: is the portal running with a connected agent? (see the console: Agents)\n');
          return setExit(EXIT.failure);
        }
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });

  sync
    .command('status')
    .description('the last sync runs')
    .option('--limit <n>', 'how many runs', '10')
    .action(async (opts: { limit: string }, cmd: Command) => {
      const { portal } = await openPortal(io, cfg(cmd), { createKey: false });
      try {
        const runs = await portal.sync.runs(Math.min(Math.max(Number.parseInt(opts.limit, 10) || 10, 1), 200));
        if (runs.length === 0) say('No sync has run yet.');
        for (const r of runs) {
          const took = r.finishedAt ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s` : 'running';
          say([new Date(r.startedAt).toISOString(), r.kind, r.trigger, r.status, took, `+${r.added}`, `~${r.updated}`, `-${r.disabled}`, `!${r.errors}`].join('\t'));
        }
        setExit(EXIT.ok);
      } finally {
        await portal.store.close();
      }
    });
}
