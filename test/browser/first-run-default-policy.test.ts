import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, visit } from '../helpers/browser.js';
import { createFirstAdmin, signIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { currentTotp } from '../../src/methods/totp.js';
import { codeIn } from '../helpers/codes.js';

/**
 * A newcomer's first run with the shipped defaults (registration required, outbox delivery):
 * setup link → first administrator → the registration interrupt asks for two methods → an
 * authenticator app and an email address whose code is read in the outbox → the console.
 * Then a second sign-in asks for a second factor.
 */
const admin = { username: 'first.admin', displayName: 'First Admin', password: 'Default-Policy-Pass-1' };

let portal: PortalProcess;
let browser: Browser;
let page: Page;
let totpKey = '';

describe('first run with the default policy (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { methods: { registrationRequired: true } } });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the setup link creates the first administrator', async () => {
    const r = await createFirstAdmin(page, portal.setupLink!, admin);
    expect(r.path.split('?')[0]).toBe('/sign-in');
  });

  it('the first sign-in leads to registering two methods before the console', async () => {
    const r = await signIn(page, portal, admin);
    expect(r.path.split('?')[0]).toBe('/account/security-info');
    const main = await page.locator('main').innerText();
    expect(main).toContain('Register your security info');
    expect(main).toContain('0 of 2 registered.');
    await expectAccessibilityBasics(page);
    const blocked = await visit(page, `${portal.url}/admin/users`);
    expect(blocked.path.split('?')[0]).toBe('/account/security-info');
  });

  it('registers an authenticator app by scanning (the key as text) and typing its code', async () => {
    await navigation(page, () => page.getByRole('button', { name: 'Add an authenticator app' }).click());
    expect(await page.locator('.qr svg').count()).toBe(1);
    totpKey = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    expect(totpKey).toMatch(/^[A-Z2-7]{32}$/);
    await expectAccessibilityBasics(page);
    await page.getByLabel('Code', { exact: true }).fill(currentTotp(totpKey, Date.now()));
    const r = await navigation(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(r.path.split('?')[0]).toBe('/account/security-info');
    expect(await page.locator('main').innerText()).toContain('1 of 2 registered.');
  });

  it('registers an email address with the code read in the outbox', async () => {
    await navigation(page, () => page.getByRole('link', { name: 'Add an email address' }).click());
    await page.getByLabel('Email address', { exact: true }).fill('first.admin@example.com');
    const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code' }).click());
    expect(sent.path).toMatch(/^\/account\/security-info\/confirm\//);
    const confirmUrl = page.url();
    await visit(page, `${portal.url}/admin/outbox`);
    const outbox = await page.locator('main').innerText();
    expect(outbox).toContain('first.admin@example.com');
    const code = codeIn(outbox, 8);
    await visit(page, confirmUrl);
    await page.getByLabel('Code', { exact: true }).fill(code);
    const r = await navigation(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(r.path.split('?')[0]).toBe('/account/security-info');
    const main = await page.locator('main').innerText();
    expect(main).toContain('is registered.');
    expect(main).not.toContain('Register your security info');
  });

  it('then the console opens', async () => {
    const r = await visit(page, `${portal.url}/admin`);
    expect(r.path.split('?')[0]).toBe('/admin');
    expect(await page.locator('h1').innerText()).toBe('Admin console');
  });

  it('the next sign-in asks for a second factor, and the authenticator app passes it', async () => {
    await navigation(page, () => page.getByRole('button', { name: 'Sign out' }).click());
    const r = await signIn(page, portal, admin);
    expect(r.path.split('?')[0]).toBe('/sign-in/verify');
    expect(await page.locator('h1').innerText()).toBe('Verify your identity');
    await expectAccessibilityBasics(page);
    await navigation(page, () => page.getByRole('button', { name: /Use Authenticator app/ }).click());
    // The next time step (within the ±1 step of skew allowed): the registration's code cannot be reused.
    await page.getByLabel('Code', { exact: true }).fill(currentTotp(totpKey, Date.now() + 30_000));
    const done = await navigation(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(done.path.split('?')[0]).toBe('/admin');
    expect(seriousPageProblems()).toEqual([]);
  });
});
