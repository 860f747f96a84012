import { Hono } from 'hono';
import { clientIp } from '../http/middleware/client-ip.js';
import type { AgentRegistry } from './agent-registry.js';

export interface AgentEndpointDeps {
  agents: Pick<AgentRegistry, 'register'>;
  publicUrl: string;
  trustedProxies: readonly string[];
}

/**
 * `POST /agent/register`: an agent sends its one-time registration token and its two public
 * keys, and gets its id. No cookies (so no CSRF); the token is the credential, used once.
 * The connection itself is the WebSocket at /agent/connect (src/server.ts).
 */
export function agentEndpointRoutes(d: AgentEndpointDeps): Hono {
  const app = new Hono();
  app.post('/agent/register', async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('application/json')) return c.json({ error: 'Send JSON.' }, 415);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'The body is not valid JSON.' }, 400);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return c.json({ error: 'Send a JSON object.' }, 400);
    const b = body as Record<string, unknown>;
    const r = await d.agents.register({ token: b['token'], name: b['name'], version: b['version'], signingKey: b['signingKey'], sealingKey: b['sealingKey'] }, { ip: clientIp(c, d.trustedProxies) });
    if (!r.ok && r.reason === 'token') return c.json({ error: 'The registration token is not valid: it is wrong, expired or already used. Create a new one in the admin console (Agents).' }, 401);
    if (!r.ok) return c.json({ error: `The field ${r.field} is not valid.`, field: r.field }, 400);
    return c.json({ agentId: r.value.id, portalUrl: d.publicUrl }, 201);
  });
  return app;
}
