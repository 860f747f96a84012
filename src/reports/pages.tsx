import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { AdminPage } from '../http/ui/console-page.js';
import { csvCell } from '../audit/audit-query.js';
import { isMessageKey, type Translate } from '../i18n/index.js';
import { gateOfChoice, type GateType, type Policy } from '../policy/policy.js';
import { HorizontalBarChart, StackedBarChart, type ChartSeries } from './charts.js';
import {
  activityCsvColumns,
  activityKinds,
  activityOutcomes,
  dayLabel,
  DAY,
  gateTypes,
  periodChoices,
  periodEnding,
  periodQuerySchema,
  type ActivityKind,
  type ActivityReport,
  type Coverage,
  type OutcomeCounts,
  type Period,
  type ReportQueries,
} from './report-queries.js';
import type { PolicyService } from '../policy/policy-service.js';

export interface ReportPageDeps {
  reports: ReportQueries;
  policy: Pick<PolicyService, 'current'>;
  now(): number;
}

/** Colours from the stylesheet's palette, each at least 4.5:1 on white; patterns tell them apart without colour. */
const outcomeSeries = (t: Translate): ChartSeries[] => [
  { key: 'success', label: t('reports.outcome.success'), colour: '#1e6b34', pattern: 'solid' },
  { key: 'failure', label: t('reports.outcome.failure'), colour: '#a4161a', pattern: 'hatch' },
  { key: 'blocked', label: t('reports.outcome.blocked'), colour: '#7a5200', pattern: 'dots' },
];

/** A catalogue text when the catalogue has one for this code, else the code itself (data written by newer code). */
function labelOr(t: Translate, key: string, fallback: string): string {
  return isMessageKey(key) ? t(key) : fallback;
}

const methodLabel = (t: Translate, m: string) => labelOr(t, `methods.type.${m}`, m);
const sum = (c: OutcomeCounts) => c.success + c.failure + c.blocked;

function percent(t: Translate, part: number, whole: number): string {
  return t('reports.percent', { n: whole === 0 ? 0 : Math.round((part / whole) * 100) });
}

