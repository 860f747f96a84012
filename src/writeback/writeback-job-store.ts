import type { Store } from '../store/database.js';
import type { WritebackJobKind, WritebackJobStatus } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';
import { isAgentRefusal, type ClaimRefusal, type JobRefusal, type JobVerdict, type ReportedAccount, type ReportedCheck, type ReportedPolicy } from '../agent-protocol/index.js';

const DAY_MS = 86_400_000;
/** Jobs that only read AD. */
export const READ_KINDS: readonly WritebackJobKind[] = ['bind', 'policy', 'read_account', 'check'];
/** What `detail` says of an applied job AD was not asked to check the history for. */
const HISTORY_NOT_ENFORCED = 'history not enforced';

/** How a job ended, as writeback sees it: AD's answer (with the policy it read, for a look-up), or why there is none. */
export type JobOutcome = Ok<{ historyEnforced?: false; policy?: ReportedPolicy; account?: ReportedAccount; check?: ReportedCheck }> | (Refused<JobRefusal> & { detail?: string });

/** A job as the console lists it, with its user's username and its agent's name. */
export interface WritebackJobRow {
  id: string;
  kind: WritebackJobKind;
  status: WritebackJobStatus;
  verdict: string | null;
  detail: string | null;
  createdAt: number;
  finishedAt: number | null;
  userId: string;
  username: string | null;
  agentName: string | null;
}

/** AD's verdict as the flows see it. */
export function outcomeOfVerdict(verdict: JobVerdict): JobOutcome {
  if (verdict.ok) return ok({ ...(verdict.historyEnforced === false ? { historyEnforced: false as const } : {}), ...(verdict.policy ? { policy: verdict.policy } : {}), ...(verdict.account ? { account: verdict.account } : {}), ...(verdict.check ? { check: verdict.check } : {}) });
  return verdict.detail ? fail(verdict.reason, { detail: verdict.detail }) : fail(verdict.reason);
}

/**
 * The writeback jobs in the store (writeback_jobs): a job holds no password, only what it is
 * for, whom, and how it ended. Every change of state is one compare-and-swap, so of two portal
 * instances or two agents only one wins: pending → taken (a claim, only before the expiry),
 * taken → applied/failed (the agent that took it), pending → expired (nobody took it in time).
 */
export class WritebackJobStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(job: { id: string; kind: WritebackJobKind; userId: string; expiresAt: number }): Promise<void> {
    await this.store.db
      .insertInto('writeback_jobs')
      .values({ id: job.id, kind: job.kind, user_id: job.userId, status: 'pending', agent_id: null, created_at: this.clock.now(), expires_at: job.expiresAt, taken_at: null, finished_at: null, verdict: null, detail: null })
      .execute();
  }

  /** The agent may apply the job only if it is still pending and not expired: one compare-and-swap. */
  async claim(id: string, agentId: string): Promise<'claimed' | ClaimRefusal> {
    const now = this.clock.now();
    const r = await this.store.db.updateTable('writeback_jobs').set({ status: 'taken', agent_id: agentId, taken_at: now }).where('id', '=', id).where('status', '=', 'pending').where('expires_at', '>', now).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return 'claimed';
    const job = await this.store.db.selectFrom('writeback_jobs').select(['status', 'expires_at']).where('id', '=', id).executeTakeFirst();
    return !job ? 'unknown' : job.status === 'pending' || job.status === 'expired' ? 'expired' : 'taken';
  }

  /** AD's verdict, recorded once: for a job this agent took and has not yet answered. The job's kind when recorded, else null. */
  async finish(id: string, agentId: string, verdict: JobVerdict): Promise<WritebackJobKind | null> {
    const r = await this.store.db
      .updateTable('writeback_jobs')
      .set({ status: verdict.ok ? 'applied' : 'failed', finished_at: this.clock.now(), verdict: verdict.ok ? 'applied' : verdict.reason, detail: verdict.ok ? (verdict.historyEnforced === false ? HISTORY_NOT_ENFORCED : null) : (verdict.detail ?? null) })
      .where('id', '=', id)
      .where('status', '=', 'taken')
      .where('agent_id', '=', agentId)
      .returning('kind')
      .executeTakeFirst();
    return r?.kind ?? null;
  }

  /** No agent took the job in time: it can never be applied. False when it was taken meanwhile. */
  async expire(id: string): Promise<boolean> {
    const r = await this.store.db.updateTable('writeback_jobs').set({ status: 'expired', finished_at: this.clock.now(), verdict: 'no_agent' }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async status(id: string): Promise<WritebackJobStatus | null> {
    return (await this.store.db.selectFrom('writeback_jobs').select('status').where('id', '=', id).executeTakeFirst())?.status ?? null;
  }

  /** How the job ended so far: `unconfirmed` while taken, `unavailable` once expired (or gone). */
  async outcome(id: string): Promise<JobOutcome> {
    const row = await this.store.db.selectFrom('writeback_jobs').select(['status', 'verdict', 'detail']).where('id', '=', id).executeTakeFirst();
    if (!row || row.status === 'expired') return fail('unavailable');
    if (row.status === 'applied') return ok(row.detail === HISTORY_NOT_ENFORCED ? { historyEnforced: false as const } : {});
    if (row.status === 'taken') return fail('unconfirmed');
    const reason = row.verdict !== null && isAgentRefusal(row.verdict) ? row.verdict : 'failed';
    return row.detail ? fail(reason, { detail: row.detail }) : fail(reason);
  }

  /** Jobs with their user's username and agent's name, newest first (connection tests left out); `statuses` narrows to finished ones, newest finish first. */
  async recent(options: { limit: number; statuses?: WritebackJobStatus[] }): Promise<WritebackJobRow[]> {
    let q = this.store.db
      .selectFrom('writeback_jobs as j')
      .leftJoin('users as u', 'u.id', 'j.user_id')
      .leftJoin('agents as a', 'a.id', 'j.agent_id')
      .select(['j.id', 'j.kind', 'j.status', 'j.verdict', 'j.detail', 'j.created_at', 'j.finished_at', 'j.user_id', 'u.username', 'a.name as agent_name'])
      // A connection test is no user's job (its row names the agent); the audit log keeps it as agent_tested.
      .where('j.kind', '!=', 'check');
    q = options.statuses ? q.where('j.status', 'in', options.statuses).orderBy('j.finished_at', 'desc') : q.orderBy('j.created_at', 'desc');
    const rows = await q.orderBy('j.id', 'desc').limit(options.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      verdict: r.verdict,
      detail: r.detail,
      createdAt: Number(r.created_at),
      finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      userId: r.user_id,
      username: r.username,
      agentName: r.agent_name,
    }));
  }

  /**
   * Housekeeping: finished jobs are deleted once past the audit retention (their verdicts are in
   * the audit log), finished reads (bind, policy: nothing changed in AD) after a day. Pending and
   * taken jobs are never deleted: a taken job may still be reconciled from an agent's journal.
   */
  async prune(now: number, retentionDays: number): Promise<number> {
    const finished: WritebackJobStatus[] = ['applied', 'failed', 'expired'];
    const db = this.store.db;
    const old = await db.deleteFrom('writeback_jobs').where('status', 'in', finished).where('finished_at', '<', now - retentionDays * DAY_MS).executeTakeFirst();
    const reads = await db.deleteFrom('writeback_jobs').where('status', 'in', finished).where('kind', 'in', [...READ_KINDS]).where('finished_at', '<', now - DAY_MS).executeTakeFirst();
    return Number(old.numDeletedRows) + Number(reads.numDeletedRows);
  }
}
