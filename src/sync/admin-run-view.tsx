import { isMessageKey, type Translate } from '../i18n/index.js';
import type { SyncRun } from './sync-service.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const number = (n: number) => n.toLocaleString('en-US');

export function duration(t: Translate, run: SyncRun): string {
  if (run.finishedAt === null) return t('sync.stillRunning');
  const d = Math.max(0, run.finishedAt - run.startedAt);
  if (d < SECOND) return t('sync.duration.lessThanSecond');
  if (d < MINUTE) return t('sync.duration.seconds', { n: Math.round(d / SECOND) });
  return t('sync.duration.minutes', { m: Math.floor(d / MINUTE), s: Math.floor((d % MINUTE) / SECOND) });
}

/** Plain words for a stored code, or the code itself when a newer portal wrote one this one does not know. */
export function words(t: Translate, prefix: string, code: string | null): string {
  if (code === null) return '';
  const key = `${prefix}${code}`;
  return isMessageKey(key) ? t(key) : code;
}

export function StatusBadge({ t, run }: { t: Translate; run: SyncRun }) {
  const cls = run.status === 'done' ? (run.errors > 0 ? '' : 'on') : run.status === 'failed' ? 'off' : '';
  return <span class={`badge ${cls}`}>{t(`sync.runStatus.${run.status}`)}</span>;
}

export const counts = (t: Translate, run: SyncRun) => t('sync.status.counts', { added: run.added, updated: run.updated, disabled: run.disabled, errors: run.errors });

