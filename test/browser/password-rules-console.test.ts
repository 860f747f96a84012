import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage } from '../helpers/browser.js';
import { createFirstAdmin, createUser, enterCode, mainText, sendCodeVia, signIn, signOut, submitNewPassword } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { rangeDataset, rangeFolder } from '../helpers/pwned-ranges.js';

/**
 * The password rules page of the policy console (/admin/policy/passwords) through the real
 * process and real Chromium: a wrong value is refused with its field named and nothing saved;
 * the rules, breached passwords from a generated local range folder and the banned words are
 * saved as policy versions; the banned words go out and come back as a text file; a list of
 * 1,001 words is refused; a user then meets the breached-password reason on the change page.
 * The tests build on each other, in order.
 */

const admin = { username: 'rules.admin', displayName: 'Rhea Rules', password: 'Tangerine-Console-Pass-19' };
const LEAKED = 'Saffron lighthouse 1987';
const SHOTS = process.env['SSPR_SHOTS_DIR'];

let portal: PortalProcess;
let browser: Browser;
let page: Page;
let outbox: PortalOutbox;
const folder = rangeFolder(rangeDataset({ [LEAKED]: 7_345 }));

/** Screenshots at 1280 and 390 px for looking at the page (only when SSPR_SHOTS_DIR is set). */
async function shots(name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function save(): Promise<Awaited<ReturnType<typeof navigation>>> {
  return navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
}

describe('the password rules console (real process, real Chromium)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ config: { branding: { organisationName: 'Probecorp' }, reset: { captchaMaxNumber: 1000 } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await outbox?.close();
    await browser?.close();
    await portal?.stop();
    folder.cleanup();
  });

  it('the administrator opens Password rules from the policy console and sees the rules of the configuration', async () => {
    await createFirstAdmin(page, portal.setupLink!, admin);
    await signIn(page, portal, admin);
    await visit(page, `${portal.url}/admin/policy/properties`);
    const opened = await navigation(page, () => page.getByRole('link', { name: 'Password rules', exact: true }).click());
    expect(opened.path).toBe('/admin/policy/passwords');
    expect(await mainText(page)).toContain('Version 0: the starting policy from the configuration file.');
    expect(await page.getByLabel('Minimum length', { exact: true }).inputValue()).toBe('8');
    expect(await page.getByRole('group', { name: 'Check new passwords against data breaches' }).getByRole('radio', { name: 'Off', exact: true }).isChecked()).toBe(true);
    await expectAccessibilityBasics(page);
    await shots('password-rules');
  });

  it('a minimum longer than the maximum is refused with the field named, and nothing is saved', async () => {
    await page.getByLabel('Minimum length', { exact: true }).fill('40');
    await page.getByLabel('Maximum length', { exact: true }).fill('20');
    const r = await save();
    expect(r.status).toBe(400);
    expect(await page.locator('#f-passwords-minLength-error').innerText()).toBe('The minimum length cannot be more than the maximum length.');
    expect(await mainText(page)).toContain('Version 0:');
    await expectAccessibilityBasics(page);
    await shots('password-rules-error');
  });

  it('saves the rules, a local breached-password folder and banned words as version 1', async () => {
    await page.getByLabel('Minimum length', { exact: true }).fill('12');
    await page.getByLabel('Maximum length', { exact: true }).fill('128');
    await page.getByLabel('Banned words of your organisation', { exact: true }).fill('widgetmax\nharbourview');
    await page.getByRole('group', { name: 'Check new passwords against data breaches' }).getByRole('radio', { name: 'With our own copy (a folder of range files, or our own range service)', exact: true }).check();
    await page.getByLabel('Folder with the range files (for our own copy)', { exact: true }).fill(folder.dir);
    await page.getByLabel('Comment (optional)', { exact: true }).fill('Breached passwords from our copy');
    const r = await save();
    expect(r.chain).toEqual([303, 200]);
    expect(r.path).toBe('/admin/policy/passwords?done=policy.done.saved');
    expect(await statusMessages(page)).toContain('The policy is saved.');
    expect(await mainText(page)).toContain(`Version 1, saved by ${admin.username} on`);
    expect(await page.getByLabel('Minimum length', { exact: true }).inputValue()).toBe('12');
  });

  it('downloads the banned words as text and replaces them with an uploaded file (version 2)', async () => {
    const download = await page.request.get(`${portal.url}/admin/policy/passwords/banned.txt`);
    expect(download.headers()['content-type']).toBe('text/plain; charset=utf-8');
    expect(download.headers()['content-disposition']).toBe('attachment; filename="banned-words.txt"');
    expect(await download.text()).toBe('widgetmax\nharbourview\n');

    await page.getByLabel('Replace the banned words with a text file', { exact: true }).setInputFiles({ name: 'words.txt', mimeType: 'text/plain', buffer: Buffer.from('\uFEFFwidgetmax\r\nharbourview\r\n\r\nlakeside\r\n') });
    const r = await navigation(page, () => page.getByRole('button', { name: 'Upload and save', exact: true }).click());
    expect(r.path).toBe('/admin/policy/passwords?done=policy.done.saved');
    expect(await mainText(page)).toContain(`Version 2, saved by ${admin.username} on`);
    expect(await page.getByLabel('Banned words of your organisation', { exact: true }).inputValue()).toBe('widgetmax\nharbourview\nlakeside');
  });

  it('a file of 1,001 words is refused in plain words and the list stays as it was', async () => {
    const words = Array.from({ length: 1001 }, (_, i) => `word${String(i).padStart(4, '0')}`).join('\n');
    await page.getByLabel('Replace the banned words with a text file', { exact: true }).setInputFiles({ name: 'too-many.txt', mimeType: 'text/plain', buffer: Buffer.from(words) });
    const r = await navigation(page, () => page.getByRole('button', { name: 'Upload and save', exact: true }).click());
    expect(r.status).toBe(400);
    expect(await page.locator('#f-passwords-bannedCustom-error').innerText()).toBe('Add at most 1,000 banned words.');
    expect(await mainText(page)).toContain('Version 2,');
    await expectAccessibilityBasics(page);
    expect(await (await page.request.get(`${portal.url}/admin/policy/passwords/banned.txt`)).text()).toBe('widgetmax\nharbourview\nlakeside\n');
  });

  it('the history names the password settings each version changed', async () => {
    await visit(page, `${portal.url}/admin/policy/history`);
    const text = await mainText(page);
    for (const setting of ['Minimum length', 'Maximum length', 'Banned words of your organisation', 'Check new passwords against data breaches', 'Folder with the range files (for our own copy)']) expect(text).toMatch(new RegExp(`${setting.replace(/[()]/g, '\\$&')}: [^\n]+ → `));
    expect(text).toContain('Breached passwords from our copy');
    await expectAccessibilityBasics(page);
  });

  it('a user changing their password to a breached one is told how often it appeared, from the local copy', async () => {
    const user = await createUser(portal, { username: 'bruno', displayName: 'Bruno Baker', password: 'Copper willow nebula 31' });
    await withPage(browser, async (p) => {
      await signIn(p, portal, user);
      await visit(p, `${portal.url}/account/change-password`);
      await p.getByLabel('Current password', { exact: true }).fill(user.password);
      await p.getByLabel('New password', { exact: true }).fill(LEAKED);
      await p.getByLabel('Type the password again', { exact: true }).fill(LEAKED);
      const r = await navigation(p, () => p.getByRole('button', { name: 'Change password', exact: true }).click());
      expect(r.status).toBe(400);
      expect(await mainText(p)).toContain('This password appeared in a data breach 7,345 times.');
      await expectAccessibilityBasics(p);
      if (SHOTS) {
        for (const width of [1280, 390]) {
          await p.setViewportSize({ width, height: 900 });
          await p.screenshot({ path: join(SHOTS, `change-breached-${width}.png`), fullPage: true });
        }
      }
    });
  });

  it('on the reset page, the rules list breached passwords and a breached one is refused with how often it appeared', async () => {
    await withPage(browser, async (p) => {
      const user = { username: 'bruno', password: 'Copper willow nebula 31' };
      await signIn(p, portal, user);
      await visit(p, `${portal.url}/account/security-info`);
      await navigation(p, () => p.getByRole('link', { name: 'Add an email address', exact: true }).click());
      await p.getByLabel('Email address', { exact: true }).fill('bruno@example.com');
      let mark = await outbox.mark();
      await navigation(p, () => p.getByRole('button', { name: 'Send code', exact: true }).click());
      expect((await enterCode(p, await outbox.nextCodeTo('bruno@example.com', mark))).chain).toEqual([303, 200]);
      await signOut(p);

      await visit(p, `${portal.url}/reset`);
      await p.getByLabel('Username', { exact: true }).fill(user.username);
      await p.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
      await navigation(p, () => p.getByRole('button', { name: 'Next', exact: true }).click());
      mark = await outbox.mark();
      await sendCodeVia(p, 'Email me a code', 'bruno@example.com');
      await enterCode(p, await outbox.nextCodeTo('bruno@example.com', mark));
      expect(await mainText(p)).toContain('not be a password that appeared in a known data breach');
      expect(await mainText(p)).toContain('not contain your name, username or the organisation name');
      await expectAccessibilityBasics(p);
      const refused = await submitNewPassword(p, LEAKED);
      expect(refused.status).toBe(400);
      expect(await mainText(p)).toContain('This password appeared in a data breach 7,345 times.');
      await expectAccessibilityBasics(p);
      if (SHOTS) {
        for (const width of [1280, 390]) {
          await p.setViewportSize({ width, height: 900 });
          await p.screenshot({ path: join(SHOTS, `reset-breached-${width}.png`), fullPage: true });
        }
      }
    });
  });

  it('no page had a serious problem (console errors, failed requests, CSP violations)', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
