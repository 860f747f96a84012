import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import { newAgentKeys } from '../agent-protocol/index.js';
import { loadAgentState, saveAgentState } from './state.js';
import { startAgent, type RunningAgent } from './start.js';

/** What the in-process agent needs of the portal it runs in: its own registration, nothing else. */
export interface InProcessRegistration {
  /** Whether this agent id is registered and not revoked. */
  isActive(agentId: string): Promise<boolean>;
  /** Registers these public keys at once (a one-time token created and used on the spot). */
  register(keys: { signingPublic: string; sealingPublic: string }): Promise<{ agentId: string; name: string }>;
}

/**
 * `agent.inProcess: true`: the same agent code, inside the portal process, connected to it over
 * loopback. It registers itself on first start and keeps its keys in agent.stateFile like a
 * separate agent would; a revoked registration is replaced by a new one.
 */
export async function startInProcessAgent(d: { config: Config; baseDir: string; listenUrl: string; logger: Logger; registration: InProcessRegistration }): Promise<RunningAgent> {
  const statePath = resolve(d.baseDir, d.config.agent.stateFile);
  let state = loadAgentState(statePath);
  if (!state || !(await d.registration.isActive(state.agentId))) {
    const keys = newAgentKeys();
    const { agentId, name } = await d.registration.register(keys);
    state = { agentId, name, portalUrl: d.config.publicUrl, keys };
    saveAgentState(statePath, state);
  }
  return startAgent({ config: d.config, baseDir: d.baseDir, state, logger: d.logger, connectUrl: d.listenUrl });
}
