import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../http/context.js';
import { Notice } from '../http/ui/layout.js';
import { AdminPage } from '../http/ui/console-page.js';
import { Pager } from '../http/ui/pager.js';
import type { MessageKey } from '../i18n/index.js';
import { formatDateTime } from '../http/ui/dates.js';
import type { Config } from '../config/schema.js';
import type { DeliveryRecords, LogFilter, LogItem } from '../delivery/outbox.js';
import { DESTINATION_PROBLEMS } from '../delivery/destinations.js';
import type { Translate } from '../i18n/index.js';
import { Code, kindLabel, labelOf, type Names } from '../http/ui/code-labels.js';

export interface DeliveryPageDeps {
  records: DeliveryRecords;
  /** `config.delivery`: how email and phone messages leave (or stay in the outbox). */
  settings: { mode: Config['delivery']['mode']; phone: { provider: Config['delivery']['phone']['provider'] } };
  now(): number;
  /** Usernames of the outbox's recipients (the page shows names, not ids). */
  names?(ids: string[]): Promise<Names>;
}

/** Why a message did not leave, in words (the limit broken, the bad address, or the provider's answer). */
export function notSentReason(t: Translate, r: Pick<LogItem, 'status' | 'error'>): string {
  if (r.status === 'sent') return '';
  if (r.status === 'in_progress') return t('delivery.reason.inProgress');
  const e = r.error ?? '';
  const limit = /^limit reached: (\d+) messages per (destination per hour|destination per day|hour for the whole portal)$/.exec(e);
  if (limit) return t(limit[2] === 'destination per hour' ? 'delivery.reason.perHour' : limit[2] === 'destination per day' ? 'delivery.reason.perDay' : 'delivery.reason.global', { n: Number(limit[1]) });
  if (e === DESTINATION_PROBLEMS.bad_email) return t('delivery.reason.badEmail');
  if (e === DESTINATION_PROBLEMS.bad_phone) return t('delivery.reason.badPhone');
  return t('delivery.reason.failed', { error: e || t('delivery.status.failed') });
}

const OUTBOX_PAGE_SIZE = 20;
const LOG_PAGE_SIZE = 50;
const DAY = 24 * 60 * 60_000;
const filters: LogFilter[] = ['not_sent', 'sent', 'failed', 'rate_limited'];
const filterLabel = (t: Translate, f: LogFilter) => (f === 'not_sent' ? t('delivery.filter.notSent') : t(`delivery.status.${f}`));