function PeriodForm({ t, period }: { t: Translate; period: Period }) {
  return (
    <form method="get" action="/admin/reports" class="row card">
      <div>
        <label for="f-days">{t('reports.period.label')}</label>
        <select id="f-days" name="days">
          {periodChoices.map((d) => (
            <option value={String(d)} selected={d === period.days}>
              {t(`reports.period.${d}`)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary">
        {t('reports.period.apply')}
      </button>
    </form>
  );
}

function CoverageSection({ t, coverage, policy }: { t: Translate; coverage: Coverage; policy: Policy }) {
  const allowed = new Set<GateType>(policy.methodsAvailable.map((m) => gateOfChoice[m]));
  const scopeText =
    policy.enabledFor === 'all' ? t('reports.coverage.scope.all') : policy.enabledFor === 'selected' ? t('reports.coverage.scope.selected', { count: policy.groups.length }) : t('reports.coverage.scope.none');
  const stats: Array<[string, string, number, string | null]> = [
    ['in-scope', t('reports.coverage.inScope'), coverage.inScope, null],
    ['registered', t('reports.coverage.registered'), coverage.registered, percent(t, coverage.registered, coverage.inScope)],
    ['not-registered', t('reports.coverage.notRegistered'), coverage.notRegistered, percent(t, coverage.notRegistered, coverage.inScope)],
  ];
  return (
    <section aria-labelledby="coverage-h">
      <h2 id="coverage-h">{t('reports.coverage.title')}</h2>
      <p class="muted">
        {scopeText} {t('reports.coverage.intro', { required: policy.methodsRequired })}
      </p>
      <div class="stats">
        {stats.map(([id, label, n, share]) => (
          <div class="stat" id={`stat-${id}`}>
            <span class="n">{n}</span>
            {label}
            {share ? <span class="muted"> ({share})</span> : null}
          </div>
        ))}
      </div>
      <HorizontalBarChart
        id="chart-coverage"
        title={t('reports.coverage.chart.title')}
        description={t('reports.coverage.chart.desc', { total: coverage.inScope })}
        series={[{ key: 'users', label: t('reports.coverage.series'), colour: '#0b5cad' }]}
        categories={gateTypes.map((g) => ({ label: methodLabel(t, g) }))}
        values={gateTypes.map((g) => [coverage.byMethod[g]])}
      />
      <table id="table-coverage">
        <caption>{t('reports.coverage.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('reports.coverage.col.method')}</th>
            <th scope="col">{t('reports.coverage.col.users')}</th>
            <th scope="col">{t('reports.coverage.col.share')}</th>
          </tr>
        </thead>
        <tbody>
          {gateTypes.map((g) => (
            <tr data-method={g}>
              <th scope="row">
                {methodLabel(t, g)}
                {allowed.has(g) ? null : <span class="muted"> {t('reports.coverage.notAllowed')}</span>}
              </th>
              <td>{coverage.byMethod[g]}</td>
              <td>{percent(t, coverage.byMethod[g], coverage.inScope)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const noActivity = (report: ActivityReport) => activityKinds.every((k) => sum(report.totals[k]) === 0) && report.byMethod.every((m) => m.reset + m.unlock === 0) && report.failureReasons.length === 0;

function ActivityChart({ t, report, kind }: { t: Translate; report: ActivityReport; kind: ActivityKind }) {
  const totals = report.totals[kind];
  const from = dayLabel(report.period.from);
  const to = dayLabel(report.period.to - DAY);
  return (
    <StackedBarChart
      id={`chart-${kind}`}
      title={t(`reports.activity.chart.${kind}`)}
      description={t('reports.activity.chart.desc', { from, to, ...totals })}
      series={outcomeSeries(t)}
      categories={report.days.map((d) => ({ label: d.day, short: d.day.slice(5) }))}
      values={report.days.map((d) => activityOutcomes.map((o) => d.counts[kind][o]))}
      segmentLabel={(day, series, n) => t('reports.activity.segment', { day, series, n })}
    />
  );
}

function ActivitySection({ t, report }: { t: Translate; report: ActivityReport }) {
  const from = dayLabel(report.period.from);
  const to = dayLabel(report.period.to - DAY);
  const none = activityKinds.every((k) => sum(report.totals[k]) === 0);
  return (
    <section aria-labelledby="activity-h">
      <h2 id="activity-h">{t('reports.activity.title')}</h2>
      <p class="muted">{t('reports.activity.intro')}</p>
      {none ? <p>{t('reports.activity.none')}</p> : null}
      {activityKinds.map((k) => (
        <div class="card">
          <h3 id={`activity-${k}-h`}>{t(`reports.kind.${k}`)}</h3>
          <p id={`activity-${k}-total`}>{t('reports.activity.total', { n: sum(report.totals[k]), ...report.totals[k] })}</p>
          <ActivityChart t={t} report={report} kind={k} />
        </div>
      ))}
      <p>
        <a href={`/admin/reports/activity.csv?days=${report.period.days}`} download>
          {t('reports.activity.csv')}
        </a>
      </p>
      <table id="table-activity">
        <caption>{t('reports.activity.caption', { from, to })}</caption>
        <colgroup>
          <col />
        </colgroup>
        {activityKinds.map(() => (
          <colgroup span={3} />
        ))}
        <thead>
          <tr>
            <td></td>
            {activityKinds.map((k) => (
              <th scope="colgroup" colspan={3}>
                {t(`reports.kind.${k}`)}
              </th>
            ))}
          </tr>
          <tr>
            <th scope="col">{t('reports.activity.col.day')}</th>
            {activityKinds.map((k) =>
              activityOutcomes.map((o) => (
                <th scope="col" data-kind={k}>
                  {t(`reports.outcome.${o}`)}
                </th>
              )),
            )}
          </tr>
        </thead>
        <tbody>
          {report.days.map((d) => (
            <tr data-day={d.day}>
              <th scope="row">{d.day}</th>
              {activityKinds.map((k) => activityOutcomes.map((o) => <td data-col={`${k}_${o}`}>{d.counts[k][o]}</td>))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr data-day="total">
            <th scope="row">{t('reports.activity.col.total')}</th>
            {activityKinds.map((k) => activityOutcomes.map((o) => <td data-col={`${k}_${o}`}>{report.totals[k][o]}</td>))}
          </tr>
        </tfoot>
      </table>
    </section>
  );
}

function MethodsSection({ t, report }: { t: Translate; report: ActivityReport }) {
  const none = report.byMethod.every((m) => m.reset + m.unlock === 0);
  return (
    <section aria-labelledby="methods-h">
      <h2 id="methods-h">{t('reports.methods.title')}</h2>
      <p class="muted">{t('reports.methods.intro')}</p>
      {none ? <p>{t('reports.methods.none')}</p> : null}
      <HorizontalBarChart
        id="chart-methods"
        title={t('reports.methods.chart.title')}
        description={t('reports.methods.chart.desc')}
        series={[
          { key: 'reset', label: t('reports.methods.col.reset'), colour: '#0b5cad', pattern: 'solid' },
          { key: 'unlock', label: t('reports.methods.col.unlock'), colour: '#5b2a86', pattern: 'hatch' },
        ]}
        categories={report.byMethod.map((m) => ({ label: methodLabel(t, m.method) }))}
        values={report.byMethod.map((m) => [m.reset, m.unlock])}
      />
      <table id="table-methods">
        <caption>{t('reports.methods.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('reports.methods.col.method')}</th>
            <th scope="col">{t('reports.methods.col.reset')}</th>
            <th scope="col">{t('reports.methods.col.unlock')}</th>
          </tr>
        </thead>
        <tbody>
          {report.byMethod.map((m) => (
            <tr data-method={m.method}>
              <th scope="row">{methodLabel(t, m.method)}</th>
              <td>{m.reset}</td>
              <td>{m.unlock}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ReasonsSection({ t, report }: { t: Translate; report: ActivityReport }) {
  return (
    <section aria-labelledby="reasons-h">
      <h2 id="reasons-h">{t('reports.reasons.title')}</h2>
      <p class="muted">{t('reports.reasons.intro')}</p>
      {report.failureReasons.length === 0 ? (
        <p>{t('reports.reasons.none')}</p>
      ) : (
        <table id="table-reasons">
          <caption>{t('reports.reasons.caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('reports.reasons.col.reason')}</th>
              <th scope="col">{t('reports.reasons.col.events')}</th>
              <th scope="col">{t('reports.reasons.col.count')}</th>
            </tr>
          </thead>
          <tbody>
            {report.failureReasons.map((r) => (
              <tr data-reason={r.reason}>
                <th scope="row">{labelOr(t, `reports.reason.${r.reason}`, r.reason)}</th>
                <td>{r.events.map((e) => labelOr(t, `reports.event.${e}`, e)).join(', ')}</td>
                <td>{r.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One empty state for a period with no activity at all: what to do instead of empty charts and a table of zeros. */
function NoActivity({ t, period, policy }: { t: Translate; period: Period; policy: Policy }) {
  return (
    <section aria-labelledby="activity-h" class="card empty-state">
      <h2 id="activity-h">{t('reports.empty.title')}</h2>
      <p>{t('reports.empty.body', { days: period.days })}</p>
      <ul>
        {policy.enabledFor === 'none' ? (
          <li>
            <a href="/admin/policy/properties">{t('reports.empty.scope')}</a>
          </li>
        ) : null}
        <li>{t('reports.empty.tell')}</li>
        {period.days < 90 ? (
          <li>
            <a href="/admin/reports?days=90">{t('reports.empty.longer')}</a>
          </li>
        ) : null}
      </ul>
    </section>
  );
}

function ReportsPage({ c, period, policy, coverage, report }: { c: AppContext; period: Period; policy: Policy; coverage: Coverage; report: ActivityReport }) {
  const t = c.get('t');
  return (
    <AdminPage c={c} title={t('reports.title')} section="/admin/reports">
      <h1>{t('reports.title')}</h1>
      <p class="muted">{t('reports.intro')}</p>
      <PeriodForm t={t} period={period} />
      <p class="muted" role="status">
        {t('reports.period.range', { from: dayLabel(period.from), to: dayLabel(period.to - DAY) })}
      </p>
      <CoverageSection t={t} coverage={coverage} policy={policy} />
      {noActivity(report) ? (
        <NoActivity t={t} period={period} policy={policy} />
      ) : (
        <>
          <ActivitySection t={t} report={report} />
          <MethodsSection t={t} report={report} />
          <ReasonsSection t={t} report={report} />
        </>
      )}
    </AdminPage>
  );
}

/** The activity table as CSV: one row per day, the columns of the page's table. */
export function activityCsv(report: ActivityReport): string {
  const lines = [['date', ...activityCsvColumns].join(',')];
  for (const d of report.days) lines.push([d.day, ...activityKinds.flatMap((k) => activityOutcomes.map((o) => d.counts[k][o]))].map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** /admin/reports: registration coverage and reset/unlock/change activity. Behind the /admin/* role check. */
export function reportPages(deps: ReportPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const periodOf = (c: AppContext) => periodEnding(deps.now(), periodQuerySchema.parse(c.req.query()).days);
  app.get('/admin/reports', async (c) => {
    const period = periodOf(c);
    const { policy } = await deps.policy.current();
    const coverage = await deps.reports.coverage(policy);
    const report = await deps.reports.activity(period);
    return c.html(<ReportsPage c={c} period={period} policy={policy} coverage={coverage} report={report} />);
  });
  app.get('/admin/reports/activity.csv', async (c) => {
    const period = periodOf(c);
    const report = await deps.reports.activity(period);
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="activity-${dayLabel(period.from)}-to-${dayLabel(period.to - DAY)}.csv"`);
    return c.body(activityCsv(report));
  });
  return app;
}
