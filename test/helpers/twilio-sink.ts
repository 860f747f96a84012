import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Posted {
  path: string;
  form: URLSearchParams;
}

/** A loopback server speaking the Twilio REST API (Messages and Calls), failing on demand. */
export async function twilioCompatibleServer(options: { failWith?: number } = {}): Promise<{ url: string; posted: Posted[]; close(): Promise<void> }> {
  const posted: Posted[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const auth = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      if (auth !== 'ACtest:tok-secret') {
        res.writeHead(401).end('{"code":20003}');
        return;
      }
      posted.push({ path: req.url ?? '', form: new URLSearchParams(Buffer.concat(chunks).toString()) });
      if (options.failWith) {
        res.writeHead(options.failWith, { 'content-type': 'application/json' }).end('{"message":"provider down"}');
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"sid":"SM1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posted, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export const twilioConfig = (url: string) => ({
  delivery: { phone: { provider: 'twilio' as const, twilio: { accountSid: 'ACtest', authToken: 'tok-secret', from: '+15005550006', baseUrl: url } }, retries: { attempts: 2, backoffMs: 5 } },
});
