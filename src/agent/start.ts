import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { PRODUCT_VERSION } from '../shared/version.js';
import { AgentClient, type AgentState } from './agent-client.js';
import { createAdExecutor } from './ad-executor.js';
import { Journal } from './journal.js';

export interface RunningAgent {
  readonly client: AgentClient;
  /** Disconnects from the portal, then closes the connections to AD. */
  stop(): Promise<void>;
}

/**
 * The one way an agent starts, whether `sspr agent run` (src/cli/agent.ts) or inside the portal
 * process (in-process.ts): the AD executor and sync reader from the `agent` section of the
 * configuration, the journal, and the client connecting out to the portal.
 */
export function startAgent(o: { config: Config; baseDir: string; state: AgentState; logger: Logger; connectUrl?: string; caPem?: string }): RunningAgent {
  const { config, baseDir } = o;
  const ad = config.agent.ad;
  if (!ad) throw new Error('agent.ad is not configured: the agent needs the domain controllers and its service account');
  const executor = createAdExecutor(ad, baseDir, { allowProtected: config.writeback.allowProtectedAccounts, logger: o.logger, sync: config.agent.sync });
  const client = new AgentClient({
    state: o.state,
    executor,
    journal: new Journal(resolve(baseDir, config.agent.journalFile)),
    logger: o.logger,
    version: PRODUCT_VERSION,
    ...(o.connectUrl ? { connectUrl: o.connectUrl } : {}),
    ...(o.caPem ? { caPem: o.caPem } : {}),
  });
  client.start();
  return {
    client,
    async stop() {
      await client.stop();
      await executor.close();
    },
  };
}
