import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit } from '../helpers/browser.js';
import { addUserWithCli, alerts, createFirstAdmin, mainText, signOut, submitSignIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { parsedMessages, startSmtp } from '../helpers/smtp-sink.js';
import { solidPng } from '../helpers/images.js';
import { until } from '../helpers/wait.js';
import { openStore } from '../../src/store/database.js';

/**
 * The brand set in the console, through the real `sspr start` process, real Chromium and a real
 * SMTP sink: the administrator is refused a low-contrast colour (with the ratio and a
 * suggestion, nothing saved) and a file that is not an acceptable logo, previews the unsaved
 * brand, saves it; the sign-in page, the favicon and a mail then carry it. The tests build on
 * each other, in order.
 */

const admin = { username: 'brand.admin', displayName: 'Bree Admin', password: 'Harbour-Lantern-Quay-7' };
const plain = { username: 'plain.user', displayName: 'Pat Jones', password: 'Orchard-Meadow-Lamp-3' };
const ORG = 'Northwind Traders';
const MESSAGE = 'Use your Northwind work account.';
const PRIMARY = '#1d4f91';
const BACKGROUND = '#fbfaf5';
const logoPng = solidPng(120, 40);
const logoSha = createHash('sha256').update(logoPng).digest('hex');

let portal: PortalProcess;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let browser: Browser;
let page: Page;

async function fillBrand(values: Partial<Record<'name' | 'primary' | 'background' | 'message' | 'helpdesk', string>>): Promise<void> {
  if (values.name !== undefined) await page.getByLabel('Organisation name', { exact: true }).fill(values.name);
  if (values.primary !== undefined) await page.getByLabel('Primary colour', { exact: true }).fill(values.primary);
  if (values.background !== undefined) await page.getByLabel('Background colour', { exact: true }).fill(values.background);
  if (values.message !== undefined) await page.getByLabel('Message on the sign-in page', { exact: true }).fill(values.message);
  if (values.helpdesk !== undefined) await page.getByLabel('Helpdesk contact', { exact: true }).fill(values.helpdesk);
}

/** The decoded width of an image (0 while it has not loaded or failed). */
const naturalWidth = (img: Locator) =>
  img.evaluate((el) => {
    const i = el as unknown as { complete: boolean; naturalWidth: number };
    return i.complete ? i.naturalWidth : 0;
  });
const background = (el: Locator) => el.evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor);

const click = (name: string) => navigation(page, () => page.getByRole('button', { name, exact: true }).click());

