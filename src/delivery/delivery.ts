import { randomUUID } from 'node:crypto';
import { currentLocale } from '../i18n/locale-context.js';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import type { FieldCipher } from '../shared/sealed.js';
import type { Logger } from '../logging/logger.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';
import { SendFailure, scrub } from './attempt.js';
import { DESTINATION_PROBLEMS, destinationHash, emailDestination, phoneDestination, type CheckedDestination, type Destination } from './destinations.js';
import { IN_PROGRESS, writeOutbox, type Channel } from './outbox.js';
import { phoneSender } from './phone.js';
import { smtpSender } from './smtp.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What the message is for ("code", "reset-notice", ...): shown to administrators, at most 32 characters. */
  kind: string;
  userId?: string | null;
}

export interface SmsMessage {
  /** E.164, e.g. +4915112345678. */
  to: string;
  text: string;
  kind: string;
  userId?: string | null;
}

export interface VoiceMessage {
  /** E.164. */
  to: string;
  /** Read aloud (twice). Spelling a code digit by digit is the caller's job. */
  say: string;
  kind: string;
  userId?: string | null;
  /** The language to read it in (src/i18n/languages.ts); by default the locale it is sent from (the recipient's). */
  language?: string;
}

/** Why a message did not go out; `detail` says which limit or what the provider answered. */
export const SEND_REFUSALS = ['rate_limited', 'failed'] as const;
export type SendRefusal = (typeof SEND_REFUSALS)[number];
export type SendResult = Ok<void> | (Refused<SendRefusal> & { detail: string });

export interface Delivery {
  email(m: EmailMessage): Promise<SendResult>;
  sms(m: SmsMessage): Promise<SendResult>;
  voice(m: VoiceMessage): Promise<SendResult>;
  /**
   * Whether the channel is failing now: its latest finished send of the last 15 minutes (rate
   * limits, malformed destinations and sends under way aside) failed. A reset gives a decoy the
   * real user's "could not send" while it is (src/flows/reset/strategies/code.ts).
   */
  channelFailing(channel: Channel): Promise<boolean>;
}

/** How far back a failed send still says its channel is failing. */
const FAILING_WINDOW_MS = 15 * 60_000;

export interface DeliveryDeps {
  config: Config;
  /**
   * The delivery settings in force, read at each send (stored settings change at run time,
   * src/settings/); the senders are made again when the object changes. `config.delivery` without it.
   */
  settings?: () => Config['delivery'];
  store: Store;
  clock: Clock;
  cipher: FieldCipher;
  /** Key of the destination hashes in delivery_log. */
  lookupKey: Buffer;
  logger: Logger;
  fetch?: typeof fetch;
}

type Outcome = { status: 'sent' | 'failed' | 'rate_limited'; attempts: number; error: string | null };

const HOUR = 60 * 60_000;

/** The kinds of security notices (a reset, a method change, a support action, …): `notify:<what>`. */
export const NOTICE_KIND_PREFIX = 'notify:';
export const isNoticeKind = (kind: string): boolean => kind.startsWith(NOTICE_KIND_PREFIX);
const DAY = 24 * HOUR;

interface Job {
  channel: Channel;
  kind: string;
  userId: string | null;
  raw: string;
  destination: Destination;
  provider: string;
  /** One try; throws SendFailure. */
  attempt(address: string): Promise<void>;
}

/**
 * Sends email, SMS and voice calls, or keeps them in the outbox. Every send is counted in
 * delivery_log before anything leaves, so the limits (SMS pumping protection) hold across
 * instances sharing the store and against parallel requests: a send first reserves its row,
 * then counts the rows up to and including its own, and only then goes out.
 * Message bodies (which carry codes) are never logged.
 */
