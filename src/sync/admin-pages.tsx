import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { Pager } from '../http/ui/pager.js';
import { NotFoundPage } from '../http/errors.js';
import { AdminPage } from '../admin/admin-page.js';
import { actorOf } from '../admin/actor.js';
import { isMessageKey, type Translate } from '../i18n/index.js';
import type { Store } from '../store/database.js';
import type { SyncConflict, SyncRun } from './sync-service.js';
import { EXPIRED_NOTICE_DAYS, type Reminder } from './reminders.js';

const HISTORY_ROWS = 20;
const DEPARTED_ROWS = 50;
const PREVIEW_DAYS = 14;
/** Rows per page of the reminder preview: a 100,000-user directory can have tens of thousands due. */
const PREVIEW_ROWS = 100;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const when = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const number = (n: number) => n.toLocaleString('en-US');

/** ?page=N: a positive whole number, 1 when absent, null when it is anything else. */
function pageAsked(value: string | undefined): number | null {
  if (value === undefined || value === '') return 1;
  return /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}

function ago(t: Translate, ms: number, now: number): string {
  const d = Math.max(0, now - ms);
  if (d < 10 * SECOND) return t('sync.ago.now');
  if (d < MINUTE) return t('sync.ago.seconds', { n: Math.floor(d / SECOND) });
  if (d < HOUR) return t('sync.ago.minutes', { n: Math.floor(d / MINUTE) });
  if (d < DAY) return t('sync.ago.hours', { n: Math.floor(d / HOUR) });
  return t('sync.ago.days', { n: Math.floor(d / DAY) });
}

function ahead(t: Translate, ms: number, now: number): string {
  const d = Math.max(0, ms - now);
  return d < HOUR ? t('sync.in.minutes', { n: Math.max(1, Math.ceil(d / MINUTE)) }) : t('sync.in.hours', { n: Math.round(d / HOUR) });
}

/** "3 minutes ago (2026-01-01 10:00:00 UTC)": relative for a glance, exact to match the audit log. */
function Moment({ t, ms, now, future }: { t: Translate; ms: number; now: number; future?: boolean }) {
  return (
    <>
      <time datetime={new Date(ms).toISOString()}>{future ? ahead(t, ms, now) : ago(t, ms, now)}</time> <span class="muted">({when(ms)})</span>
    </>
  );
}

function duration(t: Translate, run: SyncRun): string {
  if (run.finishedAt === null) return t('sync.stillRunning');
  const d = Math.max(0, run.finishedAt - run.startedAt);
  if (d < SECOND) return t('sync.duration.lessThanSecond');
  if (d < MINUTE) return t('sync.duration.seconds', { n: Math.round(d / SECOND) });
  return t('sync.duration.minutes', { m: Math.floor(d / MINUTE), s: Math.floor((d % MINUTE) / SECOND) });
}

/** Plain words for a stored code, or the code itself when a newer portal wrote one this one does not know. */
function words(t: Translate, prefix: string, code: string | null): string {
  if (code === null) return '';
  const key = `${prefix}${code}`;
  return isMessageKey(key) ? t(key) : code;
}

function StatusBadge({ t, run }: { t: Translate; run: SyncRun }) {
  const cls = run.status === 'done' ? (run.errors > 0 ? '' : 'on') : run.status === 'failed' ? 'off' : '';
  return <span class={`badge ${cls}`}>{t(`sync.runStatus.${run.status}`)}</span>;
}

const counts = (t: Translate, run: SyncRun) => t('sync.status.counts', { added: run.added, updated: run.updated, disabled: run.disabled, errors: run.errors });

interface SyncedCounts {
  users: number;
  groups: number;
  departedUsers: number;
}

