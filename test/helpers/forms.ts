/** The POST forms of a page, read from its HTML as a browser would see them (test/security/every-field.test.ts, form-errors.test.ts). */
import { sectionPages } from '../../src/settings/fields.js';
import { TestClient, makeUser } from './http-client.js';
import { createTestPortal, type TestPortal } from './test-portal.js';
import { flowOf, registered, solveCaptcha } from './reset-flow.js';

export interface Field {
  name: string;
  kind: 'input' | 'select' | 'textarea';
  type: string;
  value: string;
  maxlength: number | null;
  /** Checkboxes, radios and multiple selects legitimately send a name more than once or choose among values. */
  multi: boolean;
  /** Sent by the browser as the page stands (an unchecked box or radio is not). */
  sent: boolean;
}
export interface Form {
  page: string;
  action: string;
  fields: Field[];
}

const attrs = (s: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([a-zA-Z_:][\w:.-]*)(?:="([^"]*)")?/g)) out[m[1]!.toLowerCase()] = (m[2] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  return out;
};

/** The POST forms of a page as the browser would see them (the pages are our own well-formed JSX output). */
export function formsOf(page: string, html: string): Form[] {
  const forms: Form[] = [];
  for (const f of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const a = attrs(f[1]!);
    if ((a['method'] ?? 'get').toLowerCase() !== 'post') continue;
    const body = f[2]!;
    const fields: Field[] = [];
    for (const i of body.matchAll(/<input\b([^>]*)>/g)) {
      const x = attrs(i[1]!);
      if (!x['name']) continue;
      const type = (x['type'] ?? 'text').toLowerCase();
      if ((type === 'checkbox' || type === 'radio') && !('checked' in x)) {
        fields.push({ name: x['name'], kind: 'input', type, value: x['value'] ?? '', maxlength: null, multi: true, sent: false });
        continue;
      }
      fields.push({ name: x['name'], kind: 'input', type, value: x['value'] ?? '', maxlength: x['maxlength'] ? Number(x['maxlength']) : null, multi: type === 'checkbox' || type === 'radio', sent: true });
    }
    for (const s of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
      const x = attrs(s[1]!);
      if (!x['name']) continue;
      const options = [...s[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => attrs(o[1]!));
      const chosen = options.find((o) => 'selected' in o) ?? options.find((o) => (o['value'] ?? '') !== '') ?? options[0];
      fields.push({ name: x['name'], kind: 'select', type: 'select', value: chosen?.['value'] ?? '', maxlength: null, multi: 'multiple' in x, sent: true });
    }
    for (const t of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
      const x = attrs(t[1]!);
      if (x['name']) fields.push({ name: x['name'], kind: 'textarea', type: 'textarea', value: t[2]!, maxlength: x['maxlength'] ? Number(x['maxlength']) : null, multi: false, sent: true });
    }
    forms.push({ page, action: a['action'] ?? page, fields });
  }
  return forms;
}

/** A form found on a page, with the client that saw it and, for /reset and /unlock, the CAPTCHA answer each post needs. */
export type FoundForm = Form & { client: TestClient; extra?: () => Promise<Record<string, string>> };

const ALL_METHODS = ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions'] as const;

/**
 * A test portal with an administrator, a registered user and a group, and every POST form its
 * pages show: every console and account page as the administrator (the stored settings' pages
 * too), the signed-out sign-in, and the reset flow's steps (the list, the address, the code:
 * the flow ends at its code step). `page` of a flow step is `/reset/verify (…)`: get
 * `/reset/verify?flow=<flow>` before posting one.
 */
export async function productForms(password: string): Promise<{ tp: TestPortal; forms: FoundForm[]; flow: string; email: string; visitor: TestClient; pageOf: (form: FoundForm) => string }> {
  const tp = await createTestPortal({ config: { reset: { captchaMaxNumber: 200, startsPerIpPerHour: 100_000 }, methods: { available: [...ALL_METHODS] } } });
  await makeUser(tp.portal, { username: 'root.admin', password, roles: ['administrator'] });
  const { user, email } = await registered(tp.portal, 'victim');
  const group = await tp.portal.directory.createGroup({ id: null, name: 'test' }, { name: 'Staff' });
  if (!group.ok) throw new Error('group');
  const admin = new TestClient(tp.app);
  if ((await admin.signIn('root.admin', password)).status !== 303) throw new Error('the administrator could not sign in');
  const fill = (path: string) => path.replace(/^\/admin\/users\/:id/, `/admin/users/${user.id}`).replace(/^\/admin\/groups\/:id/, `/admin/groups/${group.value.id}`);
  const seen = new Set<string>();
  const forms: FoundForm[] = [];
  const collect = (client: TestClient, path: string, html: string) => {
    for (const f of formsOf(path, html)) {
      const key = `${f.action} ${f.fields.map((x) => x.name).join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      forms.push({ ...f, client, ...(/^\/(reset|unlock)$/.test(f.action) ? { extra: async () => ({ captcha: await solveCaptcha(client) }) } : {}) });
    }
  };
  // Every page of the console and the account, as an administrator (the setup link's form has its own test: it needs an installation without administrators).
  const gets = [...new Set(tp.app.routes.filter((r) => r.method === 'GET').map((r) => fill(r.path)))].filter((p) => !/:\w+|\*/.test(p) && !p.startsWith('/api/') && !p.startsWith('/assets/') && !p.endsWith('.csv'));
  for (const path of [...gets, ...sectionPages.map((p) => `/admin/settings/${p.slug}`)]) collect(admin, path, (await admin.get(path)).body);
  // A signed-out visitor's sign-in and the pages of a reset flow, one way per page: the list, the address, the code.
  const visitor = new TestClient(tp.app);
  collect(visitor, '/sign-in', (await visitor.get('/sign-in')).body);
  await visitor.get('/reset');
  const flow = flowOf(await visitor.post('/reset', { username: 'victim', captcha: await solveCaptcha(visitor) }));
  collect(visitor, '/reset/verify (methods)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
  await visitor.post('/reset/verify/pick', { flow, choice: 'email' });
  collect(visitor, '/reset/verify (address)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
  await visitor.post('/reset/verify/choose', { flow, choice: 'email', contact: email });
  await tp.portal.resets.settled();
  collect(visitor, '/reset/verify (code)', (await visitor.get(`/reset/verify?flow=${flow}`)).body);
  const pageOf = (form: FoundForm) => (form.page.replace(/ \(.*\)$/, '') === '/reset/verify' ? `/reset/verify?flow=${flow}` : form.page);
  return { tp, forms, flow, email, visitor, pageOf };
}
