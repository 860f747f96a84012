import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import { EXPIRED_NOTICE_DAYS } from './reminders.js';
import type { SyncUser } from '../agent-protocol/index.js';

const DAY = 86_400_000;
const BASE = 'DC=corp,DC=example,DC=test';

/** Password-expiry reminders with an injected clock, on SQLite and PostgreSQL: the right emails on the right days, each once. */
describe.each(dialects)('password-expiry reminders on %s', (dialect) => {
  let tp: TestPortal;
  let start: number;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true, dialect });
    start = tp.clock.now();
  });
  afterEach(() => tp.cleanup());

  function user(n: number, over: Partial<SyncUser> = {}): SyncUser {
    return { anchor: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, dn: `CN=u${n},${BASE}`, sAMAccountName: `u${n}`, userPrincipalName: `u${n}@corp.example.test`, displayName: `U ${n}`, mail: `u${n}@corp.example.test`, mobile: null, telephoneNumber: null, enabled: true, protected: false, passwordNeverExpires: false, passwordExpiresAt: start + 20 * DAY, pwdLastSet: start, ...over };
  }

  async function sync(users: SyncUser[]) {
    const run = await tp.portal.sync.startRun('full', 'manual', null);
    await tp.portal.sync.applyPage(run, { users, groups: [], gone: [] });
    await tp.portal.sync.finishRun(run, { full: true, cursor: { invocationId: 'i', usn: '1', dc: 'dc' } });
  }

  /** Runs the reminder job once a day for `days` days; returns the day numbers on which u1 got mail, with subjects. */
  async function daily(days: number, address = 'u1@corp.example.test') {
    const got: string[] = [];
    for (let day = 0; day <= days; day++) {
      const before = (await messagesTo(tp.portal, address)).length;
      await tp.portal.reminders.send();
      const after = await messagesTo(tp.portal, address);
      for (const m of after.slice(0, after.length - before)) got.push(`day ${day}: ${m.subject}`);
      tp.clock.advance!(DAY);
    }
    return got;
  }

  it('emails 14, 7, 3 and 1 days before the expiry and once when it has expired, each once, with the right links', async () => {
    await sync([user(1)]);
    const got = await daily(25);
    expect(got.map((g) => g.replace(/ · .*/, ''))).toEqual([
      'day 6: Your password expires in 14 days',
      'day 13: Your password expires in 7 days',
      'day 17: Your password expires in 3 days',
      'day 19: Your password expires in 1 day',
      'day 20: Your password has expired',
    ]);
    const mails = await messagesTo(tp.portal, 'u1@corp.example.test');
    expect(mails.find((m) => m.subject?.includes('expires in 7'))?.body).toContain('http://portal.test/account/change-password');
    expect(mails.find((m) => m.subject?.includes('has expired'))?.body).toContain('http://portal.test/reset');
  });

  it('sends nothing for disabled accounts, passwords that never expire, or users who left the scope', async () => {
    await sync([user(1), user(2, { enabled: false }), user(3, { passwordNeverExpires: true, passwordExpiresAt: null }), user(4)]);
    const run = await tp.portal.sync.startRun('delta', 'manual', null);
    await tp.portal.sync.applyPage(run, { users: [], groups: [], gone: [user(4).anchor] });
    await tp.portal.sync.finishRun(run, { full: false, cursor: { invocationId: 'i', usn: '2', dc: 'dc' } });
    tp.clock.advance!(19 * DAY);
    expect(await tp.portal.reminders.send()).toBe(1);
    for (const n of [2, 3, 4]) expect(await messagesTo(tp.portal, `u${n}@corp.example.test`), `u${n}`).toEqual([]);
  });

  it('after days without a run, only the nearest reminder goes out, not a burst of old ones; a second run sends nothing', async () => {
    await sync([user(1)]);
    tp.clock.advance!(18 * DAY);
    expect(await tp.portal.reminders.send()).toBe(1);
    expect(await tp.portal.reminders.send()).toBe(0);
    expect((await messagesTo(tp.portal, 'u1@corp.example.test')).map((m) => m.subject?.replace(/ · .*/, ''))).toEqual(['Your password expires in 2 days']);
  });

  it('a new expiry date (the password was changed) starts the reminders again', async () => {
    await sync([user(1)]);
    tp.clock.advance!(19 * DAY);
    expect(await tp.portal.reminders.send()).toBe(1);
    await sync([user(1, { passwordExpiresAt: tp.clock.now() + 14 * DAY })]);
    expect(await tp.portal.reminders.send()).toBe(1);
    expect((await messagesTo(tp.portal, 'u1@corp.example.test')).length).toBe(2);
  });

  it('the preview lists who will be reminded within the next days, without sending anything', async () => {
    await sync([user(1), user(2, { passwordExpiresAt: start + 60 * DAY })]);
    expect(await tp.portal.reminders.due()).toEqual([]);
    const soon = await tp.portal.reminders.due({ horizonDays: 7 });
    expect(soon.map((r) => [r.username, r.threshold])).toEqual([['u1@corp.example.test', 14]]);
    expect(await messagesTo(tp.portal, 'u1@corp.example.test')).toEqual([]);
  });

  it('does not email users whose password expired long before the first run', async () => {
    const ago = (days: number) => start - days * DAY;
    await sync([
      user(1, { passwordExpiresAt: ago(400) }), // a stale account, still enabled
      user(2, { passwordExpiresAt: ago(EXPIRED_NOTICE_DAYS) - 1 }), // just too long ago
      user(3, { passwordExpiresAt: ago(EXPIRED_NOTICE_DAYS) }), // still recent enough
      user(4, { passwordExpiresAt: ago(2) }),
      user(5), // expires in 20 days
    ]);
    // The console's preview says the same as the first run does.
    expect((await tp.portal.reminders.due({ horizonDays: 14 })).map((r) => [r.username, r.threshold])).toEqual([
      ['u3@corp.example.test', 0],
      ['u4@corp.example.test', 0],
      ['u5@corp.example.test', 7],
    ]);
    expect(await tp.portal.reminders.send()).toBe(2);
    for (const n of [3, 4]) expect((await messagesTo(tp.portal, `u${n}@corp.example.test`)).map((m) => m.subject?.replace(/ · .*/, '')), `u${n}`).toEqual(['Your password has expired']);
    // Nor later: a month of daily runs emails the stale accounts nothing, and u5 its usual reminders.
    const u5 = await daily(30, 'u5@corp.example.test');
    expect(u5.map((g) => g.replace(/ · .*/, ''))).toEqual([
      'day 6: Your password expires in 14 days',
      'day 13: Your password expires in 7 days',
      'day 17: Your password expires in 3 days',
      'day 19: Your password expires in 1 day',
      'day 20: Your password has expired',
    ]);
    for (const n of [1, 2]) expect(await messagesTo(tp.portal, `u${n}@corp.example.test`), `u${n}`).toEqual([]);
    expect(await tp.store.db.selectFrom('password_reminders').select('user_id').where('user_id', 'in', await ids([1, 2])).execute()).toEqual([]);
  });

  it('due() leaves out exactly the reminders already sent, threshold by threshold, and counts the rest', async () => {
    await sync([user(1, { passwordExpiresAt: start + 10 * DAY }), user(2, { passwordExpiresAt: start + 10 * DAY }), user(3, { passwordExpiresAt: start + 30 * DAY })]);
    expect((await tp.portal.reminders.due()).map((r) => [r.username, r.threshold])).toEqual([
      ['u1@corp.example.test', 14],
      ['u2@corp.example.test', 14],
    ]);
    expect(await tp.portal.reminders.send()).toBe(2);
    expect(await tp.portal.reminders.due()).toEqual([]);
    expect(await tp.portal.reminders.summary()).toEqual({ total: 0, byThreshold: [] });
    // The 14-day reminder was sent, the 3-day one (due within a week) was not; u3's 14-day one neither.
    const week = await tp.portal.reminders.due({ horizonDays: 7 });
    expect(week.map((r) => [r.username, r.threshold])).toEqual([
      ['u1@corp.example.test', 3],
      ['u2@corp.example.test', 3],
    ]);
    expect(await tp.portal.reminders.summary({ horizonDays: 16 })).toEqual({ total: 3, byThreshold: [{ threshold: 14, count: 1 }, { threshold: 0, count: 2 }] });
    // One page of the list, in the order the reminders go out (u1 and u2 expire first).
    expect((await tp.portal.reminders.due({ horizonDays: 16, limit: 2, offset: 1 })).map((r) => [r.username, r.threshold])).toEqual([
      ['u2@corp.example.test', 0],
      ['u3@corp.example.test', 14],
    ]);
    // A new expiry date for u2 (the password was changed) is a new reminder, even at the same threshold.
    await sync([user(1, { passwordExpiresAt: start + 10 * DAY }), user(2, { passwordExpiresAt: start + 10 * DAY + 1 })]);
    expect((await tp.portal.reminders.due()).map((r) => [r.username, r.threshold])).toEqual([['u2@corp.example.test', 14]]);
  });

  async function ids(ns: number[]): Promise<string[]> {
    return Promise.all(ns.map(async (n) => (await tp.portal.users.byUsername(`u${n}@corp.example.test`))!.id));
  }
});
