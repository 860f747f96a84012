import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { TestClient, makeUser } from '../../test/helpers/http-client.js';

describe('pages and cookies', () => {
  let tp: TestPortal;
  afterEach(() => tp.cleanup());

  it('sends a strict CSP without inline script, no framing, no referrer, no sniffing, no caching', async () => {
    tp = await createTestPortal();
    const res = await tp.app.request('http://portal.test/sign-in');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('uses __Host- cookies with Secure and sends HSTS when served over HTTPS', async () => {
    tp = await createTestPortal({ config: { publicUrl: 'https://sspr.example.com' } });
    await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery' });
    const c = new TestClient(tp.app, 'https://sspr.example.com');
    const page = await c.get('/sign-in');
    expect(page.res.headers.get('strict-transport-security')).toContain('max-age=');
    const r = await c.post('/sign-in', { username: 'alice', password: 'correct horse battery' });
    const cookies = r.res.headers.getSetCookie();
    const session = cookies.find((x) => x.startsWith('__Host-sspr_session='))!;
    expect(session).toBeDefined();
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).not.toMatch(/Domain=/i);
  });

  it('refuses a form post without the CSRF token, with a wrong one, or from another origin', async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'alice', password: 'correct horse battery' });
    const c = new TestClient(tp.app);
    await c.get('/sign-in');
    const none = await c.post('/sign-in', { _csrf: '', username: 'alice', password: 'correct horse battery' });
    expect(none.status).toBe(403);
    expect(none.body).toContain('Your form expired');
    const wrong = await c.post('/sign-in', { _csrf: 'x'.repeat(43), username: 'alice', password: 'correct horse battery' });
    expect(wrong.status).toBe(403);
    const cross = await c.post('/sign-in', { username: 'alice', password: 'correct horse battery' }, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    // Another browser's token does not work in this browser.
    const other = new TestClient(tp.app);
    await other.get('/sign-in');
    const stolen = await c.post('/sign-in', { _csrf: other.csrf, username: 'alice', password: 'correct horse battery' });
    expect(stolen.status).toBe(403);
    expect(c.cookies.has('sspr_session')).toBe(false);
    const right = await c.post('/sign-in', { username: 'alice', password: 'correct horse battery' });
    expect(right.status).toBe(303);
  });

  it('escapes user-supplied text on every page', async () => {
    tp = await createTestPortal();
    await makeUser(tp.portal, { username: 'root', password: 'correct horse battery', roles: ['administrator'] });
    await makeUser(tp.portal, { username: 'xss', displayName: '<script>alert(1)</script>' });
    const c = new TestClient(tp.app);
    await c.signIn('root', 'correct horse battery');
    const list = await c.get('/admin/users');
    expect(list.body).not.toContain('<script>alert(1)</script>');
    expect(list.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const search = await c.get('/admin/users?q=%22%3E%3Cscript%3E');
    expect(search.body).not.toContain('"><script>');
  });

  it('shows a plain 404 page for unknown addresses', async () => {
    tp = await createTestPortal();
    const r = await tp.app.request('http://portal.test/nothing-here');
    expect(r.status).toBe(404);
    expect(await r.text()).toContain('Page not found');
  });

  it('serves the stylesheet from its own origin (no CDN)', async () => {
    tp = await createTestPortal();
    const page = await (await tp.app.request('http://portal.test/sign-in')).text();
    expect(page).toContain('<link rel="stylesheet" href="/assets/app.css"');
    expect(page).not.toMatch(/https?:\/\/(?!portal\.test)[^"]*\.(css|js)/);
    const css = await tp.app.request('http://portal.test/assets/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it('labels every input and marks the main landmark on the sign-in page', async () => {
    tp = await createTestPortal();
    const body = await (await tp.app.request('http://portal.test/sign-in')).text();
    expect(body).toContain('<main id="main"');
    expect(body).toContain('<html lang="en" dir="ltr">');
    for (const id of ['f-username', 'f-password']) expect(body).toContain(`<label for="${id}">`);
  });
});
