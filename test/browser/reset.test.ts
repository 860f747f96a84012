import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { addVirtualAuthenticator, closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage, type NavigationResult } from '../helpers/browser.js';
import { alerts, createUser, confirmAuthenticator, enterCode, h1, mainText, pickWay, sendCodeVia, signOut, signIn, submitNewPassword, waysOffered, wrongCode } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { currentTotp } from '../../src/methods/totp.js';

/**
 * Forgot password (/reset), unlock (/unlock) and change password (/account/change-password)
 * through the real `sspr start` process and real Chromium. Users are created with the CLI and
 * register their methods through My security info, as a person would; codes are read from the
 * process's outbox. The CAPTCHA is solved by the page's own script (/assets/captcha.js).
 *
 * Three processes, started together:
 * - `one`: one method required, every method offered (questions too), a cheap CAPTCHA, on
 *   http://localhost (passkeys need a host name as RP ID), a long sign-in lockout (so that only
 *   the unlock can end it within the test), and a high per-address start limit (every test
 *   starts its resets from 127.0.0.1);
 * - `two`: two methods required;
 * - `short`: flows live 1 minute and the CAPTCHA has its default difficulty. The expiring flow is
 *   started by the first test and checked by the last one, so the minute passes while the other
 *   tests run (the last test starts and waits for its own flow when run alone).
 *
 * Each test has its own user, so one test's send limits and failure counters never reach another.
 */

const OLD_PASSWORD = 'Mossy quartz lantern 1987';
const BASE = '/account/security-info';
const CHEAP_CAPTCHA = 2000;
const ALL_METHODS = ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'passkey', 'questions'];
/** The ways on the list (radio buttons), in the policy's order, when every method is offered. */
const ALL_CHOICES = ['Email me a code', 'Text me a code', 'Call my mobile phone', 'Call my office phone', 'Enter a code from my authenticator app', 'Use my passkey', 'Answer my security questions'];

const QUESTIONS: Record<string, { id: string; answer: string }> = {
  'What was the name of your first pet?': { id: 'q.firstPet', answer: 'Rex' },
  'In what city were you born?': { id: 'q.birthCity', answer: 'New York' },
  'What was the make and model of your first car?': { id: 'q.firstCar', answer: 'VW Beetle' },
};

interface Env {
  portal: PortalProcess;
  outbox: PortalOutbox;
}

interface TestUser {
  username: string;
  displayName: string;
  password: string;
}

// ---------------------------------------------------------------- small page helpers

