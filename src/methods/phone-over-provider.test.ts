import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { codeIn } from '../../test/helpers/codes.js';
import { twilioCompatibleServer, twilioConfig } from '../../test/helpers/twilio-sink.js';

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
    expect(twiml).toMatch(/^<Response><Say language="en-US">/);
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
