import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit } from '../helpers/browser.js';
import { alerts, h1, mainText, signIn } from '../helpers/browser-flows.js';
import { createTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { makeUser } from '../helpers/http-client.js';
import { startServer, type RunningServer } from '../../src/server.js';

/**
 * The helpdesk's reach in real Chromium against the portal served over HTTP: an administrator
 * limits a helpdesk user to a group (refused first for a DN typed wrong), the helpdesk user signs
 * in to the support desk's start page, finds a user of that group, and meets a user outside it
 * as a page that does not exist, and the policy page as not allowed. No page overflows at 390 px.
 */

const root = { username: 'root', password: 'Tangerine-Console-Pass-19' };
const desk = { username: 'desk', password: 'Quiet-Harbour-Lamp-42' };
const SHOTS = process.env['SSPR_SHOTS_DIR'];

let tp: TestPortal;
let server: RunningServer;
let browser: Browser;

async function shots(page: Page, name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    }
    // Nothing wider than the window at a phone's width.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow, `${name} at ${width}px`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('the helpdesk scope (real Chromium)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 } } });
    server = await startServer(tp.portal);
    browser = await launchBrowser();
    await makeUser(tp.portal, { ...root, roles: ['administrator'], displayName: 'Rhea Root' });
    await makeUser(tp.portal, { ...desk, roles: ['password_administrator'], displayName: 'Dana Desk' });
    const emea = await tp.portal.groups.create({ name: 'EMEA staff' });
    const berlin = await tp.portal.groups.create({ name: 'Berlin office' });
    await tp.portal.groups.addMember(emea.id, { type: 'group', id: berlin.id });
    const bob = await makeUser(tp.portal, { username: 'bob.baker', displayName: 'Bob Baker', email: 'bob@example.com' });
    await tp.portal.groups.addMember(berlin.id, { type: 'user', id: bob.id });
    await makeUser(tp.portal, { username: 'carol.clark', displayName: 'Carol Clark', email: 'carol@example.com' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await tp?.cleanup();
  });

  it('an administrator sets the scope on the helpdesk user\'s page; a DN typed wrong is refused and nothing is saved', async () => {
    const page = await newPage(browser);
    await signIn(page, server, root);
    await visit(page, `${server.url}/admin/users/desk`);
    expect(await mainText(page)).toContain('Helpdesk scope');
    await page.getByLabel('EMEA staff').check();
    await page.getByLabel('Hybrid users in these AD organisational units').fill('OU=Sales DC=corp');
    const bad = await navigation(page, () => page.getByRole('button', { name: 'Save scope' }).click());
    expect(bad.chain).toEqual([400]);
    expect((await alerts(page)).join(' ')).toContain('Enter each OU as a distinguished name');
    expect(await page.getByLabel('EMEA staff').isChecked()).toBe(true);
    await expectAccessibilityBasics(page);
    await shots(page, 'scope-form-error');
    expect((await tp.portal.helpdeskScopes.of((await tp.portal.users.byUsername('desk'))!.id)).entries).toEqual([]);

    await page.getByLabel('Hybrid users in these AD organisational units').fill('');
    const saved = await navigation(page, () => page.getByRole('button', { name: 'Save scope' }).click());
    expect(saved.chain).toEqual([303, 200]);
    expect(await statusMessages(page)).toContain('Helpdesk scope saved.');
    await shots(page, 'helpdesk-user-page');
  });

  it('the helpdesk user starts on the support desk, finds users in scope only, and nothing else exists or is allowed', async () => {
    const page = await newPage(browser);
    const landed = await signIn(page, server, desk);
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(landed.chain.at(-1)).toBe(200);
    expect(await h1(page)).toBe('Support desk');
    expect(await page.locator('nav.admin-nav a').allInnerTexts()).toEqual(['Overview', 'Users']);
    await expectAccessibilityBasics(page);
    await shots(page, 'helpdesk-home');

    await page.getByLabel('Search').fill('b');
    await navigation(page, () => page.getByRole('button', { name: 'Search' }).click());
    expect(await mainText(page)).toContain('1 user');
    expect(await mainText(page)).toContain('Bob Baker');
    // The helpdesk sees addresses masked.
    expect(await mainText(page)).toContain('b•••@example.com');
    expect(await page.content()).not.toContain('bob@example.com');
    expect(await mainText(page)).not.toContain('Carol Clark');
    expect(await page.getByRole('link', { name: 'New user' }).count()).toBe(0);
    await shots(page, 'helpdesk-users');

    expect((await visit(page, `${server.url}/admin/users/carol.clark`)).chain).toEqual([404]);
    expect(await h1(page)).toBe('Page not found');
    expect((await visit(page, `${server.url}/admin/policy`)).chain).toEqual([403]);
    expect(await h1(page)).toBe('Not allowed');
    expect(seriousPageProblems()).toEqual([]);
  });
});
