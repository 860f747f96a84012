import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';
import { csvCell, pruneAudit, queryAudit, auditFilterSchema } from './audit-query.js';

const PW = 'correct horse battery';

describe('audit console', () => {
  let tp: TestPortal;
  let admin: TestClient;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    await makeUser(tp.portal, { username: 'root', password: PW, roles: ['administrator'] });
    await makeUser(tp.portal, { username: 'alice', password: PW });
    admin = new TestClient(tp.app);
    await admin.signIn('root', PW);
    await new TestClient(tp.app).signIn('alice', 'wrong password');
    await new TestClient(tp.app).signIn('=cmd|calc', 'x');
  });
  afterEach(() => tp.cleanup());

  it('lists events newest first and filters by event, outcome and user', async () => {
    const all = await admin.get('/admin/audit');
    expect(all.status).toBe(200);
    // Words on the page, the code in the tooltip.
    expect(all.body).toContain('<span title="user_created">User created</span>');
    const failures = await admin.get('/admin/audit?event=sign_in&outcome=failure&user=alice');
    expect(failures.body).toContain('1 event<');
    expect(failures.body).toContain('Reason: wrong password');
    expect(failures.body).not.toContain('>reason=wrong_password');
    const none = await admin.get('/admin/audit?user=nobody');
    expect(none.body).toContain('No events match.');
  });

  it('names people instead of showing their ids, and leaves empty values out', async () => {
    const alice = (await tp.portal.users.byUsername('alice'))!;
    await tp.portal.audit.record({ event: 'group_member_removed', outcome: 'success', target: { id: null, name: 'staff' }, details: { memberType: 'user', memberId: alice.id } });
    await tp.portal.audit.record({ event: 'password_reset', outcome: 'blocked', target: { id: alice.id, name: 'alice' }, details: { reason: 'blocked', method: '' } });
    await tp.portal.audit.record({ event: 'reset_started', outcome: 'info', target: { id: null, name: 'bob' }, details: { intent: 'reset', eligible: false, why: 'not_in_scope_or_not_registered' } });
    await tp.portal.audit.record({ event: 'policy_changed', outcome: 'success', details: { version: 2, changed: 'methodsRequired,groups' } });
    const page = await admin.get('/admin/audit');
    const text = page.body.replace(/<[^>]*>/g, ' ');
    expect(text).toContain('Changed: Number of methods required to reset; Groups that may reset');
    expect(text).toContain('Member: alice');
    expect(text).not.toContain(alice.id);
    expect(page.body).toContain(`title="memberId=${alice.id}"`);
    expect(text).toContain('Reason: blocked');
    expect(text).not.toContain('Method:');
    expect(text).toContain('Why: not in the policy scope, or not enough methods registered');
    expect(text).toContain('Can reset: no');
    // The CSV keeps the raw codes.
    const csv = await (await admin.request('/admin/audit.csv')).text();
    expect(csv).toContain(alice.id);
    expect(csv).toContain('not_in_scope_or_not_registered');
  });

  it('ignores malformed filters instead of failing', async () => {
    const r = await admin.get('/admin/audit?event=%27%3Bdrop&outcome=x&from=yesterday&page=-4');
    expect(r.status).toBe(200);
    expect(auditFilterSchema.parse({ event: "';drop", page: '-4' })).toEqual({ page: 1 });
  });

  it('filters by date range', async () => {
    const today = new Date(tp.clock.now()).toISOString().slice(0, 10);
    const tomorrow = new Date(tp.clock.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await queryAudit(tp.store, auditFilterSchema.parse({ from: today, to: today }))).total).toBeGreaterThan(0);
    expect((await queryAudit(tp.store, auditFilterSchema.parse({ from: tomorrow }))).total).toBe(0);
  });

  it('exports the selection as CSV, with formula injection neutralised', async () => {
    const res = await admin.request('/admin/audit.csv?event=sign_in');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"/);
    const csv = await res.text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('time,event,outcome,actor,target,ip,user_agent,details');
    expect(lines.length).toBe(4);
    expect(csv).toContain("'=cmd|calc");
    expect(csv).not.toMatch(/,=cmd/);
  });

  it('is for administrators only', async () => {
    const alice = new TestClient(tp.app);
    await alice.signIn('alice', PW);
    expect((await alice.get('/admin/audit')).status).toBe(403);
    expect((await alice.request('/admin/audit.csv')).status).toBe(403);
  });

  it('quotes CSV cells that need it', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(null)).toBe('');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });
});

describe.each(dialects)('audit retention on %s', (dialect) => {
  it('deletes only events older than the retention period', async () => {
    const tp = await createTestPortal({ dialect, manualTime: true });
    try {
      await tp.portal.audit.record({ event: 'old', outcome: 'info' });
      tp.clock.advance!(400 * 86_400_000);
      await tp.portal.audit.record({ event: 'new', outcome: 'info' });
      expect(await pruneAudit(tp.store, tp.clock.now(), 365)).toBe(1);
      const left = await tp.store.db.selectFrom('audit_events').select('event').execute();
      expect(left.map((e) => e.event)).toEqual(['new']);
    } finally {
      await tp.cleanup();
    }
  });
});
