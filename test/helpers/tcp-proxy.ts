import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of portal instances, as small as it gets: a TCP proxy on 127.0.0.1
 * forwarding each new connection to the current target port (or the next of several, in turn). Moving the target (an instance
 * died) leaves open connections alone — they end with their target — and sends new ones to the
 * new port, which is what an agent reconnecting through a balancer sees. In front of another
 * address (a DC on its own 127.x.y.z), `hold()` stops what flows through it both ways — the
 * connections stay open, as with a stalled network — until `release()`.
 */
export interface TcpProxy {
  url: string;
  port: number;
  target(port: number): void;
  /** New connections go to these ports in turn. */
  targets(ports: number[]): void;
  /** Cuts every open connection (both ends see it close), as a balancer failing over does. */
  dropAll(): void;
  /** From now on nothing is forwarded either way on any connection, open or new (bytes wait in the sockets). */
  hold(): void;
  /** Forwarding goes on; what waited is delivered. */
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let targets = [targetPort];
  let turn = 0;
  let held = false;
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const flow = ([client, upstream]: [Socket, Socket]) => {
    if (held) return;
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const stall = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targets[turn++ % targets.length]!, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    if (held) stall(pair);
    else flow(pair);
    client.on('close', () => pairs.delete(pair));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    target: (p) => {
      targets = [p];
    },
    targets: (ports) => {
      targets = [...ports];
    },
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    hold: () => {
      held = true;
      for (const p of pairs) stall(p);
    },
    release: () => {
      held = false;
      for (const p of pairs) flow(p);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
