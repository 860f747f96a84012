import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit } from '../helpers/browser.js';
import { createUser, enterCode, h1, mainText, signIn, signOut, submitNewPassword } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';

/**
 * The support desk's second browser journey (issue 13), through the real `sspr start` process and
 * real Chromium: a user registered an email address and a mobile phone; the phone is lost. An
 * administrator removes the phone from the user's support actions and requires re-registration,
 * each with a typed reason and a confirmation. At the user's next sign-in every method is gone
 * (no second factor is asked), and the portal leads them through registering again. Then the
 * administrator sends a reset link and the user sets a new password from it. The tests build on
 * each other, in order.
 *
 * With SHOTS_DIR set, the confirmation page and the link's landing page are saved at 1280 and 390 px.
 */

const user = { username: 'lena', displayName: 'Lena Lindqvist', password: 'Lost-Phone-Browser-Pass-3' };
const admin = { username: 'sd.admin', displayName: 'Sam Desk', password: 'Quiet-Harbour-Lamp-Pass-8' };
const EMAIL = 'lena@example.org';
const PHONE = '+4915112345678';
const NEW_PASSWORD = 'Chosen-By-Herself-Only-51';

let portal: PortalProcess;
let outbox: PortalOutbox;
let browser: Browser;
let userId: string;


/** The second factor at sign-in by a code to the email address. */
async function passEmailFactor(page: Page): Promise<void> {
  const mark = await outbox.mark();
  await navigation(page, () => page.getByRole('button', { name: /^Use Email/ }).first().click());
  await enterCode(page, await outbox.nextCodeTo(EMAIL, mark));
}

/** One support action from its page: pick the method (if any), type the reason, confirm. */
async function supportAction(page: Page, path: string, button: string, reason: string, method?: RegExp): Promise<string> {
  await visit(page, `${portal.url}/admin/users/${userId}/support/${path}`);
  await shootBothWidths(page, `support-action-${path}`, { noOverflow: true });
  if (method) await page.getByLabel('Method', { exact: true }).selectOption({ label: (await page.getByRole('option', { name: method }).textContent()) ?? '' });
  await page.getByLabel(/^Reason/).fill(reason);
  const confirm = await navigation(page, () => page.getByRole('button', { name: button, exact: true }).click());
  expect(confirm.status).toBe(200);
  expect(await mainText(page)).toContain(`Reason: ${reason}`);
  await shootBothWidths(page, `support-confirm-${path}`, { noOverflow: true });
  await expectAccessibilityBasics(page);
  const done = await navigation(page, () => page.getByRole('button', { name: button, exact: true }).click());
  expect(done.path, done.path).toMatch(/^\/admin\/users\/[^/?]+\?done=/);
  return (await statusMessages(page)).join(' ');
}

