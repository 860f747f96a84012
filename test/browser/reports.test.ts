import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, pageProblems, screenshotOnFailure, seriousPageProblems, visit, withPage } from '../helpers/browser.js';
import { createFirstAdmin, submitSignIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';

/**
 * The reports page through the real `sspr start` process and real Chromium: the administrator
 * made with the setup link fails a password change once (so there is activity to show), opens
 * Reports, sees the charts drawn and the tables filled, switches the period and downloads the CSV.
 */

const admin = { username: 'report.admin', displayName: 'Rita Reports', password: 'Saffron-Browser-Pass-7' };
const charts = ['chart-coverage', 'chart-reset', 'chart-unlock', 'chart-change', 'chart-methods'];

let portal: PortalProcess;
let browser: Browser;
let page: Page;

const today = () => new Date().toISOString().slice(0, 10);

async function cellTexts(row: ReturnType<Page['locator']>): Promise<string[]> {
  return (await row.locator('td').allInnerTexts()).map((s) => s.trim());
}

describe('reports (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the administrator is created with the setup link and signs in', async () => {
    await withPage(browser, async (setup) => {
      const done = await createFirstAdmin(setup, portal.setupLink!, admin);
      expect(done.path).toBe('/sign-in?m=setupDone');
    });
    page = await newPage(browser);
    const r = await submitSignIn(page, portal.url, admin.username, admin.password);
    expect(r.path).toBe('/admin');
  });

  it('a password change with a wrong current password is refused (activity for the report)', async () => {
    await visit(page, `${portal.url}/account/change-password`);
    await page.getByLabel('Current password', { exact: true }).fill('not-my-password');
    await page.getByLabel('New password', { exact: true }).fill('Another-Long-Password-9');
    await page.getByLabel('Type the password again', { exact: true }).fill('Another-Long-Password-9');
    const r = await navigation(page, () => page.getByRole('button', { name: 'Change password' }).click());
    expect(r.status).toBe(400);
  });

  it('Reports shows the coverage numbers, four sections and every chart drawn as a visible SVG image', async () => {
    await visit(page, `${portal.url}/admin`);
    const opened = await navigation(page, () => page.locator('.admin-nav').getByRole('link', { name: 'Reports' }).click());
    expect(opened.status).toBe(200);
    expect(opened.path).toBe('/admin/reports');
    expect(await page.locator('h1').innerText()).toBe('Reports');
    expect(await page.locator('main h2').allInnerTexts()).toEqual(['Registration', 'Activity', 'Methods used', 'Top failure reasons']);
    await expectAccessibilityBasics(page);

    // Only the administrator exists: in scope, not registered (administrators need two methods).
    expect(await page.locator('#stat-in-scope .n').innerText()).toBe('1');
    expect(await page.locator('#stat-registered .n').innerText()).toBe('0');
    expect(await page.locator('#stat-not-registered .n').innerText()).toBe('1');

    for (const id of charts) {
      const svg = page.locator(`svg#${id}`);
      expect(await svg.getAttribute('role'), id).toBe('img');
      expect(await svg.isVisible(), id).toBe(true);
      const box = await svg.boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.width, id).toBeGreaterThan(200);
      expect(box!.height, id).toBeGreaterThan(50);
      expect((await svg.locator(':scope > title').textContent())?.trim(), id).not.toBe('');
    }
    // The accessible name comes from the chart's title and description.
    expect(await page.getByRole('img', { name: /^Password changes per day/ }).count()).toBe(1);
    // The failed change is drawn: a bar segment with its tooltip.
    expect(await page.locator('svg#chart-change rect > title').allTextContents()).toEqual([`${today()}, Failure: 1`]);
  });

  it('the tables carry the same numbers as the charts', async () => {
    await visit(page, `${portal.url}/admin/reports`);
    const total = page.locator('#table-activity tfoot tr');
    expect(await cellTexts(total)).toEqual(['0', '0', '0', '0', '0', '0', '0', '1', '0']);
    expect(await cellTexts(page.locator(`#table-activity tr[data-day="${today()}"]`))).toEqual(['0', '0', '0', '0', '0', '0', '0', '1', '0']);
    expect(await page.locator('#table-activity tbody tr').count()).toBe(30);
    const reason = page.locator('#table-reasons tr[data-reason="current_password_wrong"]');
    expect(await reason.locator('th').innerText()).toBe('The current password was wrong');
    expect(await cellTexts(reason)).toEqual(['Password change', '1']);
    expect(await page.locator('#table-coverage tbody tr').count()).toBe(7);
    expect(await page.locator('#table-methods tbody tr').count()).toBe(7);
  });

  it('the period selector switches to the last 7 days without JavaScript', async () => {
    await visit(page, `${portal.url}/admin/reports`);
    await page.getByLabel('Period', { exact: true }).selectOption('7');
    const r = await navigation(page, () => page.getByRole('button', { name: 'Show', exact: true }).click());
    expect(r.status).toBe(200);
    expect(r.path).toBe('/admin/reports?days=7');
    expect(await page.getByLabel('Period', { exact: true }).inputValue()).toBe('7');
    expect(await page.locator('#table-activity tbody tr').count()).toBe(7);
    const bars = await page.locator('svg#chart-reset').boundingBox();
    expect(bars!.width).toBeGreaterThan(200);
    await expectAccessibilityBasics(page);
  });

  it('the CSV link downloads the activity table of the chosen period', async () => {
    await visit(page, `${portal.url}/admin/reports?days=7`);
    const link = page.getByRole('link', { name: 'Download the activity table (CSV)' });
    expect(await link.getAttribute('href')).toBe('/admin/reports/activity.csv?days=7');
    const downloaded = page.waitForEvent('download');
    await link.click();
    const download = await downloaded;
    expect(download.suggestedFilename()).toMatch(/^activity-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('date,reset_success,reset_failure,reset_blocked,unlock_success,unlock_failure,unlock_blocked,change_success,change_failure,change_blocked');
    expect(lines).toHaveLength(8);
    expect(lines.at(-1)).toBe(`${today()},0,0,0,0,0,0,0,1,0`);
  });

  it('no page reported a Content-Security-Policy violation or a script error', async () => {
    expect(seriousPageProblems(pageProblems(page))).toEqual([]);
    await closePage(page);
    expect(seriousPageProblems()).toEqual([]);
  });
});
