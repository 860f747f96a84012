import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { TestPortal } from '../helpers/test-portal.js';
import { TestClient, makeUser } from '../helpers/http-client.js';
import { messagesTo } from '../helpers/outbox.js';
import { PASSWORD, NEW_PASSWORD, chooseEmail, flowOf, registered, resetPortals, solveCaptcha } from '../helpers/reset-flow.js';

/**
 * No user enumeration (shared/design/security.md, Recovery flow): before identity is proven, an
 * unknown user, a disabled one, an administrator, one outside the policy's scope and one with
 * nothing registered get what a registered user gets: status, every header, cookies, body, at
 * every step, on /reset and on /unlock, in comparable time.
 */
const portal = resetPortals();
const actor = { id: null, name: 'test' };
type Intent = 'reset' | 'unlock';

/** Everything a response tells, with what differs per request (the flow id, the CSRF token, the typed name) taken out. */
function fullShape(r: { status: number; body: string; res: Response }) {
  const headers: Record<string, string> = {};
  r.res.headers.forEach((value, name) => {
    if (name === 'date' || name === 'set-cookie') return;
    headers[name] = name === 'location' ? value.replace(/flow=[^&]+/, 'flow=F') : value;
  });
  return {
    status: r.status,
    headers,
    // Name and attributes of every cookie set; the value is random per browser.
    cookies: r.res.headers.getSetCookie().map((c) => c.replace(/^([^=]+)=[^;]*/, '$1=V')),
    body: r.body
      .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="C"')
      .replace(/value="[A-Za-z0-9_-]{20,}"/g, 'value="F"')
      .replace(/flow=[A-Za-z0-9_%-]+/g, 'flow=F')
      .replace(/Account: [^<]+/, 'Account: U'),
  };
}

/** The users to compare, each registered (or not) as the name says. The baseline is `real.user`. */
async function population(t: TestPortal): Promise<{ names: string[]; realEmail: string; others: Record<string, string> }> {
  const real = await registered(t.portal, 'real.user');
  await makeUser(t.portal, { username: 'nobody.registered', password: PASSWORD });
  const disabled = await registered(t.portal, 'gone.user');
  await t.portal.directory.setEnabled(actor, disabled.user.id, false);
  const admin = await registered(t.portal, 'root.admin', { roles: ['administrator'] });
  const outside = await registered(t.portal, 'outside.user');
  const pilot = await t.portal.directory.createGroup(actor, { name: 'Pilot' });
  if (!pilot.ok) throw new Error('group');
  await t.portal.directory.addMember(actor, pilot.value.id, { type: 'user', name: 'real.user' });
  // Administrators are always in scope; real.user by the group, outside.user not.
  expect((await t.portal.policy.update(actor, { enabledFor: 'selected', groups: [pilot.value.id] })).ok).toBe(true);
  return {
    names: ['no.such.user', 'nobody.registered', 'gone.user', 'root.admin', 'outside.user'],
    realEmail: real.email,
    others: { 'gone.user': disabled.email, 'root.admin': admin.email, 'outside.user': outside.email },
  };
}

let typos = 0;

