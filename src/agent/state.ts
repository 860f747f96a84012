import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { AgentState } from './agent-client.js';
import { newAgentKeys } from '../agent-protocol/index.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';

const stateSchema = z.strictObject({
  agentId: z.string().min(1),
  name: z.string().min(1),
  portalUrl: z.string().min(1),
  keys: z.strictObject({ sealingPublic: z.string(), sealingPrivate: z.string(), signingPublic: z.string(), signingPrivate: z.string() }),
});

export function loadAgentState(path: string): AgentState | null {
  if (!existsSync(path)) return null;
  return stateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** Written readable by the owner only: it holds the agent's private keys. */
export function saveAgentState(path: string, state: AgentState): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(state, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Why a registration failed: a URL that is not one, a portal out of reach, or the portal's no (an expired token, say). */
export const registerRefusals = ['bad_url', 'unreachable', 'refused'] as const;
/** The agent's new state, or why not with the words for the administrator running the command. */
export type RegisterResult = Ok<AgentState> | (Refused<(typeof registerRefusals)[number]> & { message: string });

/**
 * `sspr agent register`: a fresh key pair, the one-time token and the public keys to the
 * portal, the id back. The private keys never leave this machine.
 */
export async function registerAgent(input: { portalUrl: string; token: string; name: string; version: string; fetch?: typeof fetch; ca?: string }): Promise<RegisterResult> {
  const portalUrl = input.portalUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(portalUrl)) return fail('bad_url', { message: 'the portal URL must start with https:// (or http:// for a test portal)' });
  const keys = newAgentKeys();
  let res: Response;
  try {
    res = await (input.fetch ?? fetch)(`${portalUrl}/agent/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: input.token, name: input.name, version: input.version, signingKey: keys.signingPublic, sealingKey: keys.sealingPublic }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return fail('unreachable', { message: `cannot reach the portal at ${portalUrl}: ${(err as Error).message}` });
  }
  const body = (await res.json().catch(() => ({}))) as { agentId?: string; portalUrl?: string; error?: string };
  if (res.status !== 201 || !body.agentId) return fail('refused', { message: body.error ?? `the portal answered ${res.status}` });
  return ok({ agentId: body.agentId, name: input.name, portalUrl: (body.portalUrl ?? portalUrl).replace(/\/+$/, ''), keys });
}
