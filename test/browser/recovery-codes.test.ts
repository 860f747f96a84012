import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit, withPage } from '../helpers/browser.js';
import { createUser, enterCode, h1, mainText, pickWay, signIn, submitNewPassword } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';

/**
 * Saved recovery codes through the real `sspr start` process and real Chromium: set up in My
 * security info (shown once, copied by the page's script, downloaded as a text file), then a
 * forgotten password reset with one of them, the same code refused the next time, and the
 * notice read from the process's outbox. With SHOTS_DIR=<folder> the codes page and the
 * reset step are also saved there at 1280 and 390 pixels wide, for a person to look at.
 */

const BASE = '/account/security-info';
const PASSWORD = 'Quiet harbour lamp 2031';
const NEW_PASSWORD = 'Copper kettle meadow 88';
const CODE = /\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b/g;

let portal: PortalProcess;
let outbox: PortalOutbox;
let browser: Browser;


async function registerEmail(page: Page, address: string): Promise<void> {
  await visit(page, `${portal.url}${BASE}`);
  await navigation(page, () => page.getByRole('link', { name: 'Add an email address', exact: true }).click());
  await page.getByLabel('Email address', { exact: true }).fill(address);
  const before = await outbox.mark();
  await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
  const done = await enterCode(page, await outbox.nextCodeTo(address, before));
  expect(done.chain).toEqual([303, 200]);
}

/** Opens /reset, types the name, waits for the page's robot check and presses Next. */
async function identify(page: Page, username: string): Promise<void> {
  await visit(page, `${portal.url}/reset`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
  const r = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  expect(r.path).toMatch(/^\/reset\/verify\?flow=/);
}

describe('saved recovery codes (real process, real Chromium)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { methods: { available: ['email', 'totp', 'recovery_code'], required: 1 }, reset: { captchaMaxNumber: 2000, startsPerIpPerHour: 1000 } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await outbox?.close();
    await portal?.stop();
  });

  it('register → codes shown once, copied and downloaded → reset with one code → the same code refused next time → notice received', async () => {
    const user = await createUser(portal, { username: 'rory.codes', displayName: 'Rory Codes', password: PASSWORD });
    const address = 'rory.private@mail.test';
    let codes: string[] = [];

    await withPage(
      browser,
      async (page) => {
        await signIn(page, portal, user);
        await registerEmail(page, address);
        await visit(page, `${portal.url}${BASE}`);
        const shown = await navigation(page, () => page.getByRole('button', { name: 'Set up recovery codes', exact: true }).click());
        expect(shown.status).toBe(200);
        expect(await h1(page)).toBe('Your recovery codes');
        codes = (await page.locator('ol#recovery-codes li').allInnerTexts()).map((s) => s.trim());
        expect(codes).toHaveLength(10);
        for (const code of codes) expect(code).toMatch(CODE);
        await expectAccessibilityBasics(page);

        // Copy: the script shows the button and puts the codes on the clipboard, one a line.
        const copy = page.getByRole('button', { name: 'Copy codes', exact: true });
        await copy.click();
        await page.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
        const clipboard = String(await page.evaluate('navigator.clipboard.readText()'));
        expect(clipboard.trim().split('\n')).toEqual(codes);

        // Download: a text file holding the same ten codes.
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as a text file', exact: true }).click()]);
        expect(download.suggestedFilename()).toBe('recovery-codes.txt');
        const file = readFileSync((await download.path())!, 'utf8');
        expect(file.match(CODE)).toEqual(codes);
        await shootBothWidths(page, 'recovery-codes-page', { height: 900 });

        const saved = await navigation(page, () => page.getByRole('button', { name: 'I have saved my codes', exact: true }).click());
        expect(saved.chain).toEqual([303, 200]);
        expect(await statusMessages(page)).toContain('Your recovery codes are registered. Keep them somewhere safe.');
        const overview = await mainText(page);
        expect(overview).toContain('10 of 10 codes left');
        expect(overview.match(CODE)).toBeNull();
        await shootBothWidths(page, 'recovery-codes-security-info', { height: 900 });
      },
      { permissions: ['clipboard-read', 'clipboard-write'] },
    );

    await withPage(browser, async (page) => {
      await identify(page, user.username);
      const chose = await pickWay(page, 'Enter one of my recovery codes');
      expect(chose.chain).toEqual([303, 200]);
      expect(await mainText(page)).toContain('Enter one of your saved recovery codes');
      await expectAccessibilityBasics(page);
      await shootBothWidths(page, 'reset-recovery-code-step', { height: 900 });
      const before = await outbox.mark();
      await page.getByLabel('Recovery code', { exact: true }).fill(codes[0]!.toLowerCase());
      const passed = await navigation(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());
      expect(passed.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Choose a new password');
      const done = await submitNewPassword(page, NEW_PASSWORD);
      expect(done.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Your password was reset');

      // The notice of the spent code and then the one of the reset arrive on the registered address.
      await outbox.nextMessageTo(address, before);
      const since = (await outbox.messagesTo(address)).filter((m) => m.id > before).map((m) => m.body ?? '');
      expect(since.some((body) => body.includes('One of your recovery codes was used just now to prove it is you. 9 of 10 codes are left.'))).toBe(true);
      for (const body of since) expect(body.match(CODE) ?? []).toEqual([]);
    });

    await withPage(browser, async (page) => {
      await identify(page, user.username);
      await pickWay(page, 'Enter one of my recovery codes');
      await page.getByLabel('Recovery code', { exact: true }).fill(codes[0]!);
      const replay = await navigation(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());
      expect(replay.status).toBe(400);
      expect(await mainText(page)).toContain('That recovery code was already used.');
      expect(await h1(page)).toBe('Reset your password');
      await shootBothWidths(page, 'reset-recovery-code-used', { height: 900 });
    });

    expect(seriousPageProblems()).toEqual([]);
  });
});
