import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { messagesTo } from '../../test/helpers/outbox.js';
import type { ConfigInput } from '../config/schema.js';
import type { SyncGroup, SyncUser } from '../agent-protocol/index.js';
import type { SyncRun } from './sync-service.js';

/**
 * The AD sync console in-process over a real SQLite store and an injected clock: the status an
 * administrator checks (last and next run, cursor, what is synced, who left AD), the run history
 * with conflicts in plain words, the read-only reminder preview, and "Sync now" with and without
 * an agent; only administrators with a valid CSRF token get in.
 */

const PW = 'correct horse battery';
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400_000;
const BASE = 'DC=corp,DC=example,DC=test';
const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const upn = (n: number) => `user${n}@corp.example.test`;
const utc = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;

/** The page's text as a reader sees it (the HTML escapes apostrophes and quotes). */
function text(body: string): string {
  return body.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The rows of a table by id, each as its cells' text (tags removed). */
function rows(body: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(body)?.[1] ?? '';
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...tbody.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => text(c[1]!.replace(/<[^>]+>/g, '')).trim()));
}

function stat(body: string, id: string): number {
  return Number(new RegExp(`<div class="stat" id="stat-${id}"><span class="n">(\\d+)</span>`).exec(body)?.[1] ?? NaN);
}

function dd(body: string, id: string): string {
  return text((new RegExp(`<dd id="${id}">([\\s\\S]*?)</dd>`).exec(body)?.[1] ?? '').replace(/<[^>]+>/g, ''));
}