describe('support: a lost phone is removed and the user registers again (real process, real Chromium)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { methods: { available: ['email', 'mobile_sms'] }, delivery: { limits: { perDestinationPerHour: 50, perDestinationPerDay: 50 } } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
    await createUser(portal, user);
    await createUser(portal, { ...admin, role: 'administrator' });
  });

  afterAll(async () => {
    await browser?.close();
    await outbox?.close();
    await portal?.stop();
  });

  it('the user registers an email address and a mobile phone', async () => {
    const own = await newPage(browser);
    await signIn(own, portal, user);
    for (const [link, label, value, to] of [
      ['Add an email address', 'Email address', EMAIL, EMAIL],
      ['Add a mobile phone', 'Phone number', PHONE, PHONE],
    ] as const) {
      await visit(own, `${portal.url}/account/security-info`);
      await navigation(own, () => own.getByRole('link', { name: link, exact: true }).click());
      await own.getByLabel(label, { exact: true }).fill(value);
      const mark = await outbox.mark();
      await navigation(own, () => own.getByRole('button', { name: 'Send code', exact: true }).click());
      expect((await enterCode(own, await outbox.nextCodeTo(to, mark))).chain).toEqual([303, 200]);
    }
    expect(await mainText(own)).toContain('•• 78');
    await signOut(own);
    // From now on a sign-in asks for a second factor.
    await signIn(own, portal, user);
    expect(await h1(own)).not.toBe('My account');
    await own.context().close();
  });

  it('the administrator removes the lost phone and requires re-registration, each confirmed with a reason', async () => {
    const page = await newPage(browser);
    await signIn(page, portal, admin);
    await visit(page, `${portal.url}/admin/users?q=lena`);
    const href = await page.getByRole('link', { name: /lena/i }).first().getAttribute('href');
    userId = /\/admin\/users\/([^/?]+)/.exec(href ?? '')![1]!;

    const removed = await supportAction(page, 'remove-method', 'Remove a method', 'Phone lost on the train, ticket 4711', /Mobile phone/);
    expect(removed).toContain('The method was removed');
    // The address is never shown in full, and the removed phone is no longer offered.
    await visit(page, `${portal.url}/admin/users/${userId}/support/remove-method`);
    const offered = await page.getByRole('option').allTextContents();
    expect(offered.some((o) => o.includes('Mobile phone'))).toBe(false);
    expect(await page.content()).not.toContain(EMAIL);

    const required = await supportAction(page, 'require-registration', 'Require re-registration', 'New phone, re-enrol everything');
    expect(required).toContain('Re-registration is required');
    expect(seriousPageProblems()).toEqual([]);
    await page.context().close();

    const told = (await outbox.messagesTo(EMAIL)).map((m) => m.subject ?? '');
    expect(told.some((s) => s.includes('The helpdesk removed a method from your security info'))).toBe(true);
    expect(told.some((s) => s.includes('The helpdesk asked you to register your security info again'))).toBe(true);
  });

  it('at the next sign-in every method is gone and the user is led through registration', async () => {
    const own = await newPage(browser);
    // No second factor: the methods went as the password was proven.
    const r = await signIn(own, portal, user);
    expect(r.path).toBe('/account/security-info?register=1');
    expect(await mainText(own)).not.toContain('•• 78');
    // Anything else leads back to registration until enough is registered again.
    const account = await visit(own, `${portal.url}/account`);
    expect(account.path).toBe('/account/security-info?register=1');
    await navigation(own, () => own.getByRole('link', { name: 'Add an email address', exact: true }).click());
    await own.getByLabel('Email address', { exact: true }).fill(EMAIL);
    const mark = await outbox.mark();
    await navigation(own, () => own.getByRole('button', { name: 'Send code', exact: true }).click());
    await enterCode(own, await outbox.nextCodeTo(EMAIL, mark));
    const after = await visit(own, `${portal.url}/account`);
    expect(after.path).toBe('/account');
    expect(seriousPageProblems()).toEqual([]);
    await own.context().close();
  });

  it('a reset link: the administrator sends it, the user opens it and chooses the new password', async () => {
    const page = await newPage(browser);
    await signIn(page, portal, admin);
    // A token-less console caller still has to verify callers; this journey switches that off in the policy.
    await visit(page, `${portal.url}/admin/policy/helpdesk`);
    await page.getByRole('group', { name: 'Verify the caller before a reset link or an unlock' }).getByLabel('No', { exact: true }).check();
    await navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
    const sent = await supportAction(page, 'reset-link', 'Send a reset link', 'Caller cannot sign in', /Email/);
    expect(sent).toContain('A reset link was sent');
    await page.context().close();

    const mail = (await outbox.messagesTo(EMAIL)).find((m) => m.kind === 'support:reset-link')!;
    const link = /http:\/\/127\.0\.0\.1:\d+\/reset\/link\/[A-Za-z0-9_-]+/.exec(mail.body ?? '')![0];
    const own = await newPage(browser);
    await visit(own, link);
    expect(await h1(own)).toBe('Reset your password');
    await shootBothWidths(own, 'support-reset-link-landing', { noOverflow: true });
    await expectAccessibilityBasics(own);
    await navigation(own, () => own.getByRole('button', { name: 'Continue to set a new password', exact: true }).click());
    await submitNewPassword(own, NEW_PASSWORD);
    expect(await h1(own)).toBe('Your password was reset');
    // The link is spent.
    await visit(own, link);
    expect(await h1(own)).toBe('This link cannot be used');
    await shootBothWidths(own, 'support-reset-link-used', { noOverflow: true });
    await own.context().close();

    const again = await newPage(browser);
    await signIn(again, portal, { ...user, password: NEW_PASSWORD });
    await passEmailFactor(again);
    expect(new URL(again.url()).pathname).toBe('/account');
    await again.context().close();
  });
});
