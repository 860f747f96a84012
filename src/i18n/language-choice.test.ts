import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { startReset, registered } from '../../test/helpers/reset-flow.js';
import { chooseLanguage, fromAcceptLanguage, LANGUAGE_CODES } from './languages.js';
import { formatDateTime } from './dates.js';
import { currentLocale, inLocale } from './locale-context.js';

const currentLang = () => currentLocale()?.lang;
import { translator } from './index.js';

const langOf = (body: string) => /<html lang="([^"]+)" dir="(ltr|rtl)"/.exec(body)?.slice(1) ?? [];

describe('choosing the language', () => {
  it('matches browser tags to the offered languages by quality, then by primary language (de-AT → de, pt → pt-BR)', () => {
    expect(fromAcceptLanguage('de-AT,de;q=0.9,en;q=0.5', LANGUAGE_CODES)).toBe('de');
    expect(fromAcceptLanguage('pt', LANGUAGE_CODES)).toBe('pt-BR');
    expect(fromAcceptLanguage('sv, fr;q=0.2, ja;q=0.8', LANGUAGE_CODES)).toBe('ja');
    expect(fromAcceptLanguage('sv, *;q=0.5', LANGUAGE_CODES)).toBeNull();
    expect(fromAcceptLanguage('ar-EG', ['en', 'de'])).toBeNull();
    // The order of issue 15: the switch, its cookie, the saved preference, the browser, the default.
    const offered = LANGUAGE_CODES;
    expect(chooseLanguage({ asked: 'fr', cookie: 'de', preference: 'ja', acceptLanguage: 'es', offered, fallback: 'en' })).toBe('fr');
    expect(chooseLanguage({ cookie: 'de', preference: 'ja', acceptLanguage: 'es', offered, fallback: 'en' })).toBe('de');
    expect(chooseLanguage({ preference: 'ja', acceptLanguage: 'es', offered, fallback: 'en' })).toBe('ja');
    expect(chooseLanguage({ acceptLanguage: 'es', offered, fallback: 'en' })).toBe('es');
    expect(chooseLanguage({ acceptLanguage: 'sv', offered, fallback: 'nl' })).toBe('nl');
    expect(chooseLanguage({ preference: 'ar', acceptLanguage: 'ar', offered: ['en', 'de'], fallback: 'de' })).toBe('de');
  });

  it('dates are in the viewer’s language and zone, named; English keeps the ISO form; outside a request UTC', () => {
    const at = Date.UTC(2026, 6, 1, 12, 30, 0);
    expect(formatDateTime(at)).toBe('2026-07-01 12:30:00 UTC');
    expect(inLocale({ lang: 'en', timeZone: 'UTC' }, () => formatDateTime(at, 'minute'))).toBe('2026-07-01 12:30 UTC');
    expect(inLocale({ lang: 'en', timeZone: 'Asia/Tokyo' }, () => formatDateTime(at, 'minute'))).toBe('2026-07-01 21:30 GMT+9');
    expect(inLocale({ lang: 'de', timeZone: 'Europe/Berlin' }, () => formatDateTime(at, 'minute'))).toBe('1. Juli 2026, 14:30 MESZ');
    expect(inLocale({ lang: 'ja', timeZone: 'Asia/Tokyo' }, () => formatDateTime(at, 'minute'))).toBe('2026年7月1日 21:30 JST');
  });
});

