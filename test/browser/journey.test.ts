import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit, withPage } from '../helpers/browser.js';
import { createUser, enterCode, h1, mainText, pickWay, sendCodeVia, signIn, signOut, submitNewPassword, waysOffered } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';

/**
 * Issue 17 item 1: reset and unlock one step at a time, walked in real Chromium against the real
 * `sspr start` process, with one and with two methods required, and the change-password page.
 * On every page: the step indicator's words, exactly one primary button, no sideways scrolling
 * at 1280 and 390 px, a page no taller than 900 px at 1280 px, and the accessibility basics.
 * Screenshots go to $SHOTS_DIR when it is set (e.g. SHOTS_DIR=/tmp/shots/journey).
 */

const OLD_PASSWORD = 'Mossy quartz lantern 1987';
const NEW_PASSWORD = 'Fresh meadow lantern 4242';
const BASE = '/account/security-info';
const WAYS = ['Email me a code', 'Text me a code', 'Enter a code from my authenticator app', 'Use my passkey'];

interface Env {
  portal: PortalProcess;
  outbox: PortalOutbox;
}

let browser: Browser;
const one = {} as Env;
const two = {} as Env;

async function started(env: Env, required: 1 | 2): Promise<void> {
  env.portal = await startPortalProcess({ config: { methods: { available: ['email', 'mobile_sms', 'totp', 'passkey'], required }, reset: { captchaMaxNumber: 2000, startsPerIpPerHour: 1000 } } });
  env.outbox = openPortalOutbox(env.portal);
}

/** What every step of the journey must be: the indicator's words, one primary button, short enough, no overflow, accessible. */
async function expectStepPage(page: Page, name: string, indicator: string | null, primaryButtons: 0 | 1 = 1): Promise<void> {
  if (indicator === null) expect(await page.locator('[data-step-indicator]').count(), name).toBe(0);
  else expect((await page.locator('[data-step-indicator]').innerText()).trim(), name).toBe(indicator);
  const primaries = await page.locator('main button:visible:not(.secondary):not(.danger)').allInnerTexts();
  expect(primaries, `${name}: one primary button`).toHaveLength(primaryButtons);
  await expectAccessibilityBasics(page);
  await shootBothWidths(page, `journey-${name}`, { noOverflow: true });
  const height = await page.evaluate<number>('document.documentElement.scrollHeight');
  expect(height, `${name}: page height at 1280 px`).toBeLessThanOrEqual(900);
}

async function registerContact(env: Env, page: Page, kind: 'email' | 'mobile', typed: string, to: string): Promise<void> {
  await visit(page, `${env.portal.url}${BASE}`);
  await navigation(page, () => page.getByRole('link', { name: kind === 'email' ? 'Add an email address' : 'Add a mobile phone', exact: true }).click());
  await page.getByLabel(kind === 'email' ? 'Email address' : 'Phone number', { exact: true }).fill(typed);
  const before = await env.outbox.mark();
  await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
  const done = await enterCode(page, await env.outbox.nextCodeTo(to, before));
  expect(done.chain).toEqual([303, 200]);
}

/** A user with an email address (and, for two methods, a mobile phone), registered through My security info. */
async function userWithMethods(env: Env, username: string, mobile?: string): Promise<{ username: string; displayName: string; password: string; email: string }> {
  const user = await createUser(env.portal, { username, displayName: `${username} Journey`, password: OLD_PASSWORD });
  const email = `${username}@example.com`;
  await withPage(browser, async (page) => {
    await signIn(page, env.portal, user);
    await registerContact(env, page, 'email', email, email);
    if (mobile) await registerContact(env, page, 'mobile', mobile, mobile);
    await signOut(page);
  });
  return { ...user, email };
}

