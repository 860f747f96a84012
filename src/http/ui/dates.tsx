import type { Translate } from '../../i18n/index.js';
import { formatDateTime, type DatePrecision } from '../../i18n/dates.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export { formatDateTime, isoUtc, type DatePrecision } from '../../i18n/dates.js';

/** "3 minutes ago", "in 2 hours": relative to the page's now. */
export function relativeTime(t: Translate, ms: number, now: number): string {
  if (ms > now) {
    const d = ms - now;
    return d < HOUR ? t('time.in.minutes', { n: Math.max(1, Math.ceil(d / MINUTE)) }) : t('time.in.hours', { n: Math.round(d / HOUR) });
  }
  const d = now - ms;
  if (d < 10 * SECOND) return t('time.ago.now');
  if (d < MINUTE) return t('time.ago.seconds', { n: Math.floor(d / SECOND) });
  if (d < HOUR) return t('time.ago.minutes', { n: Math.floor(d / MINUTE) });
  if (d < DAY) return t('time.ago.hours', { n: Math.floor(d / HOUR) });
  return t('time.ago.days', { n: Math.floor(d / DAY) });
}

/** "3 minutes ago (2026-01-01 10:00:00 UTC)": relative for a glance, exact to match the audit log. */
export function Moment({ t, ms, now }: { t: Translate; ms: number; now: number }) {
  return (
    <>
      <time datetime={new Date(ms).toISOString()}>{relativeTime(t, ms, now)}</time> <span class="muted">({formatDateTime(ms)})</span>
    </>
  );
}

/** An exact time in a `<time>` element. */
export function Timestamp({ ms, precision }: { ms: number; precision?: DatePrecision }) {
  return <time datetime={new Date(ms).toISOString()}>{formatDateTime(ms, precision)}</time>;
}
