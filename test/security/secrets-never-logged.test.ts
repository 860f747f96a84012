import { afterEach, describe, expect, it } from 'vitest';
import { createTestPortal, dialects, type TestPortal } from '../helpers/test-portal.js';
import { TestClient, makeUser } from '../helpers/http-client.js';
import { lastCodeTo } from '../helpers/outbox.js';
import { flowOf, solveCaptcha } from '../helpers/reset-flow.js';
import { currentTotp } from '../../src/methods/totp.js';
import type { Store } from '../../src/store/database.js';

const BASE = '/account/security-info';
const PASSWORD = 'Amber-Kettle-Window-93';
const NEW_PASSWORDS = ['Velvet-Harbour-Signal-28', 'Copper-Meadow-Lantern-61'];
/** Answers no table or log line would hold by chance. */
const ANSWERS = { 'q.firstPet': 'Zanzibar Quokka', 'q.birthCity': 'Vlissingen Harbour', 'q.firstSchool': 'Quillfeather Academy' };

/** Every row of every table, Buffers written out as text, hex and base64 so a secret in any of them is found. */
async function dumpEveryTable(store: Store): Promise<{ tables: string[]; text: string }> {
  const tables = (await store.db.introspection.getTables()).map((t) => t.name).filter((n) => !/^kysely_migration/.test(n));
  const parts: string[] = [];
  for (const table of tables) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rows = await (store.db as any).selectFrom(table).selectAll().execute();
    parts.push(
      `## ${table}\n` +
        JSON.stringify(rows, (_k, v: unknown) => {
          if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') v = Buffer.from((v as { data: number[] }).data);
          return Buffer.isBuffer(v) ? `${v.toString('utf8')} ${v.toString('hex')} ${v.toString('base64')}` : v;
        }),
    );
  }
  return { tables, text: parts.join('\n') };
}

/** Where a secret occurs; digit codes only as a whole number (not inside a timestamp). */
function occurrences(haystack: string, secret: string): boolean {
  if (/^\d+$/.test(secret)) return new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack);
  return haystack.toLowerCase().includes(secret.toLowerCase());
}

