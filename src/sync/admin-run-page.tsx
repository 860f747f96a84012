import type { AppContext } from '../http/context.js';
import { AdminPage } from '../http/ui/console-page.js';
import { formatDateTime, Moment } from '../http/ui/dates.js';
import type { SyncConflict, SyncRun } from './sync-service.js';
import { StatusBadge, counts, duration, number, words } from './admin-run-view.js';

/** One sync run: when, through which agent, its counts, conflicts and problems. */
export function RunPage(props: { c: AppContext; run: SyncRun; agentName: string | null; now: number }) {
  const { c, run, now } = props;
  const t = c.get('t');
  const title = t('sync.run.title', { when: formatDateTime(run.startedAt) });
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