/** The visible submit buttons of the main landmark, in page order. */
async function buttons(page: Page): Promise<string[]> {
  return (await page.locator('main button:visible').allInnerTexts()).map((t) => t.trim());
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- users and methods

async function openSecurityInfo(env: Env, page: Page): Promise<void> {
  const r = await visit(page, `${env.portal.url}${BASE}`);
  expect(r.path).toBe(BASE);
  expect(await h1(page)).toBe('My security info');
}

async function registerEmail(env: Env, page: Page, address: string): Promise<void> {
  await openSecurityInfo(env, page);
  await navigation(page, () => page.getByRole('link', { name: 'Add an email address', exact: true }).click());
  await page.getByLabel('Email address', { exact: true }).fill(address);
  const before = await env.outbox.mark();
  const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
  expect(sent.chain).toEqual([303, 200]);
  const done = await enterCode(page, await env.outbox.nextCodeTo(address, before));
  expect(done.chain).toEqual([303, 200]);
  expect((await statusMessages(page)).join(' | ')).toContain('is registered.');
}

async function registerPhone(env: Env, page: Page, kind: 'mobile' | 'office', typed: string, e164: string): Promise<void> {
  await openSecurityInfo(env, page);
  await navigation(page, () => page.getByRole('link', { name: kind === 'mobile' ? 'Add a mobile phone' : 'Add an office phone', exact: true }).click());
  await page.getByLabel('Phone number', { exact: true }).fill(typed);
  const before = await env.outbox.mark();
  const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
  expect(sent.chain).toEqual([303, 200]);
  const done = await enterCode(page, await env.outbox.nextCodeTo(e164, before));
  expect(done.chain).toEqual([303, 200]);
  expect((await statusMessages(page)).join(' | ')).toContain('is registered.');
}

/** Registers an authenticator app with the key shown as text; returns the key. */
async function registerAuthenticator(env: Env, page: Page): Promise<string> {
  await openSecurityInfo(env, page);
  await navigation(page, () => page.getByRole('button', { name: 'Add an authenticator app', exact: true }).click());
  return confirmAuthenticator(page);
}

async function registerQuestions(env: Env, page: Page): Promise<void> {
  await openSecurityInfo(env, page);
  await navigation(page, () => page.getByRole('link', { name: 'Set up security questions', exact: true }).click());
  let n = 0;
  for (const { id, answer } of Object.values(QUESTIONS)) {
    n += 1;
    const group = page.getByRole('group', { name: `Question ${n}`, exact: true });
    await group.getByLabel('Choose a question', { exact: true }).selectOption(id);
    await group.getByLabel(`Answer ${n}`, { exact: true }).fill(answer);
  }
  const saved = await navigation(page, () => page.getByRole('button', { name: 'Save questions', exact: true }).click());
  expect(saved.chain).toEqual([303, 200]);
  expect(await statusMessages(page)).toContain('Your security questions are saved.');
}

async function registerPasskey(env: Env, page: Page, name: string): Promise<void> {
  await openSecurityInfo(env, page);
  await navigation(page, () => page.getByRole('link', { name: 'Add a passkey', exact: true }).click());
  await page.locator('#passkey-register-note').waitFor({ state: 'hidden' });
  await page.getByLabel('Name for this passkey', { exact: true }).fill(name);
  const done = await navigation(page, () => page.getByRole('button', { name: 'Create passkey', exact: true }).click());
  expect(done.path).toContain(`${BASE}?done=methods.done.added`);
}

// ---------------------------------------------------------------- the reset flow's pages

/**
 * Opens /reset or /unlock, types the name, waits until the page's script says "Robot check done."
 * and presses Next. Ends on the method list.
 */
async function identify(env: Env, page: Page, username: string, options: { path?: '/reset' | '/unlock'; checkPage?: boolean } = {}): Promise<NavigationResult> {
  const path = options.path ?? '/reset';
  const opened = await visit(page, `${env.portal.url}${path}`);
  expect(opened.status).toBe(200);
  expect(await h1(page)).toBe(path === '/unlock' ? 'Unlock your account' : 'Reset your password');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
  expect(await page.locator('input[name="captcha"]').inputValue()).not.toBe('');
  if (options.checkPage) await expectAccessibilityBasics(page);
  const r = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  expect(r.chain).toEqual([303, 200]);
  expect(r.path).toMatch(/^\/reset\/verify\?flow=[A-Za-z0-9_-]+$/);
  expect(await mainText(page)).toContain(`Account: ${username}`);
  return r;
}

/** On the method list: types the address or number into the choice's form and presses its button. Ends on the code page. */
async function chooseWithContact(page: Page, way: string, contact: string): Promise<NavigationResult> {
  const r = await sendCodeVia(page, way, contact);
  expect(r.chain).toEqual([303, 200]);
  expect(await page.getByLabel('Code', { exact: true }).count()).toBe(1);
  return r;
}

/** On the list: picks a way that needs nothing typed first (its form follows at once). */
async function chooseWay(page: Page, way: string): Promise<NavigationResult> {
  const r = await pickWay(page, way);
  expect(r.chain).toEqual([303, 200]);
  return r;
}

async function choose(page: Page, button: string): Promise<NavigationResult> {
  const r = await navigation(page, () => page.getByRole('button', { name: button, exact: true }).click());
  expect(r.chain).toEqual([303, 200]);
  return r;
}

async function codeHint(page: Page): Promise<string> {
  return (await page.locator('#f-code-hint').innerText()).trim();
}

/** Asserts the new-password page: its title, the "it is you" notice and the rules listed. */
async function expectNewPasswordPage(page: Page, username: string): Promise<void> {
  expect(await h1(page)).toBe('Choose a new password');
  expect(await statusMessages(page)).toContain(`It is you: the checks for ${username} are done.`);
  const rules = (await page.locator('#rules li').allInnerTexts()).map((t) => t.trim());
  expect(rules).toEqual([
    'be 8 to 256 characters long (spaces and any letters allowed)',
    'not be a common or easily guessed password',
    'not contain your name, username or the organisation name',
    'not be one of your recent passwords',
  ]);
}

/** Types the new password twice and presses "Reset password"; ends on the done page. */
async function setNewPassword(page: Page, password: string): Promise<NavigationResult> {
  const r = await submitNewPassword(page, password);
  expect(r.chain).toEqual([303, 200]);
  expect(r.path).toMatch(/^\/reset\/verify\?flow=/);
  expect(await h1(page)).toBe('Your password was reset');
  expect(await statusMessages(page)).toContain('Your password was reset. Your account was also unlocked, and you were signed out everywhere else.');
  return r;
}

/** The old password is refused at sign-in; the new one is accepted (the second-factor step follows for a user with methods). */
async function expectOnlyNewPasswordWorks(env: Env, page: Page, user: TestUser, newPassword: string): Promise<void> {
  const old = await signIn(page, env.portal, user);
  expect(old.status).toBe(401);
  expect(await alerts(page)).toContain('The username or password is not correct.');
  const fresh = await signIn(page, env.portal, { ...user, password: newPassword });
  expect(fresh.chain).toEqual([303, 200]);
  expect(fresh.path).toMatch(/^\/sign-in\/verify\?flow=/);
  expect(await h1(page)).toBe('Verify your identity');
}

// ---------------------------------------------------------------- processes

let browser: Browser;
const one = {} as Env;
const two = {} as Env;
const short = {} as Env;

async function started(env: Env, options: Parameters<typeof startPortalProcess>[0]): Promise<void> {
  env.portal = await startPortalProcess(options);
  env.outbox = openPortalOutbox(env.portal);
}

/** The flow started on `short` that the last test expects to have expired. */
interface ExpiringFlow {
  page: Page;
  user: TestUser;
  /** When the flow was created (just before Next was pressed). */
  startedAt: number;
  code: string;
}
let expiring: ExpiringFlow | null = null;

/**
 * On `short` (default CAPTCHA difficulty, 1-minute flows): a user with an email address opens
 * /reset, types the name and presses Next at once — the submit waits for the CAPTCHA — then has
 * the email code sent. The page stays open for the last test.
 */
async function startExpiringFlow(): Promise<{ flow: ExpiringFlow; solveMs: number }> {
  const user = await createUser(short.portal, { username: 'ezra', displayName: 'Ezra Expiry', password: OLD_PASSWORD });
  const page = await newPage(browser);
  await signIn(page, short.portal, user);
  await registerEmail(short, page, 'ezra@example.com');
  await signOut(page);

  const opened = await visit(page, `${short.portal.url}/reset`);
  expect(opened.status).toBe(200);
  const shownAt = Date.now();
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  const startedAt = Date.now();
  const r = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  const solveMs = Date.now() - shownAt;
  expect(r.chain).toEqual([303, 200]);
  expect(r.path).toMatch(/^\/reset\/verify\?flow=/);
  const before = await short.outbox.mark();
  await chooseWithContact(page, 'Email me a code', 'ezra@example.com');
  const code = await short.outbox.nextCodeTo('ezra@example.com', before);
  return { flow: { page, user, startedAt, code }, solveMs };
}

describe('reset, unlock and change password (real process, real Chromium)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    const cheap = { captchaMaxNumber: CHEAP_CAPTCHA, startsPerIpPerHour: 1000 };
    await Promise.all([
      started(one, {
        publicHost: 'localhost',
        config: { methods: { available: ALL_METHODS, required: 1 }, reset: cheap, signIn: { lockoutSeconds: 3600 } },
      }),
      started(two, { config: { methods: { available: ALL_METHODS, required: 2 }, reset: cheap } }),
      started(short, { config: { methods: { available: ['email', 'totp'], required: 1 }, reset: { flowMinutes: 1 } } }),
    ]);
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    if (expiring) await closePage(expiring.page);
    await browser?.close();
    for (const env of [one, two, short]) {
      await env.outbox?.close();
      await env.portal?.stop();
    }
  });

  it('with the default CAPTCHA difficulty (50,000) the page solves the proof of work itself: Next pressed at once waits for it and then reaches the method list', async () => {
    const { flow, solveMs } = await startExpiringFlow();
    expiring = flow;
    // Informational: how long the browser took, shown in the test output.
    console.log(`default-difficulty CAPTCHA: page shown → method list in ${solveMs} ms`);
    expect(solveMs).toBeLessThan(10_000);
  });

  it('reset with one method (email): identify → the method list → the code from the outbox → a new password → done; the old password stops working, the new one signs in', async () => {
    const user = await createUser(one.portal, { username: 'rita', displayName: 'Rita Reset', password: OLD_PASSWORD });
    // Another browser where Rita is signed in: a reset ends every session.
    const elsewhere = await newPage(browser);
    try {
      expect((await signIn(elsewhere, one.portal, user)).path).toBe('/account');
    } catch (err) {
      await closePage(elsewhere);
      throw err;
    }
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'rita@example.com');
      await signOut(page);

      const flow = await identify(one, page, user.username, { checkPage: true });
      // The flow belongs to this browser: another one opening its address starts again.
      await withPage(browser, async (other) => {
        const r = await visit(other, `${one.portal.url}${flow.path}`);
        expect(r.chain).toEqual([303, 200]);
        expect(r.path).toBe('/reset?m=expired');
      });
      expect(await h1(page)).toBe('Reset your password');
      expect(await page.locator('main legend').first().innerText()).toBe('How do you want to prove it is you?');
      expect(await waysOffered(page)).toEqual(ALL_CHOICES);
      expect(await buttons(page)).toEqual(['Next']);
      await expectAccessibilityBasics(page);

      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'Rita@Example.com');
      expect(await codeHint(page)).toBe('If the address you typed is the one you registered, a code is on its way to it. It is valid for 5 minutes. Check your spam folder too.');
      expect(await buttons(page)).toEqual(['Verify', 'Resend code']);
      expect(await page.getByRole('link', { name: 'Try another way', exact: true }).count()).toBe(1);
      await expectAccessibilityBasics(page);
      const mail = await one.outbox.nextMessageTo('rita@example.com', before);
      expect(mail.channel).toBe('email');
      const code = await one.outbox.nextCodeTo('rita@example.com', before);

      const wrong = await enterCode(page, wrongCode(code));
      expect(wrong.status).toBe(400);
      expect(await page.locator('#f-code-error').innerText()).toBe('That code is not right. Check it and try again.');
      expect(await page.getByLabel('Code', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await expectAccessibilityBasics(page);

      const verified = await enterCode(page, code);
      expect(verified.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      // Unlock is allowed by the default policy: "only unlock" is offered, folded, after the reset form.
      expect(await buttons(page)).toEqual(['Reset password']);
      expect(await page.locator('main summary').innerText()).toBe('Keep my password, only unlock my account');
      await expectAccessibilityBasics(page);

      const beforeDone = await one.outbox.mark();
      await setNewPassword(page, 'Copper willow nebula 31');
      await expectAccessibilityBasics(page);
      const notice = await one.outbox.nextMessageTo('rita@example.com', beforeDone);
      expect(notice.subject).toContain('Your password was reset');
      expect(notice.body).toContain('The password of rita was reset through self-service password reset just now.');

      // The finished flow stays finished: opened again, it shows the done page.
      const again = await visit(page, page.url());
      expect(again.status).toBe(200);
      expect(await h1(page)).toBe('Your password was reset');

      await expectOnlyNewPasswordWorks(one, page, user, 'Copper willow nebula 31');
      const sent = await one.outbox.mark();
      await choose(page, 'Use Email r•••@example.com');
      const account = await enterCode(page, await one.outbox.nextCodeTo('rita@example.com', sent));
      expect(account.path).toBe('/account');
      expect(await h1(page)).toBe('My account');
    });
    try {
      const ended = await visit(elsewhere, `${one.portal.url}/account`);
      expect(ended.chain).toEqual([303, 200]);
      expect(ended.path).toMatch(/^\/sign-in\?/);
    } finally {
      await closePage(elsewhere);
    }
  });

  it('a second browser that passed the checks is told, once the owner reset in another browser, that its request ended because the password changed; its new password is never set', async () => {
    const user = await createUser(one.portal, { username: 'vera', displayName: 'Vera Void', password: OLD_PASSWORD });
    const elsewhere = 'Granite heron violin 52';
    await withPage(browser, async (z) => {
      await signIn(z, one.portal, user);
      await registerEmail(one, z, 'vera@example.com');
      await signOut(z);
      // Z passes the email check and stops on the new-password page.
      await identify(one, z, user.username);
      const zSent = await one.outbox.mark();
      await chooseWithContact(z, 'Email me a code', 'vera@example.com');
      expect((await enterCode(z, await one.outbox.nextCodeTo('vera@example.com', zSent))).chain).toEqual([303, 200]);
      await expectNewPasswordPage(z, user.username);

      // Meanwhile the owner resets in another browser.
      await withPage(browser, async (y) => {
        await identify(one, y, user.username);
        const ySent = await one.outbox.mark();
        await chooseWithContact(y, 'Email me a code', 'vera@example.com');
        await enterCode(y, await one.outbox.nextCodeTo('vera@example.com', ySent));
        await setNewPassword(y, 'Copper willow nebula 32');
      });

      const refused = await submitNewPassword(z, elsewhere);
      expect(refused.status).toBe(410);
      expect(await h1(z)).toBe('This request has ended');
      expect(await mainText(z)).toContain('This request was ended because the password of this account was just changed. Nothing was changed here.');
      await expectAccessibilityBasics(z);
      const again = await navigation(z, () => z.getByRole('link', { name: 'Start again', exact: true }).click());
      expect(again.path).toBe('/reset');
      expect(await h1(z)).toBe('Reset your password');

      const stale = await signIn(z, one.portal, { ...user, password: elsewhere });
      expect(stale.status).toBe(401);
      const fresh = await signIn(z, one.portal, { ...user, password: 'Copper willow nebula 32' });
      expect(fresh.path).toMatch(/^\/sign-in\/verify\?flow=/);
    });
  });

  it('before identity is proven, a registered user and a name that matches nobody get the same method list, and the same "if it matches" code page', async () => {
    const user = await createUser(one.portal, { username: 'sam', displayName: 'Sam Same', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'sam@example.com');
      await signOut(page);
      await identify(one, page, user.username);
      const real = await waysOffered(page);
      const sent = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'sam@example.com');
      const realHint = await codeHint(page);
      await one.outbox.nextMessageTo('sam@example.com', sent);
      await withPage(browser, async (other) => {
        await identify(one, other, 'nobody.by.this.name');
        expect(await waysOffered(other)).toEqual(real);
        const before = await one.outbox.mark();
        await chooseWithContact(other, 'Email me a code', 'sam@example.com');
        expect(await codeHint(other)).toBe(realHint);
        // Nothing was sent for the name that matches nobody, even to a registered address.
        await sleep(500);
        expect(await one.outbox.mark()).toBe(before);
      });
    });
  });

  it('mobile text message as the gate: "Text me a code" with the number typed in another format sends an SMS whose code reaches the new-password page', async () => {
    const user = await createUser(one.portal, { username: 'mia', displayName: 'Mia Mobile', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerPhone(one, page, 'mobile', '+49 151 2345 7001', '+4915123457001');
      await signOut(page);

      await identify(one, page, user.username);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Text me a code', '+4915123457001');
      expect(await codeHint(page)).toBe('If the number you typed is the one you registered, a text with a code is on its way to it. It is valid for 5 minutes.');
      await expectAccessibilityBasics(page);
      const sms = await one.outbox.nextMessageTo('+4915123457001', before);
      expect(sms.channel).toBe('sms');
      const verified = await enterCode(page, await one.outbox.nextCodeTo('+4915123457001', before));
      expect(verified.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Sable kettle meridian 8');
      await expectOnlyNewPasswordWorks(one, page, user, 'Sable kettle meridian 8');
    });
  });

  it('mobile voice call as the gate: "Call my mobile phone" places a call that reads out the code', async () => {
    const user = await createUser(one.portal, { username: 'vic', displayName: 'Vic Voice', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerPhone(one, page, 'mobile', '+49 151 2345 7002', '+4915123457002');
      await signOut(page);

      await identify(one, page, user.username);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Call my mobile phone', '+49 (151) 2345-7002');
      expect(await codeHint(page)).toBe('If the number you typed is the one you registered, it will ring shortly and a voice will read out a code. It is valid for 5 minutes.');
      const call = await one.outbox.nextMessageTo('+4915123457002', before);
      expect(call.channel).toBe('voice');
      expect(call.body).toMatch(/code is: (\d, ){7}\d/);
      const verified = await enterCode(page, await one.outbox.nextCodeTo('+4915123457002', before));
      expect(verified.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Amber glacier fiddle 55');
      await expectOnlyNewPasswordWorks(one, page, user, 'Amber glacier fiddle 55');
    });
  });

  it('office phone call as the gate: "Call my office phone" calls the registered office number with the code', async () => {
    const user = await createUser(one.portal, { username: 'otto', displayName: 'Otto Office', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerPhone(one, page, 'office', '+44 20 7946 0701', '+442079460701');
      await signOut(page);

      await identify(one, page, user.username);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Call my office phone', '+44 20 7946 0701');
      expect(await codeHint(page)).toBe('If the number you typed is the one you registered, it will ring shortly and a voice will read out a code. It is valid for 5 minutes.');
      const call = await one.outbox.nextMessageTo('+442079460701', before);
      expect(call.channel).toBe('voice');
      const verified = await enterCode(page, await one.outbox.nextCodeTo('+442079460701', before));
      expect(verified.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Juniper static ledger 6');
      await expectOnlyNewPasswordWorks(one, page, user, 'Juniper static ledger 6');
    });
  });

  it('passkey as the gate: "Use my passkey" asks the virtual authenticator for a discoverable passkey and reaches the new-password page', async () => {
    const user = await createUser(one.portal, { username: 'pia', displayName: 'Pia Passkey', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const authenticatorId = await addVirtualAuthenticator(cdp);
      await signIn(page, one.portal, user);
      await registerPasskey(one, page, 'Work laptop');
      const creds = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
      expect(creds).toHaveLength(1);
      expect(creds[0]!.isResidentCredential).toBe(true);
      const signCount = creds[0]!.signCount;
      await signOut(page);

      await identify(one, page, user.username);
      expect((await pickWay(page, 'Use my passkey')).chain).toEqual([303, 200]);
      await page.locator('#passkey-sign-in-note').waitFor({ state: 'hidden' });
      const verified = await navigation(page, () => page.getByRole('button', { name: 'Use my passkey', exact: true }).click());
      expect(verified.path).toMatch(/^\/reset\/verify\?flow=/);
      await expectNewPasswordPage(page, user.username);
      expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]!.signCount).toBeGreaterThan(signCount);
      await setNewPassword(page, 'Violet anchor pebble 73');
      await expectOnlyNewPasswordWorks(one, page, user, 'Violet anchor pebble 73');
    });
  });

  it('security questions as the gate: wrong answers are refused, the right ones (any case and spacing) reach the new-password page', async () => {
    const user = await createUser(one.portal, { username: 'quinn', displayName: 'Quinn Questions', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerQuestions(one, page);
      await signOut(page);

      await identify(one, page, user.username);
      const opened = await chooseWay(page, 'Answer my security questions');
      expect(opened.path).toMatch(/^\/reset\/verify\?flow=/);
      expect(await page.locator('main h2').first().innerText()).toBe('Your security questions');
      await expectAccessibilityBasics(page);
      const labels = (await page.locator('main form label').allInnerTexts()).map((t) => t.trim());
      expect([...labels].sort()).toEqual(Object.keys(QUESTIONS).sort());

      const answer = async (pick: (text: string) => string) => {
        for (const [i, text] of labels.entries()) await page.locator(`#f-answer${i}`).fill(pick(text));
        return navigation(page, () => page.getByRole('button', { name: 'Check my answers', exact: true }).click());
      };
      const wrong = await answer((text) => (text === labels[0] ? 'Not it' : QUESTIONS[text]!.answer));
      expect(wrong.status).toBe(400);
      expect(await mainText(page)).toContain('One or more answers are not right. Answers are not case-sensitive; check the spelling.');
      await expectAccessibilityBasics(page);

      const right = await answer((text) => `  ${QUESTIONS[text]!.answer.toUpperCase()} `);
      expect(right.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Tangerine orbit cascade 9');
      // The new password is accepted (whether a second step follows depends on what counts at sign-in).
      const old = await signIn(page, one.portal, user);
      expect(old.status).toBe(401);
      const fresh = await signIn(page, one.portal, { ...user, password: 'Tangerine orbit cascade 9' });
      expect(fresh.path).toMatch(/^\/(account|sign-in\/verify\?flow=.*)$/);
    });
  });

  it('the strength meter follows the typing (value and reasons), and the server still refuses a weak password with every reason listed, then accepts a strong one', async () => {
    const user = await createUser(one.portal, { username: 'mel', displayName: 'Mel Meter', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'mel@example.com');
      await signOut(page);
      await identify(one, page, user.username);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'mel@example.com');
      await enterCode(page, await one.outbox.nextCodeTo('mel@example.com', before));
      await expectNewPasswordPage(page, user.username);

      const meter = page.locator('#meter');
      await meter.waitFor({ state: 'visible' });
      // A string runs through the DevTools protocol, outside the page's CSP (the project compiles without the DOM lib).
      const meterValue = () => page.evaluate<number>("document.querySelector('#meter meter').value");
      const meterLabel = () => meter.locator('[data-meter-label]').innerText();
      const reasons = () => meter.locator('ul li').allInnerTexts();
      expect(await meterValue()).toBe(0);

      const field = page.getByLabel('New password', { exact: true });
      await field.pressSequentially('password1', { delay: 20 });
      // Polled from here: the page's CSP forbids the string evaluation waitForFunction would use.
      await expect.poll(reasons, { timeout: 5000 }).toContain('This is one of the most common passwords.');
      expect(await meterValue()).toBe(0);
      expect(await meterLabel()).toBe('very weak');
      expect(await reasons()).toContain('This is one of the most common passwords.');

      await field.fill('');
      await field.pressSequentially('Copper willow nebula 31', { delay: 10 });
      await expect.poll(meterValue, { timeout: 5000 }).toBe(4);
      await expect.poll(reasons, { timeout: 5000 }).toEqual([]);
      expect(await meterLabel()).toBe('very strong');
      expect(await reasons()).toEqual([]);
      await expectAccessibilityBasics(page);

      // The meter is advice only: the server checks the submitted password again.
      await field.fill('password1');
      await page.getByLabel('Type the password again', { exact: true }).fill('password1');
      const refused = await navigation(page, () => page.getByRole('button', { name: 'Reset password', exact: true }).click());
      expect(refused.status).toBe(400);
      expect(await h1(page)).toBe('Choose a new password');
      const listed = (await page.locator('#f-password-error li').allInnerTexts()).map((t) => t.trim());
      expect(listed).toEqual([
        'It contains a commonly used word: password. Add another word or two that are less common.',
        'This is one of the most common passwords.',
        'It is too easy to guess: add another word or two. Several uncommon words make a strong password; symbols and digits add little.',
      ]);
      expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await expectAccessibilityBasics(page);

      // The proof still stands after a refused password: no second code is needed.
      await setNewPassword(page, 'Copper willow nebula 31');
      await expectOnlyNewPasswordWorks(one, page, user, 'Copper willow nebula 31');
    });
  });

  it('unlock: a user locked by 10 wrong passwords proves it is them at /unlock, presses "Unlock my account", and the old password signs in again', async () => {
    const user = await createUser(one.portal, { username: 'uma', displayName: 'Uma Unlock', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'uma@example.com');
      await signOut(page);

      for (let i = 1; i <= 10; i++) await signIn(page, one.portal, { ...user, password: `Wrong guess number ${i}` });
      const locked = await signIn(page, one.portal, user);
      expect(locked.status).toBe(429);
      expect((await alerts(page)).join(' ')).toMatch(/^Too many sign-in attempts\. Wait \d+ minutes? and try again\.$/);

      await identify(one, page, user.username, { path: '/unlock', checkPage: true });
      expect(await h1(page)).toBe('Unlock your account');
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'uma@example.com');
      const verified = await enterCode(page, await one.outbox.nextCodeTo('uma@example.com', before));
      expect(verified.chain).toEqual([303, 200]);
      // For an unlock the unlock comes first; a new password is the alternative.
      expect(await h1(page)).toBe('Unlock your account');
      expect(await buttons(page)).toEqual(['Unlock my account']);
      expect(await page.locator('main summary').innerText()).toBe('Or choose a new password');
      expect(await mainText(page)).toContain('Keep your current password and unlock the account.');
      await expectAccessibilityBasics(page);

      const beforeDone = await one.outbox.mark();
      const done = await navigation(page, () => page.getByRole('button', { name: 'Unlock my account', exact: true }).click());
      expect(done.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Your account is unlocked');
      expect(await statusMessages(page)).toContain('Your account is unlocked. Your password was not changed.');
      await expectAccessibilityBasics(page);
      const notice = await one.outbox.nextMessageTo('uma@example.com', beforeDone);
      expect(notice.subject).toContain('Your account was unlocked');

      // The lockout lasts an hour in this process: only the unlock can have ended it.
      const again = await signIn(page, one.portal, user);
      expect(again.chain).toEqual([303, 200]);
      expect(again.path).toMatch(/^\/sign-in\/verify\?flow=/);
    });
  });

  it('blocked after 5 wrong codes: the fifth shows "Too many attempts" (429), and the block holds for a new reset too', async () => {
    const user = await createUser(one.portal, { username: 'bea', displayName: 'Bea Blocked', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'bea@example.com');
      await signOut(page);

      const flow = await identify(one, page, user.username);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'bea@example.com');
      const code = await one.outbox.nextCodeTo('bea@example.com', before);
      for (let n = 1; n <= 4; n++) {
        const r = await enterCode(page, wrongCode(code, n));
        expect(r.status, `wrong code ${n}`).toBe(400);
        expect(await page.locator('#f-code-error').innerText()).toBe('That code is not right. Check it and try again.');
      }
      const blocked = await enterCode(page, wrongCode(code, 5));
      expect(blocked.status).toBe(429);
      expect(await h1(page)).toBe('Too many attempts');
      expect((await alerts(page)).join('\n')).toMatch(/Too many wrong codes or answers\. For your security, self-service is blocked until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(for about 24 hours\)\./);
      expect(await mainText(page)).toContain('Need to get in sooner? Contact your administrator.');
      await expectAccessibilityBasics(page);

      // The blocked flow stays blocked, even for the right code.
      const shown = await visit(page, `${one.portal.url}${flow.path}`);
      expect(shown.status).toBe(429);
      expect(await h1(page)).toBe('Too many attempts');

      // A new reset for the same user is told at once, with until when.
      expect((await visit(page, `${one.portal.url}/reset`)).status).toBe(200);
      await page.getByLabel('Username', { exact: true }).fill(user.username);
      await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
      const again = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
      expect(again.chain).toEqual([303, 429]);
      expect(await h1(page)).toBe('Too many attempts');
      expect((await alerts(page)).join('\n')).toMatch(/self-service is blocked until .* UTC/);
      // The password was never changed.
      const old = await signIn(page, one.portal, user);
      expect(old.path).toMatch(/^\/sign-in\/verify\?flow=/);
    });
  });

  it('change password at /account/change-password: a wrong current password and a weak new one are refused with reasons, a good one is set; then only the new one signs in', async () => {
    const user = await createUser(one.portal, { username: 'chad', displayName: 'Chad Change', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      const signedIn = await signIn(page, one.portal, user);
      expect(signedIn.path).toBe('/account');
      const opened = await navigation(page, () => page.getByRole('link', { name: 'Change password', exact: true }).click());
      expect(opened.path).toBe('/account/change-password');
      expect(await h1(page)).toBe('Change your password');
      await expectAccessibilityBasics(page);

      const submit = async (current: string, next: string) => {
        await page.getByLabel('Current password', { exact: true }).fill(current);
        await page.getByLabel('New password', { exact: true }).fill(next);
        await page.getByLabel('Type the password again', { exact: true }).fill(next);
        return navigation(page, () => page.getByRole('button', { name: 'Change password', exact: true }).click());
      };
      const wrongCurrent = await submit('Not my password at all', 'Copper willow nebula 31');
      expect(wrongCurrent.status).toBe(400);
      expect(await page.locator('#f-current-error').innerText()).toBe('Your current password is not correct.');
      await expectAccessibilityBasics(page);

      const weak = await submit(user.password, 'Summer2026');
      expect(weak.status).toBe(400);
      expect(await page.locator('#f-password-error').innerText()).toBe('It is too easy to guess: add another word or two. Several uncommon words make a strong password; symbols and digits add little.');
      await expectAccessibilityBasics(page);

      const done = await submit(user.password, 'Copper willow nebula 31');
      expect(done.chain).toEqual([303, 200]);
      expect(done.path).toBe('/account?done=change.done');
      expect(await statusMessages(page)).toContain('Your password is changed. Your other sessions have been signed out.');
      await signOut(page);

      const old = await signIn(page, one.portal, user);
      expect(old.status).toBe(401);
      const fresh = await signIn(page, one.portal, { ...user, password: 'Copper willow nebula 31' });
      expect(fresh.path).toBe('/account');
    });
  });

  it('an administrator needs two methods even where the policy asks for one, and security questions are not offered to them once partly proven', async () => {
    const user = await createUser(one.portal, { username: 'ada', displayName: 'Ada Admin', password: OLD_PASSWORD, role: 'administrator' });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'ada@example.com');
      const key = await registerAuthenticator(one, page);
      await signOut(page);

      await identify(one, page, user.username);
      // The list is the same for everyone before identity is proven, questions included.
      expect(await waysOffered(page)).toEqual(ALL_CHOICES);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'ada@example.com');
      const first = await enterCode(page, await one.outbox.nextCodeTo('ada@example.com', before));
      expect(first.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Reset your password');
      expect(await statusMessages(page)).toContain('First check passed. For your account, a second check is needed.');
      // Partly proven: only what can still count for an administrator is offered.
      expect(await waysOffered(page)).toEqual(ALL_CHOICES.filter((c) => c !== 'Email me a code' && c !== 'Answer my security questions'));

      await chooseWay(page, 'Enter a code from my authenticator app');
      const second = await enterCode(page, currentTotp(key, Date.now() + 30_000));
      expect(second.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Amber glacier fiddle 55');
      await expectOnlyNewPasswordWorks(one, page, user, 'Amber glacier fiddle 55');
    });
  });

  it('security questions chosen for a name that matches nobody, or by an administrator, show three questions like anyone else\'s and refuse every answer', async () => {
    const admin = await createUser(one.portal, { username: 'abe', displayName: 'Abe Admin', password: OLD_PASSWORD, role: 'administrator' });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, admin);
      await registerEmail(one, page, 'abe@example.com');
      await signOut(page);
      for (const name of ['nobody.with.questions', admin.username]) {
        await identify(one, page, name);
        const shown = await pickWay(page, 'Answer my security questions');
        expect(shown.chain, `choosing questions for ${name}`).toEqual([303, 200]);
        expect(await page.locator('main h2').first().innerText()).toBe('Your security questions');
        const labels = (await page.locator('main form label').allInnerTexts()).map((t) => t.trim());
        expect(labels).toHaveLength(3);
        for (const [i] of labels.entries()) await page.locator(`#f-answer${i}`).fill('Rex');
        const refused = await navigation(page, () => page.getByRole('button', { name: 'Check my answers', exact: true }).click());
        expect(refused.status).toBe(400);
        expect(await mainText(page)).toContain('One or more answers are not right. Answers are not case-sensitive; check the spelling.');
        await expectAccessibilityBasics(page);
      }
    });
  });

  it('two methods required: after the email code the page says a second check is needed and no longer offers email; the authenticator app completes the proof', async () => {
    const user = await createUser(two.portal, { username: 'tess', displayName: 'Tess Two', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, two.portal, user);
      await registerEmail(two, page, 'tess@example.com');
      const key = await registerAuthenticator(two, page);
      await signOut(page);

      await identify(two, page, user.username);
      const before = await two.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'tess@example.com');
      const first = await enterCode(page, await two.outbox.nextCodeTo('tess@example.com', before));
      expect(first.chain).toEqual([303, 200]);
      expect(first.path).toMatch(/^\/reset\/verify\?flow=/);
      expect(await h1(page)).toBe('Reset your password');
      expect(await statusMessages(page)).toContain('First check passed. For your account, a second check is needed.');
      expect(await page.locator('main legend').first().innerText()).toBe('Choose a second way to prove it is you');
      expect(await waysOffered(page)).toEqual(ALL_CHOICES.filter((c) => c !== 'Email me a code'));
      await expectAccessibilityBasics(page);

      await chooseWay(page, 'Enter a code from my authenticator app');
      expect(await codeHint(page)).toBe('Enter the 6-digit code from your authenticator app.');
      await expectAccessibilityBasics(page);
      // Registration used the current step's code; the app's next one (within the allowed skew) is new.
      const second = await enterCode(page, currentTotp(key, Date.now() + 30_000));
      expect(second.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Sable kettle meridian 8');
      await expectOnlyNewPasswordWorks(two, page, user, 'Sable kettle meridian 8');
    });
  });

  it('never weaker than sign-in: where one method is required, a user with an authenticator app is not let through by the email code alone; the page says why, offers the app, and the app completes the proof', async () => {
    const user = await createUser(one.portal, { username: 'nina', displayName: 'Nina Neverweaker', password: OLD_PASSWORD });
    await withPage(browser, async (page) => {
      await signIn(page, one.portal, user);
      await registerEmail(one, page, 'nina@example.com');
      const key = await registerAuthenticator(one, page);
      await signOut(page);

      await identify(one, page, user.username);
      // Before the proof: the same list as for anyone.
      expect(await waysOffered(page)).toEqual(ALL_CHOICES);
      const before = await one.outbox.mark();
      await chooseWithContact(page, 'Email me a code', 'nina@example.com');
      const first = await enterCode(page, await one.outbox.nextCodeTo('nina@example.com', before));
      expect(first.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Reset your password');
      expect(await statusMessages(page)).toContain('First check passed. Because you set up an authenticator app, use it now, or verify one more way.');
      expect(await page.locator('main legend').first().innerText()).toBe('Choose a second way to prove it is you');
      // The app the page asks for comes first; every other method still counts as the second one.
      const app = 'Enter a code from my authenticator app';
      expect(await waysOffered(page)).toEqual([app, ...ALL_CHOICES.filter((c) => c !== 'Email me a code' && c !== app)]);
      expect(await page.locator('#f-password').count()).toBe(0);
      await expectAccessibilityBasics(page);

      await chooseWay(page, 'Enter a code from my authenticator app');
      const second = await enterCode(page, currentTotp(key, Date.now() + 30_000));
      expect(second.chain).toEqual([303, 200]);
      await expectNewPasswordPage(page, user.username);
      await setNewPassword(page, 'Lichen harbour sextant 64');
      await expectOnlyNewPasswordWorks(one, page, user, 'Lichen harbour sextant 64');
    });
  });

  it('an expired flow (1-minute flows, a minute later) sends the user back to /reset with the "took too long" message, even with the right code, and nothing was changed', { timeout: 150_000 }, async () => {
    if (!expiring) expiring = (await startExpiringFlow()).flow;
    const { page, user, startedAt, code } = expiring;
    const wait = startedAt + 61_000 - Date.now();
    if (wait > 0) await sleep(wait);

    const r = await enterCode(page, code);
    expect(r.chain).toEqual([303, 200]);
    expect(r.path).toBe('/reset?m=expired');
    expect(await h1(page)).toBe('Reset your password');
    expect(await mainText(page)).toContain('That reset took too long or was already used, so it has ended. Nothing was changed. Please start again.');
    await expectAccessibilityBasics(page);

    const old = await signIn(page, short.portal, user);
    expect(old.path).toMatch(/^\/sign-in\/verify\?flow=/);
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