describe.each(dialects)('secrets never reach the logs or the database (%s)', (dialect) => {
  let t: TestPortal | undefined;
  afterEach(async () => {
    await t?.portal.resets.settled();
    await t?.cleanup();
    t = undefined;
  });

  it('after registration with an email address, an authenticator app and security questions and two full cloud resets, no log line and no table holds a password, a code, the TOTP secret, an answer or a session cookie', async () => {
    t = await createTestPortal({
      dialect,
      manualTime: true,
      config: { reset: { captchaMaxNumber: 200 }, methods: { required: 2, available: ['email', 'totp', 'questions'] } },
    });
    const tp = t;
    const secrets: Record<string, string> = { password: PASSWORD };
    NEW_PASSWORDS.forEach((p, i) => (secrets[`new password ${i + 1}`] = p));
    for (const [q, a] of Object.entries(ANSWERS)) secrets[`answer to ${q}`] = a;
    const user = await makeUser(tp.portal, { username: 'sam.secret', password: PASSWORD, email: 'sam@corp.test' });

    // Registration through the pages, as the user does it.
    const browser = new TestClient(tp.app);
    expect((await browser.signIn('sam.secret', PASSWORD)).status).toBe(303);
    secrets['session cookie'] = browser.cookies.get('sspr_session')!;
    expect(secrets['session cookie']).toBeTruthy();
    await browser.get(`${BASE}/add/email`);
    const added = await browser.post(`${BASE}/add/email`, { email: 'sam.private@mail.test' });
    const confirmEmail = added.res.headers.get('location')!;
    await browser.get(confirmEmail);
    secrets['email registration code'] = await lastCodeTo(tp.portal, 'sam.private@mail.test');
    expect((await browser.post(confirmEmail, { code: '00000001' })).status).toBe(400);
    expect((await browser.post(confirmEmail, { code: secrets['email registration code'] })).status).toBe(303);

    await browser.get(BASE);
    const totpStart = await browser.post(`${BASE}/add/totp`, {});
    const confirmTotp = totpStart.res.headers.get('location')!;
    const totpPage = await browser.get(confirmTotp);
    const key = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(totpPage.body)![1]!.replace(/ /g, '');
    secrets['TOTP secret'] = key;
    secrets['TOTP registration code'] = currentTotp(key, tp.clock.now());
    expect((await browser.post(confirmTotp, { code: secrets['TOTP registration code'] })).status).toBe(303);

    await browser.get(`${BASE}/add/questions`);
    const ids = Object.keys(ANSWERS);
    const questions = Object.fromEntries(ids.flatMap((id, i) => [[`question${i}`, id], [`answer${i}`, ANSWERS[id as keyof typeof ANSWERS]]]));
    expect((await browser.post(`${BASE}/add/questions`, questions)).status).toBe(303);
    // Testing them types the answers once more, one of them wrong.
    await browser.get(`${BASE}/test-questions`);
    expect((await browser.post(`${BASE}/test-questions`, { ...questions, answer2: 'Wrongwood Lyceum' })).status).toBe(400);
    expect((await browser.post(`${BASE}/test-questions`, questions)).status).toBe(303);
    await browser.get('/account');
    await browser.post('/sign-out', {});

    // Reset 1: email code (a wrong one first) and the authenticator app.
    const resetOnce = async (n: number, second: 'totp' | 'questions') => {
      // The outbox lists the newest first: a moment later than the last notice.
      tp.clock.advance!(1000);
      const c = new TestClient(tp.app);
      await c.get('/reset');
      const flow = flowOf(await c.post('/reset', { username: 'sam.secret', captcha: await solveCaptcha(c) }));
      await c.get(`/reset/verify?flow=${flow}`);
      await c.post('/reset/verify/choose', { flow, choice: 'email', contact: 'sam.private@mail.test' });
      await tp.portal.resets.settled();
      secrets[`reset ${n} email code`] = await lastCodeTo(tp.portal, 'sam.private@mail.test');
      expect((await c.post('/reset/verify/code', { flow, code: '00000002' })).status).toBe(400);
      expect((await c.post('/reset/verify/code', { flow, code: secrets[`reset ${n} email code`]! })).status).toBe(303);
      await c.get(`/reset/verify?flow=${flow}`);
      await c.post('/reset/verify/choose', { flow, choice: second });
      if (second === 'totp') {
        tp.clock.advance!(30_000);
        secrets[`reset ${n} TOTP code`] = currentTotp(key, tp.clock.now());
        expect((await c.post('/reset/verify/code', { flow, code: secrets[`reset ${n} TOTP code`]! })).status).toBe(303);
      } else {
        // Registered question ids sort as birthCity, firstPet, firstSchool.
        expect((await c.post('/reset/verify/questions', { flow, answer: [ANSWERS['q.birthCity'], ANSWERS['q.firstPet'], ANSWERS['q.firstSchool']] })).status).toBe(303);
      }
      const password = NEW_PASSWORDS[n - 1]!;
      expect((await c.post('/reset/password', { flow, password, confirm: password })).status).toBe(303);
      expect((await c.get(`/reset/verify?flow=${flow}`)).body).toContain('Your password was reset');
      await tp.portal.resets.settled();
    };
    await resetOnce(1, 'totp');
    // Reset 2: email code and the security questions, an hour later (notices and codes to one
    // address count against its 5 messages an hour).
    tp.clock.advance!(61 * 60_000);
    await resetOnce(2, 'questions');
    const signIn = await new TestClient(tp.app).signIn('sam.secret', NEW_PASSWORDS[1]!);
    expect(signIn.status).toBe(303);
    // The new password is right: the second factor is asked for next.
    expect(signIn.res.headers.get('location')).toMatch(/^\/sign-in\/verify\?flow=/);

    const logs = tp.logs();
    const db = await dumpEveryTable(tp.store);
    // The search looks at real material: the logs tell of the run, the dump holds the user's rows.
    expect(logs).toContain('notify:password-reset');
    expect(logs).toContain('"path":"/reset/verify/questions"');
    expect(db.tables).toEqual(expect.arrayContaining(['users', 'auth_methods', 'security_answers', 'verification_codes', 'audit_events', 'outbox_messages', 'sessions']));
    expect(db.text).toContain(user.id);
    expect(db.text).toContain('sam.secret');

    const inLogs = Object.entries(secrets).filter(([, s]) => occurrences(logs, s)).map(([name]) => name);
    const inDb = Object.entries(secrets).filter(([, s]) => occurrences(db.text, s)).map(([name]) => name);
    expect(inLogs).toEqual([]);
    expect(inDb).toEqual([]);
    // Answers are kept only normalised and hashed: not even their lower-case, space-folded form is there.
    for (const a of Object.values(ANSWERS)) expect(db.text).not.toContain(a.toLowerCase().replace(/\s+/g, ' '));
  });
});
