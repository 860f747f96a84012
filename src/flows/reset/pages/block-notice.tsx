import type { AppContext } from '../../../http/context.js';
import { formatDateTime } from '../../../http/ui/dates.js';
import { Notice } from '../../../http/ui/layout.js';
import type { Translate } from '../../../i18n/index.js';
import { startPath } from '../paths.js';
import type { Intent } from '../reset-flow.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** "24 hours", "1 hour", "30 minutes": a block's length in plain words. */
export function durationText(t: Translate, ms: number): string {
  if (ms < HOUR) {
    const n = Math.max(1, Math.round(ms / MINUTE));
    return n === 1 ? t('reset.duration.minute') : t('reset.duration.minutes', { n });
  }
  const n = Math.round(ms / HOUR);
  return n === 1 ? t('reset.duration.hour') : t('reset.duration.hours', { n });
}

/** On a code or answer step: how many wrong answers are left before the block, and how long it lasts. */
export function AttemptsWarning({ c, warning }: { c: AppContext; warning: { left: number; blockMs: number } | null }) {
  const t = c.get('t');
  if (!warning) return null;
  const duration = durationText(t, warning.blockMs);
  return <Notice kind="warn">{warning.left === 1 ? t('reset.block.warnOne', { duration }) : t('reset.block.warnMany', { n: warning.left, duration })}</Notice>;
}

/** Blocked: until when (UTC, and roughly how long from now), and how to reach the helpdesk — the same for every name. */
export function BlockedNotice({ c, blocked, helpdesk, intent }: { c: AppContext; blocked: { until: number; remainingMs: number } | null; helpdesk: string | null; intent: Intent }) {
  const t = c.get('t');
  if (blocked === null) {
    return (
      <>
        <Notice kind="info">{t('reset.block.lifted')}</Notice>
        <p>
          <a class="button" href={startPath(intent)}>
            {t('reset.block.startAgain')}
          </a>
        </p>
      </>
    );
  }
  // Rounded up to the minute, so "until" is never a moment before the block really lifts.
  const shown = Math.ceil(blocked.until / MINUTE) * MINUTE;
  const href = helpdesk && helpdesk.includes('@') && !helpdesk.startsWith('http') ? `mailto:${helpdesk}` : helpdesk;
  return (
    <>
      <Notice kind="error">
        {t('reset.block.until', { until: formatDateTime(shown, 'minute'), duration: durationText(t, blocked.remainingMs) })}
      </Notice>
      {helpdesk && href ? (
        <p>
          {t('reset.block.helpdesk')} <a href={href}>{helpdesk}</a>
        </p>
      ) : (
        <p>{t('reset.block.noHelpdesk')}</p>
      )}
    </>
  );
}
