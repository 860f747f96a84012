import pg from 'pg';

/**
 * Notices between the portal instances that share one database: on PostgreSQL `LISTEN/NOTIFY`
 * (a notice reaches every instance listening on the channel, the sender's own included), on
 * SQLite — one instance only — the same calls within the process. A notice is a wake-up call
 * that may be lost (a listener reconnecting misses what was sent meanwhile): the truth stays in
 * the tables, and whoever waits on a notice also looks at the table now and then.
 */
export interface StoreEvents {
  notify(channel: string, payload: string): Promise<void>;
  /** Calls `handler` with each notice's payload; the function returned stops listening. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => void>;
  close(): Promise<void>;
}

/** PostgreSQL's limit on a NOTIFY payload is 8,000 bytes; a notice must say less. */
export const MAX_NOTICE_BYTES = 7_900;

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
}

function checkPayload(payload: string): void {
  if (Buffer.byteLength(payload, 'utf8') > MAX_NOTICE_BYTES) throw new Error(`a notice is limited to ${MAX_NOTICE_BYTES} bytes`);
}

type Handlers = Map<string, Set<(payload: string) => void>>;

function deliver(handlers: Handlers, channel: string, payload: string): void {
  for (const h of handlers.get(channel) ?? []) {
    try {
      h(payload);
    } catch {
      // One handler's failure must not keep the notice from the others.
    }
  }
}

/** SQLite: one portal instance, so a notice only has to reach this process (asynchronously, as from PostgreSQL). */
export function processEvents(): StoreEvents {
  const handlers: Handlers = new Map();
  return {
    async notify(channel, payload) {
      checkChannel(channel);
      checkPayload(payload);
      setImmediate(() => deliver(handlers, channel, payload));
    },
    async listen(channel, handler) {
      checkChannel(channel);
      const set = handlers.get(channel) ?? new Set();
      set.add(handler);
      handlers.set(channel, set);
      return () => void set.delete(handler);
    },
    async close() {
      handlers.clear();
    },
  };
}

/**
 * PostgreSQL: notices are sent on the pool (`pg_notify`, so the payload is a bound parameter)
 * and received on one dedicated connection that LISTENs on every channel asked for; when that
 * connection drops it is opened again (growing pauses up to 5 s) and listens again.
 */
export function postgresEvents(url: string, pool: pg.Pool): StoreEvents {
  const handlers: Handlers = new Map();
  let client: pg.Client | null = null;
  let opening: Promise<pg.Client> | null = null;
  let retryMs = 100;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;

  const open = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    opening ??= (async () => {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      c.on('notification', (n) => deliver(handlers, n.channel, n.payload ?? ''));
      c.on('error', () => lost(c));
      c.on('end', () => lost(c));
      try {
        await c.connect();
        for (const channel of handlers.keys()) await c.query(`LISTEN "${channel}"`);
      } catch (err) {
        opening = null;
        void c.end().catch(() => undefined);
        throw err;
      }
      client = c;
      opening = null;
      retryMs = 100;
      return c;
    })();
    return opening;
  };

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = null;
    if (closed || handlers.size === 0 || retry) return;
    const again = () => {
      retry = null;
      open().catch(() => {
        retryMs = Math.min(retryMs * 2, 5000);
        if (!closed && !retry) retry = setTimeout(again, retryMs).unref();
      });
    };
    retry = setTimeout(again, retryMs).unref();
  };

  return {
    async notify(channel, payload) {
      checkChannel(channel);
      checkPayload(payload);
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, handler) {
      checkChannel(channel);
      const fresh = !handlers.has(channel);
      const set = handlers.get(channel) ?? new Set();
      set.add(handler);
      handlers.set(channel, set);
      const c = await open();
      if (fresh && client === c) await c.query(`LISTEN "${channel}"`);
      return () => void set.delete(handler);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      handlers.clear();
      const c = client ?? (opening ? await opening.catch(() => null) : null);
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
