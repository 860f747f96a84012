import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit } from '../helpers/browser.js';
import { addUserWithCli, alerts, createUser, enterCode, h1, mainText, sendCodeVia, signIn, submitNewPassword, wrongCode } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';

/**
 * The support desk's first browser journey (issue 13), through the real `sspr start` process and
 * real Chromium, with the policy's defaults (the caller must be verified before a reset link):
 * a user blocks their own self-service with five wrong codes; a helpdesk user (role Password
 * administrator, not an administrator) signs in, finds them, sees the block, verifies the caller by
 * a code sent to the caller's registered email, unblocks self-service and sends a reset link to
 * that address; the user sets a new password from the link and signs in with it. The helpdesk
 * never sees the address in full, nor the password. The tests build on each other, in order.
 *
 * With SHOTS_DIR set, the support page is saved at 1280 and 390 px in each state.
 */

const HELPDESK_CONTACT = 'https://help.example.org/sspr';
const user = { username: 'greta', displayName: 'Greta Green', password: 'Forgot-It-Again-Pass-62' };
const desk = { username: 'hd.tom', displayName: 'Tom Helpdesk', password: 'Calm-Voice-Headset-Pass-4' };
const EMAIL = 'greta@example.org';
const NEW_PASSWORD = 'Chosen-Alone-Quietly-93';

let portal: PortalProcess;
let outbox: PortalOutbox;
let browser: Browser;
let deskPage: Page;



/** The form on the support page whose heading is `title`. */
const actionForm = (page: Page, title: string) => page.locator('form').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

/** One support action from the support page: the method (if any), the reason, then the confirmation. */
async function act(page: Page, title: string, reason: string, method?: RegExp): Promise<string> {
  const form = actionForm(page, title);
  if (method) {
    const option = form.getByRole('option', { name: method });
    await form.getByLabel('Method', { exact: true }).selectOption({ label: ((await option.textContent()) ?? '').trim() });
  }
  await form.getByLabel(/^Reason/).fill(reason);
  const confirm = await navigation(page, () => form.getByRole('button', { name: title, exact: true }).click());
  expect(confirm.status).toBe(200);
  expect(await mainText(page)).toContain(`Reason: ${reason}`);
  await expectAccessibilityBasics(page);
  const done = await navigation(page, () => page.getByRole('button', { name: title, exact: true }).click());
  expect(done.path, done.path).toMatch(/^\/admin\/users\/[^/?]+\?done=/);
  return (await statusMessages(page)).join(' ');
}