export function createDelivery(deps: DeliveryDeps): Delivery {
  const { config, store, clock, cipher, lookupKey } = deps;
  const settings = deps.settings ?? (() => config.delivery);
  const logger = deps.logger.child({ component: 'delivery' });
  let senders: { for: Config['delivery']; smtp: ReturnType<typeof smtpSender> | null; phone: ReturnType<typeof phoneSender>; secrets: string[] } | null = null;
  /** The senders of the settings in force: made once per version of the settings. */
  const current = () => {
    const d = settings();
    if (senders?.for !== d) {
      senders = {
        for: d,
        smtp: d.mode === 'smtp' && d.smtp ? smtpSender(d.smtp) : null,
        phone: phoneSender(d.phone, deps.fetch ?? globalThis.fetch),
        secrets: [d.smtp?.password, d.phone.twilio?.authToken, d.phone.webhook?.token].filter((s): s is string => typeof s === 'string' && s.length > 0),
      };
    }
    return senders;
  };

  function row(job: Job, hash: string, fields: Outcome) {
    return {
      channel: job.channel,
      kind: job.kind,
      user_id: job.userId,
      destination_hash: hash,
      destination_hint: hintOf(job.destination).slice(0, 64),
      provider: job.provider,
      status: fields.status,
      attempts: fields.attempts,
      error: fields.error,
      created_at: clock.now(),
    };
  }

  async function finish(id: number, fields: Outcome): Promise<void> {
    await store.db.updateTable('delivery_log').set(fields).where('id', '=', id).execute();
  }

  /**
   * Writes this send's row (status "failed"/"in progress" until it is known) and checks the
   * limits against every row up to and including it, in one transaction that holds the
   * portal-wide delivery lock (PostgreSQL advisory lock; SQLite has one writer anyway): parallel
   * sends, from this instance or another, cannot both slip under a limit.
   */
  async function reserve(job: Job, hash: string): Promise<{ id: number; limit: string | null }> {
    return store.db.transaction().execute(async (trx) => {
      if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('openssspr.delivery-limits'))`.execute(trx);
      const inserted = await trx
        .insertInto('delivery_log')
        .values(row(job, hash, { status: 'failed', attempts: 0, error: IN_PROGRESS }))
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(inserted.id);
      const limit = await brokenLimit(trx, id, hash, job.kind);
      if (limit) await trx.updateTable('delivery_log').set({ status: 'rate_limited', attempts: 0, error: limit }).where('id', '=', id).execute();
      return { id, limit };
    });
  }

  /**
   * Which limit this send (row `id`) breaks, if any. Rate-limited rows do not count; sends under way
   * and failed ones do. Per destination, security notices (`notify:…`) and everything else (codes,
   * links) have a budget each of the same size, so the notices of one busy session never use up the
   * codes a user is waiting for, nor the other way round; the portal-wide limit counts both.
   */
  async function brokenLimit(db: Kysely<Database>, id: number, hash: string, kind: string): Promise<string | null> {
    const now = clock.now();
    const lim = settings().limits;
    const notice = isNoticeKind(kind);
    const count = async (since: number, perDestination: boolean) => {
      let q = db
        .selectFrom('delivery_log')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('id', '<=', id)
        .where('created_at', '>', since)
        .where('status', '!=', 'rate_limited');
      if (perDestination) q = q.where('destination_hash', '=', hash).where('kind', notice ? 'like' : 'not like', `${NOTICE_KIND_PREFIX}%`);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    if ((await count(now - HOUR, true)) > lim.perDestinationPerHour) return `limit reached: ${lim.perDestinationPerHour} messages per destination per hour`;
    if ((await count(now - DAY, true)) > lim.perDestinationPerDay) return `limit reached: ${lim.perDestinationPerDay} messages per destination per day`;
    if ((await count(now - HOUR, false)) > lim.globalPerHour) return `limit reached: ${lim.globalPerHour} messages per hour for the whole portal`;
    return null;
  }

  async function run(job: Job): Promise<SendResult> {
    const about = { channel: job.channel, kind: job.kind, provider: job.provider, to: hintOf(job.destination), userId: job.userId };
    if (!job.destination.ok) {
      const error = DESTINATION_PROBLEMS[job.destination.reason];
      await store.db
        .insertInto('delivery_log')
        .values(row(job, destinationHash(lookupKey, `invalid:${job.raw.trim().toLowerCase()}`), { status: 'failed', attempts: 0, error }))
        .execute();
      logger.warn({ ...about, error }, 'message not sent: bad destination');
      return fail('failed', { detail: error });
    }
    const dest = job.destination.value;
    const hash = destinationHash(lookupKey, dest.key);
    const { id, limit } = await reserve(job, hash);
    if (limit) {
      logger.warn({ ...about, error: limit }, 'message not sent: rate limited');
      return fail('rate_limited', { detail: limit });
    }

    const { retries } = settings();
    const max = retries.attempts;
    let failure: SendFailure = new SendFailure('not attempted', false);
    let attempts = 0;
    for (attempts = 1; attempts <= max; attempts++) {
      try {
        await job.attempt(dest.address);
        await finish(id, { status: 'sent', attempts, error: null });
        logger.info({ ...about, attempts }, 'message sent');
        return ok(undefined);
      } catch (err) {
        failure = err instanceof SendFailure ? err : new SendFailure(`unexpected error: ${err instanceof Error ? err.message : String(err)}`, true);
        logger.debug({ ...about, attempt: attempts, transient: failure.transient, error: clean(failure.detail, dest) }, 'send attempt failed');
        if (!failure.transient || attempts === max) break;
        await sleep(retries.backoffMs * 2 ** (attempts - 1));
      }
    }
    const error = clean(failure.detail, dest);
    await finish(id, { status: 'failed', attempts: Math.min(attempts, max), error });
    logger.warn({ ...about, attempts: Math.min(attempts, max), error }, 'message not sent: delivery failed');
    return fail('failed', { detail: error });
  }

  function clean(text: string, dest: CheckedDestination): string {
    return scrub(text, [[dest.address, dest.hint], ...current().secrets.map((s): [string, string] => [s, '[redacted]'])]);
  }

  const kindOf = (k: string) => (k.trim() || 'message').slice(0, 32);

  // SMS and voice differ only in the channel and the provider call; the key makes retries idempotent.
  const viaPhone = (channel: 'sms' | 'voice', m: { to: string; kind: string; userId?: string | null; language?: string }, text: string) => {
    const key = randomUUID();
    // Taken now, while the recipient's locale is current: the provider's voice speaks that language.
    const language = m.language ?? currentLocale()?.lang ?? 'en';
    const { phone } = current();
    return run({
      channel,
      kind: kindOf(m.kind),
      userId: m.userId ?? null,
      raw: m.to,
      destination: phoneDestination(m.to),
      provider: phone?.provider ?? 'outbox',
      attempt: (to) =>
        phone ? (channel === 'sms' ? phone.sms(to, text, kindOf(m.kind), key) : phone.voice(to, text, kindOf(m.kind), key, language)) : writeOutbox(store, cipher, clock, { channel, kind: kindOf(m.kind), userId: m.userId ?? null, destination: to, subject: null, body: text }),
    });
  };

  return {
    email(m) {
      const { smtp } = current();
      return run({
        channel: 'email',
        kind: kindOf(m.kind),
        userId: m.userId ?? null,
        raw: m.to,
        destination: emailDestination(m.to),
        provider: smtp ? 'smtp' : 'outbox',
        attempt: (to) =>
          smtp
            ? smtp({ to, subject: m.subject, text: m.text, html: m.html })
            : writeOutbox(store, cipher, clock, { channel: 'email', kind: kindOf(m.kind), userId: m.userId ?? null, destination: to, subject: m.subject, body: m.text }),
      });
    },
    sms: (m) => viaPhone('sms', m, m.text),
    voice: (m) => viaPhone('voice', m, m.say),
    async channelFailing(channel) {
      const last = await store.db
        .selectFrom('delivery_log')
        .select('status')
        .where('channel', '=', channel)
        .where('created_at', '>', clock.now() - FAILING_WINDOW_MS)
        .where('status', '!=', 'rate_limited')
        .where('attempts', '>', 0)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return last?.status === 'failed';
    },
  };
}

const hintOf = (d: Destination): string => (d.ok ? d.value.hint : d.hint);

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
