import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchBrowser, withPage } from '../helpers/browser.js';

/**
 * The check every browser test runs through expectAccessibilityBasics: axe-core in real Chromium.
 * These pages are written to fail (or pass) known rules, so the check is shown to catch them.
 */
describe('the axe check of every page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const shell = (body: string) => `<!DOCTYPE html><html lang="en"><head><title>Check</title></head><body><main><h1>Check</h1>${body}</main></body></html>`;

  it('reports serious and critical violations by rule: an image without text, an unlabelled field, grey text on white', async () => {
    const found = await withPage(browser, async (page) => {
      await page.setContent(shell('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"><p style="color:#bbb;background:#fff">Hard to read</p>'));
      return axeViolations(page);
    });
    const rules = found.map((line) => line.split(' ')[1]);
    expect(rules).toEqual(expect.arrayContaining(['image-alt', 'label', 'color-contrast']));
  });

  it('finds nothing on a page that follows the rules', async () => {
    const found = await withPage(browser, async (page) => {
      await page.setContent(shell('<label for="n">Name</label><input id="n" type="text"><p style="color:#222;background:#fff">Easy to read</p>'));
      return axeViolations(page);
    });
    expect(found).toEqual([]);
  });

  it('runs on a page whose Content-Security-Policy forbids inline and injected scripts', async () => {
    const found = await withPage(browser, async (page) => {
      await page.route('http://127.0.0.1:9/', (route) =>
        route.fulfill({ contentType: 'text/html', headers: { 'content-security-policy': "default-src 'none'; script-src 'none'" }, body: shell('<input type="text">') }),
      );
      await page.goto('http://127.0.0.1:9/');
      return axeViolations(page);
    });
    expect(found.map((line) => line.split(' ')[1])).toEqual(['label']);
  });
});
