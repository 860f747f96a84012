import { currentLocale } from './locale-context.js';
import { PSEUDO_LOCALE } from './languages.js';

/** `time`: the time of day alone (to the minute, with its zone), for times within the hour. */
export type DatePrecision = 'day' | 'minute' | 'second' | 'time';

/**
 * The one date formatter of every page, in the viewer's language and time zone (the locale the
 * request runs in: src/i18n/locale-context.ts). English pages keep the unambiguous ISO form
 * `2026-01-01 10:00:00 UTC` (or to the minute, or the day alone) in the viewer's zone, named; other
 * languages their own form (`01.01.2026, 11:00:00 MEZ`). Outside a request (the CLI) it is UTC,
 * the zone of the audit log.
 */
export function formatDateTime(ms: number, precision: DatePrecision = 'second'): string {
  const locale = currentLocale();
  const lang = locale?.lang === PSEUDO_LOCALE ? 'en' : locale?.lang;
  if (!locale || !lang || (lang === 'en' && locale.timeZone === 'UTC')) return isoUtc(ms, precision);
  return zoned(ms, precision, lang, locale.timeZone);
}

/** The ISO form in UTC, whatever the viewer's locale: for file names, CSV, day buckets and keys. */
export function isoUtc(ms: number, precision: DatePrecision = 'second'): string {
  const iso = new Date(ms).toISOString();
  if (precision === 'day') return iso.slice(0, 10);
  if (precision === 'time') return `${iso.slice(11, 16)} UTC`;
  return `${iso.replace('T', ' ').slice(0, precision === 'minute' ? 16 : 19)} UTC`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(lang: string, timeZone: string, precision: DatePrecision): Intl.DateTimeFormat {
  const id = `${lang}|${timeZone}|${precision}`;
  let found = formats.get(id);
  if (!found) {
    const time: Intl.DateTimeFormatOptions = precision === 'day' ? {} : { hour: '2-digit', minute: '2-digit', ...(precision === 'second' ? { second: '2-digit' } : {}), timeZoneName: 'short' };
    const date: Intl.DateTimeFormatOptions = precision === 'time' ? {} : lang === 'en' ? { year: 'numeric', month: '2-digit', day: '2-digit' } : { year: 'numeric', month: precision === 'day' ? 'long' : 'short', day: 'numeric' };
    found =
      lang === 'en'
        ? new Intl.DateTimeFormat('en-CA', { timeZone, ...date, hourCycle: 'h23', ...time })
        : new Intl.DateTimeFormat(lang, { timeZone, ...date, ...time });
    formats.set(id, found);
  }
  return found;
}

function zoned(ms: number, precision: DatePrecision, lang: string, timeZone: string): string {
  const f = format(lang, timeZone, precision);
  if (lang !== 'en') return f.format(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => f.formatToParts(ms).find((p) => p.type === type)?.value ?? '';
  const day = `${part('year')}-${part('month')}-${part('day')}`;
  if (precision === 'day') return day;
  if (precision === 'time') return `${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
  return `${day} ${part('hour')}:${part('minute')}${precision === 'second' ? `:${part('second')}` : ''} ${part('timeZoneName')}`;
}

