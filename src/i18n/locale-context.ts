import { AsyncLocalStorage } from 'node:async_hooks';

/** The language and time zone a request (or a message to one user) is rendered in. */
export interface Locale {
  lang: string;
  timeZone: string;
}

/** The organisation's: its default language and zone, and the languages it offers (a saved language no longer offered is not used). */
export interface OrgLocale extends Locale {
  offered?: readonly string[];
}

const storage = new AsyncLocalStorage<Locale>();

/**
 * Runs `fn` in a locale: a page request runs in the viewer's (request-context middleware), a mail
 * or text to a user in that user's (delivery/notices). What is formatted inside — the portal's
 * translator, dates — follows it without every service carrying a language parameter.
 */
export function inLocale<T>(locale: Locale, fn: () => T): T {
  return storage.run(locale, fn);
}

/** The locale of what is running now, or undefined outside any (the CLI; a job between requests). */
export function currentLocale(): Locale | undefined {
  return storage.getStore();
}