describe('the language of a page (HTTP)', () => {
  let tp: TestPortal | undefined;
  afterEach(async () => {
    await tp?.portal.resets.settled();
    await tp?.cleanup();
    tp = undefined;
  });

  it('follows Accept-Language; ?lang= switches and is kept in a cookie over the browser; an unknown ?lang= changes nothing', async () => {
    tp = await createTestPortal();
    const c = new TestClient(tp.app, 'http://portal.test', { 'accept-language': 'de-CH,de;q=0.9' });
    const first = await c.get('/sign-in');
    expect(langOf(first.body)).toEqual(['de', 'ltr']);
    expect(first.body).toContain(translator('de')('app.language.nav'));
    expect(langOf((await c.get('/sign-in?lang=xx')).body)).toEqual(['de', 'ltr']);
    expect(c.cookies.has('sspr_lang')).toBe(false);
    expect(langOf((await c.get('/sign-in?lang=ar')).body)).toEqual(['ar', 'rtl']);
    expect(c.cookies.get('sspr_lang')).toBe('ar');
    expect(langOf((await c.get('/reset')).body)).toEqual(['ar', 'rtl']);
  });

  it('the switch links stay on this site: a request path like //other.example/ cannot make them leave (no open redirect)', async () => {
    tp = await createTestPortal();
    const c = new TestClient(tp.app);
    for (const path of ['//evil.example/x', '/\\evil.example/x', '/reset?next=//evil.example']) {
      const page = await c.get(path);
      const links = [...page.body.matchAll(/<a href="([^"]*)"[^>]*hreflang=/g)].map((m) => m[1]!);
      expect(links.length, path).toBe(8);
      for (const href of links) expect(href, path).toMatch(/^\/(?![/\\])/);
    }
  });

  it('a saved language the organisation no longer offers is not used for mails: the page language or the default is', async () => {
    const { inRecipientLocale } = await import('../delivery/recipient-locale.js');
    const org = { lang: 'en', timeZone: 'UTC', offered: ['en', 'de'] };
    expect(inRecipientLocale({ language: 'ja' }, org, () => currentLang())).toBe('en');
    expect(inLocale({ lang: 'de', timeZone: 'UTC' }, () => inRecipientLocale({ language: 'ja' }, org, () => currentLang()))).toBe('de');
    expect(inRecipientLocale({ language: 'de' }, org, () => currentLang())).toBe('de');
  });

  it('only the offered languages (branding.languages), else branding.defaultLanguage; the switch lists the offered ones alone', async () => {
    tp = await createTestPortal({ config: { branding: { languages: ['en', 'nl'], defaultLanguage: 'nl' } } });
    const c = new TestClient(tp.app, 'http://portal.test', { 'accept-language': 'fr' });
    const page = await c.get('/sign-in?lang=de');
    expect(langOf(page.body)).toEqual(['nl', 'ltr']);
    expect(page.body).toContain('hreflang="en"');
    expect(page.body).not.toContain('hreflang="de"');
  });

  it('the language saved in My account beats the browser, the switch beats both; a language not offered is refused and changes nothing', async () => {
    tp = await createTestPortal({ config: { branding: { languages: ['en', 'de', 'ja'] } } });
    const user = await makeUser(tp.portal, { username: 'kenji', password: 'correct horse battery' });
    const c = new TestClient(tp.app, 'http://portal.test', { 'accept-language': 'de' });
    await c.signIn('kenji', 'correct horse battery');
    expect(langOf((await c.get('/account')).body)).toEqual(['de', 'ltr']);
    const refused = await c.post('/account/language', { language: 'ar' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(translator('de')('account.language.invalid'));
    expect((await tp.portal.users.byId(user.id))?.language).toBeNull();
    expect((await c.post('/account/language', { language: 'ja' })).res.headers.get('location')).toBe('/account?done=account.language.saved');
    expect((await tp.portal.users.byId(user.id))?.language).toBe('ja');
    c.cookies.delete('sspr_lang');
    expect(langOf((await c.get('/account')).body)).toEqual(['ja', 'ltr']);
    expect(langOf((await c.get('/account?lang=en')).body)).toEqual(['en', 'ltr']);
    // "Same as my browser": the preference goes, and the switch's cookie with it.
    await c.post('/account/language', { language: '' });
    expect((await tp.portal.users.byId(user.id))?.language).toBeNull();
    expect(langOf((await c.get('/account')).body)).toEqual(['de', 'ltr']);
    const events = await tp.store.db.selectFrom('audit_events').select(['event', 'details']).where('event', '=', 'language_chosen').execute();
    expect(events).toHaveLength(2);
  });

  it('a reset keeps the language it started in, even when the browser asks for another one halfway', async () => {
    tp = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 } } });
    await registered(tp.portal, 'hilde');
    const c = new TestClient(tp.app, 'http://portal.test', { 'accept-language': 'de' });
    const started = await startReset(c, 'hilde');
    expect(started.status).toBe(303);
    const later = new TestClient(tp.app, 'http://portal.test', { 'accept-language': 'es' });
    for (const [k, v] of c.cookies) later.cookies.set(k, v);
    const verify = await later.get(started.res.headers.get('location')!);
    expect(langOf(verify.body)).toEqual(['de', 'ltr']);
    expect(verify.body).toContain(translator('de')('reset.title'));
  });
});
