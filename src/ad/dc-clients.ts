import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { Client } from 'ldapts';
import { DcUnreachableError, describeConnectionError, isConnectionError } from './verdicts.js';

/** ldapts would silently reconnect a dropped socket — unbound, and for StartTLS in the clear. */
export class ReconnectRefusedError extends Error {
  constructor(url: string) {
    super(`${url}: connection lost; not reconnecting on the same client`);
    this.name = 'ReconnectRefusedError';
  }
}

export function discard(client: Client): void {
  void client.unbind().catch(() => undefined);
}

/** A client for one DC and what makes it encrypted before anything else is sent. */
export interface NewClient {
  client: Client;
  secure: () => Promise<void>;
}

export interface DcClientOptions {
  startTls?: boolean;
  caCertPem?: string;
  tlsServerName?: string;
  timeoutMs: number;
}

/**
 * Makes LDAP clients for the DCs: TLS only, with ONE SecureContext for all of them (building one
 * parses the CA and sets up OpenSSL's store: about a tenth of the agent's CPU when it was done per
 * connection) and the DC's last TLS session offered again, so a new connection resumes instead of
 * making a full handshake. Resumption keeps the checks: the session was verified against this
 * context's CA and name when it was made, and Node checks the name again on every connection.
 */
export class DcClients {
  private readonly secureContext: SecureContext;
  private readonly sessions = new Map<string, Buffer>();

  constructor(private readonly options: Readonly<DcClientOptions>) {
    this.secureContext = createSecureContext({
      minVersion: 'TLSv1.2',
      // Pinning: with a CA given, it replaces Node's public CAs instead of adding to them.
      ...(options.caCertPem !== undefined ? { ca: [options.caCertPem] } : {}),
    });
  }

  private tlsOptions(url: URL): ConnectionOptions {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const servername = this.options.tlsServerName ?? (isIP(host) === 0 ? host : undefined);
    return {
      rejectUnauthorized: true,
      secureContext: this.secureContext,
      ...(servername !== undefined ? { servername } : {}),
    };
  }

  /**
   * Remembers the DC's newest session, only from a connection that passed verification (TLS 1.2
   * hands the session over during the handshake, before the verdict; TLS 1.3 after it).
   */
  private resumable(urlText: string, socket: TLSSocket): TLSSocket {
    let pending: Buffer | null = null;
    socket.on('session', (s: Buffer) => {
      if (socket.authorized) this.sessions.set(urlText, s);
      else pending = s;
    });
    socket.once('secureConnect', () => {
      if (socket.authorized && pending !== null) this.sessions.set(urlText, pending);
      pending = null;
    });
    return socket;
  }

  /**
   * A client for one DC that can connect once: ldapts reconnects a dropped socket on the next
   * request without TLS upgrade or bind, so a second connect attempt is refused and surfaces
   * as a connection failure (nothing was sent; the caller opens a fresh connection).
   */
  open(urlText: string): NewClient {
    const url = new URL(urlText);
    const tlsOptions = this.tlsOptions(url);
    const timeout = this.options.timeoutMs;
    let connects = 0;
    const once = () => {
      connects += 1;
      if (connects > 1) throw new ReconnectRefusedError(urlText);
    };
    const session = this.sessions.get(urlText);
    if (url.protocol === 'ldaps:') {
      const createSecureConnection = ((...args: Parameters<typeof tlsConnect>) => {
        once();
        return this.resumable(urlText, tlsConnect(...args));
      }) as typeof tlsConnect;
      const client = new Client({ url: urlText, timeout, connectTimeout: timeout, tlsOptions: { ...tlsOptions, ...(session !== undefined ? { session } : {}) }, createSecureConnection });
      // The TLS handshake happens with the first request (the bind).
      return { client, secure: async () => undefined };
    }
    const createConnection = ((...args: Parameters<typeof netConnect>) => {
      once();
      return netConnect(...args);
    }) as typeof netConnect;
    // After StartTLS, ldapts keeps watching only the plain socket for 'close' and goes on
    // believing the client is connected when the TLS socket dies: requests would wait for their
    // timeout. An unbind on the dead socket makes ldapts drop it (its write fails at once), so
    // the next request hits the reconnect guard and a fresh connection is opened instead.
    const createSecureConnection = ((...args: Parameters<typeof tlsConnect>) => {
      const socket = this.resumable(urlText, tlsConnect(...args));
      socket.once('close', () => discard(client));
      return socket;
    }) as typeof tlsConnect;
    // No tlsOptions here: ldapts would then speak TLS at once on the LDAP port instead of StartTLS.
    const client = new Client({ url: urlText, timeout, connectTimeout: timeout, createConnection, createSecureConnection });
    return {
      client,
      secure: async () => {
        try {
          await client.startTLS({ ...tlsOptions, ...(session !== undefined ? { session } : {}) });
        } catch (err) {
          // Whatever went wrong, nothing may continue on this connection unencrypted.
          const text = isConnectionError(err) ? describeConnectionError(urlText, err) : String((err as Error).message ?? err);
          const why = text.startsWith(`${urlText}: `) ? text.slice(urlText.length + 2) : text;
          throw new DcUnreachableError(`${urlText}: StartTLS failed: ${why}`);
        }
      },
    };
  }
}