function pageParam(c: AppContext): number {
  const n = Number.parseInt(c.req.query('page') ?? '1', 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** Admin pages of the delivery feature: the outbox (decrypted) and the delivery log. The `/admin/*` guard requires the administrator role. */
export function deliveryAdminPages(deps: DeliveryPageDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/outbox', async (c) => {
    const t = c.get('t');
    const d = deps.settings;
    const page = await deps.records.outbox({ page: pageParam(c), pageSize: OUTBOX_PAGE_SIZE });
    const ids = [...new Set(page.items.flatMap((m) => (m.userId ? [m.userId] : [])))];
    const names = deps.names && ids.length ? await deps.names(ids) : new Map<string, string>();
    const unreadable = t('outbox.unreadable');
    return c.html(
      <AdminPage c={c} title={t('outbox.title')} section="/admin/outbox">
        <h1>{t('outbox.title')}</h1>
        <Notice kind="warn">
          <strong>{t('outbox.banner')}</strong>
        </Notice>
        <p>{t('outbox.settings', { email: t(`outbox.via.${d.mode}`), phone: t(`outbox.via.${d.phone.provider}`) })}</p>
        <p class="hint">{t('outbox.intro')}</p>
        <p class="muted" role="status">
          {t('outbox.count', { total: page.total })}
        </p>
        {page.items.length === 0 ? (
          <p>{t('outbox.none')}</p>
        ) : (
          page.items.map((m) => (
            <article class="card" aria-label={t('outbox.message', { channel: t(`delivery.channel.${m.channel}`), id: m.id })}>
              <dl class="props">
                <dt>{t('delivery.col.channel')}</dt>
                <dd>{t(`delivery.channel.${m.channel}`)}</dd>
                <dt>{t('outbox.kind')}</dt>
                <dd>
                  <Code code={m.kind} text={kindLabel(t, m.kind)} />
                </dd>
                <dt>{t('outbox.to')}</dt>
                <dd>{m.to ?? unreadable}</dd>
                {m.channel === 'email' ? (
                  <>
                    <dt>{t('outbox.subject')}</dt>
                    <dd data-sent-subject>{m.subject ?? unreadable}</dd>
                  </>
                ) : null}
                <dt>{t('outbox.at')}</dt>
                <dd>{formatDateTime(m.createdAt)}</dd>
                {m.userId ? (
                  <>
                    <dt>{t('outbox.user')}</dt>
                    <dd>
                      <a href={`/admin/users/${encodeURIComponent(m.userId)}`}>{names.get(m.userId) ?? t('audit.unknownUser')}</a>
                    </dd>
                  </>
                ) : null}
              </dl>
              <pre class="message">{m.body ?? unreadable}</pre>
            </article>
          ))
        )}
        <Pager t={c.get('t')} page={page.page} pageSize={page.pageSize} total={page.total} link={(p) => `/admin/outbox?page=${p}`} />
      </AdminPage>,
    );
  });

  app.get('/admin/delivery', async (c) => {
    const t = c.get('t');
    const wanted = c.req.query('status');
    const status = filters.find((s) => s === wanted);
    const [counts, page] = await Promise.all([
      deps.records.counts(deps.now() - DAY),
      deps.records.log({ page: pageParam(c), pageSize: LOG_PAGE_SIZE, status }),
    ]);
    const stats: Array<[MessageKey, number]> = [
      ['delivery.stat.sent', counts.sent],
      ['delivery.stat.failed', counts.failed],
      ['delivery.stat.rateLimited', counts.rate_limited],
    ];
    const link = (p: number, s: LogFilter | undefined = status) => `/admin/delivery?${new URLSearchParams({ ...(s ? { status: s } : {}), page: String(p) }).toString()}`;
    return c.html(
      <AdminPage c={c} title={t('delivery.title')} section="/admin/delivery">
        <h1>{t('delivery.title')}</h1>
        {deps.settings.mode === 'outbox' || deps.settings.phone.provider === 'outbox' ? (
          <Notice kind="warn">
            {t('outbox.banner')} <a href="/admin/outbox">{t('admin.nav.outbox')}</a>
          </Notice>
        ) : null}
        <p class="hint">{t('delivery.intro')}</p>
        <h2>{t('delivery.last24h')}</h2>
        <div class="stats">
          {stats.map(([label, n]) => (
            <div class="stat">
              <span class="n">{n}</span>
              {t(label)}
            </div>
          ))}
        </div>
        <nav class="row" aria-label={t('delivery.filter')}>
          <span>{t('delivery.filter')}:</span>
          <a href="/admin/delivery" aria-current={status ? undefined : 'page'}>
            {t('delivery.filter.all')}
          </a>
          {filters.map((s) => (
            <a href={link(1, s)} aria-current={status === s ? 'page' : undefined}>
              {filterLabel(t, s)}
            </a>
          ))}
        </nav>
        {status === 'not_sent' ? <p class="hint">{t('delivery.notSent.intro')}</p> : null}
        <p class="muted" role="status">
          {t('delivery.count', { total: page.total })}
        </p>
        {page.items.length === 0 ? (
          <p>{t('delivery.none')}</p>
        ) : (
          <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('delivery.col.at')}</th>
                <th scope="col">{t('delivery.col.channel')}</th>
                <th scope="col">{t('delivery.col.kind')}</th>
                <th scope="col">{t('delivery.col.to')}</th>
                <th scope="col">{t('delivery.col.provider')}</th>
                <th scope="col">{t('delivery.col.status')}</th>
                <th scope="col">{t('delivery.col.attempts')}</th>
                <th scope="col">{t('delivery.col.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((r) => (
                <tr>
                  <td>{formatDateTime(r.createdAt)}</td>
                  <td>{t(`delivery.channel.${r.channel}`)}</td>
                  <td>
                    <Code code={r.kind} text={kindLabel(t, r.kind)} />
                  </td>
                  <td>{r.hint}</td>
                  <td>
                    <Code code={r.provider} text={labelOf(t, 'delivery.provider.', r.provider)} />
                  </td>
                  <td>
                    <span class={`badge ${r.status === 'sent' ? 'on' : r.status === 'in_progress' ? '' : 'off'}`}>{t(`delivery.status.${r.status}`)}</span>
                  </td>
                  <td>{r.attempts}</td>
                  <td class="wrap">{r.status === 'sent' ? '' : notSentReason(t, r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
        <Pager t={c.get('t')} page={page.page} pageSize={page.pageSize} total={page.total} link={link} />
      </AdminPage>,
    );
  });

  return app;
}