/** What the public theme says the primary colour is now (nothing saved: the configuration's). */
async function themePrimary(): Promise<string> {
  const res = await fetch(`${portal.url}/brand/theme.css`);
  return /--brand: (#[0-9a-f]{6})/.exec(await res.text())?.[1] ?? '';
}

describe('the brand set in the console (real process, real Chromium, real SMTP)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    smtp = await startSmtp();
    portal = await startPortalProcess({
      config: {
        delivery: { mode: 'smtp', smtp: { host: '127.0.0.1', port: smtp.port, from: 'Portal <portal@example.org>', rejectUnauthorized: false } },
        branding: { organisationName: 'Configured Org Ltd', primaryColour: '#0b5cad' },
      },
    });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    await smtp?.close();
  });

  it('before anything is saved, the brand is the configuration file\'s: its organisation name on the pages and its colour in the theme', async () => {
    expect(portal.setupLink).toBeTruthy();
    expect((await createFirstAdmin(page, portal.setupLink!, admin)).path).toBe('/sign-in?m=setupDone');
    await addUserWithCli(portal, plain);
    const signIn = await visit(page, `${portal.url}/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await page.locator('footer').innerText()).toContain('Configured Org Ltd');
    expect(await themePrimary()).toBe('#0b5cad');
  });

  it('a user who is not an administrator cannot open or post the brand page, even with a valid CSRF token', async () => {
    await submitSignIn(page, portal.url, plain.username, plain.password);
    expect((await visit(page, `${portal.url}/admin/branding`)).status).toBe(403);
    await visit(page, `${portal.url}/account`);
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    expect(csrf).toBeTruthy();
    const post = await page.request.post(`${portal.url}/admin/branding`, { multipart: { _csrf: csrf!, action: 'save', expectedVersion: '0', organisationName: 'Hijacked', primaryColour: '#000000', backgroundColour: '#ffffff' }, headers: { origin: portal.url } });
    expect(post.status()).toBe(403);
    await signOut(page);
    expect(await themePrimary()).toBe('#0b5cad');
  });

  it('the administrator opens the brand page from the console navigation; it is accessible and fits a phone', async () => {
    await submitSignIn(page, portal.url, admin.username, admin.password);
    await visit(page, `${portal.url}/admin`);
    const opened = await navigation(page, () => page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Brand', exact: true }).click());
    expect(opened.status).toBe(200);
    expect(opened.path).toBe('/admin/branding');
    expect(await page.locator('h1').innerText()).toBe('Brand');
    expect(await mainText(page)).toContain('Not saved yet: these are the values from the configuration file.');
    expect(await page.getByLabel('Organisation name', { exact: true }).inputValue()).toBe('Configured Org Ltd');
    // One primary action: Save; Preview is secondary.
    expect(await page.locator('main button[type=submit]:not(.secondary):not(.link)').allInnerTexts()).toEqual(['Save']);
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'brand-console', { noOverflow: true });
    // With JavaScript the preview follows what is typed, before any button.
    const bar = page.locator('.brand-preview-bar');
    expect(await background(bar)).toBe('rgb(11, 92, 173)');
    await page.getByLabel('Primary colour', { exact: true }).fill('#225522');
    await page.getByLabel('Organisation name', { exact: true }).fill('Typed Live');
    await expect.poll(() => background(bar)).toBe('rgb(34, 85, 34)');
    expect(await bar.innerText()).toContain('Typed Live');
    expect(await themePrimary()).toBe('#0b5cad');
  });

  it('a colour with too little contrast is refused with the ratio and a darker suggestion, and nothing is saved', async () => {
    await fillBrand({ name: ORG, primary: '#99ccff' });
    const refused = await click('Save');
    expect(refused.status).toBe(400);
    const summary = (await alerts(page)).join(' ');
    expect(summary).toMatch(/Primary colour: The contrast of #99ccff with white text is 1\.\d to 1; at least 4\.5 to 1 is needed\. Try a darker colour, for example #[0-9a-f]{6}\./);
    const suggestion = /for example (#[0-9a-f]{6})/.exec(summary)![1]!;
    expect(await page.locator('#f-primaryColour-error').innerText()).toContain('1.');
    expect(await page.getByLabel('Primary colour', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    // What was typed is kept.
    expect(await page.getByLabel('Organisation name', { exact: true }).inputValue()).toBe(ORG);
    await expectAccessibilityBasics(page);
    expect(await themePrimary()).toBe('#0b5cad');

    // The suggestion passes; a background the text cannot be read on is refused the same way.
    await fillBrand({ primary: suggestion, background: '#333333' });
    expect((await click('Save')).status).toBe(400);
    expect((await alerts(page)).join(' ')).toMatch(/Background colour: The contrast of #333333 with the text is \d\.\d to 1; at least 4\.5 to 1 is needed\. Try a lighter colour, for example #[0-9a-f]{6}\./);
    // The suggestion passed against white; on this dark background links in it could not be read either.
    expect((await alerts(page)).join(' ')).toMatch(new RegExp(`Primary colour: The contrast of ${suggestion} with the background is \\d\\.\\d to 1`));
    expect(await themePrimary()).toBe('#0b5cad');
  });

  it('a file that is not an image, an image larger than 1024 × 1024 and an SVG with a script are each refused with a clear message; nothing is saved', async () => {
    await fillBrand({ primary: PRIMARY, background: BACKGROUND });
    const cases = [
      { file: { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('this is not a picture at all') }, says: 'The file is not a PNG, JPEG, WebP or SVG image.' },
      { file: { name: 'huge.png', mimeType: 'image/png', buffer: solidPng(1500, 20) }, says: 'The image is larger than 1024 × 1024 pixels.' },
      { file: { name: 'big.png', mimeType: 'image/png', buffer: Buffer.concat([solidPng(10, 10), Buffer.alloc(300 * 1024)]) }, says: 'The file is larger than 256 KiB.' },
      { file: { name: 'evil.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.title="pwned"</script></svg>') }, says: 'The SVG contains scripts' },
    ];
    for (const c of cases) {
      await page.locator('#f-logo').setInputFiles(c.file);
      const refused = await click('Save');
      expect(refused.status, c.file.name).toBe(400);
      expect(await page.locator('#f-logo-error').innerText(), c.file.name).toContain(c.says);
      expect((await alerts(page)).join(' '), c.file.name).toContain(`Logo: ${c.says}`);
    }
    expect(await themePrimary()).toBe('#0b5cad');
    await visit(page, `${portal.url}/admin/branding`);
    expect(await mainText(page)).toContain('Not saved yet');
  });

  it('Preview shows the unsaved brand (name, logo, colours, message, footer links) without saving it', async () => {
    await fillBrand({ name: ORG, primary: PRIMARY, background: BACKGROUND, message: MESSAGE, helpdesk: 'help@northwind.example' });
    await page.getByLabel('Label of link 1', { exact: true }).fill('Privacy notice');
    await page.getByLabel('Address of link 1', { exact: true }).fill('https://northwind.example/privacy');
    await page.getByLabel('Label of link 2', { exact: true }).fill('IT service desk');
    await page.getByLabel('Address of link 2', { exact: true }).fill('http://northwind.example/it');
    await page.locator('#f-logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: logoPng });
    // Live, before any Preview: the helpdesk, the links (the http one not as a link) and the chosen logo.
    const live = page.getByTestId('brand-preview');
    expect((await live.innerText()).replace(/\s+/g, ' ')).toContain('help@northwind.example');
    expect(await live.getByRole('link', { name: 'Privacy notice', exact: true }).getAttribute('href')).toBe('https://northwind.example/privacy');
    expect(await live.getByRole('link', { name: 'IT service desk', exact: true }).count()).toBe(0);
    expect(await live.getByText('IT service desk', { exact: true }).count()).toBe(1);
    const chosen = live.locator('img[data-preview=logo]');
    await chosen.waitFor({ state: 'visible' });
    expect(await naturalWidth(chosen)).toBe(120);
    // A plain http link is refused; the uploaded logo is kept for the next try.
    expect((await click('Preview')).status).toBe(400);
    expect((await alerts(page)).join(' ')).toContain('Address of link 2: Enter an address starting with https://.');
    expect(await page.locator('input[name=logo]').inputValue()).toBe(`${logoSha}.png`);
    await page.getByLabel('Address of link 2', { exact: true }).fill('https://northwind.example/it');

    const shown = await click('Preview');
    expect(shown.status).toBe(200);
    const preview = page.getByTestId('brand-preview');
    const text = (await preview.innerText()).replace(/\s+/g, ' ');
    for (const part of [ORG, MESSAGE, 'Privacy notice', 'IT service desk', 'help@northwind.example']) expect(text).toContain(part);
    const logo = preview.getByRole('img', { name: `${ORG} logo` });
    expect(await naturalWidth(logo)).toBe(120);
    expect(await background(page.locator('.brand-preview-bar'))).toBe('rgb(29, 79, 145)');
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'brand-preview', { noOverflow: true });
    // Still nothing saved: the public theme is unchanged, and the uploaded logo is the console's only until it is saved.
    expect(await themePrimary()).toBe('#0b5cad');
    expect((await fetch(`${portal.url}/brand/logo/${logoSha}.png`)).status).toBe(404);
  });

  it('Save stores it as version 1; the console says so', async () => {
    const saved = await click('Save');
    expect(saved.chain).toEqual([303, 200]);
    expect(saved.path).toBe('/admin/branding?done=brand.done.saved');
    expect(await statusMessages(page)).toContain('The brand was saved. Every page and mail uses it now.');
    expect(await mainText(page)).toContain(`Version 1, saved by ${admin.username}.`);
    expect(await themePrimary()).toBe(PRIMARY);
    await visit(page, `${portal.url}/admin/audit`);
    expect(await mainText(page)).toContain('Brand changed');
    expect(await page.locator('main [title="brand_changed"]').count()).toBe(1);
  });

  it('a mail sent after the save (a code to add an email address, through the real SMTP sink) carries the name, colour and logo', async () => {
    await visit(page, `${portal.url}/account/security-info`);
    await navigation(page, () => page.getByRole('link', { name: 'Add an email address' }).click());
    await page.getByLabel('Email address', { exact: true }).fill('brand.admin@northwind.example');
    await navigation(page, () => page.getByRole('button', { name: 'Send code' }).click());
    await until(async () => smtp.received.length > 0, 10_000);
    const [mail] = (await parsedMessages(smtp.received)).slice(-1);
    expect(mail!.text).toContain(ORG);
    const html = String(mail!.html);
    expect(html).toContain(ORG);
    expect(html).toContain(`border-top:4px solid ${PRIMARY}`);
    expect(html).toContain(`src="${portal.url}/brand/logo/${logoSha}.png"`);
    // The absolute URL really serves the logo, cacheable for a year, loadable from a webmail's origin.
    const res = await fetch(`${portal.url}/brand/logo/${logoSha}.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(Buffer.from(await res.arrayBuffer()).equals(logoPng)).toBe(true);
    // The same bytes under another extension are not served.
    expect((await fetch(`${portal.url}/brand/logo/${logoSha}.svg`)).status).toBe(404);
  });

  it('the sign-in page shows the logo, the name, the message, the helpdesk and the footer links in the brand colours', async () => {
    await signOut(page);
    await visit(page, `${portal.url}/sign-in`);
    const logo = page.locator('header').getByRole('img', { name: `${ORG} logo` });
    expect(await naturalWidth(logo)).toBe(120);
    expect(await mainText(page)).toContain(MESSAGE);
    const footer = page.locator('footer');
    expect(await footer.innerText()).toContain(ORG);
    expect(await footer.innerText()).toContain('Need help? Contact help@northwind.example.');
    const links = footer.getByRole('navigation', { name: `Links of ${ORG}` }).getByRole('link');
    expect(await links.allInnerTexts()).toEqual(['Privacy notice', 'IT service desk']);
    expect(await links.first().getAttribute('href')).toBe('https://northwind.example/privacy');
    expect(await background(page.locator('header.top'))).toBe('rgb(29, 79, 145)');
    expect(await background(page.locator('body'))).toBe('rgb(251, 250, 245)');
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'brand-sign-in', { noOverflow: true });
  });

  it('the theme and the favicon are served with their content types and caching; /favicon.ico leads to the SVG', async () => {
    const href = await page.locator('link[rel=stylesheet][href^="/brand/theme.css"]').getAttribute('href');
    expect(href).toBe('/brand/theme.css?v=1');
    const theme = await fetch(`${portal.url}${href}`);
    expect(theme.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(theme.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await theme.text()).toContain(`--bg: ${BACKGROUND}`);

    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    expect(icon).toBe('/favicon.svg?v=1');
    const favicon = await fetch(`${portal.url}${icon}`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get('content-type')).toBe('image/svg+xml');
    expect(await favicon.text()).toContain(`href="data:image/png;base64,${logoPng.toString('base64')}"`);
    const ico = await fetch(`${portal.url}/favicon.ico`, { redirect: 'manual' });
    expect(ico.status).toBe(301);
    expect(ico.headers.get('location')).toBe('/favicon.svg');
    // Chromium shows it: the image decodes.
    await visit(page, `${portal.url}/favicon.svg`);
    expect(await page.locator('svg').count()).toBe(1);
    // No page so far broke the CSP or threw (the live preview's script included).
    expect(seriousPageProblems()).toEqual([]);
  });

  it('an SVG logo that holds a script cannot run it, even if one got into the store: the logo is served sandboxed with a CSP that allows no script', async () => {
    // Past the upload check on purpose, straight into the store the portal reads.
    const evil = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>document.title="pwned";fetch("/admin/branding")</script><rect width="10" height="10"/></svg>');
    const sha = createHash('sha256').update(evil).digest('hex');
    const store = openStore(`sqlite:${join(portal.dir, 'sspr.db')}`);
    try {
      await store.db.insertInto('brand_assets').values({ sha256: sha, content_type: 'image/svg+xml', data: evil.toString('base64'), width: 10, height: 10, created_at: Date.now(), published_at: Date.now() }).execute();
    } finally {
      await store.close();
    }
    const violations: string[] = [];
    page.on('console', (m) => violations.push(m.text()));
    const opened = await visit(page, `${portal.url}/brand/logo/${sha}.svg`);
    expect(opened.status).toBe(200);
    const csp = (await page.request.get(`${portal.url}/brand/logo/${sha}.svg`)).headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(await page.title()).not.toBe('pwned');
    expect(await page.evaluate('document.title').catch(() => '')).not.toBe('pwned');
  });
});
