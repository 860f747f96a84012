import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage } from '../helpers/browser.js';
import { mainText, signIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';

/**
 * The first-run story and the admin console, through the real `sspr start` process and real
 * Chromium. The tests run in order and build on each other: the administrator created by the
 * first test signs in in a later one, the user created through the form is then edited.
 */

const admin = { username: 'admin.one', displayName: 'Ada Admin', password: 'Browser-Test-Pass-1' };
const dana = { username: 'dana.dahl', displayName: 'Dana Dahl', email: 'dana@example.com', password: 'Violet-New-Password-2' };
const erin = { username: 'erin.evans', displayName: 'Erin Evans', password: 'Juniper-Password-3x' };
const groupName = 'Pilot testers';

let portal: PortalProcess;
let browser: Browser;
let adminPage: Page;
let danaPath = '';

describe('first run and the admin console (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('prints a one-time setup link on first run', () => {
    expect(portal.setupLink, portal.output()).toMatch(new RegExp(`^${portal.url.replace(/\./g, '\\.')}/setup\\?token=[A-Za-z0-9_-]{20,}$`));
    expect(portal.output()).toContain('No administrator exists yet');
  });

  it('the setup link refuses a mismatched confirmation with a field error, then creates the administrator and sends them to sign-in with the "ready" notice', async () => {
    await withPage(browser, async (page) => {
      const opened = await visit(page, portal.setupLink!);
      expect(opened.status).toBe(200);
      expect(await page.locator('h1').innerText()).toBe('Set up the administrator account');
      await expectAccessibilityBasics(page);

      await page.getByLabel('Username', { exact: true }).fill(admin.username);
      await page.getByLabel('Display name', { exact: true }).fill(admin.displayName);
      await page.getByLabel('Password', { exact: true }).fill(admin.password);
      await page.getByLabel('Type the password again', { exact: true }).fill(`${admin.password}-typo`);
      const refused = await navigation(page, () => page.getByRole('button', { name: 'Create administrator' }).click());
      expect(refused.status).toBe(400);
      const summary = page.getByRole('alert');
      // Keyboard and screen-reader users start at the summary (autofocus, no script needed).
      expect(await page.evaluate<boolean>("document.activeElement !== null && document.activeElement.classList.contains('error-summary')")).toBe(true);
      expect(await summary.innerText()).toContain('There is a problem with what you entered.');
      expect(await summary.innerText()).toContain('Type the password again: The two passwords are not the same.');
      expect(await page.locator('#f-confirm-error').innerText()).toBe('The two passwords are not the same.');
      const confirm = page.getByLabel('Type the password again', { exact: true });
      expect(await confirm.getAttribute('aria-invalid')).toBe('true');
      expect((await confirm.getAttribute('aria-describedby')) ?? '').toContain('f-confirm-error');
      // What was typed (except passwords) is kept.
      expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(admin.username);
      expect(await page.getByLabel('Display name', { exact: true }).inputValue()).toBe(admin.displayName);
      expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('');
      await expectAccessibilityBasics(page);

      await page.getByLabel('Password', { exact: true }).fill(admin.password);
      await page.getByLabel('Type the password again', { exact: true }).fill(admin.password);
      const done = await navigation(page, () => page.getByRole('button', { name: 'Create administrator' }).click());
      expect(done.chain).toEqual([303, 200]);
      expect(done.path).toBe('/sign-in?m=setupDone');
      expect(await statusMessages(page)).toContain('The administrator account is ready. Sign in with it now.');
      expect(await mainText(page)).not.toContain('This portal has no administrator yet');
    });
  });

  it('the same setup link used again shows the "not valid any more" page (410) without a form', async () => {
    await withPage(browser, async (page) => {
      const again = await visit(page, portal.setupLink!);
      expect(again.status).toBe(410);
      expect(await page.getByRole('alert').innerText()).toContain('This setup link is not valid any more');
      expect(await page.locator('main form').count()).toBe(0);
      await expectAccessibilityBasics(page);
    });
  });

  it('a wrong password shows "The username or password is not correct." (401) and keeps the username', async () => {
    await withPage(browser, async (page) => {
      const r = await signIn(page, portal, { ...admin, password: 'not-the-password' });
      expect(r.status).toBe(401);
      expect(r.path).toBe('/sign-in');
      expect(await page.getByRole('alert').innerText()).toBe('The username or password is not correct.');
      expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(admin.username);
      await expectAccessibilityBasics(page);
    });
  });

  it('the sign-in page has a skip link to the main content and a labelled form', async () => {
    await withPage(browser, async (page) => {
      await visit(page, `${portal.url}/sign-in`);
      const skip = page.getByRole('link', { name: 'Skip to main content' });
      expect(await skip.getAttribute('href')).toBe('#main');
      expect(await page.locator('main#main').count()).toBe(1);
      await expectAccessibilityBasics(page);
    });
  });

  it('the administrator signs in by pressing Enter in the form and lands on /admin', async () => {
    adminPage = await newPage(browser);
    const r = await signIn(adminPage, portal, admin, 'enter');
    expect(r.chain).toEqual([303, 200]);
    expect(r.path).toBe('/admin');
    expect(await adminPage.locator('h1').innerText()).toBe('Admin console');
    expect(await adminPage.getByRole('link', { name: 'Admin console' }).count()).toBe(1);
    await expectAccessibilityBasics(adminPage);
  });

  it('keyboard: the first Tab reaches the skip link, and Enter on it moves focus to the main content', async () => {
    expect((await visit(adminPage, `${portal.url}/admin`)).path).toBe('/admin');
    await adminPage.keyboard.press('Tab');
    const focused = () => adminPage.evaluate<string>('(() => { const el = document.activeElement; return el ? (el.id || el.textContent || el.tagName).trim() : ""; })()');
    expect(await focused()).toBe('Skip to main content');
    await adminPage.keyboard.press('Enter');
    await adminPage.waitForURL(/#main$/);
    expect(await focused()).toBe('main');
  });

  it('creating a user with a bad email shows a clear field error and creates nothing', async () => {
    await visit(adminPage, `${portal.url}/admin/users/new`);
    expect(await adminPage.locator('h1').innerText()).toBe('Create a user');
    await expectAccessibilityBasics(adminPage);
    await adminPage.getByLabel('Username', { exact: true }).fill(dana.username);
    await adminPage.getByLabel('Display name', { exact: true }).fill(dana.displayName);
    await adminPage.getByLabel('Email address (optional)', { exact: true }).fill('dana-at-example');
    const r = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Create user' }).click());
    expect(r.status).toBe(400);
    expect(await adminPage.getByRole('alert').innerText()).toContain('Email address: Enter a valid email address, like name@example.com.');
    expect(await adminPage.locator('#f-email-error').innerText()).toBe('Enter a valid email address, like name@example.com.');
    expect(await adminPage.getByLabel('Email address (optional)', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await adminPage.getByLabel('Username', { exact: true }).inputValue()).toBe(dana.username);
    await expectAccessibilityBasics(adminPage);

    const list = await visit(adminPage, `${portal.url}/admin/users?q=${encodeURIComponent(dana.username)}`);
    expect(list.status).toBe(200);
    expect(await mainText(adminPage)).toContain('No users match.');
    expect(await adminPage.locator('main table').count()).toBe(0);
  });

  it('an administrator creates a user through the form, finds it with the search box and opens it', async () => {
    await visit(adminPage, `${portal.url}/admin/users`);
    await expectAccessibilityBasics(adminPage);
    const toForm = await navigation(adminPage, () => adminPage.getByRole('link', { name: 'Create user' }).click());
    expect(toForm.path).toBe('/admin/users/new');
    await adminPage.getByLabel('Username', { exact: true }).fill(dana.username);
    await adminPage.getByLabel('Display name', { exact: true }).fill(dana.displayName);
    await adminPage.getByLabel('Email address (optional)', { exact: true }).fill(dana.email);
    expect(await adminPage.getByRole('checkbox', { name: 'User', exact: true }).isChecked()).toBe(true);
    const created = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Create user' }).click());
    expect(created.chain).toEqual([303, 200]);
    expect(created.path).toMatch(/^\/admin\/users\/[^/?]+\?done=users\.done\.created$/);
    expect(await statusMessages(adminPage)).toContain('User created.');

    await visit(adminPage, `${portal.url}/admin/users`);
    await adminPage.getByRole('searchbox', { name: 'Search users' }).fill('dahl');
    const searched = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Search', exact: true }).click());
    expect(searched.status).toBe(200);
    expect(searched.path).toBe('/admin/users?q=dahl');
    expect(await adminPage.getByRole('searchbox', { name: 'Search users' }).inputValue()).toBe('dahl');
    expect(await mainText(adminPage)).toContain('1 user');
    const rows = adminPage.locator('main table tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain(dana.email);
    expect(await adminPage.getByRole('link', { name: admin.username }).count()).toBe(0);

    const opened = await navigation(adminPage, () => adminPage.getByRole('link', { name: dana.username, exact: true }).click());
    expect(opened.status).toBe(200);
    danaPath = new URL(adminPage.url()).pathname;
    expect(danaPath).toMatch(/^\/admin\/users\/[^/]+$/);
    expect(await adminPage.locator('h1').innerText()).toBe(`${dana.displayName} (${dana.username})`);
    expect(await mainText(adminPage)).toContain('No password set');
    await expectAccessibilityBasics(adminPage);
  });

  it("an administrator sets the user's password from the user page, and the user can then sign in", async () => {
    await visit(adminPage, `${portal.url}${danaPath}`);
    await adminPage.getByLabel('Password', { exact: true }).fill(dana.password);
    await adminPage.getByLabel('Type the password again', { exact: true }).fill(dana.password);
    const r = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Set password' }).click());
    expect(r.chain).toEqual([303, 200]);
    // The list links by username; an action comes back to the same page by the user's id.
    expect(r.path).toMatch(/^\/admin\/users\/[^/?]+\?done=users\.done\.password$/);
    expect(await statusMessages(adminPage)).toContain("The password is set and the user's sessions have ended.");
    expect(await mainText(adminPage)).toContain('Password last set');
    await expectAccessibilityBasics(adminPage);

    await withPage(browser, async (page) => {
      const signedIn = await signIn(page, portal, dana);
      expect(signedIn.path).toBe('/account');
      expect(await page.locator('h1').innerText()).toBe('My account');
    });
  });

  it('disabling the user shows the Disabled badge on the user page and in the list, and the user can no longer sign in', async () => {
    await visit(adminPage, `${portal.url}${danaPath}`);
    expect(await adminPage.locator('main [data-state="account"] .badge').innerText()).toBe('Enabled');
    const r = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Disable account' }).click());
    expect(r.chain).toEqual([303, 200]);
    expect(await statusMessages(adminPage)).toContain('The account is disabled and its sessions have ended.');
    expect(await adminPage.locator('main [data-state="account"] .badge').innerText()).toBe('Disabled');
    expect(await adminPage.getByRole('button', { name: 'Enable account' }).count()).toBe(1);

    await visit(adminPage, `${portal.url}/admin/users?q=${encodeURIComponent(dana.username)}`);
    expect(await adminPage.locator('main table tbody tr').first().locator('.badge').innerText()).toBe('Disabled');

    await withPage(browser, async (page) => {
      const refused = await signIn(page, portal, dana);
      expect(refused.status).toBe(403);
      expect(await page.getByRole('alert').innerText()).toBe('Your account is disabled. Contact your helpdesk to turn it back on.');
    });
  });

  it('a group created on the groups page can be chosen on the user page, and the user then shows as its member', async () => {
    await visit(adminPage, `${portal.url}/admin/groups`);
    expect(await adminPage.locator('h1').innerText()).toBe('Groups');
    expect(await mainText(adminPage)).toContain('No groups yet.');
    await expectAccessibilityBasics(adminPage);
    await adminPage.getByLabel('Group name', { exact: true }).fill(groupName);
    await adminPage.getByLabel('Description (optional)', { exact: true }).fill('Trying the portal first');
    const created = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Create group' }).click());
    expect(created.chain).toEqual([303, 200]);
    expect(created.path).toMatch(/^\/admin\/groups\/[^/?]+\?done=groups\.done\.created$/);
    expect(await statusMessages(adminPage)).toContain('Group created.');
    expect(await adminPage.locator('h1').innerText()).toBe(groupName);
    expect(await mainText(adminPage)).toContain('This group has no members yet.');
    await expectAccessibilityBasics(adminPage);
    const groupPath = new URL(adminPage.url()).pathname;

    await visit(adminPage, `${portal.url}${danaPath}`);
    expect(await mainText(adminPage)).toContain('Not a member of any group.');
    await adminPage.getByLabel('Group', { exact: true }).selectOption({ label: groupName });
    const added = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Add to group' }).click());
    expect(added.chain).toEqual([303, 200]);
    expect(added.path).toMatch(/^\/admin\/users\/[^/?]+\?done=users\.done\.groupAdded$/);
    expect(await statusMessages(adminPage)).toContain('Added to the group.');
    expect(await adminPage.getByRole('link', { name: groupName, exact: true }).getAttribute('href')).toBe(groupPath);
    expect(await adminPage.getByRole('button', { name: `Remove from ${groupName}` }).count()).toBe(1);
    await expectAccessibilityBasics(adminPage);

    await navigation(adminPage, () => adminPage.getByRole('link', { name: groupName, exact: true }).click());
    expect(await mainText(adminPage)).toContain('1 user in total');
    expect(await adminPage.getByRole('link', { name: dana.username, exact: true }).getAttribute('href')).toBe(danaPath);
    await visit(adminPage, `${portal.url}/admin/groups`);
    const row = adminPage.locator('main table tbody tr', { hasText: groupName });
    expect((await row.locator('td').nth(2).innerText()).trim()).toBe('1');
  });

  it('a normal user created through the form can sign in but is refused /admin with the "Not allowed" page (403)', async () => {
    await visit(adminPage, `${portal.url}/admin/users/new`);
    await adminPage.getByLabel('Username', { exact: true }).fill(erin.username);
    await adminPage.getByLabel('Display name', { exact: true }).fill(erin.displayName);
    await adminPage.getByLabel('Password', { exact: true }).fill(erin.password);
    const created = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Create user' }).click());
    expect(created.chain).toEqual([303, 200]);
    expect(await adminPage.locator('h1').innerText()).toBe(`${erin.displayName} (${erin.username})`);
    expect(await adminPage.getByRole('checkbox', { name: 'User', exact: true }).isChecked()).toBe(true);
    expect(await adminPage.getByRole('checkbox', { name: 'Administrator', exact: true }).isChecked()).toBe(false);

    await withPage(browser, async (page) => {
      const signedIn = await signIn(page, portal, erin);
      expect(signedIn.path).toBe('/account');
      expect(await page.getByRole('link', { name: 'Admin console' }).count()).toBe(0);
      await expectAccessibilityBasics(page);

      const refused = await visit(page, `${portal.url}/admin`);
      expect(refused.status).toBe(403);
      expect(refused.path).toBe('/admin');
      expect(await page.locator('h1').innerText()).toBe('Not allowed');
      expect(await mainText(page)).toContain('Your account does not have access to this page.');
      expect(await page.locator('.admin-nav').count()).toBe(0);
      await expectAccessibilityBasics(page);

      const refusedUsers = await visit(page, `${portal.url}/admin/users`);
      expect(refusedUsers.status).toBe(403);
    });
  });

  it('signing out shows the signed-out notice, and /admin then redirects to sign-in', async () => {
    await visit(adminPage, `${portal.url}/admin`);
    const out = await navigation(adminPage, () => adminPage.getByRole('button', { name: 'Sign out', exact: true }).click());
    expect(out.chain).toEqual([303, 200]);
    expect(out.path).toBe('/sign-in?m=signedOut');
    expect(await statusMessages(adminPage)).toContain('You are signed out.');
    expect(await adminPage.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(0);

    const again = await visit(adminPage, `${portal.url}/admin`);
    expect(again.chain).toEqual([303, 200]);
    const landed = new URL(adminPage.url());
    expect(landed.pathname).toBe('/sign-in');
    expect(landed.searchParams.get('next')).toBe('/admin');
    expect(await adminPage.locator('h1').innerText()).toBe('Sign in');
    await closePage(adminPage);
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
