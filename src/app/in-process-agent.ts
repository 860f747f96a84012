import type { Logger } from '../logging/logger.js';
import { PRODUCT_VERSION } from '../shared/version.js';
import { startInProcessAgent, type InProcessRegistration } from '../agent/in-process.js';
import type { RunningAgent } from '../agent/start.js';
import type { AgentRegistry } from '../writeback/agent-registry.js';
import type { Portal } from './portal.js';

/** The in-process agent's registration, through the portal's own agent registry (no HTTP round trip). */
function registrationWith(agents: AgentRegistry): InProcessRegistration {
  return {
    async isActive(agentId) {
      const known = await agents.byId(agentId);
      return known !== null && known.revokedAt === null;
    },
    async register(keys) {
      const { token } = await agents.createRegistrationToken({ id: null, name: 'in-process agent' });
      const r = await agents.register({ token, name: 'in-process', version: PRODUCT_VERSION, signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }, { ip: '127.0.0.1' });
      if (!r.ok) throw new Error('could not register the in-process agent');
      return { agentId: r.value.id, name: r.value.name };
    },
  };
}

/** `agent.inProcess: true`: the agent inside this portal process, connected over loopback to `listenUrl`. */
export function startAgentInPortal(portal: Portal, baseDir: string, listenUrl: string, logger: Logger): Promise<RunningAgent> {
  return startInProcessAgent({ config: portal.config, baseDir, listenUrl, logger, registration: registrationWith(portal.agents) });
}
