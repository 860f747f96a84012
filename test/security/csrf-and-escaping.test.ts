import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../helpers/http-client.js';
import { createTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { registered, solveCaptcha } from '../helpers/reset-flow.js';
import { dumpStore as dump } from '../helpers/store-dump.js';

const PW = 'Sturdy-Orchard-Gate-47';
const actor = { id: null, name: 'test' };
/** Markup a user could put in a name; if it ever reaches a page unescaped, the browser runs it. */
const MARKUP = '<img src=x onerror=alert(1)>';
const RAW = /<img src=x onerror|<script>alert/i;

/** The routes Hono knows, once each. */
function routesOf(t: TestPortal): Array<{ method: string; path: string }> {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of t.app.routes) if (r.method !== 'ALL') seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  return [...seen.values()];
}

/** The JSON API (bearer tokens) and the agent's endpoint (its one-time token) take no cookies, so there is nothing to forge: they sit before the CSRF middleware. */
const noAmbientAuthority = (path: string) => path.startsWith('/api/v1/') || path === '/api/v1' || path.startsWith('/agent/');


describe('every state-changing request and every page', () => {
  let t: TestPortal | undefined;
  afterEach(async () => {
    await t?.portal.resets.settled();
    await t?.cleanup();
    t = undefined;
  });

  it('every state-changing route of the app refuses a request without this browser’s CSRF token, with another browser’s, or from another origin, with 403 and nothing changed', async () => {
    t = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 } } });
    const tp = t;
    const admin = await makeUser(tp.portal, { username: 'root.admin', password: PW, roles: ['administrator'] });
    const { user } = await registered(tp.portal, 'victim');
    const group = await tp.portal.directory.createGroup(actor, { name: 'Staff' });
    if (!group.ok) throw new Error('group');
    const method = (await tp.portal.methods.list(user.id))[0]!;
    const c = new TestClient(tp.app);
    expect((await c.signIn('root.admin', PW)).status).toBe(303);
    await c.get('/account');
    const other = new TestClient(tp.app);
    await other.get('/sign-in');
    const ids: Record<string, string> = { id: admin.id, kind: 'email', username: 'victim' };
    const fill = (path: string) =>
      path
        .replace(/^\/admin\/users\/:(?:id|key)/, `/admin/users/${user.id}`)
        .replace(/^\/admin\/groups\/:id/, `/admin/groups/${group.value.id}`)
        .replace(/^\/account\/security-info\/(remove|default|resend|confirm|test)\/:id/, `/account/security-info/$1/${method.id}`)
        .replace(/:(\w+)/g, (_m, name: string) => ids[name] ?? 'x');
    // A form that would do harm on most routes if it got through.
    const fields = { username: 'victim', password: 'Evil-Chosen-Pass-99', confirm: 'Evil-Chosen-Pass-99', enabled: '0', roles: 'administrator', name: 'Evil', member: 'victim', group: group.value.id, flow: 'x', code: '12345678', token: 'x'.repeat(43), email: 'evil@evil.test' };

    const routes = routesOf(tp).filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
    const swept = routes.filter((r) => !noAmbientAuthority(r.path));
    // The sweep covers the whole app: sign-in, reset and unlock, security info, the console.
    expect(swept.length).toBeGreaterThan(60);
    for (const p of ['/sign-in', '/reset', '/unlock', '/reset/password', '/setup', '/account/change-password', '/admin/users/:key/password', '/admin/users/:key/roles', '/admin/policy/methods', '/admin/api-tokens', '/admin/agents/register']) {
      expect(swept.map((r) => r.path)).toContain(p);
    }
    const before = await dump(tp.store);
    const refusals: string[] = [];
    for (const r of swept) {
      const path = fill(r.path);
      const attempts = {
        'no token': await c.post(path, { _csrf: '', ...fields }),
        'another browser’s token': await c.post(path, { _csrf: other.csrf, ...fields }),
        'another origin': await c.post(path, fields, { origin: 'https://evil.example' }),
        'a JSON body without the header': await c
          .request(path, { method: r.method, body: JSON.stringify(fields), headers: { 'content-type': 'application/json', origin: c.origin } })
          .then(async (res) => ({ status: res.status, body: await res.text(), res })),
      };
      for (const [how, res] of Object.entries(attempts)) {
        if (res.status !== 403 || !res.body.includes('Your form expired')) refusals.push(`${r.method} ${path} (${how}): ${res.status}`);
      }
    }
    expect(refusals).toEqual([]);
    expect(await dump(tp.store)).toBe(before);
    // The same browser with its token still works: the refusals were the CSRF check's.
    await c.get(`/admin/users/${user.id}`);
    expect((await c.post(`/admin/users/${user.id}/enabled`, { enabled: '0' })).status).toBe(303);
    expect((await tp.portal.users.byId(user.id))?.enabled).toBe(false);

    // The routes outside the check do not take the browser's session as authority.
    expect((await c.request('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'api.made' }), headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const register = await c.request('/agent/register', { method: 'POST', body: JSON.stringify({}), headers: { 'content-type': 'application/json' } });
    expect(register.status).toBeGreaterThanOrEqual(400);
    expect(register.status).toBeLessThan(500);
    expect(await tp.portal.users.byUsername('api.made')).toBeNull();
    expect(await tp.store.db.selectFrom('agents').select('id').execute()).toEqual([]);
  });

  it('text a user supplied (a display name, a group name, a typed username, a token name, a custom question) is shown escaped on every page that shows it, never as markup', async () => {
    t = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 }, methods: { available: ['email', 'questions'] } } });
    const tp = t;
    const admin = await makeUser(tp.portal, { username: 'root.admin', password: PW, roles: ['administrator'] });
    const marked = await makeUser(tp.portal, { username: 'marked', password: PW, displayName: MARKUP, email: 'marked@corp.test' });
    const group = await tp.portal.directory.createGroup(actor, { name: `Staff ${MARKUP}` });
    if (!group.ok) throw new Error(`group: ${JSON.stringify(group)}`);
    await tp.portal.directory.addMember(actor, group.value.id, { type: 'user', name: 'marked' });
    const c = new TestClient(tp.app);
    expect((await c.signIn('root.admin', PW)).status).toBe(303);
    // Through the console's own forms: a custom question and an API token name.
    await c.get('/admin/policy/methods');
    const policy = await c.post('/admin/policy/methods', { expectedVersion: '0', methodsRequired: '1', methodsAvailable: ['email', 'questions'], 'questions-toRegister': '3', 'questions-toAnswer': '3', 'questions-custom': 'Which <script>alert(1)</script> street?' });
    expect(policy.status, policy.body.slice(0, 200)).toBe(303);
    await c.get('/admin/api-tokens');
    await c.post('/admin/api-tokens', { name: `ci ${MARKUP}`, scope: 'read' });
    // The admin acted on the marked user, so the audit log names them.
    await c.get(`/admin/users/${marked.id}`);
    expect((await c.post(`/admin/users/${marked.id}/enabled`, { enabled: '0' })).status).toBe(303);
    expect((await c.post(`/admin/users/${marked.id}/enabled`, { enabled: '1' })).status).toBe(303);

    const version = (await tp.portal.policy.current()).version;
    const fill = (path: string) =>
      path
        .replace(/^\/admin\/users\/:(?:id|key)/, `/admin/users/${marked.id}`)
        .replace(/^\/admin\/groups\/:id/, `/admin/groups/${group.value.id}`)
        .replace('/admin/policy/history/:version', `/admin/policy/history/${version}`);
    const pages = routesOf(tp).filter((r) => r.method === 'GET' && !/:\w+/.test(fill(r.path)) && !noAmbientAuthority(r.path) && !r.path.startsWith('/assets/'));
    const bodies = new Map<string, string>();
    const others: string[] = [];
    for (const r of pages) {
      const path = fill(r.path);
      const page = await c.get(path);
      const search = await c.get(`${path}?q=${encodeURIComponent(MARKUP)}&m=${encodeURIComponent(MARKUP)}&next=${encodeURIComponent(MARKUP)}`);
      for (const [where, r] of [[`admin ${path}`, page], [`admin ${path}?q=…`, search]] as const) {
        const type = r.res.headers.get('content-type') ?? '';
        // A redirect has no page; where it goes is a local path.
        if (r.status >= 300 && r.status < 400) expect(r.res.headers.get('location'), where).toMatch(/^\/(?!\/)/);
        else if (type.startsWith('text/html')) bodies.set(where, r.body);
        else {
          // A download or a JSON answer (CSV exports, metrics, the CAPTCHA), the brand's theme or an image: never rendered as a page.
          expect(type, where).toMatch(/^(text\/csv|text\/plain|text\/css|image\/(png|jpeg|webp|svg\+xml)$|application\/json|application\/openmetrics-text)/);
          // An image that could hold markup (an SVG: the favicon, a logo) carries its own CSP that runs no script.
          if (type.startsWith('image/svg+xml')) expect(r.res.headers.get('content-security-policy'), where).toMatch(/default-src 'none'.*sandbox/);
          expect(r.res.headers.get('x-content-type-options'), where).toBe('nosniff');
          others.push(where);
        }
      }
    }
    // The marked user's own pages, where their name is shown as theirs.
    const own = new TestClient(tp.app);
    expect((await own.signIn('marked', PW)).status).toBe(303);
    for (const path of ['/account', '/account/security-info', '/account/change-password', '/account/security-info/add/email', '/account/security-info/add/questions']) bodies.set(`marked ${path}`, (await own.get(path)).body);
    // A stranger typing markup as the name to reset.
    const stranger = new TestClient(tp.app);
    for (const intent of ['reset', 'unlock']) {
      await stranger.get(`/${intent}`);
      const start = await stranger.post(`/${intent}`, { username: MARKUP.slice(0, 60), captcha: await solveCaptcha(stranger) });
      const location = start.res.headers.get('location') ?? `/${intent}`;
      bodies.set(`stranger ${intent} start`, start.body);
      bodies.set(`stranger ${location}`, (await stranger.get(location)).body);
    }

    const unescaped = [...bodies].filter(([, body]) => RAW.test(body)).map(([where]) => where);
    expect(unescaped).toEqual([]);
    // The pages did show the text, escaped, where it belongs (so the sweep looked at real output).
    const escapedOn = (needle: string) => [...bodies].filter(([, body]) => body.includes(needle)).map(([where]) => where);
    const shown = escapedOn('&lt;img src=x onerror=alert(1)&gt;');
    expect(shown).toEqual(expect.arrayContaining(['admin /admin/users', `admin /admin/users/${marked.id}`, 'admin /admin/groups', `admin /admin/groups/${group.value.id}`, 'admin /admin/api-tokens', 'admin /admin/audit', 'marked /account']));
    expect(shown.some((w) => w.startsWith('stranger /reset/verify'))).toBe(true);
    expect(escapedOn('&lt;script&gt;alert(1)&lt;/script&gt;')).toEqual(expect.arrayContaining(['admin /admin/policy/methods', 'marked /account/security-info/add/questions']));
    expect(others).toEqual(expect.arrayContaining(['admin /admin/audit.csv']));
    expect(bodies.size).toBeGreaterThan(50);
    expect(admin.id).toBeTruthy();
  });
});
