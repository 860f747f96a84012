/**
 * The job machinery's CPU per writeback job, without AD: `npx tsx bench/job-cpu.ts`.
 *
 *   --jobs <n>         reset jobs per phase (default 2000)
 *   --concurrent <n>   jobs at once in the second phase (default 8)
 *
 * The portal wired as `sspr start` wires it (loadConfig → openStore → migrateToLatest →
 * buildPortal → startServer; SQLite in a temp dir, log lines to /dev/null) and the real agent
 * client (AgentClient: claim, journal on disk, verdict, acknowledgement) connected over a
 * loopback WebSocket, with an executor that answers every reset at once instead of asking AD.
 * What is left is what the portal and the agent add to every job: the job row, sealing and
 * opening, the WebSocket messages, the claim, the journal, recording the verdict and its audit.
 * Printed: CPU time of this process (portal and agent together, all threads) per job — less
 * moved by other processes than wall time — and the wall time per job. Run it with
 * `node --cpu-prof --import tsx bench/job-cpu.ts` to see where that CPU goes. Loopback only,
 * bounded; it removes what it creates. Figures compare on one machine; never assert on them.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentClient, type JobExecutor } from '../src/agent/agent-client.js';
import { Journal } from '../src/agent/journal.js';
import { registerAgent } from '../src/agent/state.js';
import { createLogger } from '../src/logging/logger.js';
import { startServer } from '../src/server.js';
import { cpuNote, inParallel, intOptions, ms, onCleanUp, openBenchPortal, otherCpu, p50, percentile, printHeader, runBench, startWatchdog, table, tempDir, writePortalConfig } from './lib.js';

const opts = intOptions('bench/job-cpu.ts', { jobs: [2000, 50, 20_000], concurrent: [8, 2, 64] });
startWatchdog(60_000 + opts.jobs * 40);

const answered: JobExecutor = {
  reset: () => Promise.resolve({ ok: true }),
  change: () => Promise.resolve({ ok: true }),
  unlock: () => Promise.resolve({ ok: true }),
  mustChange: () => Promise.resolve({ ok: true }),
  reconcile: () => Promise.resolve(null),
  bind: () => Promise.resolve({ ok: true }),
  policyFor: () => Promise.resolve({ ok: false, reason: 'failed' }),
  readAccount: () => Promise.resolve({ ok: false, reason: 'failed' }),
  domain: () => Promise.resolve('bench.example.test'),
  policy: () => Promise.resolve(null),
};

async function main(): Promise<void> {
  printHeader('writeback job CPU benchmark (no AD)', ['src', 'package.json']);
  const dir = tempDir('sspr-bench-jobcpu-');
  const { portal } = await openBenchPortal(dir, writePortalConfig(dir, 'bench/job-cpu.ts: a throwaway portal on loopback'));
  const server = await startServer(portal);
  onCleanUp(() => server.stop(1000));
  const { token } = await portal.agents.createRegistrationToken({ id: null, name: 'bench' });
  const r = await registerAgent({ portalUrl: server.url, token, name: 'bench-agent', version: '0.1.0' });
  if (!r.ok) throw new Error(r.message);
  const agent = new AgentClient({ state: { ...r.value, portalUrl: portal.config.publicUrl }, executor: answered, journal: new Journal(join(dir, 'journal.json')), logger: createLogger('silent'), version: '0.1.0', connectUrl: server.url });
  agent.start();
  onCleanUp(() => agent.stop());
  await agent.waitConnected();
  const user = await portal.users.create({ username: 'bench.user', displayName: 'Bench user', email: null, roles: ['user'], passwordHash: null, source: 'onprem', anchor: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' });
  const job = async () => {
    const out = await portal.writeback.reset(user, 'Copper-Willow-Nebula-1!');
    if (!out.ok) throw new Error(`reset: ${out.reason}`);
  };
  for (let i = 0; i < 200; i++) await job();

  const rows: string[][] = [];
  for (const concurrency of [1, opts.concurrent]) {
    // Settle: the journal's deferred removals and the last acknowledgements.
    await sleep(300);
    const others = otherCpu();
    const cpu0 = process.cpuUsage();
    const times: number[] = [];
    const t0 = performance.now();
    await inParallel(
      Array.from({ length: opts.jobs }, (_, i) => i),
      concurrency,
      async () => {
        const a = performance.now();
        await job();
        times.push(performance.now() - a);
      },
    );
    const wall = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    const cpuMs = (used.user + used.system) / 1000 / opts.jobs;
    rows.push([concurrency === 1 ? 'one at a time' : `${concurrency} at once`, String(opts.jobs), ms(cpuMs), ms((used.user / 1000) / opts.jobs), ms((used.system / 1000) / opts.jobs), ms(p50(times)), ms(percentile(times, 95)), (opts.jobs / (wall / 1000)).toFixed(0), cpuNote(others())]);
  }
  const count = await portal.store.db.selectFrom('writeback_jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'applied').executeTakeFirstOrThrow();
  if (Number(count.n) !== 200 + 2 * opts.jobs) throw new Error(`${count.n} jobs applied, expected ${200 + 2 * opts.jobs}`);
  console.log(`\nReset jobs through the portal and the agent client, AD replaced by an executor that answers at once (${count.n} jobs applied, 200 unmeasured first):\n`);
  console.log(table(['phase', 'jobs', 'CPU ms/job', 'user ms/job', 'system ms/job', 'p50 ms', 'p95 ms', 'jobs/s', 'others CPU'], rows));
}

await runBench(main);
