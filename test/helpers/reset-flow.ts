import { solveChallenge } from 'altcha-lib/v1';
import { afterEach } from 'vitest';
import type { Portal } from '../../src/app/portal.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { newTotpSecret } from '../../src/methods/totp.js';
import { createTestPortal, type TestPortal } from './test-portal.js';
import { TestClient, makeUser } from './http-client.js';
import { lastCodeTo } from './outbox.js';

/** The reset tests' journeys through /reset and /unlock (src/flows/reset/*.test.ts). */

export const PASSWORD = 'Old-Password-Horse-7';
export const NEW_PASSWORD = 'Fresh-Meadow-Lantern-42';

/** A fresh portal per test with a cheap CAPTCHA; the codes sent in the background are awaited and the portal removed after each test. */
export function resetPortals(): (config?: ConfigInput, manualTime?: boolean) => Promise<TestPortal> {
  let tp: TestPortal | undefined;
  afterEach(async () => {
    await tp?.portal.resets.settled();
    await tp?.cleanup();
    tp = undefined;
  });
  return async (config = {}, manualTime = false) => {
    tp = await createTestPortal({ config: { reset: { captchaMaxNumber: 200 }, ...config }, manualTime });
    return tp;
  };
}

/** Solves the CAPTCHA the way the browser does (altcha-lib's solver), returning the form value. */
export async function solveCaptcha(client: TestClient): Promise<string> {
  const res = await client.request('/reset/captcha');
  const ch = (await res.json()) as { algorithm: string; challenge: string; salt: string; signature: string; maxnumber: number };
  const solution = await solveChallenge(ch.challenge, ch.salt, ch.algorithm, ch.maxnumber).promise;
  if (!solution) throw new Error('unsolved');
  return Buffer.from(JSON.stringify({ algorithm: ch.algorithm, challenge: ch.challenge, number: solution.number, salt: ch.salt, signature: ch.signature })).toString('base64');
}

export async function startReset(client: TestClient, username: string, intent: 'reset' | 'unlock' = 'reset') {
  await client.get(`/${intent}`);
  const captcha = await solveCaptcha(client);
  return client.post(`/${intent}`, { username, captcha });
}

export function flowOf(res: { res: Response }): string {
  const location = res.res.headers.get('location') ?? '';
  const m = /flow=([^&]+)/.exec(location);
  if (!m) throw new Error(`no flow in ${location}`);
  return decodeURIComponent(m[1]!);
}

/** A user with a confirmed email method (and optionally TOTP and questions). */
export async function registered(p: Portal, username: string, opts: { email?: string; totp?: boolean; questions?: boolean; roles?: Array<'administrator' | 'user'>; mobile?: string } = {}) {
  const user = await makeUser(p, { username, password: PASSWORD, roles: opts.roles ?? ['user'], email: `${username}@corp.test` });
  const email = opts.email ?? `${username}.private@mail.test`;
  const m = await p.methods.addContact(user.id, 'email', email);
  await p.methods.confirm(user.id, m.id);
  let secret: string | null = null;
  if (opts.totp) {
    secret = newTotpSecret();
    const t = await p.methods.addTotp(user.id, secret, 'Phone');
    await p.methods.confirm(user.id, t.id);
  }
  if (opts.mobile) {
    const mm = await p.methods.addContact(user.id, 'mobile', opts.mobile);
    await p.methods.confirm(user.id, mm.id);
  }
  if (opts.questions) {
    await p.questions.register(user.id, [
      { questionId: 'q.firstPet', answer: 'Rex the dog' },
      { questionId: 'q.birthCity', answer: 'Lisbon' },
      { questionId: 'q.firstSchool', answer: 'Hill Primary' },
    ]);
  }
  return { user, email, secret };
}

/** The way a person goes: the list, "Email me a code" and Next, then the address on its own page. */
export async function chooseEmail(client: TestClient, flow: string, address: string) {
  await client.get(`/reset/verify?flow=${flow}`);
  const picked = await client.post('/reset/verify/pick', { flow, choice: 'email' });
  if (picked.status !== 303) throw new Error(`picking email: ${picked.status}`);
  await client.get(`/reset/verify?flow=${flow}`);
  return client.post('/reset/verify/choose', { flow, choice: 'email', contact: address });
}

export async function passEmail(t: TestPortal, client: TestClient, flow: string, address: string) {
  await chooseEmail(client, flow, address);
  await t.portal.resets.settled();
  const code = await lastCodeTo(t.portal, address);
  return client.post('/reset/verify/code', { flow, code });
}

export async function signInWorks(t: TestPortal, username: string, password: string): Promise<boolean> {
  const r = await new TestClient(t.app).signIn(username, password);
  return r.status === 303;
}

/** Responses with the per-flow random parts taken out, for comparing two users' experience. */
export function shape(r: { status: number; body: string; res: Response }) {
  return {
    status: r.status,
    location: (r.res.headers.get('location') ?? '').replace(/flow=[^&]+/, 'flow=F'),
    cookies: r.res.headers.getSetCookie().map((c) => c.split('=')[0]),
    body: r.body
      .replace(/name="_csrf" value="[^"]+"/g, '')
      .replace(/value="[A-Za-z0-9_-]{20,}"/g, 'value="F"')
      .replace(/flow=[A-Za-z0-9_%-]+/g, 'flow=F')
      .replace(/Account: [^<]+/, 'Account: U'),
  };
}
