import type { MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Session } from '../../state/sessions.js';
import type { User } from '../../directory/users.js';
import type { Translate } from '../../i18n/index.js';
import { chooseLanguage, languageDir, matchLanguage, validTimeZone } from '../../i18n/languages.js';
import { inLocale } from '../../i18n/locale-context.js';
import { hmac, randomToken } from '../../shared/crypto.js';
import { cookieNames, type AppEnv, type PageFrame } from '../context.js';
import { clientIp } from './client-ip.js';

export function csrfTokenFor(key: Buffer, browserId: string): string {
  return hmac(key, `csrf:${browserId}`);
}

export interface RequestContextDeps {
  publicUrl: string;
  trustedProxies: readonly string[];
  csrfKey: Buffer;
  sessions: { validate(token: string): Promise<Session | null> };
  users: { byId(id: string): Promise<User | null> };
  /** The page frame for this request (loads the policy once per request: pages render from it). */
  frame(): Promise<PageFrame>;
  /** The languages offered, the organisation's default (the console's, else branding.*) and time zone; read once per request. */
  languages(): Promise<{ offered: readonly string[]; fallback: string; timeZone: string }>;
  /** The catalogue of a language with the administrators' own wording. */
  translate(lang: string): Translate;
}

/** The footer's switch (`?lang=`) is kept a year; the browser's zone is told by /assets/locale.js. */
export const LANGUAGE_COOKIE = 'sspr_lang';
export const TIME_ZONE_COOKIE = 'sspr_tz';
const YEAR_SECONDS = 365 * 24 * 3600;

/** Who is asking: address, browser id, session and user, and the CSRF token for forms. */
export function requestContext(deps: RequestContextDeps): MiddlewareHandler<AppEnv> {
  const names = cookieNames(deps.publicUrl);
  return async (c, next) => {
    const { offered, fallback, timeZone: orgZone } = await deps.languages();
    c.set('frame', await deps.frame());
    c.set('cookies', names);
    c.set('ip', clientIp(c, deps.trustedProxies));
    c.set('userAgent', (c.req.header('user-agent') ?? '').slice(0, 512));

    let browserId = getCookie(c, names.browser);
    if (!browserId || !/^[A-Za-z0-9_-]{32,64}$/.test(browserId)) {
      browserId = randomToken();
      setBrowserCookie(c, names, browserId);
    }
    c.set('browserId', browserId);
    c.set('csrfToken', csrfTokenFor(deps.csrfKey, browserId));

    c.set('session', null);
    c.set('user', null);
    const token = getCookie(c, names.session);
    if (token) {
      const session = await deps.sessions.validate(token);
      const user = session ? await deps.users.byId(session.userId) : null;
      if (session && user?.enabled) {
        c.set('session', session);
        c.set('user', user);
      }
    }

    // The language: the footer's switch (kept in a cookie), the saved preference, the browser, the default.
    const asked = c.req.method === 'GET' ? matchLanguage(c.req.query('lang') ?? '', offered) : null;
    if (asked) setLanguageCookie(c, asked);
    const lang = chooseLanguage({ asked, cookie: getCookie(c, LANGUAGE_COOKIE), preference: c.get('user')?.language, acceptLanguage: c.req.header('accept-language'), offered, fallback });
    const timeZone = validTimeZone(getCookie(c, TIME_ZONE_COOKIE)) ?? orgZone;
    c.set('locale', { lang, dir: languageDir(lang), timeZone, offered });
    c.set('t', deps.translate(lang));
    await inLocale({ lang, timeZone }, next);
  };
}

export function setBrowserCookie(c: Parameters<MiddlewareHandler>[0], names: ReturnType<typeof cookieNames>, value: string): void {
  setCookie(c, names.browser, value, { path: '/', httpOnly: true, secure: names.secure, sameSite: 'Lax' });
}

/**
 * A flow (a reset, an unlock) keeps the language it started in: when no switch was used, the
 * language the browser chose is pinned in the cookie for `seconds` (a flow's longest life), so a
 * browser that changes its languages halfway does not change the flow's pages, mails or texts.
 */
export function keepLanguage(c: Parameters<MiddlewareHandler<AppEnv>>[0], seconds: number): void {
  if (getCookie(c, LANGUAGE_COOKIE)) return;
  setLanguageCookie(c, c.get('locale').lang, seconds);
}

/** The language cookie (the footer's switch, a saved choice, a flow's pin); `null` removes it. */
export function setLanguageCookie(c: Parameters<MiddlewareHandler<AppEnv>>[0], lang: string | null, seconds = YEAR_SECONDS): void {
  const { secure } = c.get('cookies');
  if (lang === null) deleteCookie(c, LANGUAGE_COOKIE, { path: '/', secure });
  else setCookie(c, LANGUAGE_COOKIE, lang, { path: '/', httpOnly: true, secure, sameSite: 'Lax', maxAge: seconds });
}
