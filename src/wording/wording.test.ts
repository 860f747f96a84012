import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import { translator } from '../i18n/index.js';

const PW = 'correct horse battery';
const langOf = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

describe('languages and wording in the console', () => {
  let tp: TestPortal | undefined;
  afterEach(async () => {
    await tp?.cleanup();
    tp = undefined;
  });

  async function admin(config = {}) {
    tp = await createTestPortal({ config });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    const c = new TestClient(tp.app);
    expect((await c.signIn('root', PW)).status).toBe(303);
    expect((await c.get('/admin/languages')).status).toBe(200);
    return c;
  }

  it('the administrator chooses the offered languages and the default: a browser asking for another gets the default, the switch lists only those', async () => {
    const c = await admin();
    const saved = await c.post('/admin/languages', { languages: ['en', 'de'], defaultLanguage: 'de', expectedVersion: '0' });
    expect(saved.res.headers.get('location')).toBe('/admin/languages?done=wording.done.saved');
    const visitor = new TestClient(tp!.app, 'http://portal.test', { 'accept-language': 'fr' });
    const page = await visitor.get('/sign-in');
    expect(langOf(page.body)).toBe('de');
    expect(page.body).toContain('hreflang="en"');
    expect(page.body).not.toContain('hreflang="fr"');
    const audit = await tp!.store.db.selectFrom('audit_events').select(['event', 'details']).where('event', '=', 'wording_changed').execute();
    expect(audit.map((a) => JSON.parse(a.details!) as Record<string, unknown>)).toEqual([{ version: 1, changed: 'languages' }]);
  });

  it('no language, or a default that is not offered, is refused in words and nothing changes', async () => {
    const c = await admin();
    const none = await c.post('/admin/languages', { defaultLanguage: 'en', expectedVersion: '0' });
    expect(none.status).toBe(400);
    expect(none.body).toContain('Offer at least one language.');
    const badDefault = await c.post('/admin/languages', { languages: ['en', 'de'], defaultLanguage: 'ja', expectedVersion: '0' });
    expect(badDefault.status).toBe(400);
    expect(badDefault.body).toContain('The default language must be one of the offered languages.');
    expect(badDefault.body).toContain('aria-invalid="true"');
    const stale = await c.post('/admin/languages', { languages: ['en'], defaultLanguage: 'en', expectedVersion: '7' });
    expect(stale.status).toBe(409);
    expect((await tp!.portal.wording.refresh()).version).toBe(0);
  });

  it('a message in the administrators’ own words, per language: pages and mails in that language use it, other languages keep theirs', async () => {
    const c = await admin({ branding: { helpdesk: 'help@corp.test' } });
    const own = 'Probleme? Rufen Sie {helpdesk} an oder wählen Sie intern die 1234.';
    const found = await c.get('/admin/languages?q=helpdesk&wlang=de');
    expect(found.body).toContain('/admin/languages/message?wlang=de&amp;key=app.helpdesk');
    expect((await c.get('/admin/languages/message?wlang=de&key=app.helpdesk')).status).toBe(200);
    const saved = await c.post('/admin/languages/message', { lang: 'de', key: 'app.helpdesk', text: own, expectedVersion: '0' });
    expect(saved.status).toBe(303);
    const german = new TestClient(tp!.app, 'http://portal.test', { 'accept-language': 'de' });
    expect((await german.get('/sign-in')).body).toContain('Probleme? Rufen Sie help@corp.test an oder wählen Sie intern die 1234.');
    const english = new TestClient(tp!.app, 'http://portal.test', { 'accept-language': 'en' });
    expect((await english.get('/sign-in')).body).toContain(translator('en')('app.helpdesk', { helpdesk: 'help@corp.test' }));

    // A mail to a user whose language is French, in the administrators' French words.
    const user = await makeUser(tp!.portal, { username: 'lea', password: PW, email: 'lea@corp.test' });
    await tp!.portal.users.setLanguage(user.id, 'fr');
    expect((await c.post('/admin/languages/message', { lang: 'fr', key: 'mail.passwordChanged.title', text: 'Votre mot de passe a changé (service informatique)', expectedVersion: '1' })).status).toBe(303);
    const lea = new TestClient(tp!.app);
    await lea.signIn('lea', PW);
    await lea.get('/account/change-password');
    expect((await lea.post('/account/change-password', { current: PW, password: 'Fresh-Meadow-Lantern-42', confirm: 'Fresh-Meadow-Lantern-42' })).status).toBe(303);
    const [mail] = await messagesTo(tp!.portal, 'lea@corp.test');
    expect(mail?.subject).toContain('Votre mot de passe a changé (service informatique)');

    // Back to the standard words.
    expect((await c.post('/admin/languages/message', { lang: 'de', key: 'app.helpdesk', remove: '1', expectedVersion: '2' })).status).toBe(303);
    await tp!.portal.wording.refresh();
    expect((await german.get('/sign-in')).body).toContain(translator('de')('app.helpdesk', { helpdesk: 'help@corp.test' }));
  });

  it('wording that is not a valid message is refused in words, and nothing is saved: a lost placeholder, broken braces, a plural form the language lacks', async () => {
    const c = await admin();
    const lost = await c.post('/admin/languages/message', { lang: 'de', key: 'app.helpdesk', text: 'Rufen Sie uns an.', expectedVersion: '0' });
    expect(lost.status).toBe(400);
    expect(lost.body).toContain('Keep {helpdesk}: the portal fills it in.');
    expect(lost.body).toContain('aria-describedby="f-text-hint f-text-error"');
    const broken = await c.post('/admin/languages/message', { lang: 'de', key: 'app.helpdesk', text: 'Rufen Sie {helpdesk an.', expectedVersion: '0' });
    expect(broken.body).toContain('The braces do not match.');
    const plural = await c.post('/admin/languages/message', { lang: 'ja', key: 'time.ago.days', text: '{n, plural, one {# 日} other {# 日}}前', expectedVersion: '0' });
    expect(plural.status).toBe(400);
    expect(plural.body).toContain('The counting part {n} needs');
    const unknown = await c.post('/admin/languages/message', { lang: 'de', key: 'no.such.key', text: 'x', expectedVersion: '0' });
    expect(unknown.status).toBe(404);
    expect((await tp!.portal.wording.refresh()).version).toBe(0);
  });
});
