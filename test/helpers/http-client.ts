import type { Portal } from '../../src/app/portal.js';

/** What the client sends its requests to: a Hono app (app.request), or a server over HTTP (`overHttp`). */
export interface RequestTarget {
  request(url: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * A running server as a request target: the URL's origin (the public URL the pages and the
 * CSRF check expect) is replaced by `base` (where that instance listens), and redirects are
 * returned, not followed, as app.request does.
 */
export function overHttp(base: string): RequestTarget {
  return {
    request: (url, init = {}) => {
      const u = new URL(url);
      return fetch(`${base.replace(/\/+$/, '')}${u.pathname}${u.search}`, { ...init, redirect: 'manual' });
    },
  };
}

/**
 * A small browser stand-in for app.request(): keeps cookies, follows nothing automatically,
 * and knows the CSRF token of the last page it read.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(private readonly app: RequestTarget, readonly origin = 'http://portal.test', readonly headers: Record<string, string> = {}) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers });
    this.absorb(res);
    return res;
  }

  /** GET a page and remember its CSRF token. Returns status and body. */
  async get(path: string): Promise<{ status: number; body: string; res: Response }> {
    const res = await this.request(path);
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1]!;
    return { status: res.status, body, res };
  }

  /** POST a form with the current CSRF token (unless `_csrf` is given explicitly). */
  async post(path: string, fields: Record<string, string | string[]>, extraHeaders: Record<string, string> = {}): Promise<{ status: number; body: string; res: Response }> {
    const params = new URLSearchParams();
    if (!('_csrf' in fields)) params.append('_csrf', this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
    const res = await this.request(path, {
      method: 'POST',
      body: params.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...extraHeaders },
    });
    const body = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (m) this.csrf = m[1]!;
    return { status: res.status, body, res };
  }

  /** Signs in through the real form. */
  async signIn(username: string, password: string): Promise<{ status: number; body: string; res: Response }> {
    await this.get('/sign-in');
    return this.post('/sign-in', { username, password });
  }
}

/** Creates a user directly through the directory service (not through HTTP). */
export async function makeUser(
  portal: Portal,
  input: { username: string; password?: string; roles?: Array<'administrator' | 'password_administrator' | 'user'>; displayName?: string; email?: string },
) {
  const r = await portal.directory.createUser({ id: null, name: 'test' }, { username: input.username, displayName: input.displayName ?? input.username, email: input.email ?? '', roles: input.roles ?? ['user'], password: input.password ?? '' });
  if (!r.ok) throw new Error(`could not create ${input.username}: ${JSON.stringify(r)}`);
  return r.value;
}
