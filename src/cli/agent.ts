import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadAgentState, registerAgent, saveAgentState } from '../agent/state.js';
import { connectorOptions } from '../agent/ad-executor.js';
import { startAgent } from '../agent/start.js';
import { formatRightsReport } from '../agent/doctor.js';
import { AdConfigurationError } from '../ad/ad-connection.js';
import { checkRights } from '../ad/rights/index.js';
import { createLogger } from '../logging/logger.js';
import { PRODUCT_VERSION } from '../shared/version.js';
import { CliExit, EXIT, loadCliConfig, type CliIO } from './context.js';
import { registerAgentAdminCommands } from './agent-admin.js';

/**
 * `sspr agent register|run|doctor`: the on-premises agent. It reads the same sspr.yaml (its `agent`
 * section: state and journal files, the AD connection) and connects out to the portal.
 */
export function registerAgentCommands(program: Command, io: CliIO, setExit: (code: number) => void, cfg: (cmd: Command) => string | undefined): void {
  const agent = program.command('agent').description('the on-premises agent: password writeback to Active Directory');

  registerAgentAdminCommands(agent, io, setExit, cfg);

  agent
    .command('register')
    .description('register this agent with the portal using a one-time token from the admin console (Agents)')
    .requiredOption('--portal <url>', "the portal's public URL")
    .requiredOption('--token <token>', 'the one-time registration token')
    .option('--name <name>', 'a name for this agent in the console', hostname().slice(0, 100))
    .option('--force', 'replace an existing registration of this machine')
    .action(async (opts: { portal: string; token: string; name: string; force?: boolean }, cmd: Command) => {
      const { config, baseDir } = loadCliConfig(io, cfg(cmd));
      const statePath = resolve(baseDir, config.agent.stateFile);
      if (loadAgentState(statePath) && !opts.force) throw new CliExit(EXIT.refused, `this agent is already registered (${statePath}); use --force to register it again`);
      const ca = config.agent.portalCaFile ? readFileSync(resolve(baseDir, config.agent.portalCaFile), 'utf8') : undefined;
      const r = await registerAgent({ portalUrl: opts.portal, token: opts.token, name: opts.name, version: PRODUCT_VERSION, ...(ca ? { ca } : {}) });
      if (!r.ok) throw new CliExit(EXIT.refused, r.message);
      saveAgentState(statePath, r.value);
      io.stdout.write(`Registered as ${r.value.name} (${r.value.agentId}). Keys are in ${statePath} (keep it private).\nNext: \`sspr agent run\`.\n`);
      setExit(EXIT.ok);
    });

  agent
    .command('run')
    .description('connect to the portal and apply password jobs to Active Directory until stopped')
    .action(async (_opts: unknown, cmd: Command) => {
      const { config, baseDir } = loadCliConfig(io, cfg(cmd));
      const state = loadAgentState(resolve(baseDir, config.agent.stateFile));
      if (!state) throw new CliExit(EXIT.notFound, 'this agent is not registered yet: run `sspr agent register --portal URL --token TOKEN` first');
      if (!config.agent.ad) throw new CliExit(EXIT.config, 'agent.ad is not configured: the agent needs the domain controllers and its service account');
      const logger = createLogger(config.logging.level, process.stdout);
      const ca = config.agent.portalCaFile ? readFileSync(resolve(baseDir, config.agent.portalCaFile), 'utf8') : undefined;
      const running = startAgent({ config, baseDir, state, logger, ...(ca ? { caPem: ca } : {}) });
      io.stdout.write(`Agent ${state.name} connecting to ${state.portalUrl}. Press Ctrl+C to stop.\n`);
      await new Promise<void>((done) => {
        const stop = () => void running.stop().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      setExit(EXIT.ok);
    });

  agent
    .command('doctor')
    .description("check the service account's rights in AD (exactly the least-privilege delegation, nothing more), TLS, controls and the domain password policy")
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { config, baseDir } = loadCliConfig(io, cfg(cmd));
      if (!config.agent.ad) throw new CliExit(EXIT.config, 'agent.ad is not configured: the agent needs the domain controllers and its service account');
      let options;
      try {
        options = connectorOptions(config.agent.ad, baseDir, config.writeback.allowProtectedAccounts);
      } catch (err) {
        throw new CliExit(EXIT.config, `agent.ad.caCertFile: cannot read ${config.agent.ad.caCertFile}: ${(err as Error).message}`);
      }
      let report;
      try {
        report = await checkRights(options);
      } catch (err) {
        if (err instanceof AdConfigurationError) throw new CliExit(EXIT.config, err.message);
        throw err;
      }
      io.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatRightsReport(report));
      // 0 only when the account holds exactly what it needs; missing, excessive or unreachable: 1.
      setExit(report.verdict === 'ok' ? EXIT.ok : EXIT.failure);
    });
}
