import { resolve } from 'node:path';
import type { Portal } from '../app/portal.js';
import type { Logger } from '../logging/logger.js';
import { PRODUCT_VERSION } from '../shared/version.js';
import { AgentClient } from './agent-client.js';
import { createAdExecutor } from './ad-executor.js';
import { Journal } from './journal.js';
import { loadAgentState, saveAgentState } from './state.js';
import { newAgentKeys } from '../agent-protocol/index.js';

/**
 * `agent.inProcess: true`: the same agent code, inside the portal process, connected to it over
 * loopback. It registers itself on first start (a token created and used at once) and keeps
 * its keys in agent.stateFile like a separate agent would.
 */
export async function startInProcessAgent(portal: Portal, baseDir: string, listenUrl: string, logger: Logger): Promise<{ stop(): Promise<void> }> {
  const { config } = portal;
  const ad = config.agent.ad!;
  const statePath = resolve(baseDir, config.agent.stateFile);
  let state = loadAgentState(statePath);
  const known = state ? await portal.agents.byId(state.agentId) : null;
  if (!state || !known || known.revokedAt !== null) {
    const keys = newAgentKeys();
    const { token } = await portal.agents.createRegistrationToken({ id: null, name: 'in-process agent' });
    const r = await portal.agents.register({ token, name: 'in-process', version: PRODUCT_VERSION, signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }, { ip: '127.0.0.1' });
    if (!r.ok) throw new Error('could not register the in-process agent');
    state = { agentId: r.agent.id, name: r.agent.name, portalUrl: config.publicUrl, keys };
    saveAgentState(statePath, state);
  }
  const executor = createAdExecutor(ad, baseDir, { allowProtected: config.writeback.allowProtectedAccounts, logger, sync: config.agent.sync });
  const client = new AgentClient({ state, executor, journal: new Journal(resolve(baseDir, config.agent.journalFile)), logger, version: PRODUCT_VERSION, connectUrl: listenUrl });
  client.start();
  return {
    async stop() {
      await client.stop();
      await executor.close();
    },
  };
}
