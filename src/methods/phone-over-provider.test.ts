import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { codeIn } from '../../test/helpers/codes.js';

interface Posted {
  path: string;
  form: URLSearchParams;
}

/** A loopback server speaking the Twilio REST API (Messages and Calls), failing on demand. */
async function twilioCompatibleServer(options: { failWith?: number } = {}): Promise<{ url: string; posted: Posted[]; close(): Promise<void> }> {
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

const twilioConfig = (url: string) => ({
  delivery: { phone: { provider: 'twilio' as const, twilio: { accountSid: 'ACtest', authToken: 'tok-secret', from: '+15005550006', baseUrl: url } }, retries: { attempts: 2, backoffMs: 5 } },
});

describe('phone codes through a Twilio-compatible provider on loopback', () => {
  let tp: TestPortal;
  let provider: Awaited<ReturnType<typeof twilioCompatibleServer>>;
  afterEach(async () => {
    await tp.cleanup();
    await provider.close();
  });

  async function signedIn() {
    const alice = await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery' });
    const c = new TestClient(tp.app);
    await c.signIn('alice', 'correct horse battery');
    await c.get('/account/security-info/add/mobile');
    return { alice, c };
  }

  it('registers a mobile by SMS and an office phone by a voice call whose TwiML reads the code', async () => {
    provider = await twilioCompatibleServer();
    tp = await createTestPortal({ config: twilioConfig(provider.url) });
    const { alice, c } = await signedIn();
    const sms = await c.post('/account/security-info/add/mobile', { phone: '+4915123456789', via: 'sms' });
    expect(sms.status).toBe(303);
    const message = provider.posted.at(-1)!;
    expect(message.path).toBe('/2010-04-01/Accounts/ACtest/Messages.json');
    expect(message.form.get('To')).toBe('+4915123456789');
    expect(message.form.get('From')).toBe('+15005550006');
    const smsCode = codeIn(message.form.get('Body')!);
    expect((await c.post(sms.res.headers.get('location')!, { code: smsCode })).status).toBe(303);

    const call = await c.post('/account/security-info/add/office', { phone: '+44 20 7946 0958' });
    expect(call.status).toBe(303);
    const placed = provider.posted.at(-1)!;
    expect(placed.path).toBe('/2010-04-01/Accounts/ACtest/Calls.json');
    const twiml = placed.form.get('Twiml')!;
    expect(twiml).toMatch(/^<Response><Say>/);
    const spoken = codeIn(twiml);
    expect(spoken).toHaveLength(8);
    expect((await c.post(call.res.headers.get('location')!, { code: spoken })).status).toBe(303);
    expect((await tp.portal.methods.list(alice.id, { confirmedOnly: true })).map((m) => m.type).sort()).toEqual(['mobile', 'office']);
  });

  it('a provider failure reaches the user as "could not send the code, try another method"', async () => {
    provider = await twilioCompatibleServer({ failWith: 500 });
    tp = await createTestPortal({ config: twilioConfig(provider.url) });
    const { alice, c } = await signedIn();
    const r = await c.post('/account/security-info/add/mobile', { phone: '+4915123456789', via: 'voice' });
    expect(r.status).toBe(502);
    expect(r.body).toContain('We could not send the code. Try again later or use another method.');
    expect(provider.posted.length).toBe(2);
    expect(await tp.portal.methods.list(alice.id)).toEqual([]);
  });
});
