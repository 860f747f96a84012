import type { Context } from 'hono';
import type { Session } from '../state/sessions.js';
import type { User } from '../directory/users.js';
import type { Translate } from '../i18n/index.js';

/** What the frame of every page shows, read once per request (the policy's helpdesk wins over the file's). */
export interface PageFrame {
  productName: string;
  organisationName: string;
  helpdesk: string | null;
  /** The stored brand (src/branding/): its version names the theme's and favicon's URLs. */
  brandVersion: number;
  logoUrl: string | null;
  signInMessage: string | null;
  footerLinks: ReadonlyArray<{ label: string; url: string }>;
}

/** What every request carries once the context middleware has run. */
export interface AppEnv {
  Variables: {
    t: Translate;
    /** The language pages are in (src/i18n/languages.ts), its direction, and the zone dates are shown in. */
    locale: { lang: string; dir: 'ltr' | 'rtl'; timeZone: string; offered: readonly string[] };
    frame: PageFrame;
    cookies: CookieNames;
    ip: string;
    userAgent: string;
    /** Random per-browser id (HttpOnly cookie): binds flows and CSRF tokens to one browser. */
    browserId: string;
    csrfToken: string;
    session: Session | null;
    user: User | null;
  };
}

export type AppContext = Context<AppEnv>;

export interface CookieNames {
  session: string;
  browser: string;
  secure: boolean;
}

/** `__Host-` cookies need Secure, so the prefix is used whenever the portal is served over HTTPS. */
export function cookieNames(publicUrl: string): CookieNames {
  const secure = publicUrl.startsWith('https://');
  return { session: secure ? '__Host-sspr_session' : 'sspr_session', browser: secure ? '__Host-sspr_browser' : 'sspr_browser', secure };
}

/** A local path to return to after sign-in; anything else (other hosts, `//evil`, `/\\evil`) becomes the default. */
export function safeNext(next: unknown, fallback = '/account'): string {
  if (typeof next !== 'string' || next.length > 512) return fallback;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\') || /[\u0000-\u001f]/.test(next)) return fallback;
  return next;
}
