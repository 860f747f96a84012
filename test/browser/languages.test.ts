import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, shootBothWidths, visit, withPage } from '../helpers/browser.js';
import { createUser, enterCode, signIn, signOut } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { translator, type Translate } from '../../src/i18n/index.js';
import { LANGUAGE_CODES } from '../../src/i18n/languages.js';
import { unwrappedWords } from '../helpers/pseudo.js';

/**
 * Issue 15's done-when: the reset flow completed in German and in Arabic in real Chromium against
 * the real `sspr start` process, the language taken from the browser (Accept-Language through the
 * context's locale), every step in that language (<html lang>, the page's words from its
 * catalogue); Arabic pages right to left: the layout mirrored, the primary button at the start of
 * the line, which is the right-hand side in Arabic (the left in English), codes left to right.
 * Screenshots: SHOTS_DIR (docs/screenshots/ through npm run screenshots).
 */

const OLD_PASSWORD = 'Mossy quartz lantern 1987';
const NEW_PASSWORD = 'Fresh meadow lantern 4242';

let browser: Browser;
let portal: PortalProcess;
let outbox: PortalOutbox;

/** A user with an email address registered through My security info (in English). */
async function userWithEmail(username: string): Promise<{ username: string; email: string }> {
  const user = await createUser(portal, { username, displayName: `${username} Sprache`, password: OLD_PASSWORD });
  const email = `${username}@example.com`;
  await withPage(browser, async (page) => {
    await signIn(page, portal, user);
    await visit(page, `${portal.url}/account/security-info`);
    await navigation(page, () => page.getByRole('link', { name: 'Add an email address', exact: true }).click());
    await page.getByLabel('Email address', { exact: true }).fill(email);
    const before = await outbox.mark();
    await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
    expect((await enterCode(page, await outbox.nextCodeTo(email, before))).chain).toEqual([303, 200]);
    await signOut(page);
  });
  return { username, email };
}

