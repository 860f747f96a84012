import type { AppContext } from '../http/context.js';
import { Notice } from '../http/ui/layout.js';
import { Pager } from '../http/ui/pager.js';
import { AdminPage } from '../http/ui/console-page.js';
import { formatDateTime, Timestamp } from '../http/ui/dates.js';
import type { Translate } from '../i18n/index.js';
import type { Config } from '../config/schema.js';
import { EXPIRED_NOTICE_DAYS, type Reminder, type ReminderSummary } from './reminders.js';
import { number } from './admin-run-view.js';

export const PREVIEW_DAYS = 14;
/** Rows per page of the reminder preview: a 100,000-user directory can have tens of thousands due. */
export const PREVIEW_ROWS = 100;
const DAY = 24 * 60 * 60_000;

/** ?page=N: a positive whole number, 1 when absent, null when it is anything else. */
export function pageAsked(value: string | undefined): number | null {
  if (value === undefined || value === '') return 1;
  return /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}

/** The day the reminder goes out: when its threshold is crossed, or with the next run when that has passed. */
function sendsAt(r: Reminder): number {
  return r.expiresAt - r.threshold * DAY;
}

function thresholdName(t: Translate, threshold: number): string {
  return threshold === 0 ? t('reminders.threshold.expired') : t('reminders.threshold.days', { n: threshold });
}

/** What the reminder preview shows: the settings, the counts by kind and one page of due reminders. */
export interface RemindersView {
  settings: Config['reminders'];
  summary: ReminderSummary;
  /** The page asked for (null: not a page number); the page shown is 1 when it is past the end. */
  asked: number | null;
  page: number;
  pages: number;
  due: Reminder[];
  now: number;
}

export function RemindersPage({ c, view }: { c: AppContext; view: RemindersView }) {
  const t = c.get('t');
  const { settings, summary, asked, page, pages, due, now } = view;
  const daysBefore = [...settings.daysBefore].sort((a, b) => b - a);
  // Every kind the configuration sends, with 0 where none is due, so the summary reads the same every day.
  const kinds = [...new Set([...daysBefore, ...(settings.whenExpired ? [0] : []), ...summary.byThreshold.map((k) => k.threshold)])].sort((a, b) => b - a);
  const countOf = (threshold: number) => summary.byThreshold.find((k) => k.threshold === threshold)?.count ?? 0;
  const first = (page - 1) * PREVIEW_ROWS + 1;
  return (
    <AdminPage c={c} title={t('reminders.title')} section="/admin/sync">
      <p>
        <a href="/admin/sync">{t('reminders.back')}</a>
      </p>
      <h1>{t('reminders.title')}</h1>
      <p class="muted">{t('reminders.intro')}</p>

      <section aria-labelledby="reminders-settings">
        <h2 id="reminders-settings">{t('reminders.settings.title')}</h2>
        {settings.enabled ? null : <Notice kind="warn">{t('reminders.settings.offNotice')}</Notice>}
        <dl class="props">
          <dt>{t('reminders.settings.enabled')}</dt>
          <dd id="reminders-enabled">
            <span class={`badge ${settings.enabled ? 'on' : 'off'}`}>{t(settings.enabled ? 'reminders.settings.on' : 'reminders.settings.off')}</span>
          </dd>
          <dt>{t('reminders.settings.daysBefore')}</dt>
          <dd id="reminders-days">{daysBefore.length ? daysBefore.join(', ') : t('reminders.settings.noDays')}</dd>
          <dt>{t('reminders.settings.whenExpired')}</dt>
          <dd id="reminders-expired">{t(settings.whenExpired ? 'reminders.settings.yes' : 'reminders.settings.no')}</dd>
        </dl>
        <p class="hint">{t('reminders.settings.hint', { days: EXPIRED_NOTICE_DAYS })}</p>
      </section>

      <section aria-labelledby="reminders-preview">
        <h2 id="reminders-preview">{t('reminders.preview.title', { days: PREVIEW_DAYS })}</h2>
        {asked === null ? <Notice kind="warn">{t('reminders.page.invalid')}</Notice> : asked > pages ? <Notice kind="warn">{t('reminders.page.pastEnd', { page: number(asked), pages: number(pages) })}</Notice> : null}
        {summary.total === 0 ? (
          <p>{t('reminders.preview.none', { days: PREVIEW_DAYS })}</p>
        ) : (
          <>
            <p class="muted">{t('reminders.preview.intro', { days: PREVIEW_DAYS })}</p>
            <p id="reminders-total">{t('reminders.summary.total', { n: number(summary.total), days: PREVIEW_DAYS })}</p>
            <table id="reminders-summary">
              <caption>{t('reminders.summary.caption', { days: PREVIEW_DAYS })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('reminders.col.reminder')}</th>
                  <th scope="col">{t('reminders.summary.col.count')}</th>
                </tr>
              </thead>
              <tbody>
                {kinds.map((k) => (
                  <tr data-threshold={String(k)}>
                    <th scope="row">{thresholdName(t, k)}</th>
                    <td>{number(countOf(k))}</td>
                  </tr>
                ))}
              </tbody>
            </table>

            <p class="muted" role="status" id="reminders-shown">
              {t('reminders.preview.showing', { from: number(first), to: number(first + due.length - 1), total: number(summary.total) })}
            </p>
            <table id="reminders-due">
              <caption>{t('reminders.preview.caption', { days: PREVIEW_DAYS })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('reminders.col.user')}</th>
                  <th scope="col">{t('reminders.col.expires')}</th>
                  <th scope="col">{t('reminders.col.reminder')}</th>
                  <th scope="col">{t('reminders.col.sends')}</th>
                </tr>
              </thead>
              <tbody>
                {due.map((r) => (
                  <tr data-user={r.username}>
                    <th scope="row">
                      <a href={`/admin/users/${encodeURIComponent(r.userId)}`}>{r.username}</a>
                      {r.displayName && r.displayName !== r.username ? <span class="muted"> ({r.displayName})</span> : null}
                    </th>
                    <td>
                      <Timestamp ms={r.expiresAt} />
                    </td>
                    <td>{thresholdName(t, r.threshold)}</td>
                    <td>{sendsAt(r) <= now ? t('reminders.sends.now') : t('reminders.sends.on', { date: formatDateTime(sendsAt(r), 'day') })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager t={t} page={page} pageSize={PREVIEW_ROWS} total={summary.total} link={(p) => `/admin/sync/reminders?page=${p}`} />
          </>
        )}
      </section>
    </AdminPage>
  );
}
