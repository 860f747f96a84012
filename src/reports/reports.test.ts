import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import type { AuditEvent } from '../audit/audit-log.js';
import { activityReport, DAY, periodEnding, periodQuerySchema, registrationCoverage } from './report-queries.js';
import { niceStep } from './charts.js';

const PW = 'correct horse battery';
const HOUR = 3_600_000;
const system = { id: null, name: 'test' };

/** Everything between `<table id="…">` and its end. */
function table(html: string, id: string): string {
  const m = new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(html);
  if (!m) throw new Error(`no table #${id} on the page`);
  return m[0];
}

/** The texts of the <td> cells of the row marked with `attr` (e.g. data-method="email") in table #id. */
function cells(html: string, id: string, attr: string): string[] {
  const m = new RegExp(`<tr ${attr}>([\\s\\S]*?)</tr>`).exec(table(html, id));
  if (!m) throw new Error(`no row ${attr} in table #${id}`);
  return [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim());
}

function stat(html: string, id: string): number {
  const m = new RegExp(`<div class="stat" id="stat-${id}"><span class="n">(\\d+)</span>`).exec(html);
  if (!m) throw new Error(`no stat ${id}`);
  return Number(m[1]);
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe.each(dialects)('reports on %s', (dialect) => {
  describe('registration coverage', () => {
    let tp: TestPortal;
    let admin: TestClient;
    const ids: Record<string, string> = {};

    /** A contact method that went through its code, as registration leaves it. */
    async function confirmed(userId: string, type: 'email' | 'mobile' | 'office', contact: string) {
      const m = await tp.portal.methods.addContact(userId, type, contact);
      await tp.portal.methods.confirm(userId, m.id);
    }
    const threeAnswers = [
      { questionId: 'q.firstSchool', answer: 'hill school' },
      { questionId: 'q.birthCity', answer: 'springfield' },
      { questionId: 'q.firstPet', answer: 'rex the dog' },
    ];

    beforeEach(async () => {
      tp = await createTestPortal({ dialect, manualTime: true });
      // root signs in with a password only: it registers nothing, so no second step is asked.
      for (const [name, roles] of [
        ['root', ['administrator']],
        ['ops', ['administrator']],
        ['alice', ['user']],
        ['bob', ['user']],
        ['carol', ['user']],
        ['dave', ['user']],
      ] as const) {
        ids[name] = (await makeUser(tp.portal, { username: name, password: PW, roles: [...roles] })).id;
      }
      // ops: email + security questions — questions never count for administrators.
      await confirmed(ids['ops']!, 'email', 'ops@example.com');
      await tp.portal.questions.register(ids['ops']!, threeAnswers);
      // alice: one confirmed email, one still waiting for its code.
      await confirmed(ids['alice']!, 'email', 'alice@example.com');
      await tp.portal.methods.addContact(ids['alice']!, 'email', 'alice.other@example.com');
      // bob: security questions only, and an authenticator app never confirmed.
      await tp.portal.questions.register(ids['bob']!, threeAnswers);
      await tp.portal.methods.addTotp(ids['bob']!, 'JBSWY3DPEHPK3PXP', 'phone');
      // carol: a passkey (confirmed by its ceremony) and a mobile phone.
      await tp.portal.methods.addPasskey(ids['carol']!, 'laptop', { credentialId: 'cred-carol', publicKey: 'pk', signCount: 0, transports: [] });
      await confirmed(ids['carol']!, 'mobile', '+15555550123');
      // dave is disabled: never in scope, whatever he registered.
      await confirmed(ids['dave']!, 'email', 'dave@example.com');
      expect((await tp.portal.directory.setEnabled(system, ids['dave']!, false)).ok).toBe(true);
      admin = new TestClient(tp.app);
      await admin.signIn('root', PW);
    });
    afterEach(() => tp.cleanup());

    it('counts enabled users in scope, the registered ones, and each method type among them (policy: all)', async () => {
      const r = await admin.get('/admin/reports');
      expect(r.status).toBe(200);
      // root, ops, alice, bob, carol; dave is disabled.
      expect(stat(r.body, 'in-scope')).toBe(5);
      // alice (email) and carol (passkey + mobile); bob's questions are not allowed by the default policy,
      // root has nothing, ops has one usable method of the two an administrator needs.
      expect(stat(r.body, 'registered')).toBe(2);
      expect(stat(r.body, 'not-registered')).toBe(3);
      expect(cells(r.body, 'table-coverage', 'data-method="email"')).toEqual(['2', '40%']);
      expect(cells(r.body, 'table-coverage', 'data-method="mobile"')).toEqual(['1', '20%']);
      expect(cells(r.body, 'table-coverage', 'data-method="office"')).toEqual(['0', '0%']);
      expect(cells(r.body, 'table-coverage', 'data-method="totp"')).toEqual(['0', '0%']);
      expect(cells(r.body, 'table-coverage', 'data-method="passkey"')).toEqual(['1', '20%']);
      expect(cells(r.body, 'table-coverage', 'data-method="questions"')).toEqual(['2', '40%']);
      expect(table(r.body, 'table-coverage')).toContain('Security questions<span class="muted"> (not allowed by the policy)</span>');
    });

    it('does not count users outside the selected groups (nested groups included); administrators stay in scope', async () => {
      const pilot = await tp.portal.groups.create({ name: 'pilot' });
      const nested = await tp.portal.groups.create({ name: 'pilot-nested' });
      await tp.portal.groups.addMember(pilot.id, { type: 'user', id: ids['alice']! });
      await tp.portal.groups.addMember(pilot.id, { type: 'group', id: nested.id });
      await tp.portal.groups.addMember(nested.id, { type: 'user', id: ids['bob']! });
      await tp.portal.groups.addMember(nested.id, { type: 'user', id: ids['dave']! });
      expect((await tp.portal.policy.update(system, { enabledFor: 'selected', groups: [pilot.id] })).ok).toBe(true);

      const r = await admin.get('/admin/reports');
      // root, ops (administrators), alice, bob; carol is outside, dave disabled.
      expect(stat(r.body, 'in-scope')).toBe(4);
      expect(stat(r.body, 'registered')).toBe(1);
      expect(stat(r.body, 'not-registered')).toBe(3);
      expect(cells(r.body, 'table-coverage', 'data-method="email"')).toEqual(['2', '50%']);
      expect(cells(r.body, 'table-coverage', 'data-method="mobile"')).toEqual(['0', '0%']);
      expect(cells(r.body, 'table-coverage', 'data-method="passkey"')).toEqual(['0', '0%']);
      expect(cells(r.body, 'table-coverage', 'data-method="questions"')).toEqual(['2', '50%']);
      expect(r.body).toContain('members of 1 group');

      expect((await tp.portal.policy.update(system, { enabledFor: 'none', groups: [] })).ok).toBe(true);
      const off = await admin.get('/admin/reports');
      expect(stat(off.body, 'in-scope')).toBe(2);
      expect(stat(off.body, 'registered')).toBe(0);
    });

    it('counts the same users in scope as the policy service itself', async () => {
      const pilot = await tp.portal.groups.create({ name: 'pilot' });
      await tp.portal.groups.addMember(pilot.id, { type: 'user', id: ids['carol']! });
      for (const patch of [{}, { enabledFor: 'selected', groups: [pilot.id] }, { enabledFor: 'none', groups: [] }]) {
        await tp.portal.policy.update(system, patch);
        const { policy } = await tp.portal.policy.refresh();
        let expected = 0;
        for (const id of Object.values(ids)) if (await tp.portal.policy.inScope((await tp.portal.users.byId(id))!, policy)) expected += 1;
        expect((await registrationCoverage(tp.store, tp.portal.groups, policy)).inScope).toBe(expected);
      }
    });

    it('with two methods required, counts distinct method types, lets questions count once for users and never for administrators', async () => {
      const methodsAvailable = ['email', 'mobile_sms', 'office_voice', 'totp', 'passkey', 'questions'];
      expect((await tp.portal.policy.update(system, { methodsRequired: 2, methodsAvailable })).ok).toBe(true);
      // alice gets a second confirmed email: still one method type.
      await confirmed(ids['alice']!, 'email', 'alice.second@example.com');
      let coverage = await registrationCoverage(tp.store, tp.portal.groups, (await tp.portal.policy.refresh()).policy);
      // only carol (passkey + mobile); bob has questions only; ops is an administrator with email + questions.
      expect(coverage).toMatchObject({ inScope: 5, registered: 1, notRegistered: 4 });
      // bob confirms an authenticator app: questions + app make two.
      const app = await tp.portal.methods.addTotp(ids['bob']!, 'JBSWY3DPEHPK3PXQ', 'tablet');
      await tp.portal.methods.confirm(ids['bob']!, app.id);
      // ops adds an office phone: two methods that are not questions.
      await confirmed(ids['ops']!, 'office', '+15555550199');
      coverage = await registrationCoverage(tp.store, tp.portal.groups, (await tp.portal.policy.refresh()).policy);
      expect(coverage).toMatchObject({ inScope: 5, registered: 3, notRegistered: 2 });
      expect(coverage.byMethod).toEqual({ email: 2, mobile: 1, office: 1, totp: 1, passkey: 1, questions: 2, recovery_code: 0 });
    });

    it('counts questions only when every answer the policy asks for is registered', async () => {
      const { policy } = await tp.portal.policy.refresh();
      expect((await registrationCoverage(tp.store, tp.portal.groups, policy)).byMethod.questions).toBe(2);
      expect((await registrationCoverage(tp.store, tp.portal.groups, { ...policy, questions: { ...policy.questions, toRegister: 4, toAnswer: 3 } })).byMethod.questions).toBe(0);
    });

    it('a period without activity shows one empty state that says what to do, not empty charts and a table of zeros', async () => {
      const r = await admin.get('/admin/reports');
      expect(r.status).toBe(200);
      expect(r.body).toContain('No activity yet');
      expect(r.body).toContain('Nobody reset, unlocked or changed a password in the last 30 days.');
      expect(r.body).toContain('<a href="/admin/reports?days=90">Look at the last 90 days instead</a>');
      // The coverage chart stays (it is about registrations, not activity); the activity charts and tables do not.
      expect([...r.body.matchAll(/<svg [^>]*id="([^"]+)"/g)].map((m) => m[1])).toEqual(['chart-coverage']);
      expect(r.body).not.toContain('id="table-activity"');
      expect(r.body).not.toContain('id="table-methods"');
    });

    it('is for administrators only: a user gets 403 for the page and the CSV', async () => {
      // bob has no confirmed method, so his password alone signs him in.
      const bob = new TestClient(tp.app);
      expect((await bob.signIn('bob', PW)).status).toBe(303);
      expect((await bob.get('/account')).status).toBe(200);
      expect((await bob.get('/admin/reports')).status).toBe(403);
      expect((await bob.request('/admin/reports/activity.csv?days=7')).status).toBe(403);
      const anonymous = new TestClient(tp.app);
      expect((await anonymous.request('/admin/reports')).status).toBe(303);
    });
  });

  describe('activity', () => {
    let tp: TestPortal;
    let admin: TestClient;
    /** UTC midnight of the report's "today". */
    let today: number;

    const moveTo = (ms: number) => tp.clock.advance!(ms - tp.clock.now());
    const user = { id: 'u-1', name: 'alice' };
    const record = (at: number, e: Omit<AuditEvent, 'actor' | 'target'>) => {
      moveTo(at);
      return tp.portal.audit.record({ ...e, actor: user, target: user });
    };

    beforeAll(async () => {
      tp = await createTestPortal({ dialect, manualTime: true });
      await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
      // A fixed point well after the users were created, so the timeline only moves forward.
      today = Math.floor(tp.clock.now() / DAY) * DAY + 60 * DAY;
      const d = (n: number, h = 12) => today - n * DAY + h * HOUR;
      await record(d(40), { event: 'password_reset', outcome: 'success', details: { method: 'mobile' } });
      await record(d(10), { event: 'password_reset', outcome: 'failure', details: { method: 'email', reason: 'policy' } });
      await record(d(10), { event: 'account_unlock', outcome: 'success', details: { method: 'email' } });
      // The last millisecond before a 7-day period, and the first one inside it.
      await record(today - 6 * DAY - 1, { event: 'password_reset', outcome: 'success', details: { method: 'email' } });
      await record(today - 6 * DAY, { event: 'account_unlock', outcome: 'blocked', details: { reason: 'blocked' } });
      await record(d(1, 8), { event: 'reset_started', outcome: 'info', details: { intent: 'reset' } });
      await record(d(1, 8), { event: 'method_verified', outcome: 'success', details: { method: 'email', purpose: 'reset' } });
      await record(d(1, 8), { event: 'method_verified', outcome: 'failure', details: { method: 'totp', purpose: 'reset' } });
      await record(d(1, 9), { event: 'password_reset', outcome: 'success', details: { method: 'email,totp' } });
      await record(d(1, 10), { event: 'password_reset', outcome: 'blocked', details: { reason: 'blocked' } });
      await record(d(1, 11), { event: 'password_change', outcome: 'failure', details: { reason: 'current_password_wrong' } });
      await record(d(1, 11), { event: 'password_change', outcome: 'failure', details: { reason: 'current_password_wrong' } });
      await record(d(1, 23), { event: 'account_unlock', outcome: 'failure', details: { method: 'email', reason: 'onprem_unavailable' } });
      await record(d(0, 1), { event: 'password_reset', outcome: 'success', details: { method: 'questions' } });
      await record(d(0, 2), { event: 'password_reset', outcome: 'success', details: { method: 'hardware_token' } });
      await record(d(0, 3), { event: 'password_reset', outcome: 'failure', details: { reason: 'brand_new_reason' } });
      await record(d(0, 4), { event: 'password_change', outcome: 'success' });
      // The report is read at noon of "today".
      moveTo(d(0, 12));
      admin = new TestClient(tp.app);
      await admin.signIn('root', PW);
    });
    afterAll(() => tp.cleanup());

    it('shows resets, unlocks and changes per day by outcome, counting only events inside the period', async () => {
      const r = await admin.get('/admin/reports?days=7');
      expect(r.status).toBe(200);
      const cols = ['reset_success', 'reset_failure', 'reset_blocked', 'unlock_success', 'unlock_failure', 'unlock_blocked', 'change_success', 'change_failure', 'change_blocked'];
      expect(cols.length).toBe(9);
      expect(cells(r.body, 'table-activity', `data-day="${day(today - DAY)}"`)).toEqual(['1', '0', '1', '0', '1', '0', '0', '2', '0']);
      expect(cells(r.body, 'table-activity', `data-day="${day(today)}"`)).toEqual(['2', '1', '0', '0', '0', '0', '1', '0', '0']);
      expect(cells(r.body, 'table-activity', `data-day="${day(today - 6 * DAY)}"`)).toEqual(['0', '0', '0', '0', '0', '1', '0', '0', '0']);
      expect(cells(r.body, 'table-activity', 'data-day="total"')).toEqual(['3', '1', '1', '0', '1', '1', '1', '2', '0']);
      // One row per day of the period, and nothing from the day before it.
      expect(table(r.body, 'table-activity').match(/<tr data-day="\d{4}/g)).toHaveLength(7);
      expect(r.body).not.toContain(`data-day="${day(today - 7 * DAY)}"`);
      expect(r.body).toContain('5 in total: 3 successful, 1 failed, 1 blocked.');
      expect(r.body).toContain(`Showing ${day(today - 6 * DAY)} to ${day(today)} (UTC).`);
    });

    it('widens to 30 and 90 days', async () => {
      const month = await admin.get('/admin/reports?days=30');
      expect(cells(month.body, 'table-activity', 'data-day="total"')).toEqual(['4', '2', '1', '1', '1', '1', '1', '2', '0']);
      expect(table(month.body, 'table-activity').match(/<tr data-day="\d{4}/g)).toHaveLength(30);
      const quarter = await admin.get('/admin/reports?days=90');
      expect(cells(quarter.body, 'table-activity', 'data-day="total"')).toEqual(['5', '2', '1', '1', '1', '1', '1', '2', '0']);
      expect(cells(quarter.body, 'table-activity', `data-day="${day(today - 40 * DAY)}"`)[0]).toBe('1');
    });

    it('counts successful resets and unlocks once for each method used, unknown methods by their code', async () => {
      const week = await admin.get('/admin/reports?days=7');
      expect(cells(week.body, 'table-methods', 'data-method="email"')).toEqual(['1', '0']);
      expect(cells(week.body, 'table-methods', 'data-method="totp"')).toEqual(['1', '0']);
      expect(cells(week.body, 'table-methods', 'data-method="questions"')).toEqual(['1', '0']);
      expect(cells(week.body, 'table-methods', 'data-method="mobile"')).toEqual(['0', '0']);
      expect(cells(week.body, 'table-methods', 'data-method="hardware_token"')).toEqual(['1', '0']);
      expect(table(week.body, 'table-methods')).toContain('<th scope="row">hardware_token</th>');
      const month = await admin.get('/admin/reports?days=30');
      expect(cells(month.body, 'table-methods', 'data-method="email"')).toEqual(['2', '1']);
    });

    it('lists the most frequent failure reasons in plain words, unknown codes as they are', async () => {
      const week = await admin.get('/admin/reports?days=7');
      const reasons = [...table(week.body, 'table-reasons').matchAll(/<tr data-reason="([^"]+)">/g)].map((m) => m[1]);
      expect(reasons).toEqual(['blocked', 'current_password_wrong', 'brand_new_reason', 'onprem_unavailable', 'unspecified']);
      expect(cells(week.body, 'table-reasons', 'data-reason="blocked"')).toEqual(['Account unlock, Password reset', '2']);
      expect(cells(week.body, 'table-reasons', 'data-reason="current_password_wrong"')).toEqual(['Password change', '2']);
      expect(cells(week.body, 'table-reasons', 'data-reason="unspecified"')).toEqual(['Method check', '1']);
      expect(week.body).toContain('<th scope="row">The current password was wrong</th>');
      expect(week.body).toContain('<th scope="row">brand_new_reason</th>');
      const month = await admin.get('/admin/reports?days=30');
      expect(cells(month.body, 'table-reasons', 'data-reason="policy"')).toEqual(['Password reset', '1']);
    });

    it('offers the activity table as CSV with the same numbers', async () => {
      const week = await admin.get('/admin/reports?days=7');
      expect(week.body).toContain('href="/admin/reports/activity.csv?days=7"');
      const res = await admin.request('/admin/reports/activity.csv?days=7');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/csv');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="activity-${day(today - 6 * DAY)}-to-${day(today)}.csv"`);
      const lines = (await res.text()).split('\r\n');
      expect(lines.at(-1)).toBe('');
      expect(lines[0]).toBe('date,reset_success,reset_failure,reset_blocked,unlock_success,unlock_failure,unlock_blocked,change_success,change_failure,change_blocked');
      expect(lines.slice(1, -1)).toHaveLength(7);
      expect(lines[1]).toBe(`${day(today - 6 * DAY)},0,0,0,0,0,1,0,0,0`);
      expect(lines).toContain(`${day(today - DAY)},1,0,1,0,1,0,0,2,0`);
      expect(lines[7]).toBe(`${day(today)},2,1,0,0,0,0,1,0,0`);
      // No cell a spreadsheet would run as a formula.
      expect(lines.flatMap((l) => l.split(',')).some((cell) => /^[=+\-@]/.test(cell))).toBe(false);
      const fallback = await admin.request('/admin/reports/activity.csv?days=1e9');
      expect((await fallback.text()).trim().split('\r\n')).toHaveLength(31);
    });

    it('draws every chart as an SVG image with a title and a description, and no inline style or script', async () => {
      const r = await admin.get('/admin/reports?days=30');
      const svgs = [...r.body.matchAll(/<svg [^>]*>/g)].map((m) => m[0]);
      expect(svgs).toHaveLength(5);
      for (const id of ['chart-coverage', 'chart-reset', 'chart-unlock', 'chart-change', 'chart-methods']) {
        const open = svgs.find((s) => s.includes(`id="${id}"`));
        expect(open, id).toBeDefined();
        expect(open).toContain('role="img"');
        expect(open).toContain(`aria-labelledby="${id}-title ${id}-desc"`);
        expect(r.body).toMatch(new RegExp(`<svg [^>]*id="${id}"[^>]*><title id="${id}-title">[^<]+</title><desc id="${id}-desc">[^<]+</desc>`));
      }
      expect(r.body).toContain('<title id="chart-reset-title">Password resets per day</title>');
      expect(r.body).toContain('<title>Reports · OpenSSPR</title>');
      // Series are named in the legend, not told apart by colour alone.
      expect(r.body).toMatch(/<text [^>]*>Success<\/text>[\s\S]*<text [^>]*>Failure<\/text>[\s\S]*<text [^>]*>Blocked<\/text>/);
      expect(r.body).not.toMatch(/\sstyle=/);
      // No script draws or runs the charts (the page frame's own scripts only tell the browser's time zone and label table cells on a phone).
      expect(r.body.replace(/<script src="\/assets\/(locale|tables)\.js"[^>]*><\/script>/g, '')).not.toContain('<script');
      expect(r.body).not.toMatch(/\son[a-z]+=/);
    });

    it('falls back to 30 days for a missing or unknown period, without an error page', async () => {
      for (const q of ['', '?days=365', '?days=abc', '?days=-7', '?days[]=7']) {
        const r = await admin.get(`/admin/reports${q}`);
        expect(r.status, q).toBe(200);
        expect(r.body, q).toMatch(/<option value="30" selected="">Last 30 days<\/option>/);
        expect(table(r.body, 'table-activity').match(/<tr data-day="\d{4}/g), q).toHaveLength(30);
      }
      expect(periodQuerySchema.parse({ days: '90' }).days).toBe(90);
      expect(periodQuerySchema.parse({}).days).toBe(30);
    });

    it('reads the log in pages without losing or repeating events that share a timestamp', async () => {
      const period = periodEnding(tp.clock.now(), 90);
      const whole = await activityReport(tp.store, period);
      for (const pageSize of [1, 2, 3, 5]) expect(await activityReport(tp.store, period, { pageSize }), `page size ${pageSize}`).toEqual(whole);
    });

    it('reads the same numbers straight from the store', async () => {
      const report = await activityReport(tp.store, periodEnding(tp.clock.now(), 90));
      expect(report.days).toHaveLength(90);
      expect(report.totals).toEqual({
        reset: { success: 5, failure: 2, blocked: 1 },
        unlock: { success: 1, failure: 1, blocked: 1 },
        change: { success: 1, failure: 2, blocked: 0 },
      });
      expect(report.failureReasons.map((f) => [f.reason, f.count])).toEqual([
        ['blocked', 2],
        ['current_password_wrong', 2],
        ['brand_new_reason', 1],
        ['onprem_unavailable', 1],
        ['policy', 1],
        ['unspecified', 1],
      ]);
    });
  });
});

describe('report periods and scales', () => {
  it('a period is whole UTC days ending with today', () => {
    const now = Date.UTC(2026, 2, 15, 13, 30);
    const p = periodEnding(now, 7);
    expect(new Date(p.from).toISOString()).toBe('2026-03-09T00:00:00.000Z');
    expect(new Date(p.to).toISOString()).toBe('2026-03-16T00:00:00.000Z');
  });

  it('value axes step in round numbers', () => {
    expect([0, 0.5, 1, 1.5, 3, 7, 12, 40, 260].map(niceStep)).toEqual([1, 1, 1, 2, 5, 10, 20, 50, 500]);
  });
});
