import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import type { SyncUser } from './types.js';

const DAY = 86_400_000;
const BASE = 'DC=corp,DC=example,DC=test';

/** Password-expiry reminders with an injected clock: the right emails on the right days, each once. */
describe('password-expiry reminders', () => {
  let tp: TestPortal;
  let start: number;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
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
      'day 6: Your password expires in 14 day(s)',
      'day 13: Your password expires in 7 day(s)',
      'day 17: Your password expires in 3 day(s)',
      'day 19: Your password expires in 1 day(s)',
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
    expect((await messagesTo(tp.portal, 'u1@corp.example.test')).map((m) => m.subject?.replace(/ · .*/, ''))).toEqual(['Your password expires in 2 day(s)']);
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
});
