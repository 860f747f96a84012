import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/**
 * The client address. X-Forwarded-For is believed only when the direct peer is a configured
 * proxy, and then the right-most address that is not itself a trusted proxy is the client —
 * anything further left was written by the client and can be forged.
 */
export function clientIp(c: Context, trustedProxies: readonly string[]): string {
  let peer = 'unknown';
  try {
    peer = normalise(getConnInfo(c).remote.address ?? 'unknown');
  } catch {
    // app.request() in tests has no socket
  }
  if (!trustedProxies.includes(peer)) return peer;
  const xff = c.req.header('x-forwarded-for');
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