describe('AD sync console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  let start: number;

  async function setUp(config?: ConfigInput) {
    tp = await createTestPortal({ manualTime: true, ...(config ? { config } : {}) });
    start = tp.clock.now();
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    admin = new TestClient(tp.app);
    expect((await admin.signIn('root', PW)).status).toBe(303);
  }
  beforeEach(async () => setUp());
  afterEach(() => tp.cleanup());

  function user(n: number, over: Partial<SyncUser> = {}): SyncUser {
    return { anchor: guid(n), dn: `CN=user${n},OU=Staff,${BASE}`, sAMAccountName: `user${n}`, userPrincipalName: upn(n), displayName: `User ${n}`, mail: upn(n), mobile: null, telephoneNumber: null, enabled: true, protected: false, passwordNeverExpires: false, passwordExpiresAt: start + 90 * DAY, pwdLastSet: start - DAY, ...over };
  }
  function group(n: number, memberDns: string[]): SyncGroup {
    return { anchor: guid(1000 + n), dn: `CN=group${n},OU=Groups,${BASE}`, name: `Group ${n}`, description: null, memberDns };
  }

  /** A run as the coordinator drives it: pages applied, then completed with the DC's cursor; `takes` ms pass in between. */
  async function syncRun(kind: 'full' | 'delta', page: { users?: SyncUser[]; groups?: SyncGroup[]; gone?: string[] }, options: { takes?: number; usn?: string; trigger?: SyncRun['trigger'] } = {}): Promise<SyncRun> {
    const run = await tp.portal.sync.startRun(kind, options.trigger ?? 'schedule', null);
    await tp.portal.sync.applyPage(run, { users: page.users ?? [], groups: page.groups ?? [], gone: page.gone ?? [] });
    tp.clock.advance!(options.takes ?? 2 * SECOND);
    return tp.portal.sync.finishRun(run, { full: kind === 'full', cursor: { invocationId: 'inv-1', usn: options.usn ?? '5000', dc: 'dc1.corp.example.test' } });
  }

  it('is in the console navigation and says plainly that nothing has been synced yet', async () => {
    const page = await admin.get('/admin/sync');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<a href="/admin/sync" aria-current="page">AD sync</a>');
    const body = text(page.body);
    expect(body).toContain('<h1>Active Directory sync</h1>');
    expect(dd(page.body, 'sync-last-run')).toBe('No sync has run yet.');
    expect(dd(page.body, 'sync-next-run')).toBe('As soon as an agent is connected; then every 30 minutes');
    expect(dd(page.body, 'sync-dc')).toBe('None yet: the next sync is a full import.');
    expect([stat(page.body, 'users'), stat(page.body, 'groups'), stat(page.body, 'departed')]).toEqual([0, 0, 0]);
    expect(body).toContain('No user has left Active Directory.');
    // Both buttons work without JavaScript: plain forms with the CSRF token.
    expect(page.body).toMatch(/<form method="post" action="\/admin\/sync\/run" class="inline"><input type="hidden" name="_csrf" value="[^"]+"\/><input type="hidden" name="full" value="0"\/><button type="submit">Sync now<\/button>/);
    expect(page.body).toMatch(/<input type="hidden" name="full" value="1"\/><button type="submit" class="secondary">Full import<\/button>/);
    expect(page.body).toContain('<a href="/admin/sync/reminders">');
  });

  it('shows the last run, the next scheduled run, the cursor and how many users and groups are synced or left', async () => {
    await syncRun('full', { users: [user(1), user(2), user(3)], groups: [group(1, [user(1).dn, user(2).dn])] }, { usn: '5000' });
    tp.clock.advance!(10 * MINUTE);
    const deltaStart = tp.clock.now();
    await syncRun('delta', { users: [user(1, { displayName: 'Renamed' })], gone: [guid(3)] }, { takes: 75 * SECOND, usn: '5123', trigger: 'manual' });
    tp.clock.advance!(5 * MINUTE);

    const page = await admin.get('/admin/sync');
    expect(page.status).toBe(200);
    expect(dd(page.body, 'sync-last-run')).toBe(`Changes only, started in the console, 6 minutes ago (${utc(deltaStart)})`);
    expect(text(page.body)).toContain('<dd>1 min 15 s</dd>');
    expect(dd(page.body, 'sync-last-counts')).toBe('0 added, 1 updated, 1 disabled, 0 errors');
    expect(page.body).toContain('<span class="badge on">Done</span>');
    expect(dd(page.body, 'sync-next-run')).toBe(`in 24 minutes (${utc(deltaStart + 30 * MINUTE)}), then every 30 minutes`);
    expect(dd(page.body, 'sync-dc')).toBe('dc1.corp.example.test');
    expect(dd(page.body, 'sync-usn')).toBe('5123');
    expect([stat(page.body, 'users'), stat(page.body, 'groups'), stat(page.body, 'departed')]).toEqual([2, 1, 1]);

    // Overdue: the next run is due as soon as an agent is there.
    tp.clock.advance!(26 * MINUTE);
    expect(dd((await admin.get('/admin/sync')).body, 'sync-next-run')).toBe('Due now: it starts within a few seconds once an agent is connected (every 30 minutes)');
  });

  it('says "on demand only" when no schedule is configured', async () => {
    await tp.cleanup();
    await setUp({ sync: { intervalMinutes: 0 } });
    await syncRun('full', { users: [user(1)] });
    expect(dd((await admin.get('/admin/sync')).body, 'sync-next-run')).toBe('On demand only (the sync interval is 0 in Settings)');
  });

  it('lists the recent runs newest first, each linking to its details', async () => {
    const first = await syncRun('full', { users: [user(1), user(2)] });
    tp.clock.advance!(MINUTE);
    const second = await syncRun('delta', { users: [user(4)] }, { trigger: 'cli' });
    tp.clock.advance!(MINUTE);
    const failedId = await tp.portal.sync.startRun('delta', 'schedule', null);
    await tp.portal.sync.failRun(failedId, 'the DC stopped answering');

    const page = await admin.get('/admin/sync');
    expect(page.body).toContain('<caption>Sync runs</caption>');
    expect(page.body).toContain('<th scope="col">Started</th>');
    expect(rows(page.body, 'sync-runs')).toEqual([
      [utc(tp.clock.now()), 'Changes only', 'scheduled', 'Failed', 'less than a second', '0', '0', '0', '1'],
      [utc(second.startedAt), 'Changes only', 'asked for by the command line or the console', 'Done', '2 s', '1', '0', '0', '0'],
      [utc(first.startedAt), 'Full import', 'scheduled', 'Done', '2 s', '2', '0', '0', '0'],
    ]);
    for (const id of [failedId, second.id, first.id]) expect(page.body).toContain(`<a href="/admin/sync/runs/${id}">`);
    expect(text(page.body)).toContain('The last sync failed.');
  });

  it("a run's details name each object left out and why, in plain words, and the run's problems", async () => {
    await makeUser(tp.portal, { username: upn(1), password: 'Cloud-Password-Long-1' });
    await tp.portal.directory.createGroup({ id: null, name: 'test' }, { name: 'Group 1', description: '' });
    const run = await syncRun('full', { users: [user(1), user(2)], groups: [group(1, [])] });
    expect(run.conflicts).toHaveLength(2);

    const page = await admin.get(`/admin/sync/runs/${run.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<a href="/admin/sync" aria-current="page">AD sync</a>');
    expect(dd(page.body, 'run-counts')).toBe('1 added, 0 updated, 0 disabled, 2 errors');
    expect(page.body).toContain('<caption>Objects left out of this run and why</caption>');
    expect(rows(page.body, 'run-conflicts-table')).toEqual([
      [upn(1), 'A cloud user in the portal already has this username. Rename one of the two: the AD user is not synced until then.', guid(1)],
      ['Group 1', 'A group in the portal already has this name. Rename one of the two: the AD group is not synced until then.', guid(1001)],
    ]);
    expect(text(page.body)).toContain('<h2 id="run-problems">Problems</h2><p>None.</p>');

    const failedId = await tp.portal.sync.startRun('delta', 'schedule', null);
    await tp.portal.sync.failRun(failedId, 'the DC stopped answering');
    const failed = text((await admin.get(`/admin/sync/runs/${failedId}`)).body);
    expect(failed).toContain('<ul id="run-problems-list"><li>the DC stopped answering</li></ul>');
    expect(failed).toContain('None: every object read could be synced.');
    expect(failed).toContain('<span class="badge off">Failed</span>');

    expect((await admin.get('/admin/sync/runs/no-such-run')).status).toBe(404);
  });

  it("a run's details say how many objects left out are not listed, when there were too many to keep", async () => {
    // 520 AD users whose username another AD user already has: more conflicts than a run keeps.
    const first = Array.from({ length: 520 }, (_, i) => user(i + 1));
    const clashes = first.map((u, i) => ({ ...u, anchor: guid(5000 + i), dn: `CN=clash${i},OU=Staff,${BASE}` }));
    const run = await syncRun('full', { users: [...first, ...clashes] });
    expect(run.errors).toBe(520);
    const page = await admin.get(`/admin/sync/runs/${run.id}`);
    const listed = rows(page.body, 'run-conflicts-table').length;
    expect(listed).toBeLessThan(520);
    expect(text(page.body)).toContain(`${520 - listed} more objects could not be synced in this run but are not listed: a run keeps only the first ${listed}.`);
  });

  it('lists users disabled because they left AD, with when and why in plain words', async () => {
    await syncRun('full', { users: [user(1), user(2), user(3)] });
    tp.clock.advance!(25 * MINUTE);
    const deletedAt = tp.clock.now();
    await syncRun('delta', { gone: [guid(2)] }, { takes: 0 });
    await admin.get('/admin/sync'); // keeps the session from idling out
    tp.clock.advance!(20 * MINUTE);
    const missingAt = tp.clock.now();
    await syncRun('full', { users: [user(1)] }, { takes: 0 });

    const page = await admin.get('/admin/sync');
    expect(page.body).toContain('<caption>Users disabled because they left Active Directory</caption>');
    const u2 = (await tp.portal.users.byUsername(upn(2)))!;
    const u3 = (await tp.portal.users.byUsername(upn(3)))!;
    expect(page.body).toContain(`<a href="/admin/users/${u2.id}">${upn(2)}</a>`);
    expect(rows(page.body, 'departed-users')).toEqual([
      [upn(3), `just now (${utc(missingAt)})`, 'Not found by a full import'],
      [upn(2), `20 minutes ago (${utc(deletedAt)})`, 'Deleted in Active Directory, or moved out of the synced OUs or filter'],
    ]);
    expect([u2.enabled, u3.enabled]).toEqual([false, false]);
    expect(stat(page.body, 'departed')).toBe(2);
    expect(text(page.body)).toContain('<p class="muted" role="status" id="departed-shown">2 in all.</p>');
  });

  it('lists only the 50 users who left AD most recently, and says how many there are in all', async () => {
    await syncRun('full', { users: Array.from({ length: 60 }, (_, i) => user(i + 1)) });
    for (let n = 1; n <= 60; n++) {
      tp.clock.advance!(SECOND);
      await syncRun('delta', { gone: [guid(n)] }, { takes: 0 });
    }
    const page = await admin.get('/admin/sync');
    expect(stat(page.body, 'departed')).toBe(60);
    expect(rows(page.body, 'departed-users').map((r) => r[0])).toEqual(Array.from({ length: 50 }, (_, i) => upn(60 - i)));
    expect(text(page.body)).toContain('The 50 most recent of 60 are shown.');
  });

  describe('password-expiry reminder preview', () => {
    it('lists who is reminded in the next 14 days with the right reminder, and sends nothing', async () => {
      await syncRun('full', {
        users: [
          user(1, { passwordExpiresAt: start + 20 * DAY }), // 6 days left at the horizon: the 7-day reminder
          user(2, { passwordExpiresAt: start + 28 * DAY }), // 14 days left at the horizon: the 14-day reminder
          user(3, { passwordExpiresAt: start + 5 * DAY }), // expired by then: the "has expired" email
          user(4, { passwordExpiresAt: start + 40 * DAY }), // too far away
          user(5, { passwordNeverExpires: true, passwordExpiresAt: null }),
          user(6, { enabled: false, passwordExpiresAt: start + 3 * DAY }),
          user(7, { passwordExpiresAt: start - DAY }), // already expired, not emailed yet: it goes out with the next run
          user(8, { passwordExpiresAt: start - 30 * DAY }), // expired long ago: no email, now or later
        ],
      });
      const page = await admin.get('/admin/sync/reminders');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<a href="/admin/sync" aria-current="page">AD sync</a>');
      expect(dd(page.body, 'reminders-enabled')).toBe('Switched on');
      expect(dd(page.body, 'reminders-days')).toBe('14, 7, 3, 1');
      expect(dd(page.body, 'reminders-expired')).toBe('Yes');
      expect(page.body).toContain('<th scope="col">Reminder</th>');
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      expect(rows(page.body, 'reminders-due')).toEqual([
        [`${upn(7)} (User 7)`, utc(start - DAY), 'Password expired', 'With the next hourly run'],
        [`${upn(3)} (User 3)`, utc(start + 5 * DAY), 'Password expired', `On ${day(start + 5 * DAY)}`],
        [`${upn(1)} (User 1)`, utc(start + 20 * DAY), '7 days before', `On ${day(start + 13 * DAY)}`],
        [`${upn(2)} (User 2)`, utc(start + 28 * DAY), '14 days before', `On ${day(start + 14 * DAY)}`],
      ]);
      // A preview only: no email, no reminder claimed.
      expect(rows(page.body, 'reminders-summary')).toEqual([
        ['14 days before', '1'],
        ['7 days before', '1'],
        ['3 days before', '0'],
        ['1 day before', '0'],
        ['Password expired', '2'],
      ]);
      expect(text(page.body)).toContain('4 reminders will go out in the next 14 days.');
      expect(text(page.body)).toContain('Showing 1–4 of 4, in the order they go out.');
      for (let n = 1; n <= 8; n++) expect(await messagesTo(tp.portal, upn(n)), upn(n)).toEqual([]);
      expect(await tp.store.db.selectFrom('password_reminders').selectAll().execute()).toEqual([]);
      // Sending is the hourly job's: now the expired email to user 7 and the 7-day reminder to user 3.
      expect(await tp.portal.reminders.send()).toBe(2);
    });

    it('shows a summary of everything due, then one page of 100 rows at a time, without JavaScript', async () => {
      // 250 users due within 14 days, each expiry a minute apart so that the order is known:
      // 50 expired (emailed with the next run), 120 for the 7-day reminder, 80 for the 14-day one;
      // and users who get nothing (expired long ago, or too far away).
      const expired = (n: number) => start - 2 * DAY + n * MINUTE;
      const sevenDays = (n: number) => start + 19 * DAY + n * MINUTE;
      const fourteenDays = (n: number) => start + 27 * DAY + n * MINUTE;
      const users = [
        ...Array.from({ length: 50 }, (_, i) => user(i + 1, { passwordExpiresAt: expired(i + 1) })),
        ...Array.from({ length: 120 }, (_, i) => user(i + 51, { passwordExpiresAt: sevenDays(i + 51) })),
        ...Array.from({ length: 80 }, (_, i) => user(i + 171, { passwordExpiresAt: fourteenDays(i + 171) })),
        ...Array.from({ length: 30 }, (_, i) => user(i + 251, { passwordExpiresAt: start - 60 * DAY - i * DAY })),
        ...Array.from({ length: 20 }, (_, i) => user(i + 281, { passwordExpiresAt: start + 40 * DAY })),
      ];
      await syncRun('full', { users });
      const summary = (body: string) => rows(body, 'reminders-summary');
      const firstCells = (body: string) => rows(body, 'reminders-due').map((r) => r[0]);
      const names = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${upn(from + i)} (User ${from + i})`);

      const first = await admin.get('/admin/sync/reminders');
      expect(first.status).toBe(200);
      expect(text(first.body)).toContain('250 reminders will go out in the next 14 days.');
      expect(summary(first.body)).toEqual([
        ['14 days before', '80'],
        ['7 days before', '120'],
        ['3 days before', '0'],
        ['1 day before', '0'],
        ['Password expired', '50'],
      ]);
      expect(text(first.body)).toContain('Showing 1–100 of 250, in the order they go out.');
      expect(firstCells(first.body)).toEqual(names(1, 100));
      expect(rows(first.body, 'reminders-due')[0]).toEqual([`${upn(1)} (User 1)`, utc(expired(1)), 'Password expired', 'With the next hourly run']);
      expect(first.body).not.toContain('Previous page');
      expect(first.body).toContain('<nav class="pager" aria-label="Page 1 of 3">');
      expect(first.body).toContain('<a href="/admin/sync/reminders?page=2">Next page</a>');

      const second = await admin.get('/admin/sync/reminders?page=2');
      expect(text(second.body)).toContain('Showing 101–200 of 250, in the order they go out.');
      expect(firstCells(second.body)).toEqual(names(101, 200));
      expect(second.body).toContain('<a href="/admin/sync/reminders?page=1">Previous page</a>');
      expect(second.body).toContain('<a href="/admin/sync/reminders?page=3">Next page</a>');
      expect(summary(second.body)).toEqual(summary(first.body));

      const last = await admin.get('/admin/sync/reminders?page=3');
      expect(text(last.body)).toContain('Showing 201–250 of 250, in the order they go out.');
      expect(firstCells(last.body)).toEqual(names(201, 250));
      expect(rows(last.body, 'reminders-due').at(-1)).toEqual([`${upn(250)} (User 250)`, utc(fourteenDays(250)), '14 days before', `On ${new Date(fourteenDays(250) - 14 * DAY).toISOString().slice(0, 10)}`]);
      expect(last.body).toContain('<a href="/admin/sync/reminders?page=2">Previous page</a>');
      expect(last.body).not.toContain('Next page');

      // A page number that is not one, or past the end: a plain message and the first page, never an error.
      for (const bad of ['0', '-1', '2.5', 'abc', '1e3', '%00', '99999999999999999999']) {
        const r = await admin.get(`/admin/sync/reminders?page=${bad}`);
        expect(r.status, bad).toBe(200);
        expect(text(r.body), bad).toContain('That page number is not valid, so the first page is shown.');
        expect(firstCells(r.body), bad).toEqual(names(1, 100));
      }
      const past = await admin.get('/admin/sync/reminders?page=4');
      expect(past.status).toBe(200);
      expect(text(past.body)).toContain('There is no page 4: the list has 3 pages, so the first page is shown.');
      expect(firstCells(past.body)).toEqual(names(1, 100));
      expect(text(first.body)).not.toContain('so the first page is shown');

      // The preview sends nothing; once the hourly run has emailed the 50 expired, they leave the preview.
      expect(await tp.store.db.selectFrom('password_reminders').selectAll().execute()).toEqual([]);
      expect(await tp.portal.reminders.send()).toBe(50);
      const after = await admin.get('/admin/sync/reminders?page=3');
      expect(text(after.body)).toContain('There is no page 3: the list has 2 pages, so the first page is shown.');
      expect(text(after.body)).toContain('200 reminders will go out in the next 14 days.');
      expect(summary(after.body).at(-1)).toEqual(['Password expired', '0']);
      expect(firstCells(after.body)).toEqual(names(51, 150));
    });

    it('says when nothing is due, and when reminders are switched off', async () => {
      await tp.cleanup();
      await setUp({ reminders: { enabled: false, daysBefore: [10, 5], whenExpired: false } });
      const page = await admin.get('/admin/sync/reminders');
      const body = text(page.body);
      expect(body).toContain('No reminder is due in the next 14 days.');
      expect(body).toContain('Reminders are switched off (reminders.enabled in the configuration)');
      expect(dd(page.body, 'reminders-enabled')).toBe('Switched off');
      expect(dd(page.body, 'reminders-days')).toBe('10, 5');
      expect(dd(page.body, 'reminders-expired')).toBe('No');
    });
  });

  describe('Sync now and Full import', () => {
    it('without an agent on this instance records a request for the instance that has one, and says so', async () => {
      await admin.get('/admin/sync');
      const r = await admin.post('/admin/sync/run', { full: '0' });
      expect(r.status).toBe(303);
      expect(r.res.headers.get('location')).toBe('/admin/sync?done=sync.done.requested');
      const after = text((await admin.get('/admin/sync?done=sync.done.requested')).body);
      expect(after).toContain('The sync was requested. No agent is connected to this portal instance');
      expect(after).toContain('A sync was asked for just now; it has not started yet.');
      expect(await tp.portal.sync.takeRequest()).toEqual({ full: false });

      await admin.post('/admin/sync/run', { full: '1' });
      expect(await tp.portal.sync.takeRequest()).toEqual({ full: true });
      expect(await tp.portal.sync.takeRequest()).toBeNull();
      const audit = await tp.store.db.selectFrom('audit_events').select(['actor_name', 'outcome', 'details']).where('event', '=', 'sync_requested').orderBy('id').execute();
      expect(audit.map((a) => [a.actor_name, a.outcome, JSON.parse(a.details)])).toEqual([
        ['root', 'info', { full: false, result: 'requested' }],
        ['root', 'info', { full: true, result: 'requested' }],
      ]);
    });

    it('with an agent runs the sync now and says it has finished; a failed run opens with its problems', async () => {
      const run = vi.spyOn(tp.portal.syncCoordinator, 'run').mockImplementation(async (trigger, options) => ({ ok: true, value: await syncRun(options?.full ? 'full' : 'delta', { users: [user(1)] }, { trigger }) }));
      await admin.get('/admin/sync');
      const r = await admin.post('/admin/sync/run', { full: '1' });
      expect(run).toHaveBeenCalledWith('manual', { full: true });
      expect(r.res.headers.get('location')).toBe('/admin/sync?done=sync.done.finished');
      const page = await admin.get('/admin/sync?done=sync.done.finished');
      expect(text(page.body)).toContain('The sync has finished.');
      expect(dd(page.body, 'sync-last-run')).toMatch(/^Full import, started in the console, just now \(/);
      expect(await tp.portal.sync.takeRequest()).toBeNull();

      run.mockImplementation(async (trigger) => {
        const id = await tp.portal.sync.startRun('delta', trigger, null);
        await tp.portal.sync.failRun(id, 'the agent disconnected before the sync started');
        return { ok: true, value: (await tp.portal.sync.run(id))! };
      });
      const failed = await admin.post('/admin/sync/run', { full: '0' });
      expect(run).toHaveBeenLastCalledWith('manual', { full: false });
      const location = failed.res.headers.get('location')!;
      expect(location).toMatch(/^\/admin\/sync\/runs\/[^?]+\?refused=sync\.refuse\.failed$/);
      const detail = text((await admin.get(location)).body);
      expect(detail).toContain('The sync failed. The problems are listed below.');
      expect(detail).toContain('<li>the agent disconnected before the sync started</li>');
    });

    it('refuses while another sync holds the lease, and queues nothing', async () => {
      vi.spyOn(tp.portal.syncCoordinator, 'run').mockResolvedValue({ ok: false, reason: 'busy' });
      await admin.get('/admin/sync');
      const r = await admin.post('/admin/sync/run', { full: '0' });
      expect(r.res.headers.get('location')).toBe('/admin/sync?refused=sync.refuse.busy');
      expect(text((await admin.get('/admin/sync?refused=sync.refuse.busy')).body)).toContain('A sync is already running. Wait until it has finished, then try again.');
      expect(await tp.portal.sync.takeRequest()).toBeNull();
    });

    it('refuses a POST without a valid CSRF token, and neither runs nor requests a sync', async () => {
      const run = vi.spyOn(tp.portal.syncCoordinator, 'run');
      await admin.get('/admin/sync');
      expect((await admin.post('/admin/sync/run', { full: '1', _csrf: 'forged' })).status).toBe(403);
      const missing = await admin.request('/admin/sync/run', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://portal.test' }, body: 'full=1' });
      expect(missing.status).toBe(403);
      const crossSite = await admin.post('/admin/sync/run', { full: '1' }, { origin: 'https://evil.example' });
      expect(crossSite.status).toBe(403);
      expect(run).not.toHaveBeenCalled();
      expect(await tp.portal.sync.takeRequest()).toBeNull();
    });
  });

  it('refuses non-administrators: no status, no run details, no preview, no sync', async () => {
    const done = await syncRun('full', { users: [user(1)] });
    await makeUser(tp.portal, { username: 'alice', password: PW });
    await makeUser(tp.portal, { username: 'helpdesk', password: PW, roles: ['password_administrator'] });
    const run = vi.spyOn(tp.portal.syncCoordinator, 'run');
    for (const name of ['alice', 'helpdesk']) {
      const client = new TestClient(tp.app);
      await client.signIn(name, PW);
      await client.get('/account');
      for (const path of ['/admin/sync', `/admin/sync/runs/${done.id}`, '/admin/sync/reminders']) expect((await client.get(path)).status, `${name} ${path}`).toBe(403);
      expect((await client.post('/admin/sync/run', { full: '1' })).status).toBe(403);
    }
    const anon = new TestClient(tp.app);
    const r = await anon.get('/admin/sync');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?next=%2Fadmin%2Fsync');
    expect(run).not.toHaveBeenCalled();
    expect(await tp.portal.sync.takeRequest()).toBeNull();
  });
});
