import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient } from '../../test/helpers/http-client.js';

const form = { username: 'admin', displayName: 'First Admin', email: 'admin@example.com', password: 'a long quiet harbour password', confirm: 'a long quiet harbour password' };

describe('first-run administrator setup', () => {
  let tp: TestPortal;
  beforeEach(async () => {
    tp = await createTestPortal({ manualTime: true });
  });
  afterEach(() => tp.cleanup());

  it('creates the first administrator through the one-time link, who can then sign in to the console', async () => {
    expect(await tp.portal.firstRun.needsSetup()).toBe(true);
    const { token } = await tp.portal.firstRun.issueToken();
    const c = new TestClient(tp.app);
    const page = await c.get(`/setup?token=${token}`);
    expect(page.status).toBe(200);
    const r = await c.post('/setup', { token, ...form });
    expect(r.status).toBe(303);
    expect(r.res.headers.get('location')).toBe('/sign-in?m=setupDone');
    expect(await tp.portal.firstRun.needsSetup()).toBe(false);
    const signIn = await c.signIn('admin', form.password);
    expect(signIn.res.headers.get('location')).toBe('/admin');
    expect((await c.get('/admin')).status).toBe(200);
  });

  it('a setup link works once only', async () => {
    const { token } = await tp.portal.firstRun.issueToken();
    const c = new TestClient(tp.app);
    await c.get(`/setup?token=${token}`);
    expect((await c.post('/setup', { token, ...form })).status).toBe(303);
    const again = await c.post('/setup', { token, ...form, username: 'second' });
    expect(again.status).toBe(410);
    expect(again.body).toContain('not valid any more');
    expect(await tp.portal.users.byUsername('second')).toBeNull();
    expect((await c.get(`/setup?token=${token}`)).status).toBe(410);
  });

  it('a setup link expires', async () => {
    const { token } = await tp.portal.firstRun.issueToken();
    tp.clock.advance!(61 * 60_000);
    const c = new TestClient(tp.app);
    expect((await c.get(`/setup?token=${token}`)).status).toBe(410);
  });

  it('a new start voids the previous setup link', async () => {
    const first = await tp.portal.firstRun.issueToken();
    await tp.portal.firstRun.issueToken();
    expect(await tp.portal.firstRun.isTokenValid(first.token)).toBe(false);
  });

  it('showing the setup page does not use up the link (mail scanners follow GETs)', async () => {
    const { token } = await tp.portal.firstRun.issueToken();
    const c = new TestClient(tp.app);
    await c.get(`/setup?token=${token}`);
    await c.get(`/setup?token=${token}`);
    expect(await tp.portal.firstRun.isTokenValid(token)).toBe(true);
  });

  it('stores only a hash of the setup token', async () => {
    const { token } = await tp.portal.firstRun.issueToken();
    const rows = await tp.store.db.selectFrom('setup_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('bad input gets clear errors, creates nothing and keeps the link usable', async () => {
    const { token } = await tp.portal.firstRun.issueToken();
    const c = new TestClient(tp.app);
    await c.get(`/setup?token=${token}`);
    const mismatch = await c.post('/setup', { token, ...form, confirm: 'something else entirely' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords are not the same.');
    const bad = await c.post('/setup', { token, ...form, username: 'has space', email: 'not-an-email', password: 'short', confirm: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('A username may contain letters, digits');
    expect(bad.body).toContain('Enter a valid email address');
    expect(bad.body).toContain('Use at least 8 characters.');
    expect((await tp.portal.users.list()).total).toBe(0);
    expect((await c.post('/setup', { token, ...form })).status).toBe(303);
  });

  it('the sign-in page tells a fresh install how to get started', async () => {
    const c = new TestClient(tp.app);
    const page = await c.get('/sign-in');
    expect(page.body).toContain('This portal has no administrator yet');
  });
});