/** Every step: the page's language and direction, its title from the language's catalogue, accessible, screenshots; in the pseudo-locale no text outside ⟦ ⟧ but data. */
async function step(page: Page, lang: string, t: Translate, titleKey: Parameters<Translate>[0], shot: string): Promise<void> {
  expect(await page.locator('html').getAttribute('lang')).toBe(lang);
  if (lang === 'en-XA') expect(unwrappedWords(await page.locator('body').innerText(), ['OpenSSPR', 'Example Organisation']), shot).toEqual([]);
  expect(await page.locator('html').getAttribute('dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
  expect((await page.locator('main h1').innerText()).trim()).toBe(t(titleKey));
  await expectAccessibilityBasics(page);
  expect(await axeViolations(page)).toEqual([]);
  await shootBothWidths(page, shot, { noOverflow: true });
}

/** The primary button's place in the main column: at its left or its right edge. */
async function primarySide(page: Page): Promise<'left' | 'right'> {
  const [button, column] = await Promise.all([page.locator('main button:visible:not(.secondary):not(.danger)').first().boundingBox(), page.locator('main').boundingBox()]);
  if (!button || !column) throw new Error('no primary button or main column');
  return button.x - column.x < column.x + column.width - (button.x + button.width) ? 'left' : 'right';
}

/** The whole reset, by email code, in the browser's language; returns where the primary button sat. */
async function resetIn(lang: 'de' | 'ar' | 'en-XA', locale: string, user: { username: string; email: string }): Promise<Array<'left' | 'right'>> {
  const t = translator(lang);
  const sides: Array<'left' | 'right'> = [];
  const page = await newPage(browser, { locale });
  await visit(page, `${portal.url}/reset`);
  await page.getByLabel(t('reset.username'), { exact: true }).fill(user.username);
  await page.locator('[data-captcha-status]', { hasText: t('reset.captcha.done') }).waitFor();
  await step(page, lang, t, 'reset.title', `lang-${lang}-reset-1-name`);
  sides.push(await primarySide(page));
  expect((await navigation(page, () => page.getByRole('button', { name: t('reset.next'), exact: true }).click())).chain).toEqual([303, 200]);

  await step(page, lang, t, 'reset.title', `lang-${lang}-reset-2-ways`);
  await page.getByRole('radio', { name: t('reset.choice.email'), exact: true }).check();
  expect((await navigation(page, () => page.getByRole('button', { name: t('reset.next'), exact: true }).click())).chain).toEqual([303, 200]);

  await page.getByLabel(t('reset.contact.email'), { exact: true }).fill(user.email);
  // The typed address stays left to right inside the right-to-left page.
  expect(await page.getByLabel(t('reset.contact.email'), { exact: true }).evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { direction: string } }).getComputedStyle(el).direction)).toBe('ltr');
  const before = await outbox.mark();
  expect((await navigation(page, () => page.getByRole('button', { name: t('reset.sendCode'), exact: true }).click())).chain).toEqual([303, 200]);

  await step(page, lang, t, 'reset.title', `lang-${lang}-reset-3-code`);
  sides.push(await primarySide(page));
  await page.getByLabel(t('methods.code.label'), { exact: true }).fill(await outbox.nextCodeTo(user.email, before));
  expect((await navigation(page, () => page.getByRole('button', { name: t('methods.code.submit'), exact: true }).click())).chain).toEqual([303, 200]);

  await step(page, lang, t, 'reset.newTitle', `lang-${lang}-reset-4-new-password`);
  await page.getByLabel(t('change.new'), { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel(t('field.confirmPassword'), { exact: true }).fill(NEW_PASSWORD);
  sides.push(await primarySide(page));
  expect((await navigation(page, () => page.getByRole('button', { name: t('reset.submit'), exact: true }).click())).chain).toEqual([303, 200]);

  await step(page, lang, t, 'reset.doneTitle', `lang-${lang}-reset-5-done`);
  expect(await page.locator('main').innerText()).toContain(t('reset.done'));
  await closePage(page);
  return sides;
}

describe('the reset in the browser’s language (real process, real Chromium)', { timeout: 180_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    // The pseudo-locale is offered beside the eight languages: one reset is walked in it.
    portal = await startPortalProcess({ config: { methods: { available: ['email', 'totp'], required: 1 }, reset: { captchaMaxNumber: 2000, startsPerIpPerHour: 1000 }, branding: { languages: [...LANGUAGE_CODES, 'en-XA'] } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await outbox?.close();
    await portal?.stop();
  });

  it('a browser asking for German (de-DE) walks the whole reset in German, and the code mail is German', async () => {
    const user = await userWithEmail('greta');
    expect(await resetIn('de', 'de-DE', user)).toEqual(['left', 'left', 'left']);
    const mails = await outbox.messagesTo(user.email);
    expect(mails.map((m) => m.subject)).toContain(translator('de')('mail.subject', { title: translator('de')('mail.reset.title'), product: 'OpenSSPR' }));
  });

  it('a browser asking for Arabic walks the whole reset right to left in Arabic: the layout mirrored, the primary button on the right where English puts it on the left', async () => {
    const user = await userWithEmail('amal');
    expect(await resetIn('ar', 'ar-EG', user)).toEqual(['right', 'right', 'right']);
  });

  it('in the pseudo-locale every step of the reset, the new password and the done page among them, came from the catalogue (nothing outside ⟦ ⟧ but data)', async () => {
    const user = await userWithEmail('pia');
    expect(await resetIn('en-XA', 'en-XA', user)).toEqual(['left', 'left', 'left']);
  });

  it('the footer switch changes the language and keeps it (a cookie) for the next pages; the language saved in My account follows the user to a new browser', async () => {
    const page = await newPage(browser, { locale: 'en-GB' });
    await visit(page, `${portal.url}/sign-in`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await navigation(page, () => page.locator('footer nav.languages').getByRole('link', { name: 'Français', exact: true }).click());
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await visit(page, `${portal.url}/reset`);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect((await page.locator('main h1').innerText()).trim()).toBe(translator('fr')('reset.title'));
    await closePage(page);

    // Saved in My account: a new browser (no cookie, asking for English) signs in and gets Dutch.
    const user = await createUser(portal, { username: 'noor', displayName: 'Noor Taal', password: OLD_PASSWORD });
    await withPage(browser, async (p) => {
      await signIn(p, portal, user);
      await visit(p, `${portal.url}/account`);
      await p.getByLabel('Language of pages, mails and text messages', { exact: true }).selectOption('nl');
      const saved = await navigation(p, () => p.getByRole('button', { name: 'Save language', exact: true }).click());
      expect(saved.path).toBe('/account?done=account.language.saved');
      expect(await p.locator('html').getAttribute('lang')).toBe('nl');
      expect(await p.locator('main').innerText()).toContain(translator('nl')('account.language.saved'));
    });
    await withPage(
      browser,
      async (p) => {
        await signIn(p, portal, user);
        await visit(p, `${portal.url}/account`);
        expect(await p.locator('html').getAttribute('lang')).toBe('nl');
        expect((await p.locator('main h1').innerText()).trim()).toBe(translator('nl')('account.title'));
      },
      { locale: 'en-GB' },
    );
  });
});
