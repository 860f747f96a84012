import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, newPage, screenshotOnFailure, shootBothWidths, visit } from '../helpers/browser.js';
import { h1 } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';

/** The header's "Sign in" link is for the other pages: on the sign-in page it would lead to itself (issue 17). */

let portal: PortalProcess;
let browser: Browser;
let page: Page;

describe('the header on the sign-in page (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess();
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('has no "Sign in" link on the sign-in page, whose one primary action is the form\'s "Sign in" button', async () => {
    await visit(page, `${portal.url}/sign-in`);
    expect(await h1(page)).toBe('Sign in');
    const header = page.locator('header.top');
    expect(await header.getByRole('link', { name: 'Sign in' }).count()).toBe(0);
    expect(await header.getByRole('link', { name: 'OpenSSPR' }).count()).toBe(1);
    // Nor an empty navigation landmark.
    expect(await header.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Sign in', exact: true }).count()).toBe(1);
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'sign-in-header', { noOverflow: true });
  });

  it('keeps the link on the other public pages (the reset page)', async () => {
    await visit(page, `${portal.url}/reset`);
    expect(await page.locator('header.top').getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in', exact: true }).count()).toBe(1);
  });
});
