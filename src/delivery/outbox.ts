import { sql } from 'kysely';
import type { Store } from '../store/database.js';
import type { DeliveryLogTable } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import type { FieldCipher } from '../shared/sealed.js';

/**
 * The outbox (messages kept in the store instead of sent, for trying the portal) and the
 * read side of the delivery log, for the admin console. Destination, subject and body are
 * sealed with the field cipher, so a copied database shows none of them.
 */

export type Channel = 'email' | 'sms' | 'voice';

const aad = {
  destination: 'outbox:destination',
  subject: 'outbox:subject',
  body: 'outbox:body',
} as const;

/** Marks a delivery_log row whose send is still under way (it already counts towards the limits). */
export const IN_PROGRESS = 'in progress';

export async function writeOutbox(
  store: Store,
  cipher: FieldCipher,
  clock: Clock,
  m: { channel: Channel; kind: string; userId: string | null; destination: string; subject: string | null; body: string },
): Promise<void> {
  await store.db
    .insertInto('outbox_messages')
    .values({
      channel: m.channel,
      kind: m.kind,
      user_id: m.userId,
      destination: cipher.seal(m.destination, aad.destination),
      subject: m.subject === null ? null : cipher.seal(m.subject, aad.subject),
      body: cipher.seal(m.body, aad.body),
      created_at: clock.now(),
    })
    .execute();
}

export interface OutboxItem {
  id: number;
  channel: Channel;
  kind: string;
  userId: string | null;
  createdAt: number;
  /** null when the value cannot be opened (the key changed, or the row was tampered with). */
  to: string | null;
  subject: string | null;
  body: string | null;
}

export interface PageOf<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Newest first, decrypted. */
export async function readOutbox(store: Store, cipher: FieldCipher, opts: { page: number; pageSize: number }): Promise<PageOf<OutboxItem>> {
  const { total } = await store.db
    .selectFrom('outbox_messages')
    .select((eb) => eb.fn.countAll<number | string>().as('total'))
    .executeTakeFirstOrThrow();
  const page = clampPage(opts.page, Number(total), opts.pageSize);
  const rows = await store.db
    .selectFrom('outbox_messages')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(opts.pageSize)
    .offset((page - 1) * opts.pageSize)
    .execute();
  const open = (v: string | null, ad: string) => {
    if (v === null) return null;
    try {
      return cipher.open(v, ad);
    } catch {
      return null;
    }
  };
  return {
    total: Number(total),
    page,
    pageSize: opts.pageSize,
    items: rows.map((r) => ({
      id: Number(r.id),
      channel: r.channel,
      kind: r.kind,
      userId: r.user_id,
      createdAt: Number(r.created_at),
      to: open(r.destination, aad.destination),
      subject: open(r.subject, aad.subject),
      body: open(r.body, aad.body),
    })),
  };
}

export type LogStatus = DeliveryLogTable['status'];

export interface LogItem {
  id: number;
  channel: Channel;
  kind: string;
  userId: string | null;
  hint: string;
  provider: string;
  status: LogStatus | 'in_progress';
  attempts: number;
  error: string | null;
  createdAt: number;
}

/** A status of the delivery log, or `not_sent`: every message that did not leave (failed or rate-limited, not those still under way). */
export type LogFilter = LogStatus | 'not_sent';

export async function readDeliveryLog(store: Store, opts: { page: number; pageSize: number; status?: LogFilter | undefined }): Promise<PageOf<LogItem>> {
  let count = store.db.selectFrom('delivery_log').select((eb) => eb.fn.countAll<number | string>().as('total'));
  let query = store.db.selectFrom('delivery_log').selectAll();
  if (opts.status === 'not_sent') {
    const notSent = sql<boolean>`status <> 'sent' and not (status = 'failed' and attempts = 0 and error = ${IN_PROGRESS})`;
    count = count.where(notSent);
    query = query.where(notSent);
  } else if (opts.status) {
    count = count.where('status', '=', opts.status);
    query = query.where('status', '=', opts.status);
  }
  const total = Number((await count.executeTakeFirstOrThrow()).total);
  const page = clampPage(opts.page, total, opts.pageSize);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(opts.pageSize)
    .offset((page - 1) * opts.pageSize)
    .execute();
  return {
    total,
    page,
    pageSize: opts.pageSize,
    items: rows.map((r) => ({
      id: Number(r.id),
      channel: r.channel,
      kind: r.kind,
      userId: r.user_id,
      hint: r.destination_hint,
      provider: r.provider,
      status: r.status === 'failed' && Number(r.attempts) === 0 && r.error === IN_PROGRESS ? 'in_progress' : r.status,
      attempts: Number(r.attempts),
      error: r.error === IN_PROGRESS ? null : r.error,
      createdAt: Number(r.created_at),
    })),
  };
}

/** Finished attempts since `since`, by outcome (sends still under way are left out). */
export async function deliveryCounts(store: Store, since: number): Promise<Record<LogStatus, number>> {
  const rows = await store.db
    .selectFrom('delivery_log')
    .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('created_at', '>', since)
    .where(sql<boolean>`not (status = 'failed' and attempts = 0 and error = ${IN_PROGRESS})`)
    .groupBy('status')
    .execute();
  const out: Record<LogStatus, number> = { sent: 0, failed: 0, rate_limited: 0 };
  for (const r of rows) if (r.status in out) out[r.status] = Number(r.n);
  return out;
}

/**
 * Codes (kind `code:…`) sent to one user since `since`, by email and by text or call, from the
 * delivery log: the support page's "codes sent in the last hour". Rate-limited sends never left.
 */
export async function codesSentTo(store: Store, userId: string, since: number): Promise<{ email: number; phone: number }> {
  const rows = await store.db
    .selectFrom('delivery_log')
    .select(['channel', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('user_id', '=', userId)
    .where('created_at', '>', since)
    .where('kind', 'like', 'code:%')
    .where('status', '!=', 'rate_limited')
    .groupBy('channel')
    .execute();
  const out = { email: 0, phone: 0 };
  for (const r of rows) out[r.channel === 'email' ? 'email' : 'phone'] += Number(r.n);
  return out;
}

function clampPage(page: number, total: number, pageSize: number): number {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return Math.min(Math.max(1, Number.isFinite(page) ? Math.floor(page) : 1), pages);
}

/** What the console reads of the outbox and the delivery log, bound to the store (and the data key) by the composition root. */
export interface DeliveryRecords {
  outbox(opts: { page: number; pageSize: number }): Promise<PageOf<OutboxItem>>;
  log(opts: { page: number; pageSize: number; status?: LogFilter | undefined }): Promise<PageOf<LogItem>>;
  counts(since: number): Promise<Record<LogStatus, number>>;
}

export function deliveryRecords(store: Store, cipher: FieldCipher): DeliveryRecords {
  return { outbox: (opts) => readOutbox(store, cipher, opts), log: (opts) => readDeliveryLog(store, opts), counts: (since) => deliveryCounts(store, since) };
}
