/**
 * A small browser stand-in for app.request(): keeps cookies, follows nothing automatically,
 * and knows the CSRF token of the last page it read.
 */
export class TestClient {
    app;
    origin;
    headers;
    cookies = new Map();
    csrf = '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(app, origin = 'http://portal.test', headers = {}) {
        this.app = app;
        this.origin = origin;
        this.headers = headers;
    }
    cookieHeader() {
        return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    absorb(res) {
        for (const line of res.headers.getSetCookie()) {
            const [pair, ...attrs] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
            if (expired || value === '')
                this.cookies.delete(name);
            else
                this.cookies.set(name, value);
        }
    }
    async request(path, init = {}) {
        const headers = new Headers(init.headers);
        for (const [k, v] of Object.entries(this.headers))
            headers.set(k, v);
        if (this.cookies.size)
            headers.set('cookie', this.cookieHeader());
        const res = await this.app.request(`${this.origin}${path}`, { ...init, headers });
        this.absorb(res);
        return res;
    }
    /** GET a page and remember its CSRF token. Returns status and body. */
    async get(path) {
        const res = await this.request(path);
        const body = await res.text();
        const m = /name="_csrf" value="([^"]+)"/.exec(body);
        if (m)
            this.csrf = m[1];
        return { status: res.status, body, res };
    }
    /** POST a form with the current CSRF token (unless `_csrf` is given explicitly). */
    async post(path, fields, extraHeaders = {}) {
        const params = new URLSearchParams();
        if (!('_csrf' in fields))
            params.append('_csrf', this.csrf);
        for (const [k, v] of Object.entries(fields))
            for (const x of Array.isArray(v) ? v : [v])
                params.append(k, x);
        const res = await this.request(path, {
            method: 'POST',
            body: params.toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...extraHeaders },
        });
        const body = await res.text();
        const m = /name="_csrf" value="([^"]+)"/.exec(body);
        if (m)
            this.csrf = m[1];
        return { status: res.status, body, res };
    }
    /** Signs in through the real form. */
    async signIn(username, password) {
        await this.get('/sign-in');
        return this.post('/sign-in', { username, password });
    }
}
/** Creates a user directly through the directory service (not through HTTP). */
export async function makeUser(portal, input) {
    const r = await portal.directory.createUser({ id: null, name: 'test' }, { username: input.username, displayName: input.displayName ?? input.username, email: input.email ?? '', roles: input.roles ?? ['user'], password: input.password ?? '' });
    if (!r.ok)
        throw new Error(`could not create ${input.username}: ${JSON.stringify(r)}`);
    return r.value;
}
//# sourceMappingURL=http-client.js.map