describe('support desk: blocked, verified, unblocked, reset from a link (real process, real Chromium)', { timeout: 120_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { branding: { helpdesk: HELPDESK_CONTACT }, delivery: { limits: { perDestinationPerHour: 50, perDestinationPerDay: 50 } } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
    await createUser(portal, user);
    expect(await addUserWithCli(portal, { ...desk, role: 'password_administrator' })).toContain(`Created ${desk.username}`);
  });

  afterAll(async () => {
    await browser?.close();
    await outbox?.close();
    await portal?.stop();
  });

  it('the user registers an email address, then blocks self-service with five wrong codes and is told until when and where the helpdesk is', async () => {
    const own = await newPage(browser);
    await signIn(own, portal, user);
    await visit(own, `${portal.url}/account/security-info`);
    await navigation(own, () => own.getByRole('link', { name: 'Add an email address', exact: true }).click());
    await own.getByLabel('Email address', { exact: true }).fill(EMAIL);
    let mark = await outbox.mark();
    await navigation(own, () => own.getByRole('button', { name: 'Send code', exact: true }).click());
    expect((await enterCode(own, await outbox.nextCodeTo(EMAIL, mark))).chain).toEqual([303, 200]);
    await own.context().close();

    const page = await newPage(browser);
    await visit(page, `${portal.url}/reset`);
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
    await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
    mark = await outbox.mark();
    await sendCodeVia(page, 'Email me a code', EMAIL);
    const code = await outbox.nextCodeTo(EMAIL, mark);
    for (let n = 1; n <= 4; n++) expect((await enterCode(page, wrongCode(code, n))).status).toBe(400);
    // Before the last attempt the page says what the next wrong code does.
    expect(await mainText(page)).toContain('1 attempt left before self-service is blocked for 24 hours');
    const blocked = await enterCode(page, wrongCode(code, 5));
    expect(blocked.status).toBe(429);
    expect((await alerts(page)).join('\n')).toMatch(/self-service is blocked until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await page.locator(`a[href="${HELPDESK_CONTACT}"]`).count()).toBeGreaterThan(0);
    await page.context().close();
  });

  it('the helpdesk user signs in, finds the user and sees the block; addresses are masked; the reset link waits for a verified caller', async () => {
    deskPage = await newPage(browser);
    const signedIn = await signIn(deskPage, portal, desk);
    expect(signedIn.path).toBe('/admin');
    await visit(deskPage, `${portal.url}/admin/users?q=greta`);
    await navigation(deskPage, () => deskPage.getByRole('link', { name: user.username, exact: true }).click());
    expect(await h1(deskPage)).toContain(user.displayName);
    const text = await mainText(deskPage);
    expect(text).toMatch(/Self-service blocked until/);
    expect(text).toContain('g•••@example.org');
    expect(await deskPage.content()).not.toContain(EMAIL);
    // The helpdesk gets no administrator's forms: no password to choose, no roles.
    expect(await deskPage.getByLabel('New password').count()).toBe(0);
    expect(await deskPage.getByRole('button', { name: 'Save roles' }).count()).toBe(0);
    await shootBothWidths(deskPage, 'support-desk-blocked', { noOverflow: true });
    await expectAccessibilityBasics(deskPage);

    // Unverified, the reset link is refused in plain words and nothing is sent.
    const mark = await outbox.mark();
    const form = actionForm(deskPage, 'Send a reset link');
    await form.getByLabel(/^Reason/).fill('Caller locked out, ticket 815');
    await navigation(deskPage, () => form.getByRole('button', { name: 'Send a reset link', exact: true }).click());
    expect(await mainText(deskPage)).toMatch(/[Vv]erify the caller first/);
    expect((await outbox.messagesTo(EMAIL)).filter((m) => m.id > mark)).toEqual([]);
  });

  it('the helpdesk verifies the caller by a code to the registered email, then unblocks self-service with a reason', async () => {
    await visit(deskPage, `${portal.url}/admin/users/${user.username}`);
    const panel = deskPage.locator('form').filter({ has: deskPage.getByRole('button', { name: 'Send code', exact: true }) });
    await panel.getByLabel(/g•••@example\.org/).check();
    const mark = await outbox.mark();
    await navigation(deskPage, () => panel.getByRole('button', { name: 'Send code', exact: true }).click());
    expect(await mainText(deskPage)).toContain('A code is on its way to g•••@example.org');
    const mail = await outbox.nextMessageTo(EMAIL, mark);
    expect(mail.body ?? '').toContain('Your helpdesk asked to confirm it is you');
    const spoken = await outbox.nextCodeTo(EMAIL, mark);
    await deskPage.getByLabel('Code the caller reads out', { exact: true }).fill(spoken);
    await navigation(deskPage, () => deskPage.getByRole('button', { name: 'Check', exact: true }).click());
    expect(await mainText(deskPage)).toMatch(/Verified at .+ reset link and unlock are available until/);
    await shootBothWidths(deskPage, 'support-desk-verified', { noOverflow: true });

    const unblocked = await act(deskPage, 'Unblock self-service', 'Verified by email code, ticket 815');
    expect(unblocked).toMatch(/unblocked|on again/i);
    expect(await mainText(deskPage)).not.toMatch(/Self-service blocked until/);
    const told = (await outbox.messagesTo(EMAIL)).map((m) => m.subject ?? '');
    expect(told.some((s) => /helpdesk/i.test(s) && /unblock|self-service/i.test(s))).toBe(true);
  });

  it('the helpdesk sends a reset link to the registered address; the user sets a new password from it and signs in with it', async () => {
    const sent = await act(deskPage, 'Send a reset link', 'Caller cannot sign in, ticket 815', /g•••@example\.org/);
    expect(sent).toContain('A reset link was sent');
    await shootBothWidths(deskPage, 'support-desk-link-sent', { noOverflow: true });
    // The helpdesk's page never holds the link or the password.
    const html = await deskPage.content();
    expect(html).not.toContain('/reset/link/');
    expect(html).not.toContain(NEW_PASSWORD);
    expect(seriousPageProblems()).toEqual([]);
    await deskPage.context().close();

    const mail = (await outbox.messagesTo(EMAIL)).find((m) => m.kind === 'support:reset-link')!;
    const link = /http:\/\/127\.0\.0\.1:\d+\/reset\/link\/[A-Za-z0-9_-]+/.exec(mail.body ?? '')![0];
    const own = await newPage(browser);
    await visit(own, link);
    await navigation(own, () => own.getByRole('button', { name: 'Continue to set a new password', exact: true }).click());
    await submitNewPassword(own, NEW_PASSWORD);
    expect(await h1(own)).toBe('Your password was reset');
    await own.context().close();

    const again = await newPage(browser);
    const r = await signIn(again, portal, { ...user, password: NEW_PASSWORD });
    // One method registered: the sign-in asks for it or opens the account; either way the new password was taken.
    expect(r.path).toMatch(/^\/(account|sign-in\/verify)/);
    await again.context().close();
  });
});
