import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, makeUser } from '../helpers/http-client.js';
import { createTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { flowOf, registered, solveCaptcha } from '../helpers/reset-flow.js';
import { dumpStore as dump } from '../helpers/store-dump.js';
import { formsOf, type Form } from '../helpers/forms.js';

const PW = 'Sturdy-Orchard-Gate-47';
const actor = { id: null, name: 'test' };

describe('every form field', () => {
  let t: TestPortal | undefined;
  afterEach(async () => {
    await t?.portal.resets.settled();
    await t?.cleanup();
    t = undefined;
  });

  it('every single-valued field of every form the pages show is refused when sent twice or oversized, with 400 (or 413 past the body limit) and a plain message, and nothing in the store changes', async () => {
    t = await createTestPortal({ config: { reset: { captchaMaxNumber: 200, startsPerIpPerHour: 100_000 }, methods: { available: ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions'] } } });
    const tp = t;
    await makeUser(tp.portal, { username: 'root.admin', password: PW, roles: ['administrator'] });
    const { user, email } = await registered(tp.portal, 'victim');
    const group = await tp.portal.directory.createGroup(actor, { name: 'Staff' });
    if (!group.ok) throw new Error('group');
    const admin = new TestClient(tp.app);
    expect((await admin.signIn('root.admin', PW)).status).toBe(303);
    const fill = (path: string) => path.replace(/^\/admin\/users\/:id/, `/admin/users/${user.id}`).replace(/^\/admin\/groups\/:id/, `/admin/groups/${group.value.id}`);
    const seen = new Set<string>();
    const forms: Array<Form & { client: TestClient; extra?: () => Promise<Record<string, string>> }> = [];
    const collect = (client: TestClient, path: string, html: string) => {
      for (const f of formsOf(path, html)) {
        const key = `${f.action} ${f.fields.map((x) => x.name).join(',')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        forms.push({ ...f, client, ...(/^\/(reset|unlock)$/.test(f.action) ? { extra: async () => ({ captcha: await solveCaptcha(client) }) } : {}) });
      }
    };
    // Every page of the console and the account, as an administrator.
    const gets = [...new Set(tp.app.routes.filter((r) => r.method === 'GET').map((r) => fill(r.path)))].filter((p) => !/:\w+|\*/.test(p) && !p.startsWith('/api/') && !p.startsWith('/assets/') && !p.endsWith('.csv'));
    for (const path of gets) collect(admin, path, (await admin.get(path)).body);
    // A signed-out visitor's sign-in and the pages of a reset flow (the setup link's form has its own test: it needs an installation without administrators).
    const visitor = new TestClient(tp.app);
    collect(visitor, '/sign-in', (await visitor.get('/sign-in')).body);
    await visitor.get('/reset');
    const flow = flowOf(await visitor.post('/reset', { username: 'victim', captcha: await solveCaptcha(visitor) }));
    collect(visitor, '/reset/verify (methods)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
    // One way per page: the list, then the address to send the code to, then the code.
    await visitor.post('/reset/verify/pick', { flow, choice: 'email' });
    collect(visitor, '/reset/verify (address)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
    await visitor.post('/reset/verify/choose', { flow, choice: 'email', contact: email });
    await tp.portal.resets.settled();
    collect(visitor, '/reset/verify (code)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
    for (const action of ['/sign-in', '/reset', '/reset/verify/pick', '/reset/verify/choose', '/reset/verify/code', '/reset/verify/resend', '/admin/users', '/admin/policy/methods', '/account/change-password']) {
      expect(forms.map((f) => f.action), action).toContain(action);
    }

    const problems: string[] = [];
    let tried = 0;
    for (const form of forms) {
      const base: Array<[string, string]> = form.fields.filter((f) => f.sent && f.name !== '_csrf').map((f) => [f.name, f.value]);
      for (const field of form.fields) {
        if (field.multi || !field.sent || field.name === '_csrf') continue;
        const size = field.kind === 'textarea' ? 20_000 : Math.max(5_000, (field.maxlength ?? 0) + 1);
        const attacks: Record<string, Array<[string, string]>> = {
          'sent twice': [...base, [field.name, field.value || 'x']],
          oversized: base.map(([n, v]) => [n, n === field.name ? 'x'.repeat(size) : v]),
        };
        for (const [how, pairs] of Object.entries(attacks)) {
          const fields: Record<string, string[]> = { ...(form.extra ? Object.fromEntries(Object.entries(await form.extra()).map(([k, v]) => [k, [v]])) : {}) };
          for (const [n, v] of pairs) (fields[n] ??= []).push(v);
          // The page again first: its CSRF token for this client.
          await form.client.get(form.page.replace(/ \(.*\)$/, '') === '/reset/verify' ? `/reset/verify?flow=${flow}` : form.page);
          const before = await dump(tp.store);
          const r = await form.client.post(form.action, fields);
          tried++;
          const after = await dump(tp.store);
          const location = r.res.headers.get('location') ?? '';
          const refused =
            r.status === 400 ||
            r.status === 413 ||
            // A chosen group that names none is "not found".
            (r.status === 404 && field.name === 'groupId') ||
            // A flow id that is not one goes back to the start with a message, as an expired flow does.
            (field.name === 'flow' && r.status === 303 && /^\/(reset|unlock)\?m=/.test(location));
          // What the user reads: words, never an internal message key or an internal error.
          const text = r.body.replace(/<[^>]*>/g, ' ');
          const plain = r.status === 303 || (text.trim().length > 0 && !/\b(v|methods|change|sync|signIn|reset|users|groups|apiTokens|error)\.[a-z][A-Za-z]*(\.[A-Za-z]+)*\b/.test(text) && !/Internal error/i.test(text));
          if (!plain) problems.push(`${form.action} ${field.name} ${how}: no plain words: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
          if (!refused || after !== before) problems.push(`${form.action} ${field.name} ${how}: ${r.status}${after !== before ? ', the store changed' : ''}`);
        }
      }
    }
    expect(tried).toBeGreaterThan(60);
    expect(problems).toEqual([]);
  });
});
