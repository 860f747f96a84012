import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer in front of portal instances, as small as it gets: a TCP proxy on 127.0.0.1
 * forwarding each new connection to the current target port (or the next of several, in turn). Moving the target (an instance
 * died) leaves open connections alone — they end with their target — and sends new ones to the
 * new port, which is what an agent reconnecting through a balancer sees.
 */
export interface TcpProxy {
  url: string;
  port: number;
  target(port: number): void;
  /** New connections go to these ports in turn. */
  targets(ports: number[]): void;
  /** Cuts every open connection (both ends see it close), as a balancer failing over does. */
  dropAll(): void;
  /**
   * Stops forwarding in both directions without closing anything, as a frozen peer or a hung
   * network looks: bytes wait in the sockets (new connections too) until `thaw()` lets them through.
   */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let targets = [targetPort];
  let turn = 0;
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const flow = ([client, upstream]: [Socket, Socket]) => client.pipe(upstream).pipe(client);
  const server: Server = createServer((client) => {
    const upstream = connect(targets[turn++ % targets.length]!, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    for (const s of pair) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    pairs.add(pair);
    if (!frozen) flow(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
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
    freeze: () => {
      if (frozen) return;
      frozen = true;
      // Unpiped, a socket stops reading: what was sent waits in it (and in the kernel) until thawed.
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
    },
    thaw: () => {
      if (!frozen) return;
      frozen = false;
      for (const pair of pairs) flow(pair);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
