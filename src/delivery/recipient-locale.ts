import { currentLocale, inLocale, type OrgLocale } from '../i18n/locale-context.js';

/**
 * Runs `fn` — building and sending a mail, text or call to one user — in that user's language:
 * the one saved in My account (while it is offered); else, when the user is the one acting (a reset, a change, a code
 * asked for), the language of the page they are on; else (a helpdesk or an administrator acting
 * on them, a job) the organisation's default. The time zone follows the same person.
 */
export function inRecipientLocale<T>(recipient: { language: string | null }, fallback: OrgLocale, fn: () => T, options: { byOther?: boolean } = {}): T {
  const viewer = options.byOther ? undefined : currentLocale();
  // A saved language the organisation no longer offers is not used (the page language, or the default, is).
  const saved = recipient.language && (!fallback.offered || fallback.offered.includes(recipient.language)) ? recipient.language : null;
  return inLocale({ lang: saved ?? viewer?.lang ?? fallback.lang, timeZone: viewer?.timeZone ?? fallback.timeZone }, fn);
}
