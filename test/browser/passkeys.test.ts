import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { addVirtualAuthenticator, expectAccessibilityBasics, launchBrowser, navigation, newPage, pageProblems, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage } from '../helpers/browser.js';
import { mainText, signIn, signOut } from '../helpers/browser-flows.js';
import { repoRoot, startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';

/**
 * Passkeys through the real `sspr start` process and real Chromium, with virtual WebAuthn
 * authenticators from the DevTools protocol. The public URL is http://localhost:<port>: WebAuthn
 * needs a secure context (loopback counts) and a host name as RP ID (an IP address is refused).
 * The tests run in order on one page and build on each other.
 */

const paula = { username: 'paula.passkey', displayName: 'Paula Passkey', password: 'Copper-Willow-Pass-1' };
const BASE = '/account/security-info';

let portal: PortalProcess;
let browser: Browser;
let page: Page;
let cdp: CDPSession;
let laptop = ''; // virtual authenticator ids
let blueKey = '';

async function credentialsOn(authenticatorId: string) {
  return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
}

/** Opens "Add a passkey" from My security info, names the passkey and presses "Create passkey". */
async function startAddingPasskey(name: string) {
  await visit(page, `${portal.url}${BASE}`);
  const opened = await navigation(page, () => page.getByRole('link', { name: 'Add a passkey' }).click());
  expect(opened.path).toBe(`${BASE}/add/passkey`);
  await page.locator('#passkey-register-note').waitFor({ state: 'hidden' });
  await page.getByLabel('Name for this passkey', { exact: true }).fill(name);
}

/** Each passkey row as words: its cells, the action cell as its buttons' names (they sit side by side, with no text between them). */
async function passkeyRows(): Promise<string[]> {
  const rows: string[] = [];
  for (const row of await page.locator('main table tbody tr').all()) {
    const cells: string[] = [];
    for (const cell of await row.locator('th, td').all()) {
      const buttons = await cell.locator('button').allInnerTexts();
      cells.push(buttons.length ? buttons.join(' ') : await cell.innerText());
    }
    const text = cells.join(' ').replace(/\s+/g, ' ').trim();
    if (text.startsWith('Passkey')) rows.push(text);
  }
  return rows;
}

describe('passkeys (real process, real Chromium, virtual authenticators)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ publicHost: 'localhost' });
    // A plain user, created by the CLI against the same configuration while the portal runs.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SSPR_')) env[k] = v;
    execFileSync(process.execPath, [join(repoRoot, 'bin', 'sspr.js'), 'user', 'add', paula.username, '--display-name', paula.displayName, '--password-stdin', '--config', join(portal.dir, 'sspr.yaml')], { input: `${paula.password}\n`, env, cwd: portal.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    browser = await launchBrowser();
    page = await newPage(browser);
    cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the portal runs on http://localhost so that "localhost" is the RP ID', () => {
    expect(portal.url).toMatch(/^http:\/\/localhost:\d+$/);
  });

  it('without any method yet, the user signs in with the password alone', async () => {
    const r = await signIn(page, portal, paula);
    expect(r.path).toBe('/account');
  });

  it('registers a passkey named by the user and sees it listed by name, not used yet', async () => {
    laptop = await addVirtualAuthenticator(cdp, 'internal');
    await startAddingPasskey('Work laptop');
    await expectAccessibilityBasics(page);
    const done = await navigation(page, () => page.getByRole('button', { name: 'Create passkey' }).click());
    expect(done.path).toBe(`${BASE}?done=methods.done.added&method=${encodeURIComponent('Passkey “Work laptop”')}`);
    expect(await statusMessages(page)).toContain('Passkey “Work laptop” is registered.');
    expect(await passkeyRows()).toEqual(['Passkey “Work laptop” Default Not used yet Test Remove']);
    const creds = await credentialsOn(laptop);
    expect(creds).toHaveLength(1);
    expect(creds[0]!.rpId).toBe('localhost');
    expect(creds[0]!.isResidentCredential).toBe(true);
  });

  it('the same authenticator cannot hold a second passkey for the account (excludeCredentials), and the page says so', async () => {
    await startAddingPasskey('Same laptop again');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    const alert = page.locator('#passkey-register-alert');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.innerText()).toBe('This authenticator already holds a passkey for your account. Use another one, or remove the old passkey first.');
    expect(new URL(page.url()).pathname).toBe(`${BASE}/add/passkey`);
    expect(await credentialsOn(laptop)).toHaveLength(1);
    await visit(page, `${portal.url}${BASE}`);
    expect(await passkeyRows()).toHaveLength(1);
  });

  it('after signing out, sign-in asks for the passkey after the password and reaches /account with it', async () => {
    await signOut(page);
    const first = await signIn(page, portal, paula);
    expect(first.path).toMatch(/^\/sign-in\/verify\?flow=/);
    expect(await page.locator('h1').innerText()).toBe('Verify your identity');
    await page.locator('#passkey-sign-in-note').waitFor({ state: 'hidden' });
    await expectAccessibilityBasics(page);
    const done = await navigation(page, () => page.getByRole('button', { name: 'Use passkey' }).click());
    expect(done.path).toBe('/account');
    expect(await page.locator('h1').innerText()).toBe('My account');
    await visit(page, `${portal.url}${BASE}`);
    const [row] = await passkeyRows();
    expect(row).toMatch(/^Passkey “Work laptop” Default Last used \d{4}-\d\d-\d\d \d\d:\d\d UTC Test Remove$/);
  });

  it('a second passkey is registered on a second authenticator and both are listed', async () => {
    // The laptop is not at hand (it does not answer); the new security key does.
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: laptop, enabled: false });
    blueKey = await addVirtualAuthenticator(cdp, 'usb');
    await startAddingPasskey('Blue security key');
    const done = await navigation(page, () => page.getByRole('button', { name: 'Create passkey' }).click());
    expect(done.path).toContain(`${BASE}?done=methods.done.added`);
    expect(await statusMessages(page)).toContain('Passkey “Blue security key” is registered.');
    expect(await passkeyRows()).toEqual([expect.stringMatching(/^Passkey “Work laptop” Default Last used /), 'Passkey “Blue security key” Not used yet Test Remove']);
    expect(await credentialsOn(blueKey)).toHaveLength(1);
  });

  it('"Test" on a passkey asks that passkey alone, shows "It works" and marks only it as used', async () => {
    const laptopBefore = (await passkeyRows())[0];
    const blueCount = (await credentialsOn(blueKey))[0]!.signCount;
    await page.locator('#passkey-test-note').waitFor({ state: 'hidden' });
    await expectAccessibilityBasics(page);
    // The laptop does not answer: only the blue key, the one tested, is asked.
    const tested = await navigation(page, () => page.getByRole('button', { name: 'Test Passkey “Blue security key”', exact: true }).click());
    expect(tested.path).toBe(`${BASE}?done=methods.done.tested&method=${encodeURIComponent('Passkey “Blue security key”')}`);
    expect(await statusMessages(page)).toContain('It works: Passkey “Blue security key” verified you.');
    expect(await passkeyRows()).toEqual([laptopBefore, expect.stringMatching(/^Passkey “Blue security key” Last used \d{4}-\d\d-\d\d \d\d:\d\d UTC Test Remove$/)]);
    expect((await credentialsOn(blueKey))[0]!.signCount).toBeGreaterThan(blueCount);
  });

  it('removing a passkey takes it off the list', async () => {
    const removed = await navigation(page, () => page.getByRole('button', { name: 'Remove Passkey “Work laptop”' }).click());
    expect(removed.path).toBe(`${BASE}?done=methods.done.removed`);
    expect(await statusMessages(page)).toContain('The method was removed.');
    // The remaining method becomes the default, as after removing any default method.
    expect(await passkeyRows()).toEqual([expect.stringMatching(/^Passkey “Blue security key” Default Last used \d{4}-.* Test Remove$/)]);
    expect(await mainText(page)).not.toContain('Work laptop');
  });

  it('sign-in works with the remaining passkey', async () => {
    await signOut(page);
    const first = await signIn(page, portal, paula);
    expect(first.path).toMatch(/^\/sign-in\/verify\?flow=/);
    const done = await navigation(page, () => page.getByRole('button', { name: 'Use passkey' }).click());
    expect(done.path).toBe('/account');
    await visit(page, `${portal.url}${BASE}`);
    expect(await passkeyRows()).toEqual([expect.stringMatching(/^Passkey “Blue security key” Default Last used \d{4}-/)]);
  });

  it('"Verify it is you" offers "Use passkey", and the passkey continues to the page that asked', async () => {
    const next = `${BASE}/add/passkey`;
    const shown = await visit(page, `${portal.url}${BASE}/verify?next=${encodeURIComponent(next)}`);
    expect(shown.status).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('Verify it is you');
    await page.locator('#passkey-reauth-note').waitFor({ state: 'hidden' });
    await expectAccessibilityBasics(page);
    const done = await navigation(page, () => page.getByRole('button', { name: 'Use passkey', exact: true }).click());
    expect(done.path).toBe(next);
    expect(await page.locator('h1').innerText()).toBe('Add a passkey');
  });

  it('without JavaScript the pages say plainly that passkeys need it', async () => {
    await withPage(
      browser,
      async (noScript) => {
        const first = await signIn(noScript, portal, paula);
        expect(first.path).toMatch(/^\/sign-in\/verify\?flow=/);
        expect(await noScript.locator('#passkey-sign-in-note').innerText()).toBe('Passkeys need JavaScript and a browser that supports passkeys. If this browser cannot use them, use another method instead.');
        const r = await navigation(noScript, () => noScript.getByRole('button', { name: 'Use passkey' }).click());
        expect(r.status).toBe(400);
        expect(await noScript.getByRole('alert').first().innerText()).toContain('Passkeys need JavaScript');
        await expectAccessibilityBasics(noScript);
      },
      { javaScriptEnabled: false },
    );
  });

  it('no page broke the Content-Security-Policy or threw an error', () => {
    expect(seriousPageProblems()).toEqual([]);
    expect(seriousPageProblems(pageProblems(page))).toEqual([]);
  });
});
