import { translator } from '../i18n/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';

const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;

/** Removes what legitimately differs between two renderings (CSRF token, the typed username). */
function normalise(body: string, username: string): string {
  return body.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""').replaceAll(username, 'USERNAME');
}

describe('sign-in', () => {
  let tp: TestPortal;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
    await makeUser(tp.portal, { username: 'alice', password: PASSWORD, displayName: 'Alice' });
  });
  afterEach(() => tp.cleanup());

  it('signs in with the right password and reaches the account page', async () => {
    const client = new TestClient(tp.app);
    const r = await client.signIn('alice', PASSWORD);
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/account');
    const page = await client.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Signed in as Alice (alice)');
  });

  it('accepts the username in another case and Unicode form', async () => {
    const client = new TestClient(tp.app);
    expect((await client.signIn('ALICE', PASSWORD)).status).toBe(303);
  });

  it('does not reveal whether the user exists (same status, body and cookies for unknown user and wrong password)', async () => {
    const a = new TestClient(tp.app);
    const b = new TestClient(tp.app);
    const wrong = await a.signIn('alice', 'not the password');
    const unknown = await b.signIn('mallory', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(wrong.status);
    expect(normalise(unknown.body, 'mallory')).toBe(normalise(wrong.body, 'alice'));
    expect([...a.cookies.keys()].sort()).toEqual([...b.cookies.keys()].sort());
    expect(wrong.body).toContain('The username or password is not correct.');
  });

  it('does not reveal whether the user exists through lockout: unknown and real accounts lock alike', async () => {
    const a = new TestClient(tp.app);
    const b = new TestClient(tp.app);
    let ra, rb;
    for (let i = 0; i < 10; i++) {
      ra = await a.signIn('alice', `wrong ${i}`);
      rb = await b.signIn('nobody-here', `wrong ${i}`);
    }
    expect(ra!.status).toBe(429);
    expect(rb!.status).toBe(429);
    expect(ra!.res.headers.get('retry-after')).toBe('60');
    expect(rb!.res.headers.get('retry-after')).toBe('60');
    expect(normalise(rb!.body, 'nobody-here')).toBe(normalise(ra!.body, 'alice'));
    expect(ra!.body).toContain('Too many sign-in attempts. Wait 1 minute');
  });

  it('locks after 10 failures and refuses even the right password until the lock lifts', async () => {
    const c = new TestClient(tp.app);
    for (let i = 0; i < 10; i++) await c.signIn('alice', `wrong ${i}`);
    expect((await c.signIn('alice', PASSWORD)).status).toBe(429);
    tp.clock.advance!(61_000);
    expect((await c.signIn('alice', PASSWORD)).status).toBe(303);
  });

  it('makes each further lockout longer (1 minute, then 2, then 4)', async () => {
    const c = new TestClient(tp.app);
    for (let i = 0; i < 10; i++) await c.signIn('alice', `wrong ${i}`);
    tp.clock.advance!(61_000);
    let r = await c.signIn('alice', 'wrong again');
    expect(r.status).toBe(429);
    expect(r.res.headers.get('retry-after')).toBe('120');
    tp.clock.advance!(121_000);
    r = await c.signIn('alice', 'and again');
    expect(r.res.headers.get('retry-after')).toBe('240');
  });

  it('a successful sign-in clears the failure count', async () => {
    const c = new TestClient(tp.app);
    for (let i = 0; i < 9; i++) await c.signIn('alice', `wrong ${i}`);
    expect((await c.signIn('alice', PASSWORD)).status).toBe(303);
    const d = new TestClient(tp.app);
    expect((await d.signIn('alice', 'wrong once more')).status).toBe(401);
  });

  it('tells a disabled user so only after the right password', async () => {
    const bob = await makeUser(tp.portal, { username: 'bob', password: PASSWORD });
    await tp.portal.users.setEnabled(bob.id, false);
    const c = new TestClient(tp.app);
    const right = await c.signIn('bob', PASSWORD);
    expect(right.status).toBe(403);
    expect(right.body).toContain('Your account is disabled');
    const wrong = await c.signIn('bob', 'wrong password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('disabled');
  });

  it('rotates the session id at sign-in and invalidates the previous one', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', PASSWORD);
    const first = c.cookies.get('sspr_session')!;
    const browserBefore = c.cookies.get('sspr_browser');
    await c.get('/account'); // a page of the signed-in browser, for its CSRF token
    expect((await c.post('/sign-in', { username: 'alice', password: PASSWORD })).status).toBe(303);
    const second = c.cookies.get('sspr_session')!;
    expect(second).not.toBe(first);
    expect(c.cookies.get('sspr_browser')).not.toBe(browserBefore);
    const replay = new TestClient(tp.app);
    replay.cookies.set('sspr_session', first);
    expect((await replay.get('/account')).status).toBe(303);
  });

  it('ends the session at sign-out and a replayed cookie no longer works', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', PASSWORD);
    const token = c.cookies.get('sspr_session')!;
    await c.get('/account');
    const out = await c.post('/sign-out', {});
    expect(out.status).toBe(303);
    expect(out.res.headers.get('location')).toBe('/sign-in?m=signedOut');
    expect(c.cookies.has('sspr_session')).toBe(false);
    const replay = new TestClient(tp.app);
    replay.cookies.set('sspr_session', token);
    const r = await replay.get('/account');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toContain('/sign-in?');
  });

  it('signs out everywhere: sessions in other browsers end too', async () => {
    const laptop = new TestClient(tp.app);
    const phone = new TestClient(tp.app);
    await laptop.signIn('alice', PASSWORD);
    await phone.signIn('alice', PASSWORD);
    const page = await laptop.get('/account');
    expect(page.body).toContain('signed in on 2 device');
    expect((await laptop.post('/account/sign-out-everywhere', {})).status).toBe(303);
    expect((await phone.get('/account')).status).toBe(303);
    expect((await laptop.get('/account')).status).toBe(303);
  });

  it('ends an idle session after 30 minutes and says so', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', PASSWORD);
    tp.clock.advance!(29 * MINUTE);
    expect((await c.get('/account')).status).toBe(200);
    tp.clock.advance!(30 * MINUTE + 1000);
    const r = await c.get('/account');
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?next=%2Faccount&m=sessionExpired');
  });

  it('ends an active session at its absolute lifetime of 12 hours', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', PASSWORD);
    for (let i = 0; i < 35; i++) {
      tp.clock.advance!(20 * MINUTE);
      expect((await c.get('/account')).status).toBe(200);
    }
    tp.clock.advance!(20 * MINUTE);
    expect((await c.get('/account')).status).toBe(303);
  });

  it('never redirects to another site after sign-in (open redirect)', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const c = new TestClient(tp.app);
      await c.get('/sign-in');
      const r = await c.post('/sign-in', { username: 'alice', password: PASSWORD, next });
      expect(r.res.headers.get('location')).toBe('/account');
    }
    const c = new TestClient(tp.app);
    await c.get('/sign-in');
    const r = await c.post('/sign-in', { username: 'alice', password: PASSWORD, next: '/account?x=1' });
    expect(r.res.headers.get('location')).toBe('/account?x=1');
  });

  it('refuses empty, repeated and oversized fields with a clear message and counts no failure', async () => {
    const c = new TestClient(tp.app);
    await c.get('/sign-in');
    const empty = await c.post('/sign-in', { username: '', password: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter a username.');
    expect(empty.body).toContain('Enter a password.');
    const repeated = await c.post('/sign-in', { username: ['alice', 'bob'], password: 'x' });
    expect(repeated.status).toBe(400);
    const long = await c.post('/sign-in', { username: 'a'.repeat(300), password: 'x' });
    expect(long.status).toBe(400);
    expect(long.body).toContain('A username is at most 256 characters.');
    const counter = await tp.portal.throttle.get('signin:user:alice');
    expect(counter.failures).toBe(0);
  });

  it('refuses a request body over 64 KiB before reading it', async () => {
    const c = new TestClient(tp.app);
    await c.get('/sign-in');
    const r = await c.post('/sign-in', { username: 'alice', password: 'x'.repeat(70_000) });
    expect(r.status).toBe(413);
    expect(r.body).toBe(translator('en')('error.tooLarge'));
    // In the browser's language, as every page (the refusal comes before the page's middleware, so it chooses the same way).
    const german = await c.post('/sign-in', { username: 'alice', password: 'x'.repeat(70_000) }, { 'accept-language': 'de-DE' });
    expect(german.status).toBe(413);
    expect(german.body).toBe(translator('de')('error.tooLarge'));
    expect(german.res.headers.get('content-language')).toBe('de');
  });

  it('refuses a body that is not a form', async () => {
    const c = new TestClient(tp.app);
    await c.get('/sign-in');
    const res = await c.request('/sign-in', { method: 'POST', body: JSON.stringify({ username: 'alice' }), headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf } });
    expect(res.status).toBe(415);
  });

  it('never writes the password or the session cookie to the logs or the database', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', PASSWORD);
    await c.signIn('alice', 'a wrong secret value');
    await c.get('/account');
    const token = c.cookies.get('sspr_session')!;
    const logs = tp.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, 'a wrong secret value', token]) expect(logs).not.toContain(secret);
    const tables = ['users', 'sessions', 'flows', 'throttle', 'audit_events'];
    for (const table of tables) {
      const rows = await sql`select * from ${sql.table(table)}`.execute(tp.store.db);
      const dump = JSON.stringify(rows.rows);
      for (const secret of [PASSWORD, 'a wrong secret value', token]) expect(dump).not.toContain(secret);
    }
  });

  it('records sign-in outcomes in the audit log and the metrics', async () => {
    const c = new TestClient(tp.app);
    await c.signIn('alice', 'wrong');
    await c.signIn('alice', PASSWORD);
    const events = await tp.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'sign_in').orderBy('id').execute();
    expect(events.map((e) => e.outcome)).toEqual(['failure', 'success']);
    expect(JSON.parse(events[0]!.details)).toEqual({ reason: 'wrong_password' });
    const metrics = await tp.portal.metrics.registry.metrics();
    expect(metrics).toContain('sspr_sign_ins_total{outcome="invalid"} 1');
    expect(metrics).toContain('sspr_sign_ins_total{outcome="signed_in"} 1');
  });
});
