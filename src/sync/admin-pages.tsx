import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { readForm, str } from '../http/form.js';
import { Submit } from '../http/ui/forms.js';
import { Csrf, Notice } from '../http/ui/layout.js';
import { NotFoundPage } from '../http/errors.js';
import { formatDateTime, Moment, relativeTime, Timestamp } from '../http/ui/dates.js';
import { AdminPage } from '../http/ui/console-page.js';
import { actorOf } from '../http/actor.js';
import type { Translate } from '../i18n/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import type { AgentRegistry } from '../writeback/agent-registry.js';
import type { SyncRun, SyncService } from './sync-service.js';
import type { SyncCoordinator } from './coordinator.js';
import type { ExpiryReminders } from './reminders.js';
import type { DepartedUser, SyncedCounts, SyncStatusQueries } from './sync-status.js';
import { StatusBadge, counts, duration, number, words } from './admin-run-view.js';
import { RunPage } from './admin-run-page.js';
import { PREVIEW_DAYS, PREVIEW_ROWS, RemindersPage, pageAsked } from './admin-reminders-page.js';

const HISTORY_ROWS = 20;
const DEPARTED_ROWS = 50;
const MINUTE = 60_000;

type SyncCursor = Awaited<ReturnType<SyncService['cursor']>>;

export interface SyncPageDeps {
  sync: Pick<SyncService, 'runs' | 'cursor' | 'run' | 'request'>;
  status: SyncStatusQueries;
  /** Runs a sync through an agent connected to this instance. */
  coordinator: Pick<SyncCoordinator, 'run'>;
  /** The agent that ran a sync, by id, for its name. */
  agents: Pick<AgentRegistry, 'byId'>;
  reminders: Pick<ExpiryReminders, 'summary' | 'due'>;
  audit: AuditLog;
  /** `config.sync.intervalMinutes`: 0 = on demand only. */
  intervalMinutes: number;
  reminderSettings: Config['reminders'];
  now(): number;
}

function NextRun({ t, last, now, intervalMinutes }: { t: Translate; last: SyncRun | undefined; now: number; intervalMinutes: number }) {
  if (intervalMinutes === 0) return <>{t('sync.status.onDemand')}</>;
  if (!last) return <>{t('sync.status.nextFirst', { minutes: intervalMinutes })}</>;
  const next = last.startedAt + intervalMinutes * MINUTE;
  if (next <= now) return <>{t('sync.status.nextDue', { minutes: intervalMinutes })}</>;
  return (
    <>
      <Moment t={t} ms={next} now={now} />, {t('sync.status.every', { minutes: intervalMinutes })}
    </>
  );
}

/** What the status page shows, read by the route from the sync service and the status queries. */
export interface SyncStatusView {
  runs: SyncRun[];
  cursor: SyncCursor;
  synced: SyncedCounts;
  departed: DepartedUser[];
  requestedAt: number | null;
  intervalMinutes: number;
  now: number;
}

