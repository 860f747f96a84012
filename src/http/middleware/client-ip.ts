import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * The client address. X-Forwarded-For is believed only when the direct peer is a configured
 * proxy, and then the right-most address that is not itself a trusted proxy is the client —
 * anything further left was written by the client and can be forged.
 */
export function clientIp(c: Context, trustedProxies: readonly string[]): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    // app.request() in tests has no socket
  }
  return clientAddress(peer, c.req.header('x-forwarded-for'), trustedProxies);
}

/** The same rule for a raw request (the agents' WebSocket upgrade). */
export function clientAddress(remote: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: readonly string[]): string {
  const peer = normalise(remote ?? 'unknown');
  if (!trustedProxies.includes(peer)) return peer;
  const xff = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  if (!xff) return peer;
  const hops = xff.split(',').map((s) => normalise(s.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trustedProxies.includes(hops[i]!)) return hops[i]!.slice(0, 64);
  }
  return peer;
}

function normalise(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