/** Synced objects by kind: those in AD's scope now, and users disabled because they left it. */
async function syncedCounts(store: Store): Promise<SyncedCounts> {
  const inScope = await store.db.selectFrom('synced_objects').select((eb) => ['kind', eb.fn.countAll<string | number>().as('n')]).where('gone_at', 'is', null).groupBy('kind').execute();
  const departed = await store.db.selectFrom('synced_objects').select((eb) => eb.fn.countAll<string | number>().as('n')).where('kind', '=', 'user').where('gone_at', 'is not', null).executeTakeFirst();
  const n = (kind: 'user' | 'group') => Number(inScope.find((r) => r.kind === kind)?.n ?? 0);
  return { users: n('user'), groups: n('group'), departedUsers: Number(departed?.n ?? 0) };
}

interface DepartedUser {
  userId: string;
  username: string | null;
  goneAt: number;
  reason: string | null;
}

async function departedUsers(store: Store, limit: number): Promise<DepartedUser[]> {
  const rows = await store.db
    .selectFrom('synced_objects as s')
    .leftJoin('users as u', 'u.id', 's.local_id')
    .select(['s.local_id', 's.gone_at', 's.gone_reason', 'u.username'])
    .where('s.kind', '=', 'user')
    .where('s.gone_at', 'is not', null)
    .orderBy('s.gone_at', 'desc')
    .orderBy('s.anchor')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ userId: r.local_id, username: r.username, goneAt: Number(r.gone_at), reason: r.gone_reason }));
}

/** When the console or the CLI asked for a run that no instance with an agent has taken yet. */
async function pendingRequest(store: Store): Promise<number | null> {
  const row = await store.db.selectFrom('sync_state').select('requested_at').where('id', '=', 'ad').executeTakeFirst();
  return row?.requested_at ? Number(row.requested_at) : null;
}

function NextRun({ t, last, now, intervalMinutes }: { t: Translate; last: SyncRun | undefined; now: number; intervalMinutes: number }) {
  if (intervalMinutes === 0) return <>{t('sync.status.onDemand')}</>;
  if (!last) return <>{t('sync.status.nextFirst', { minutes: intervalMinutes })}</>;
  const next = last.startedAt + intervalMinutes * MINUTE;
  if (next <= now) return <>{t('sync.status.nextDue', { minutes: intervalMinutes })}</>;
  return (
    <>
      <time datetime={new Date(next).toISOString()}>{ahead(t, next, now)}</time> <span class="muted">({when(next)})</span>, {t('sync.status.every', { minutes: intervalMinutes })}
    </>
  );
}

