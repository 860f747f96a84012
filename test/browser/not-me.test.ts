import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit } from '../helpers/browser.js';
import { createUser, enterCode, h1, mainText, signIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';

/**
 * "This wasn't me" through the real `sspr start` process and real Chromium: a user changes the
 * password, the notice's link (read from the outbox) is opened in another browser, the page asks
 * first, the button protects the account; then an administrator finds the block on the user's
 * page and turns self-service back on. The tests build on each other, in order.
 *
 * With SHOTS_DIR set, each page is also saved there at 1280 and 390 pixels wide.
 */

const HELPDESK = 'helpdesk@example.org';
const user = { username: 'nora', displayName: 'Nora North', password: 'Not-Me-Browser-Pass-1' };
const admin = { username: 'nm.admin', displayName: 'Nia Admin', password: 'Not-Me-Report-Pass-7' };
const NEW_PASSWORD = 'Changed-By-Someone-Else-42';

let portal: PortalProcess;
let outbox: PortalOutbox;
let browser: Browser;
let link: string;


describe('"this wasn\'t me" (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { branding: { helpdesk: HELPDESK } } });
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

  it('the notice of a password change carries the link; opening it asks first, the button protects the account and says what happens next', async () => {
    const own = await newPage(browser);
    await signIn(own, portal, user);
    // An address to be told on: registering it is confirmed with the code it receives.
    await visit(own, `${portal.url}/account/security-info`);
    await navigation(own, () => own.getByRole('link', { name: 'Add an email address', exact: true }).click());
    await own.getByLabel('Email address', { exact: true }).fill('nora@example.org');
    let mark = await outbox.mark();
    await navigation(own, () => own.getByRole('button', { name: 'Send code', exact: true }).click());
    expect((await enterCode(own, await outbox.nextCodeTo('nora@example.org', mark))).chain).toEqual([303, 200]);

    // The password is changed (by whoever holds the session); the notice arrives with its link.
    await visit(own, `${portal.url}/account/change-password`);
    await own.getByLabel('Current password', { exact: true }).fill(user.password);
    await own.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await own.getByLabel('Type the password again', { exact: true }).fill(NEW_PASSWORD);
    mark = await outbox.mark();
    const changed = await navigation(own, () => own.getByRole('button', { name: 'Change password', exact: true }).click());
    expect(changed.path).toBe('/account?done=change.done');
    const notice = await outbox.nextMessageTo('nora@example.org', mark);
    expect(notice.subject).toContain('Your password was changed');
    const links = [...(notice.body ?? '').matchAll(/http:\/\/127\.0\.0\.1:\d+\/not-me\?token=[A-Za-z0-9_-]+/g)].map((m) => m[0]);
    expect(links).toHaveLength(1);
    link = links[0]!;
    expect(link.startsWith(`${portal.url}/not-me?token=`)).toBe(true);

    // The real user reads the message on another device.
    const phone = await newPage(browser);
    const opened = await visit(phone, link);
    expect(opened.status).toBe(200);
    expect(await h1(phone)).toBe('Report a change you did not make');
    const asked = await mainText(phone);
    expect(asked).toContain('Your password was changed.');
    expect(asked).toContain('Everyone signed in to your account is signed out.');
    await expectAccessibilityBasics(phone);
    await shootBothWidths(phone, 'not-me-report');

    const done = await navigation(phone, () => phone.getByRole('button', { name: 'Report it and protect my account', exact: true }).click());
    expect(done.chain).toEqual([200]);
    expect(await h1(phone)).toBe('Thank you, your account is protected');
    expect(await mainText(phone)).toContain(`Contact your helpdesk now, so they can check your account with you and set a new password if it is needed: ${HELPDESK}`);
    expect(await phone.getByRole('link', { name: HELPDESK, exact: true }).getAttribute('href')).toBe(`mailto:${HELPDESK}`);
    await expectAccessibilityBasics(phone);
    await shootBothWidths(phone, 'not-me-done');

    // Whoever was signed in is out; the link is spent.
    const back = await visit(own, `${portal.url}/account`);
    expect(back.path.startsWith('/sign-in')).toBe(true);
    const again = await visit(phone, link);
    expect(again.status).toBe(410);
    expect(await h1(phone)).toBe('This link cannot be used');
    await shootBothWidths(phone, 'not-me-used');
  });

  it('the administrator sees the block on the user\'s page and in the audit log, and turns self-service back on', async () => {
    const page = await newPage(browser);
    await signIn(page, portal, admin);
    await visit(page, `${portal.url}/admin/users?q=nora`);
    await navigation(page, () => page.getByRole('link', { name: user.username, exact: true }).click());
    const shown = await mainText(page);
    expect(shown).toContain('Self-service is turned off');
    expect(shown).toContain('Your password was changed.');
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'not-me-admin-user');
    const userPath = new URL(page.url()).pathname;

    await navigation(page, () => page.getByRole('link', { name: 'See the report in the audit log', exact: true }).click());
    const audit = await mainText(page);
    expect(audit).toContain('User reported: this was not me');
    expect(await page.locator('main [title="not_me_reported"]').count()).toBeGreaterThan(0);
    expect(audit).toContain('Needs attention');
    expect(await page.getByLabel('Only events that need attention', { exact: true }).isChecked()).toBe(true);
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'not-me-admin-audit');

    await visit(page, `${portal.url}${userPath}`);
    const lifted = await navigation(page, () => page.getByRole('button', { name: 'Turn self-service back on', exact: true }).click());
    expect(lifted.chain).toEqual([303, 200]);
    expect(await statusMessages(page)).toContain('Self-service is turned back on for this user.');
    expect(await page.getByRole('button', { name: 'Turn self-service back on', exact: true }).count()).toBe(0);
    await shootBothWidths(page, 'not-me-admin-lifted');
  });

  it('no page logged an error or broke the content security policy', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
