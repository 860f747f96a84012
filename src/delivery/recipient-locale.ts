import { currentLocale, inLocale, type Locale } from '../i18n/locale-context.js';

/**
 * Runs `fn` — building and sending a mail, text or call to one user — in that user's language:
 * the one saved in My account; else, when the user is the one acting (a reset, a change, a code
 * asked for), the language of the page they are on; else (a helpdesk or an administrator acting
 * on them, a job) the organisation's default. The time zone follows the same person.
 */
export function inRecipientLocale<T>(recipient: { language: string | null }, fallback: Locale, fn: () => T, options: { byOther?: boolean } = {}): T {
  const viewer = options.byOther ? undefined : currentLocale();
  return inLocale({ lang: recipient.language ?? viewer?.lang ?? fallback.lang, timeZone: viewer?.timeZone ?? fallback.timeZone }, fn);
}
