import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, dialects } from '../../../test/helpers/test-portal.js';
import { UserStore } from '../../directory/users.js';
import { manualClock } from '../../shared/clock.js';
import { WritebackJobStore } from '../../writeback/writeback-job-store.js';
import type { Store } from '../database.js';

/**
 * WritebackJobStore in the store contract: every compare-and-swap a password job goes through
 * (claim, finish, expire) behaves the same on SQLite and PostgreSQL, each on a fresh, migrated
 * database. These are what make a job apply at most once, and never after its expiry.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe.each(dialects)('writeback jobs on %s', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let clock: ReturnType<typeof manualClock>;
  let jobs: WritebackJobStore;
  let userId: string;
  let seq = 0;

  beforeEach(async () => {
    ({ store, cleanup } = await createTestStore(dialect));
    clock = manualClock();
    jobs = new WritebackJobStore(store, clock);
    const users = new UserStore(store.db, clock);
    userId = (await users.create({ username: 'alice', displayName: 'Alice', email: null, roles: [], passwordHash: null })).id;
  });
  afterEach(() => cleanup());

  async function newJob(kind: 'reset' | 'bind' = 'reset', ttl = MINUTE): Promise<string> {
    seq += 1;
    const id = `job-${seq}`;
    await jobs.create({ id, kind, userId, expiresAt: clock.now() + ttl });
    return id;
  }

  it('a new job is pending, and an unknown job has no status', async () => {
    const id = await newJob();
    expect(await jobs.status(id)).toBe('pending');
    expect(await jobs.status('no-such-job')).toBeNull();
    expect(await jobs.claim('no-such-job', 'agent-a')).toBe('unknown');
  });

  it('stores no password: the row has no column that could hold one', async () => {
    const id = await newJob();
    const row = await store.db.selectFrom('writeback_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(Object.keys(row).filter((k) => /pass|secret|seal|current/i.test(k))).toEqual([]);
  });

  it('a pending, unexpired job can be claimed, and is then taken by that agent', async () => {
    const id = await newJob();
    expect(await jobs.claim(id, 'agent-a')).toBe('claimed');
    expect(await jobs.status(id)).toBe('taken');
    expect(await jobs.outcome(id)).toEqual({ ok: false, reason: 'unconfirmed' });
  });

  it('a second claim is refused, by the same agent or another, and the first one stands', async () => {
    const id = await newJob();
    expect(await jobs.claim(id, 'agent-a')).toBe('claimed');
    expect(await jobs.claim(id, 'agent-b')).toBe('taken');
    expect(await jobs.claim(id, 'agent-a')).toBe('taken');
    expect(await jobs.finish(id, 'agent-b', { ok: true })).toBeNull();
    expect(await jobs.finish(id, 'agent-a', { ok: true })).toBe('reset');
  });

  it('two parallel claims of one job: exactly one wins', async () => {
    const id = await newJob();
    const answers = await Promise.all(['agent-a', 'agent-b', 'agent-c', 'agent-d'].map((a) => jobs.claim(id, a)));
    expect(answers.filter((a) => a === 'claimed')).toHaveLength(1);
    expect(answers.filter((a) => a === 'taken')).toHaveLength(3);
  });

  it('a job past its expiry can never be claimed, even while still pending', async () => {
    const id = await newJob('reset', MINUTE);
    clock.advance(MINUTE);
    expect(await jobs.claim(id, 'agent-a')).toBe('expired');
    expect(await jobs.status(id)).toBe('pending');
  });

  it('expiring a job nobody took ends it as unavailable; a taken job cannot be expired', async () => {
    const lonely = await newJob();
    expect(await jobs.expire(lonely)).toBe(true);
    expect(await jobs.status(lonely)).toBe('expired');
    expect(await jobs.outcome(lonely)).toEqual({ ok: false, reason: 'unavailable' });
    expect(await jobs.claim(lonely, 'agent-a')).toBe('expired');
    expect(await jobs.expire(lonely)).toBe(false);

    const taken = await newJob();
    await jobs.claim(taken, 'agent-a');
    expect(await jobs.expire(taken)).toBe(false);
    expect(await jobs.status(taken)).toBe('taken');
  });

  it("finishing records AD's verdict once: only a taken job, only by the agent that took it", async () => {
    const pending = await newJob();
    expect(await jobs.finish(pending, 'agent-a', { ok: true })).toBeNull();
    expect(await jobs.status(pending)).toBe('pending');

    const id = await newJob();
    await jobs.claim(id, 'agent-a');
    expect(await jobs.finish(id, 'agent-a', { ok: false, reason: 'too_short', detail: 'LDAP 19' })).toBe('reset');
    expect(await jobs.outcome(id)).toEqual({ ok: false, reason: 'too_short', detail: 'LDAP 19' });
    // A result sent again (after a reconnect) changes nothing.
    expect(await jobs.finish(id, 'agent-a', { ok: true })).toBeNull();
    expect(await jobs.status(id)).toBe('failed');
  });

  it('an applied job says whether AD was asked to enforce the history', async () => {
    const plain = await newJob();
    await jobs.claim(plain, 'agent-a');
    await jobs.finish(plain, 'agent-a', { ok: true });
    expect(await jobs.outcome(plain)).toEqual({ ok: true, value: {} });

    const noHistory = await newJob();
    await jobs.claim(noHistory, 'agent-a');
    await jobs.finish(noHistory, 'agent-a', { ok: true, historyEnforced: false });
    expect(await jobs.outcome(noHistory)).toEqual({ ok: true, value: { historyEnforced: false } });
  });

  it('housekeeping deletes finished jobs past the retention, finished reads after a day, and never a pending or taken job', async () => {
    const applied = await newJob();
    await jobs.claim(applied, 'agent-a');
    await jobs.finish(applied, 'agent-a', { ok: true });
    const read = await newJob('bind');
    await jobs.claim(read, 'agent-a');
    await jobs.finish(read, 'agent-a', { ok: true });
    const taken = await newJob('reset', 400 * DAY);
    await jobs.claim(taken, 'agent-a');
    const pending = await newJob('reset', 400 * DAY);

    clock.advance(2 * DAY);
    expect(await jobs.prune(clock.now(), 30)).toBe(1);
    expect(await jobs.status(read)).toBeNull();
    expect(await jobs.status(applied)).toBe('applied');

    clock.advance(30 * DAY);
    expect(await jobs.prune(clock.now(), 30)).toBe(1);
    expect(await jobs.status(applied)).toBeNull();
    expect(await jobs.status(taken)).toBe('taken');
    expect(await jobs.status(pending)).toBe('pending');
  });

  it('the console lists jobs newest first with the username, and the last finished ones by finish time', async () => {
    const first = await newJob('reset', DAY);
    clock.advance(MINUTE);
    const second = await newJob('reset', DAY);
    expect(await jobs.claim(first, 'agent-a')).toBe('claimed');
    clock.advance(MINUTE);
    await jobs.finish(first, 'agent-a', { ok: true });
    const recent = await jobs.recent({ limit: 10 });
    expect(recent.map((j) => j.id)).toEqual([second, first]);
    expect(recent[0]).toMatchObject({ kind: 'reset', status: 'pending', username: 'alice', agentName: null, finishedAt: null });
    expect(await jobs.recent({ limit: 1, statuses: ['applied'] })).toMatchObject([{ id: first, status: 'applied', finishedAt: clock.now() }]);
    expect(await jobs.recent({ limit: 1, statuses: ['failed', 'expired'] })).toEqual([]);
  });
});
