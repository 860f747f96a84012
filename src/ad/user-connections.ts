import type { Client } from 'ldapts';
import { discard } from './dc-clients.js';

/** Idle user connections kept per DC: enough for a few sign-ins and changes at once. */
const MAX_IDLE_PER_DC = 4;
/** Far below AD's MaxConnIdleTime (900 s): a DC rarely closes one under our feet. */
const IDLE_MS = 120_000;

interface Idle {
  /** The connection once it is anonymous again, or null when that failed (then it was closed). */
  ready: Promise<Client | null>;
  at: number;
}

/**
 * Encrypted connections for binding AS A USER (the pass-through sign-in, a user's change), kept
 * open between jobs so a bind does not pay for a TCP and TLS handshake each time. A pool of their
 * own: the service account's pool never sees them, so a connection that was bound as a user is
 * never used for service-account work. Before a connection goes back, an anonymous bind drops the
 * user's identity, so at rest every pooled connection is anonymous (a failed bind already leaves
 * a connection anonymous in LDAP, RFC 4511 4.2.1; it is rebound all the same); when that bind
 * fails, the connection is closed instead. The next user's bind is always the first request on
 * a taken connection: nothing runs on it unless that bind succeeded.
 */
export class UserConnections {
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  constructor(private readonly now: () => number) {}

  /** An anonymous, connected client of this DC, or undefined when none is at hand. */
  async take(url: string): Promise<Client | undefined> {
    const list = this.idle.get(url);
    while (list !== undefined && list.length > 0) {
      const entry = list.pop()!;
      const client = await entry.ready;
      if (client === null) continue;
      if (this.closed || !client.isConnected || this.now() - entry.at > IDLE_MS) {
        discard(client);
        continue;
      }
      return client;
    }
    return undefined;
  }

  /** Hands a connection back after a user's bind (successful or refused): made anonymous, then kept. */
  release(url: string, client: Client): void {
    const list = this.idle.get(url) ?? [];
    this.idle.set(url, list);
    if (this.closed || list.length >= MAX_IDLE_PER_DC || !client.isConnected) {
      discard(client);
      return;
    }
    const ready = client.bind('', '').then(
      () => (this.closed ? (discard(client), null) : client),
      () => {
        discard(client);
        return null;
      },
    );
    list.push({ ready, at: this.now() });
  }

  /** Closes every idle connection; later releases close theirs at once. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(entries.map(async (e) => {
      const client = await e.ready;
      if (client !== null) await client.unbind().catch(() => undefined);
    }));
  }
}