function SyncPage({ c, view, problem }: { c: AppContext; view: SyncStatusView; problem?: 'sync.refuse.form' }) {
  const t = c.get('t');
  const { runs, cursor, synced, departed, requestedAt, now } = view;
  const last = runs[0];
  const stats: Array<[string, string, number]> = [
    ['users', t('sync.counts.users'), synced.users],
    ['groups', t('sync.counts.groups'), synced.groups],
    ['departed', t('sync.counts.departed'), synced.departedUsers],
  ];

  return (
    <AdminPage c={c} title={t('sync.title')} section="/admin/sync">
      <h1>{t('sync.title')}</h1>
      {problem ? <Notice kind="error">{t(problem)}</Notice> : null}
      <p class="muted">{t('sync.intro')}</p>
      <p>
        <a href="/admin/sync/reminders">{t('sync.remindersLink')}</a>
      </p>

      <section aria-labelledby="sync-status">
        <h2 id="sync-status">{t('sync.status.title')}</h2>
        {last?.status === 'running' ? <Notice kind="info">{t('sync.status.running')}</Notice> : last?.status === 'failed' ? <Notice kind="warn">{t('sync.status.lastFailed')}</Notice> : null}
        {requestedAt !== null ? <Notice kind="info">{t('sync.status.requested', { when: relativeTime(t, requestedAt, now) })}</Notice> : null}
        <dl class="props">
          <dt>{t('sync.status.lastRun')}</dt>
          <dd id="sync-last-run">
            {last ? (
              <>
                <a href={`/admin/sync/runs/${encodeURIComponent(last.id)}`}>{t('sync.status.lastRunLine', { kind: t(`sync.kind.${last.kind}`), trigger: t(`sync.trigger.${last.trigger}`), when: relativeTime(t, last.startedAt, now) })}</a> <span class="muted">({formatDateTime(last.startedAt)})</span>
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
            <NextRun t={t} last={last} now={now} intervalMinutes={view.intervalMinutes} />
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
                        <Timestamp ms={r.startedAt} />
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

/** /admin/sync: AD sync status, runs and departed users; /admin/sync/reminders: the expiry reminder preview. The `/admin/*` guard requires the administrator role. */
export function syncPages(deps: SyncPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const statusView = async (): Promise<SyncStatusView> => {
    const now = deps.now();
    const [runs, cursor, synced, departed, requestedAt] = await Promise.all([deps.sync.runs(HISTORY_ROWS), deps.sync.cursor(), deps.status.syncedCounts(), deps.status.departedUsers(DEPARTED_ROWS), deps.status.pendingRequest()]);
    return { runs, cursor, synced, departed, requestedAt, intervalMinutes: deps.intervalMinutes, now };
  };
  app.get('/admin/sync', async (c) => c.html(<SyncPage c={c} view={await statusView()} />));

  app.get('/admin/sync/reminders', async (c) => {
    const now = deps.now();
    // Counted by the database; only one page of rows is read and rendered.
    const summary = await deps.reminders.summary({ horizonDays: PREVIEW_DAYS });
    const pages = Math.max(1, Math.ceil(summary.total / PREVIEW_ROWS));
    const asked = pageAsked(c.req.query('page'));
    const page = asked !== null && asked <= pages ? asked : 1;
    const due = await deps.reminders.due({ horizonDays: PREVIEW_DAYS, limit: PREVIEW_ROWS, offset: (page - 1) * PREVIEW_ROWS });
    return c.html(<RemindersPage c={c} view={{ settings: deps.reminderSettings, summary, asked, page, pages, due, now }} />);
  });

  app.get('/admin/sync/runs/:id', async (c) => {
    const run = await deps.sync.run(c.req.param('id'));
    if (!run) return c.html(<NotFoundPage c={c} />, 404);
    const agent = run.agentId ? await deps.agents.byId(run.agentId) : null;
    return c.html(<RunPage c={c} run={run} agentName={agent?.name ?? null} now={deps.now()} />);
  });

  app.post('/admin/sync/run', async (c) => {
    // The two buttons send 0 or 1; anything else (repeated, too long, missing) starts nothing.
    const asked = str(await readForm(c), 'full');
    if (asked !== '0' && asked !== '1') return c.html(<SyncPage c={c} view={await statusView()} problem="sync.refuse.form" />, 400);
    const full = asked === '1';
    const actor = actorOf(c);
    const audit = (outcome: 'success' | 'info' | 'blocked', result: string, run?: string) =>
      deps.audit.record({ event: 'sync_requested', outcome, actor: { id: actor.id, name: actor.name }, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, details: { full, result, ...(run ? { run } : {}) } });
    // The page waits for the run: an administrator who pressed the button wants its outcome, and a sync holds a lease, so a second press is "busy", not a second run.
    const r = await deps.coordinator.run('manual', { full });
    if (r.ok) {
      await audit('success', r.value.status, r.value.id);
      return c.redirect(r.value.status === 'failed' ? `/admin/sync/runs/${encodeURIComponent(r.value.id)}?refused=sync.refuse.failed` : '/admin/sync?done=sync.done.finished', 303);
    }
    if (r.reason === 'busy') {
      await audit('blocked', 'busy');
      return c.redirect('/admin/sync?refused=sync.refuse.busy', 303);
    }
    // No agent on this instance: another one (or this one, once an agent connects) takes the request from the store.
    await deps.sync.request(full);
    await audit('info', 'requested');
    return c.redirect('/admin/sync?done=sync.done.requested', 303);
  });

  return app;
}