/** Names the user on /reset or /unlock, with the robot check done by the page's script. */
async function identify(env: Env, page: Page, username: string, path: '/reset' | '/unlock', indicator: string, shot: string): Promise<void> {
  await visit(page, `${env.portal.url}${path}`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
  await expectStepPage(page, shot, indicator);
  const r = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  expect(r.chain).toEqual([303, 200]);
  expect(await mainText(page)).toContain(`Account: ${username}`);
}

/** From the list: the code by email (or text), typed on the code page. */
async function passByCode(env: Env, page: Page, way: string, contact: string, indicator: string, shot: string): Promise<void> {
  await expectStepPage(page, `${shot}-list`, indicator);
  expect(await waysOffered(page)).toEqual(WAYS);
  const before = await env.outbox.mark();
  await page.getByRole('radio', { name: way, exact: true }).check();
  const picked = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  expect(picked.chain).toEqual([303, 200]);
  // The picked way alone: its form, "Try another way" back to the list.
  await expectStepPage(page, `${shot}-address`, indicator);
  expect(await page.getByRole('link', { name: 'Try another way', exact: true }).count()).toBe(1);
  await page.locator('main input[name="contact"]').fill(contact);
  const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
  expect(sent.chain).toEqual([303, 200]);
  await expectStepPage(page, `${shot}-code`, indicator);
  expect(await page.locator('#f-resend-hint').innerText()).toMatch(/^Did not get it\? You can ask for a new code in \d+ seconds/);
  const code = await env.outbox.nextCodeTo(contact, before);
  if (shot === 'reset1') {
    // A mistyped code: the same summary at the top as on every form, focused, linking to the box, which says what is wrong.
    const wrong = await enterCode(page, code.replace(/.$/, (d) => String((Number(d) + 1) % 10)));
    expect(wrong.status).toBe(400);
    const summary = page.locator('main .error-summary[role="alert"]');
    expect(await summary.count()).toBe(1);
    expect(await page.evaluate<boolean>('document.activeElement?.classList.contains("error-summary") ?? false')).toBe(true);
    expect(await summary.locator('a[href="#f-code"]').count()).toBe(1);
    expect(await page.locator('#f-code').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-code-error').isVisible()).toBe(true);
    await expectStepPage(page, `${shot}-code-wrong`, indicator);
  }
  const verified = await enterCode(page, code);
  expect(verified.chain).toEqual([303, 200]);
}

describe('reset, unlock and change, one step at a time (real process, real Chromium)', { timeout: 120_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    await Promise.all([started(one, 1), started(two, 2)]);
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    for (const env of [one, two]) {
      await env.outbox?.close();
      await env.portal?.stop();
    }
  });

  it('reset with one method required: Step 1 of 3 (name), Step 2 of 3 (list, address, code), Step 3 of 3 (new password), then done', async () => {
    const user = await userWithMethods(one, 'olga');
    const page = await newPage(browser);
    await identify(one, page, user.username, '/reset', 'Step 1 of 3 · Your username', 'reset1-name');
    await passByCode(one, page, 'Email me a code', user.email, 'Step 2 of 3 · Prove it is you', 'reset1');
    expect(await h1(page)).toBe('Choose a new password');
    await expectStepPage(page, 'reset1-password', 'Step 3 of 3 · Choose a new password');
    const done = await submitNewPassword(page, NEW_PASSWORD);
    expect(done.chain).toEqual([303, 200]);
    expect(await h1(page)).toBe('Your password was reset');
    expect(await statusMessages(page)).toContain('Your password was reset. Your account was also unlocked, and you were signed out everywhere else.');
    // The done page's one action is the "Sign in" link.
    await expectStepPage(page, 'reset1-done', null, 0);
    expect(seriousPageProblems()).toEqual([]);
    await closePage(page);
  });

  it('reset with two methods required: Step 2 of 4 (email), Step 3 of 4 (a text message, email no longer offered), Step 4 of 4 (new password)', async () => {
    const user = await userWithMethods(two, 'tomas', '+4915123457301');
    const page = await newPage(browser);
    await identify(two, page, user.username, '/reset', 'Step 1 of 4 · Your username', 'reset2-name');
    await passByCode(two, page, 'Email me a code', user.email, 'Step 2 of 4 · Prove it is you', 'reset2-first');
    expect(await statusMessages(page)).toContain('First check passed. For your account, a second check is needed.');
    await expectStepPage(page, 'reset2-second-list', 'Step 3 of 4 · Prove it is you');
    expect(await waysOffered(page)).not.toContain('Email me a code');
    const before = await two.outbox.mark();
    const sent = await sendCodeVia(page, 'Text me a code', '+4915123457301');
    expect(sent.chain).toEqual([303, 200]);
    await expectStepPage(page, 'reset2-second-code', 'Step 3 of 4 · Prove it is you');
    expect((await enterCode(page, await two.outbox.nextCodeTo('+4915123457301', before))).chain).toEqual([303, 200]);
    await expectStepPage(page, 'reset2-password', 'Step 4 of 4 · Choose a new password');
    expect((await submitNewPassword(page, NEW_PASSWORD)).chain).toEqual([303, 200]);
    expect(await h1(page)).toBe('Your password was reset');
    await closePage(page);
  });

  it('unlock: the same steps, the last one titled "Unlock your account" (not "Choose a new password"), and the done page does not speak of a new password', async () => {
    const user = await userWithMethods(one, 'ulla');
    const page = await newPage(browser);
    await identify(one, page, user.username, '/unlock', 'Step 1 of 3 · Your username', 'unlock-name');
    await passByCode(one, page, 'Email me a code', user.email, 'Step 2 of 3 · Prove it is you', 'unlock');
    expect(await h1(page)).toBe('Unlock your account');
    expect(await page.title()).not.toContain('Choose a new password');
    await expectStepPage(page, 'unlock-final', 'Step 3 of 3 · Unlock your account');
    const done = await navigation(page, () => page.getByRole('button', { name: 'Unlock my account', exact: true }).click());
    expect(done.chain).toEqual([303, 200]);
    expect(await h1(page)).toBe('Your account is unlocked');
    const text = await mainText(page);
    expect(text).toContain('Sign in with your current password.');
    expect(text).not.toContain('new password');
    await expectStepPage(page, 'unlock-done', null, 0);
    // The password was not changed.
    await signIn(page, one.portal, user);
    expect(await h1(page)).toBe('Verify your identity');
    await closePage(page);
  });

  it('change password: one primary button, no overflow, no taller than 900 px', async () => {
    const user = await createUser(one.portal, { username: 'chris', displayName: 'Chris Change', password: OLD_PASSWORD });
    const page = await newPage(browser);
    await signIn(page, one.portal, user);
    const opened = await visit(page, `${one.portal.url}/account/change-password`);
    expect(opened.status).toBe(200);
    await expectStepPage(page, 'change', null);
    await closePage(page);
  });

  it('without JavaScript (after the robot check) every step is a plain form: the list, the address, the code; the passkey page says plainly that it needs JavaScript', async () => {
    const user = await userWithMethods(one, 'nils');
    const page = await newPage(browser);
    await identify(one, page, user.username, '/reset', 'Step 1 of 3 · Your username', 'nojs-name');
    const state = await page.context().storageState();
    const at = page.url();
    await closePage(page);
    await withPage(
      browser,
      async (plain) => {
        expect((await visit(plain, at)).status).toBe(200);
        expect(await waysOffered(plain)).toEqual(WAYS);
        expect((await pickWay(plain, 'Use my passkey')).chain).toEqual([303, 200]);
        expect(await mainText(plain)).toContain('Passkeys need JavaScript');
        await expectStepPage(plain, 'nojs-passkey', 'Step 2 of 3 · Prove it is you');
        const pressed = await navigation(plain, () => plain.getByRole('button', { name: 'Use my passkey', exact: true }).click());
        expect(pressed.status).toBe(400);
        expect(await mainText(plain)).toContain('Passkeys need JavaScript');
        await navigation(plain, () => plain.getByRole('link', { name: 'Try another way', exact: true }).click());
        const before = await one.outbox.mark();
        expect((await sendCodeVia(plain, 'Email me a code', user.email)).chain).toEqual([303, 200]);
        expect((await enterCode(plain, await one.outbox.nextCodeTo(user.email, before))).chain).toEqual([303, 200]);
        expect(await h1(plain)).toBe('Choose a new password');
      },
      { javaScriptEnabled: false, storageState: state },
    );
  });

  it('the list of ways is the same for an existing name and one that matches nobody, and "Try another way" goes back to it', async () => {
    const user = await userWithMethods(one, 'lena');
    const lists: string[][] = [];
    for (const name of [user.username, 'no.such.person']) {
      await withPage(browser, async (page) => {
        await identify(one, page, name, '/reset', 'Step 1 of 3 · Your username', `same-${name === user.username ? 'real' : 'unknown'}`);
        lists.push(await waysOffered(page));
        await sendCodeVia(page, 'Email me a code', 'typo@example.com');
        expect(await page.getByLabel('Code', { exact: true }).count()).toBe(1);
        const back = await navigation(page, () => page.getByRole('link', { name: 'Try another way', exact: true }).click());
        expect(back.status).toBe(200);
        expect(await waysOffered(page)).toEqual(WAYS);
        expect(await page.getByRole('radio', { name: 'Email me a code', exact: true }).isChecked()).toBe(true);
      });
    }
    expect(lists[0]).toEqual(WAYS);
    expect(lists[1]).toEqual(lists[0]);
  });
});