async function SyncPage(props: { c: AppContext }) {
  const { c } = props;
  const t = c.get('t');
  const portal = c.get('portal');
  const now = portal.clock.now();
  const [runs, cursor, synced, departed, requestedAt] = await Promise.all([portal.sync.runs(HISTORY_ROWS), portal.sync.cursor(), syncedCounts(portal.store), departedUsers(portal.store, DEPARTED_ROWS), pendingRequest(portal.store)]);
  const last = runs[0];
  const stats: Array<[string, string, number]> = [
    ['users', t('sync.counts.users'), synced.users],
    ['groups', t('sync.counts.groups'), synced.groups],
    ['departed', t('sync.counts.departed'), synced.departedUsers],
  ];

  return (
    <AdminPage c={c} title={t('sync.title')} section="/admin/sync">
      <h1>{t('sync.title')}</h1>
      <p class="muted">{t('sync.intro')}</p>
      <p>
        <a href="/admin/sync/reminders">{t('sync.remindersLink')}</a>
      </p>

      <section aria-labelledby="sync-status">
        <h2 id="sync-status">{t('sync.status.title')}</h2>
        {last?.status === 'running' ? <Notice kind="info">{t('sync.status.running')}</Notice> : last?.status === 'failed' ? <Notice kind="warn">{t('sync.status.lastFailed')}</Notice> : null}
        {requestedAt !== null ? <Notice kind="info">{t('sync.status.requested', { when: ago(t, requestedAt, now) })}</Notice> : null}
        <dl class="props">
          <dt>{t('sync.status.lastRun')}</dt>
          <dd id="sync-last-run">
            {last ? (
              <>
                <a href={`/admin/sync/runs/${encodeURIComponent(last.id)}`}>{t('sync.status.lastRunLine', { kind: t(`sync.kind.${last.kind}`), trigger: t(`sync.trigger.${last.trigger}`), when: ago(t, last.startedAt, now) })}</a> <span class="muted">({when(last.startedAt)})</span>
              </>
            ) : (
              t('sync.status.none')
            )}
          </dd>
          {last ? (
            <>
              <dt>{t('sync.status.status')}</dt>
              <dd>
                <StatusBadge t={t} run={last} />
              </dd>
              <dt>{t('sync.status.duration')}</dt>
              <dd>{duration(t, last)}</dd>
              <dt>{t('sync.status.result')}</dt>
              <dd id="sync-last-counts">{counts(t, last)}</dd>
            </>
          ) : null}
          <dt>{t('sync.status.nextRun')}</dt>
          <dd id="sync-next-run">
            <NextRun t={t} last={last} now={now} intervalMinutes={portal.config.sync.intervalMinutes} />
          </dd>
          <dt>{t('sync.status.dc')}</dt>
          <dd id="sync-dc">{cursor ? cursor.dc || '—' : t('sync.status.noCursor')}</dd>
          {cursor ? (
            <>
              <dt>{t('sync.status.usn')}</dt>
              <dd id="sync-usn">{cursor.usn}</dd>
            </>
          ) : null}
        </dl>
        <div class="stats">
          {stats.map(([id, label, n]) => (
            <div class="stat" id={`stat-${id}`}>
              <span class="n">{n}</span>
              {label}
            </div>
          ))}
        </div>
      </section>

      <section aria-labelledby="sync-actions">
        <h2 id="sync-actions">{t('sync.actions.title')}</h2>
        <p class="muted">{t('sync.actions.intro')}</p>
        <div class="row">
          <form method="post" action="/admin/sync/run" class="inline">
            <Csrf c={c} />
            <input type="hidden" name="full" value="0" />
            <Submit>{t('sync.actions.now')}</Submit>
          </form>
          <form method="post" action="/admin/sync/run" class="inline">
            <Csrf c={c} />
            <input type="hidden" name="full" value="1" />
            <Submit kind="secondary">{t('sync.actions.full')}</Submit>
          </form>
        </div>
      </section>

      <section aria-labelledby="sync-history">
        <h2 id="sync-history">{t('sync.history.title')}</h2>
        {runs.length === 0 ? (
          <p>{t('sync.history.none')}</p>
        ) : (
          <>
            <p class="muted">{t('sync.history.intro', { n: HISTORY_ROWS })}</p>
            <table id="sync-runs">
              <caption>{t('sync.history.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('sync.col.started')}</th>
                  <th scope="col">{t('sync.col.kind')}</th>
                  <th scope="col">{t('sync.col.trigger')}</th>
                  <th scope="col">{t('sync.col.status')}</th>
                  <th scope="col">{t('sync.col.duration')}</th>
                  <th scope="col">{t('sync.col.added')}</th>
                  <th scope="col">{t('sync.col.updated')}</th>
                  <th scope="col">{t('sync.col.disabled')}</th>
                  <th scope="col">{t('sync.col.errors')}</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr data-run={r.id}>
                    <th scope="row">
                      <a href={`/admin/sync/runs/${encodeURIComponent(r.id)}`}>
                        <time datetime={new Date(r.startedAt).toISOString()}>{when(r.startedAt)}</time>
                      </a>
                    </th>
                    <td>{t(`sync.kind.${r.kind}`)}</td>
                    <td>{t(`sync.trigger.${r.trigger}`)}</td>
                    <td>
                      <StatusBadge t={t} run={r} />
                    </td>
                    <td>{duration(t, r)}</td>
                    <td>{r.added}</td>
                    <td>{r.updated}</td>
                    <td>{r.disabled}</td>
                    <td>{r.errors}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section aria-labelledby="sync-departed">
        <h2 id="sync-departed">{t('sync.departed.title')}</h2>
        {departed.length === 0 ? (
          <p>{t('sync.departed.none')}</p>
        ) : (
          <>
            <p class="muted">{t('sync.departed.intro')}</p>
            <p class="muted" role="status" id="departed-shown">
              {synced.departedUsers > departed.length ? t('sync.departed.someShown', { shown: departed.length, total: number(synced.departedUsers) }) : t('sync.departed.allShown', { total: number(synced.departedUsers) })}
            </p>
            <table id="departed-users">
              <caption>{t('sync.departed.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('sync.departed.col.user')}</th>
                  <th scope="col">{t('sync.departed.col.when')}</th>
                  <th scope="col">{t('sync.departed.col.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {departed.map((u) => (
                  <tr>
                    <th scope="row">{u.username ? <a href={`/admin/users/${encodeURIComponent(u.userId)}`}>{u.username}</a> : t('sync.departed.deletedUser', { id: u.userId })}</th>
                    <td>
                      <Moment t={t} ms={u.goneAt} now={now} />
                    </td>
                    <td>{words(t, 'sync.departed.reason.', u.reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </AdminPage>
  );
}

function RunPage(props: { c: AppContext; run: SyncRun; agentName: string | null }) {
  const { c, run } = props;
  const t = c.get('t');
  const now = c.get('portal').clock.now();
  const title = t('sync.run.title', { when: when(run.startedAt) });
  return (
    <AdminPage c={c} title={title} section="/admin/sync">
      <p>
        <a href="/admin/sync">{t('sync.run.back')}</a>
      </p>
      <h1>{title}</h1>
      <dl class="props">
        <dt>{t('sync.run.kind')}</dt>
        <dd>{t(`sync.kind.${run.kind}`)}</dd>
        <dt>{t('sync.run.trigger')}</dt>
        <dd>{t(`sync.trigger.${run.trigger}`)}</dd>
        <dt>{t('sync.run.agent')}</dt>
        <dd>{props.agentName ?? run.agentId ?? t('sync.run.noAgent')}</dd>
        <dt>{t('sync.run.started')}</dt>
        <dd>
          <Moment t={t} ms={run.startedAt} now={now} />
        </dd>
        <dt>{t('sync.run.finished')}</dt>
        <dd>{run.finishedAt === null ? t('sync.stillRunning') : <Moment t={t} ms={run.finishedAt} now={now} />}</dd>
        <dt>{t('sync.status.duration')}</dt>
        <dd>{duration(t, run)}</dd>
        <dt>{t('sync.status.status')}</dt>
        <dd>
          <StatusBadge t={t} run={run} />
        </dd>
        <dt>{t('sync.status.result')}</dt>
        <dd id="run-counts">{counts(t, run)}</dd>
      </dl>

      <section aria-labelledby="run-conflicts">
        <h2 id="run-conflicts">{t('sync.run.conflicts.title')}</h2>
        {run.conflicts.length === 0 ? (
          <p>{t('sync.run.conflicts.none')}</p>
        ) : (
          <>
            <p class="muted">{t('sync.run.conflicts.intro')}</p>
            {run.errors > run.conflicts.length + run.problems.length ? (
              <p class="muted" role="status" id="run-conflicts-more">
                {t('sync.run.conflicts.more', { shown: number(run.conflicts.length), more: number(run.errors - run.conflicts.length - run.problems.length) })}
              </p>
            ) : null}
            <table id="run-conflicts-table">
              <caption>{t('sync.run.conflicts.caption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('sync.run.conflicts.col.name')}</th>
                  <th scope="col">{t('sync.run.conflicts.col.reason')}</th>
                  <th scope="col">{t('sync.run.conflicts.col.anchor')}</th>
                </tr>
              </thead>
              <tbody>
                {run.conflicts.map((x: SyncConflict) => (
                  <tr>
                    <th scope="row">{x.name}</th>
                    <td>{words(t, 'sync.conflict.', x.reason)}</td>
                    <td>
                      <code>{x.anchor}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section aria-labelledby="run-problems">
        <h2 id="run-problems">{t('sync.run.problems.title')}</h2>
        {run.problems.length === 0 ? (
          <p>{t('sync.run.problems.none')}</p>
        ) : (
          <ul id="run-problems-list">
            {run.problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        )}
      </section>
    </AdminPage>
  );
}

/** The day the reminder goes out: when its threshold is crossed, or with the next run when that has passed. */
function sendsAt(r: Reminder): number {
  return r.expiresAt - r.threshold * DAY;
}

function thresholdName(t: Translate, threshold: number): string {
  return threshold === 0 ? t('reminders.threshold.expired') : t('reminders.threshold.days', { n: threshold });
}

async function RemindersPage(props: { c: AppContext }) {
  const { c } = props;
  const t = c.get('t');
  const portal = c.get('portal');
  const now = portal.clock.now();
  const settings = portal.config.reminders;
  const daysBefore = [...settings.daysBefore].sort((a, b) => b - a);
  // Counted by the database; only one page of rows is read and rendered.
  const summary = await portal.reminders.summary({ horizonDays: PREVIEW_DAYS });
  const pages = Math.max(1, Math.ceil(summary.total / PREVIEW_ROWS));
  const asked = pageAsked(c.req.query('page'));
  const page = asked !== null && asked <= pages ? asked : 1;
  const due = await portal.reminders.due({ horizonDays: PREVIEW_DAYS, limit: PREVIEW_ROWS, offset: (page - 1) * PREVIEW_ROWS });
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
                      <time datetime={new Date(r.expiresAt).toISOString()}>{when(r.expiresAt)}</time>
                    </td>
                    <td>{thresholdName(t, r.threshold)}</td>
                    <td>{sendsAt(r) <= now ? t('reminders.sends.now') : t('reminders.sends.on', { date: day(sendsAt(r)) })}</td>
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

/** /admin/sync: AD sync status, runs and departed users; /admin/sync/reminders: the expiry reminder preview. The `/admin/*` guard requires the administrator role. */
export function syncPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/sync', async (c) => c.html(await SyncPage({ c })));

  app.get('/admin/sync/reminders', async (c) => c.html(await RemindersPage({ c })));

  app.get('/admin/sync/runs/:id', async (c) => {
    const portal = c.get('portal');
    const run = await portal.sync.run(c.req.param('id'));
    if (!run) return c.html(<NotFoundPage c={c} />, 404);
    const agent = run.agentId ? await portal.agents.byId(run.agentId) : null;
    return c.html(<RunPage c={c} run={run} agentName={agent?.name ?? null} />);
  });

  app.post('/admin/sync/run', async (c) => {
    const portal = c.get('portal');
    const full = str(await readForm(c), 'full') === '1';
    const actor = actorOf(c);
    const audit = (outcome: 'success' | 'info' | 'blocked', result: string, run?: string) =>
      portal.audit.record({ event: 'sync_requested', outcome, actor: { id: actor.id, name: actor.name }, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, details: { full, result, ...(run ? { run } : {}) } });
    // The page waits for the run: an administrator who pressed the button wants its outcome, and a sync holds a lease, so a second press is "busy", not a second run.
    const r = await portal.syncCoordinator.run('manual', { full });
    if (r.ok) {
      await audit('success', r.run.status, r.run.id);
      return c.redirect(r.run.status === 'failed' ? `/admin/sync/runs/${encodeURIComponent(r.run.id)}?refused=sync.refuse.failed` : '/admin/sync?done=sync.done.finished', 303);
    }
    if (r.reason === 'busy') {
      await audit('blocked', 'busy');
      return c.redirect('/admin/sync?refused=sync.refuse.busy', 303);
    }
    // No agent on this instance: another one (or this one, once an agent connects) takes the request from the store.
    await portal.sync.request(full);
    await audit('info', 'requested');
    return c.redirect('/admin/sync?done=sync.done.requested', 303);
  });

  return app;
}
