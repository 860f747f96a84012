import { z } from 'zod';
import type { Store } from '../store/database.js';
import type { AuditEventsTable } from '../store/schema.js';

export const auditFilterSchema = z.object({
  event: z.string().trim().max(64).regex(/^[a-z_]*$/).optional().catch(undefined),
  outcome: z.enum(['success', 'failure', 'blocked', 'info']).optional().catch(undefined),
  user: z.string().trim().max(256).optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
  /** Only the events flagged for an administrator's attention. */
  attention: z.literal('1').optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1).catch(1),
});

/** Filters from the query string; anything malformed is ignored rather than failing the page. */
export type AuditFilter = z.output<typeof auditFilterSchema>;

export interface AuditRow {
  id: number;
  at: number;
  event: string;
  outcome: string;
  actor: string | null;
  /** Null for the portal itself (setup, the command line, the scheduler): `actor` is then a name of the system, shown in words. */
  actorId: string | null;
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  attention: boolean;
}

const DAY = 86_400_000;

function toRow(r: Omit<AuditEventsTable, 'attention'> & { id: number; attention: number }): AuditRow {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    // an unreadable details column is shown as empty rather than breaking the page
  }
  return { id: r.id, at: r.at, event: r.event, outcome: r.outcome, actor: r.actor_name, actorId: r.actor_id, target: r.target_name, ip: r.ip, userAgent: r.user_agent, details, attention: r.attention === 1 };
}

function filtered(store: Store, f: AuditFilter) {
  let q = store.db.selectFrom('audit_events');
  if (f.event) q = q.where('event', '=', f.event);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.user) q = q.where((eb) => eb.or([eb('actor_name', '=', f.user!), eb('target_name', '=', f.user!)]));
  if (f.from) q = q.where('at', '>=', Date.parse(`${f.from}T00:00:00Z`));
  if (f.to) q = q.where('at', '<', Date.parse(`${f.to}T00:00:00Z`) + DAY);
  if (f.attention) q = q.where('attention', '=', 1);
  return q;
}

export async function queryAudit(store: Store, f: AuditFilter, pageSize = 50): Promise<{ items: AuditRow[]; total: number; page: number; pageSize: number }> {
  const total = Number((await filtered(store, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await filtered(store, f)
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(pageSize)
    .offset((f.page - 1) * pageSize)
    .execute();
  return { items: rows.map((r) => toRow(r as Parameters<typeof toRow>[0])), total, page: f.page, pageSize };
}

export async function distinctEvents(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('audit_events').select('event').distinct().orderBy('event').execute();
  return rows.map((r) => r.event);
}

/**
 * RFC 4180 CSV. Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are
 * prefixed with a quote: usernames and user agents come from outside.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Streams every matching event, oldest first, in pages so a large log never sits in memory. */
export async function* auditCsv(store: Store, f: AuditFilter): AsyncGenerator<string> {
  yield 'time,event,outcome,actor,target,ip,user_agent,details\r\n';
  let after = 0;
  for (;;) {
    const rows = await filtered(store, f).selectAll().where('id', '>', after).orderBy('id').limit(1000).execute();
    if (rows.length === 0) return;
    for (const r of rows) {
      const row = toRow(r as Parameters<typeof toRow>[0]);
      yield [new Date(row.at).toISOString(), row.event, row.outcome, row.actor, row.target, row.ip, row.userAgent, row.details].map(csvCell).join(',') + '\r\n';
    }
    after = Number(rows.at(-1)!.id);
  }
}

export type AuditPage = Awaited<ReturnType<typeof queryAudit>>;

/** The last events about one user (target_id), newest first: the support page's "Recent activity". */
export async function eventsAbout(store: Store, userId: string, limit = 20): Promise<AuditRow[]> {
  const rows = await store.db.selectFrom('audit_events').selectAll().where('target_id', '=', userId).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toRow(r as Parameters<typeof toRow>[0]));
}

/** What the console and the API read of the audit log, bound to a store by the composition root. */
export interface AuditQueries {
  query(f: AuditFilter, pageSize?: number): Promise<AuditPage>;
  /** The event names recorded so far, for the console's filter. */
  events(): Promise<string[]>;
  csv(f: AuditFilter): AsyncGenerator<string>;
  /** The last events about one user, newest first. */
  about(userId: string, limit?: number): Promise<AuditRow[]>;
}

export function auditQueries(store: Store): AuditQueries {
  return { query: (f, pageSize) => queryAudit(store, f, pageSize), events: () => distinctEvents(store), csv: (f) => auditCsv(store, f), about: (userId, limit) => eventsAbout(store, userId, limit) };
}

/** Retention: the only deletion the audit log knows, by age. */
export async function pruneAudit(store: Store, now: number, retentionDays: number): Promise<number> {
  const r = await store.db.deleteFrom('audit_events').where('at', '<', now - retentionDays * DAY).executeTakeFirst();
  return Number(r.numDeletedRows);
}
