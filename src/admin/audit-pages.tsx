import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import type { AppContext, AppEnv } from '../http/context.js';
import { AdminPage } from '../http/ui/console-page.js';
import { Pager } from '../http/ui/pager.js';
import { isoUtc, Timestamp } from '../http/ui/dates.js';
import { actorLabel, Code, Details, eventLabel, idsIn, labelOf, outcomeLabel, type Names } from '../http/ui/code-labels.js';
import { AUDIT_OUTCOMES } from '../audit/events.js';
import { settingOfPath } from '../policy/settings.js';
import type { Translate } from '../i18n/index.js';
import { auditFilterSchema, type AuditFilter, type AuditPage as AuditResult, type AuditQueries } from '../audit/audit-query.js';

export interface AuditPageDeps {
  audit: AuditQueries;
  /** `config.audit.retentionDays`: the page says how long events are kept. */
  retentionDays: number;
  now(): number;
  /** Who the ids in events' details are (usernames, group names): the page shows names, not UUIDs. */
  names?(ids: string[]): Promise<Names>;
}

function filterQuery(f: AuditFilter, page?: number): string {
  const p = new URLSearchParams();
  for (const k of ['event', 'outcome', 'user', 'from', 'to', 'attention'] as const) if (f[k]) p.set(k, String(f[k]));
  if (page) p.set('page', String(page));
  return p.toString();
}

/** A change names what it changed in words: a policy's settings (`changed=methodsRequired,groups`), a profile's fields (`changed=displayName,email`). */
const policyValues =
  (t: Translate) =>
  (key: string, value: string): string | null => {
    if (key !== 'changed') return null;
    return value
      .split(',')
      .map((path) => {
        const s = settingOfPath(path);
        return s ? t(s.label) : labelOf(t, 'audit.detail.', path);
      })
      .join('; ');
  };

function AuditPage({ c, f, result, events, retentionDays, names }: { c: AppContext; f: AuditFilter; result: AuditResult; events: string[]; retentionDays: number; names: Names }) {
  const t = c.get('t');
  return (
    <AdminPage c={c} title={t('audit.title')} section="/admin/audit">
      <h1>{t('audit.title')}</h1>
      <p class="muted">{t('audit.intro', { days: retentionDays })}</p>
      <form method="get" action="/admin/audit" class="row card">
        <div>
          <label for="f-event">{t('audit.filter.event')}</label>
          <select id="f-event" name="event">
            <option value="">{t('audit.filter.any')}</option>
            {events.map((e) => (
              <option value={e} selected={f.event === e}>
                {eventLabel(t, e)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-outcome">{t('audit.filter.outcome')}</label>
          <select id="f-outcome" name="outcome">
            <option value="">{t('audit.filter.any')}</option>
            {AUDIT_OUTCOMES.map((o) => (
              <option value={o} selected={f.outcome === o}>
                {outcomeLabel(t, o)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-user">{t('audit.filter.user')}</label>
          <input id="f-user" name="user" type="text" value={f.user ?? ''} maxlength={256} />
        </div>
        <div>
          <label for="f-from">{t('audit.filter.from')}</label>
          <input id="f-from" name="from" type="date" value={f.from ?? ''} />
        </div>
        <div>
          <label for="f-to">{t('audit.filter.to')}</label>
          <input id="f-to" name="to" type="date" value={f.to ?? ''} />
        </div>
        <div class="check">
          <input type="checkbox" id="f-attention" name="attention" value="1" checked={f.attention === '1'} />
          <label for="f-attention">{t('audit.filter.attention')}</label>
        </div>
        <button type="submit" class="secondary">
          {t('audit.filter.apply')}
        </button>
      </form>
      <p class="row">
        <span class="muted" role="status">
          {t('audit.count', { total: result.total })}
        </span>
        <a href={`/admin/audit.csv?${filterQuery(f)}`}>{t('audit.export')}</a>
      </p>
      {result.items.length === 0 ? (
        <p>{t('audit.none')}</p>
      ) : (
        <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('audit.col.time')}</th>
              <th scope="col">{t('audit.col.event')}</th>
              <th scope="col">{t('audit.col.outcome')}</th>
              <th scope="col">{t('audit.col.actor')}</th>
              <th scope="col">{t('audit.col.target')}</th>
              <th scope="col">{t('audit.col.ip')}</th>
              <th scope="col">{t('audit.col.details')}</th>
            </tr>
          </thead>
          <tbody>
            {result.items.map((e) => (
              <tr class={e.attention ? 'attention' : undefined}>
                <td>
                  <Timestamp ms={e.at} />
                </td>
                <td>
                  <Code code={e.event} text={eventLabel(t, e.event)} />
                  {e.attention ? (
                    <>
                      {' '}
                      <span class="badge off">{t('audit.attention')}</span>
                    </>
                  ) : null}
                </td>
                <td>
                  <span class={`badge ${e.outcome === 'success' ? 'on' : e.outcome === 'failure' || e.outcome === 'blocked' ? 'off' : ''}`} title={e.outcome}>
                    {outcomeLabel(t, e.outcome)}
                  </span>
                </td>
                <td>{actorLabel(t, e.actor, e.actorId)}</td>
                <td>{e.target ?? '—'}</td>
                <td>{e.ip ?? '—'}</td>
                <td class="wrap">
                  <Details t={t} details={e.details} names={names} special={policyValues(t)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      <Pager t={t} page={result.page} pageSize={result.pageSize} total={result.total} link={(p) => `/admin/audit?${filterQuery(f, p)}`} />
    </AdminPage>
  );
}

/** /admin/audit with filters and paging, and the same selection as CSV. Behind the /admin/* role check. */
export function auditPages(deps: AuditPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/admin/audit', async (c) => {
    const f = auditFilterSchema.parse(c.req.query());
    const [result, events] = await Promise.all([deps.audit.query(f), deps.audit.events()]);
    const ids = [...new Set(result.items.flatMap((e) => idsIn(e.details)))];
    const names = deps.names && ids.length ? await deps.names(ids) : new Map<string, string>();
    return c.html(<AuditPage c={c} f={f} result={result} events={events} retentionDays={deps.retentionDays} names={names} />);
  });
  app.get('/admin/audit.csv', (c) => {
    const f = auditFilterSchema.parse(c.req.query());
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `attachment; filename="audit-${isoUtc(deps.now(), 'day')}.csv"`);
    return stream(c, async (s) => {
      for await (const chunk of deps.audit.csv(f)) await s.write(chunk);
    });
  });
  return app;
}
