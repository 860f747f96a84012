import { afterEach, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { codeIn } from '../../test/helpers/codes.js';
import { startSmtp } from '../../test/helpers/smtp-sink.js';
import { twilioCompatibleServer, twilioConfig } from '../../test/helpers/twilio-sink.js';
import { translator } from '../i18n/index.js';
import { escapeXml } from './phone.js';
import type { CONFIGURABLE_LANGUAGES } from '../i18n/languages.js';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'Fresh-Meadow-Lantern-42';

describe('mails, texts and calls go out in the recipient’s language', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function setup(languages?: Array<(typeof CONFIGURABLE_LANGUAGES)[number]>) {
    const provider = await twilioCompatibleServer();
    cleanups.push(provider.close);
    const smtp = await startSmtp();
    cleanups.push(smtp.close);
    const phone = twilioConfig(provider.url);
    const tp: TestPortal = await createTestPortal({
      config: { delivery: { ...phone.delivery, mode: 'smtp', smtp: { host: '127.0.0.1', port: smtp.port, from: 'Portal <portal@example.org>', rejectUnauthorized: false } }, ...(languages ? { branding: { languages } } : {}) },
    });
    cleanups.push(tp.cleanup);
    return { tp, provider, smtp };
  }

  /** Signs in with an English browser, registers a mobile (SMS) and an office phone (call), then changes the password (the notice mail). */
  async function journey(tp: TestPortal, provider: Awaited<ReturnType<typeof twilioCompatibleServer>>, username: string, browserLanguage: string) {
    const c = new TestClient(tp.app, 'http://portal.test', { 'accept-language': browserLanguage });
    expect((await c.signIn(username, PASSWORD)).status).toBe(303);
    await c.get('/account/security-info/add/mobile');
    const sms = await c.post('/account/security-info/add/mobile', { phone: '+4915123456789', via: 'sms' });
    expect(sms.status).toBe(303);
    const text = provider.posted.at(-1)!.form.get('Body')!;
    expect((await c.post(sms.res.headers.get('location')!, { code: codeIn(text) })).status).toBe(303);
    await c.get('/account/security-info/add/office');
    const call = await c.post('/account/security-info/add/office', { phone: '+44 20 7946 0958' });
    expect(call.status).toBe(303);
    const twiml = provider.posted.at(-1)!.form.get('Twiml')!;
    expect((await c.post(call.res.headers.get('location')!, { code: codeIn(twiml) })).status).toBe(303);
    await c.get('/account/change-password');
    expect((await c.post('/account/change-password', { current: PASSWORD, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(303);
    return { text, twiml };
  }

  it('a user whose saved language is French gets the SMS code, the voice call and the notice mail in French, whatever the browser says', async () => {
    const { tp, provider, smtp } = await setup();
    const amelie = await makeUser(tp.portal, { username: 'amelie', password: PASSWORD, email: 'amelie@corp.test' });
    await tp.portal.users.setLanguage(amelie.id, 'fr');
    const { text, twiml } = await journey(tp, provider, 'amelie', 'en-GB,en;q=0.9');
    const fr = translator('fr');
    const product = tp.config.branding.productName;
    const minutes = tp.config.methods.codeMinutes;

    expect(text).toBe(fr('sms.code', { code: codeIn(text), product, minutes }));
    expect(text).not.toBe(translator('en')('sms.code', { code: codeIn(text), product, minutes }));

    const spoken = twiml.match(/<Say language="([^"]+)">([^<]+)<\/Say>/)!;
    expect(spoken[1]).toBe('fr-FR');
    const digits = codeIn(twiml).split('').join(', ');
    expect(spoken[2]).toBe(escapeXml(fr('voice.code', { code: digits, product })));

    const mails = await Promise.all(smtp.received.filter((m) => m.to.includes('amelie@corp.test')).map((m) => simpleParser(m.raw)));
    const changed = mails.find((m) => m.subject?.startsWith(fr('mail.passwordChanged.title')));
    expect(changed, mails.map((m) => m.subject).join(' | ')).toBeDefined();
    expect(changed!.text).toContain(fr('mail.passwordChanged.body', { username: 'amelie' }));
    expect(changed!.html).toContain('<html lang="fr" dir="ltr">');
  });

  it('no word of a mail, a text or a call bypasses the catalogue: in the pseudo-locale every word is inside ⟦ ⟧ but the data (codes, names, addresses, links)', async () => {
    const { tp, provider, smtp } = await setup(['en', 'en-XA']);
    const xavier = await makeUser(tp.portal, { username: 'xavier', password: PASSWORD, email: 'xavier@corp.test' });
    await tp.portal.users.setLanguage(xavier.id, 'en-XA');
    const { text, twiml } = await journey(tp, provider, 'xavier', 'en-GB,en;q=0.9');
    const mails = await Promise.all(smtp.received.filter((m) => m.to.includes('xavier@corp.test')).map((m) => simpleParser(m.raw)));
    expect(mails.length).toBeGreaterThan(0);
    const data = [tp.config.branding.productName, tp.config.branding.organisationName ?? '', 'xavier@corp.test', 'xavier', 'x•••@corp.test', '+4915123456789', '+44 20 7946 0958'].filter(Boolean);
    const unwrapped = (raw: string) => {
      let rest = raw;
      // Messages may hold messages: take the innermost brackets first.
      for (let before = ''; before !== rest; ) {
        before = rest;
        rest = rest.replace(/⟦[^⟦⟧]*⟧/g, ' ');
      }
      rest = rest.replace(/https?:\/\/\S+/g, ' ');
      for (const d of data) rest = rest.split(d).join(' ');
      return rest.match(/\p{L}{2,}/gu) ?? [];
    };
    const spoken = [...twiml.matchAll(/<Say[^>]*>([^<]+)<\/Say>/g)].map((m) => m[1]!).join(' ');
    const outside: Record<string, string[]> = {};
    for (const [where, body] of [['SMS', text], ['call', spoken], ...mails.map((m, i) => [`mail ${i + 1}: ${m.subject}`, `${m.subject ?? ''}\n${m.text ?? ''}`])] as Array<[string, string]>) {
      const words = unwrapped(body);
      if (words.length) outside[where] = words;
    }
    expect(spoken.length).toBeGreaterThan(0);
    expect(outside).toEqual({});
  });

  it('a user who saved no language gets them in the language of the page they were using (here German, from the browser)', async () => {
    const { tp, provider, smtp } = await setup();
    await makeUser(tp.portal, { username: 'bruno', password: PASSWORD, email: 'bruno@corp.test' });
    const { text, twiml } = await journey(tp, provider, 'bruno', 'de-AT,de;q=0.9,en;q=0.5');
    const de = translator('de');
    expect(text).toBe(de('sms.code', { code: codeIn(text), product: tp.config.branding.productName, minutes: tp.config.methods.codeMinutes }));
    expect(twiml).toContain('<Say language="de-DE">');
    const mails = await Promise.all(smtp.received.filter((m) => m.to.includes('bruno@corp.test')).map((m) => simpleParser(m.raw)));
    expect(mails.map((m) => m.subject)).toContain(de('mail.subject', { title: de('mail.passwordChanged.title'), product: tp.config.branding.productName }));
  });
});
