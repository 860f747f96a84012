import { createServer } from 'node:net';
import { createLogger } from '../logging/logger.js';
import { seedDemo } from '../demo/seed.js';
import { startServer } from '../server.js';
import { CliExit, EXIT, loadCliConfig, openPortal, type CliIO } from './context.js';
import { portInUseMessage, publicUrlPortProblem } from '../config/public-url.js';
import { startAgentInPortal } from '../app/in-process-agent.js';

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * `sspr start`: config → key (created on first run) → store (created and migrated) → server.
 * Prints where it listens and, while no administrator exists, a fresh one-time setup link.
 * Resolves after SIGINT/SIGTERM once requests in flight have finished.
 */
export async function startCommand(io: CliIO, configPath: string | undefined, options: { demo: boolean }): Promise<number> {
  const loaded = loadCliConfig(io, configPath);
  const { config } = loaded;
  // Before anything is created: a setup link to a port nobody listens on helps no one.
  const mismatch = publicUrlPortProblem(loaded);
  if (mismatch) throw new CliExit(EXIT.config, `${mismatch.problem}. Nothing was started.\n  fix: ${mismatch.fix}.`);
  // A taken port is found before the first run creates the key and the store (and checked again when listening).
  if (config.listen.port !== 0 && !(await portIsFree(config.listen.host, config.listen.port))) throw new CliExit(EXIT.config, portInUseMessage(loaded, config.listen.port));
  const logger = createLogger(config.logging.level, process.stdout);
  const { portal, createdKeyFile } = await openPortal(io, configPath, { createKey: true, logger });
  const say = (s = '') => io.stdout.write(`${s}\n`);
  if (createdKeyFile) say(`First run: created the encryption key ${createdKeyFile} (keep it private and backed up).`);

  const demo = options.demo ? await seedDemo(portal) : [];
  const server = await startServer(portal).catch(async (err: unknown) => {
    await portal.store.close().catch(() => undefined);
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e.code === 'EADDRINUSE') throw new CliExit(EXIT.config, portInUseMessage(loaded, e.port ?? config.listen.port));
    if (e.code === 'EACCES') throw new CliExit(EXIT.config, `Port ${e.port ?? config.listen.port} needs privileges this user does not have. Choose a port above 1023: SSPR_LISTEN__PORT=8080 npm start`);
    if (e.code === 'EADDRNOTAVAIL') throw new CliExit(EXIT.config, `listen.host ${config.listen.host} is not an address of this machine. Use 127.0.0.1 (this machine only) or 0.0.0.0 (every network).`);
    throw err;
  });
  // A one-machine install: the agent runs in this process and connects over loopback.
  const agent = config.agent.inProcess ? await startAgentInPortal(portal, loadCliConfig(io, configPath).baseDir, server.url, logger) : null;
  const base = config.publicUrl;
  say(`${config.branding.productName} is running at ${base} (listening on ${server.url}).`);
  if (server.metricsUrl) say(`Metrics for Prometheus: ${server.metricsUrl}/metrics`);
  say(`Store: ${portal.store.description}. Delivery: ${config.delivery.mode}${config.delivery.mode === 'outbox' ? ' (messages stay in the store: not for production)' : ''}.`);
  if (await portal.firstRun.needsSetup()) {
    // The link's lifetime is a stored setting (Settings › Setup link): the one saved, not only the file's.
    await portal.settings.refresh();
    const { token, expiresAt } = await portal.firstRun.issueToken();
    const minutes = Math.round((expiresAt - portal.clock.now()) / 60000);
    say('');
    say(`No administrator exists yet. Open this one-time link within ${minutes} minutes to create one:`);
    say(`  ${base}/setup?token=${token}`);
  }
  if (demo.length) {
    say('');
    say('Demo users (fresh passwords on every `start --demo`; sign in at ' + `${base}/sign-in):`);
    for (const d of demo) say(`  ${d.username.padEnd(8)} ${d.password}   ${d.roles.join(', ')}; groups: ${d.groups.join(', ')}`);
  }
  say('');
  say('Press Ctrl+C to stop.');

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      void (agent ? agent.stop() : Promise.resolve()).then(() => server.stop()).then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  logger.info('stopped');
  return EXIT.ok;
}