/** Every step before proof, from naming the user to a wrong code and an early try at a new password. */
async function journey(t: TestPortal, intent: Intent, username: string, timings?: number[]) {
  const c = new TestClient(t.app);
  const timed = async <T,>(step: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await step();
    timings?.push(performance.now() - started);
    return out;
  };
  const identify = await c.get(`/${intent}`);
  const captcha = await solveCaptcha(c);
  const start = await timed(() => c.post(`/${intent}`, { username, captcha }));
  const flow = flowOf(start);
  const methods = await timed(() => c.get(`/reset/verify?flow=${flow}`));
  // A new wrong address each time: each typed address has its budget of codes (send-budget.ts), a wrong one too.
  const choose = await timed(() => c.post('/reset/verify/choose', { flow, choice: 'email', contact: `someone.${++typos}@else.test` }));
  const codePage = await timed(() => c.get(`/reset/verify?flow=${flow}`));
  const wrong = await timed(() => c.post('/reset/verify/code', { flow, code: '12345678' }));
  const another = await c.post('/reset/verify/another', { flow });
  const totp = await c.post('/reset/verify/choose', { flow, choice: 'totp' });
  const totpPage = await c.get(`/reset/verify?flow=${flow}`);
  const early = await c.post('/reset/password', { flow, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
  return { identify, start, methods, choose, codePage, wrong, another, totp, totpPage, early };
}

const shapes = (j: Awaited<ReturnType<typeof journey>>) => Object.fromEntries(Object.entries(j).map(([step, r]) => [step, fullShape(r)]));

describe('no user enumeration before identity is proven', () => {
  for (const intent of ['reset', 'unlock'] as const) {
    it(`on /${intent}, unknown, unregistered, disabled, administrator and out-of-scope users get the status, every header, the cookies and the body a registered user gets at every step, and nothing is sent to them`, async () => {
      const t = await portal({ methods: { available: ['email', 'totp'] } } satisfies ConfigInput);
      const { names, realEmail, others } = await population(t);
      const baseline = shapes(await journey(t, intent, 'real.user'));
      // The steps really ran: a flow, the method list, the "if it matches" code page, a refused code.
      expect(baseline['start']!.status).toBe(303);
      expect(baseline['methods']!.body).toContain('Email');
      expect(baseline['wrong']!.status).toBe(400);
      for (const name of names) expect(shapes(await journey(t, intent, name)), name).toEqual(baseline);
      // A registered user typing the right address gets the same answer as a wrong one.
      const c = new TestClient(t.app);
      await c.get(`/${intent}`);
      const flow = flowOf(await c.post(`/${intent}`, { username: 'real.user', captcha: await solveCaptcha(c) }));
      expect(fullShape(await chooseEmail(c, flow, realEmail))).toEqual(baseline['choose']);
      await t.portal.resets.settled();
      for (const [name, address] of Object.entries(others)) {
        // The administrator is in scope and registered: only a right address gets a code.
        expect(await messagesTo(t.portal, address), name).toEqual([]);
      }
      for (let n = 1; n <= typos; n++) expect(await messagesTo(t.portal, `someone.${n}@else.test`)).toEqual([]);
    });
  }

  it('each step before proof takes comparable time for a registered user and for each of the others (medians over interleaved tries)', async () => {
    // Enough tries and starts that no counter blocks anyone during the measurement.
    const t = await portal({ reset: { captchaMaxNumber: 200, startsPerIpPerHour: 100_000 }, throttling: { failedVerificationsPerDay: 100 }, methods: { available: ['email', 'totp'] } });
    const { names } = await population(t);
    const kinds = ['real.user', ...names];
    const ROUNDS = 21;
    const samples = new Map(kinds.map((k) => [k, [] as number[][]]));
    // One warm-up journey each, then rounds that interleave the kinds so a busy moment hits all alike.
    for (const k of kinds) await journey(t, 'reset', k);
    for (let round = 0; round < ROUNDS; round++) {
      for (const k of round % 2 ? [...kinds].reverse() : kinds) {
        const timings: number[] = [];
        await journey(t, 'reset', k, timings);
        samples.get(k)!.push(timings);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const steps = ['start', 'methods', 'choose', 'codePage', 'wrong'];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // Ratios are taken within a round (the kinds ran one after another, so a busy moment of the
    // machine hits them alike), then the median over rounds: robust against load that changes
    // from one round to the next, and still a factor when a stranger skips a lookup or a hash.
    const real = samples.get('real.user')!;
    for (const k of names) {
      const mine = samples.get(k)!;
      const total = median(mine.map((s, r) => sum(s) / sum(real[r]!)));
      const says = `${k} whole journey: median ratio ${total.toFixed(2)} (${median(mine.map(sum)).toFixed(1)} ms vs ${median(real.map(sum)).toFixed(1)} ms)`;
      expect(total, says).toBeGreaterThan(1 / 3);
      expect(total, says).toBeLessThan(3);
      steps.forEach((step, i) => {
        const ratio = median(mine.map((s, r) => s[i]! / real[r]![i]!));
        const stepSays = `${k} ${step}: median ratio ${ratio.toFixed(2)}`;
        expect(ratio, stepSays).toBeGreaterThan(1 / 5);
        expect(ratio, stepSays).toBeLessThan(5);
      });
    }
  });
});
