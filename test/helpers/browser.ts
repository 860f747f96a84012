import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type CDPSession, type Page, type Request } from 'playwright-core';
import axe from 'axe-core';
import { beforeEach, expect } from 'vitest';

/**
 * Real-browser helpers: Debian's Chromium (never a downloaded one) driven by playwright-core.
 * Each launch gets a fresh, empty profile; each newPage() a fresh context (no shared cookies).
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const screenshotDir = join(repoRoot, '.tmp', 'screenshots');
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Actions and waits fail well before the test timeout, so the failure screenshot still gets taken. */
const ACTION_TIMEOUT_MS = 10_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface PageProblem {
  url: string;
  text: string;
}

const openPages = new Set<Page>();
/** Pages whose context was opened with `javaScriptEnabled: false`: axe cannot run in them. */
const scriptsOff = new WeakSet<Page>();
const problemsByPage = new WeakMap<Page, PageProblem[]>();
const allProblems: PageProblem[] = [];

/**
 * A page in a fresh browser context (own cookies and storage). Console errors and uncaught page
 * errors (a CSP violation shows up as one) are recorded; read them with pageProblems(page).
 * Close it with closePage(page), which closes the context too.
 */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-GB', ...options });
  const page = await context.newPage();
  if (options.javaScriptEnabled === false) scriptsOff.add(page);
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const problems: PageProblem[] = [];
  problemsByPage.set(page, problems);
  const record = (p: PageProblem) => {
    problems.push(p);
    allProblems.push(p);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') record({ url: page.url(), text: msg.text() });
  });
  page.on('pageerror', (err) => record({ url: page.url(), text: `uncaught: ${err.message}` }));
  openPages.add(page);
  page.once('close', () => openPages.delete(page));
  return page;
}

export async function closePage(page: Page): Promise<void> {
  openPages.delete(page);
  await page.context().close();
}

/**
 * A fresh page for the length of fn. If fn throws, the page is saved to .tmp/screenshots/
 * (named after the running test) before it is closed; the error is rethrown unchanged.
 */
export async function withPage<T>(browser: Browser, fn: (page: Page) => Promise<T>, options: BrowserContextOptions = {}): Promise<T> {
  const page = await newPage(browser, options);
  try {
    return await fn(page);
  } catch (err) {
    await screenshotFailure(page, currentTestLabel());
    throw err;
  } finally {
    await closePage(page);
  }
}

function currentTestLabel(): string {
  const state = expect.getState();
  const file = (state.testPath ?? 'test').split('/').pop()!.replace(/\.test\.ts$/, '');
  const test = (state.currentTestName ?? 'unknown').split(' > ').pop()!;
  return `${file}--${test}`;
}

async function screenshotFailure(page: Page, name: string): Promise<void> {
  if (page.isClosed()) return;
  try {
    const path = await takeScreenshot(page, name);
    console.error(`screenshot of ${page.url()} saved to ${path}`);
  } catch (err) {
    console.error(`could not take a screenshot of ${page.url()}: ${(err as Error).message}`);
  }
}

/** The texts of the page's role=status messages (notices), whitespace collapsed. */
export async function statusMessages(page: Page): Promise<string[]> {
  const texts = await page.getByRole('status').allInnerTexts();
  return texts.map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Console errors and uncaught exceptions the page reported so far. */
export function pageProblems(page: Page): PageProblem[] {
  return [...(problemsByPage.get(page) ?? [])];
}

export interface NavigationResult {
  /** HTTP status of the document the page ended on (after redirects). */
  status: number;
  /** Statuses along the way, first to last, e.g. [303, 200] for a form that redirects. */
  chain: number[];
  /** Path and query of the document the page ended on. */
  path: string;
}

/**
 * Runs an action that makes the page navigate (clicking a submit button, pressing Enter in a
 * form, following a link) and waits until the resulting document has loaded. Works also when
 * the new document has the same URL as the old one (a form re-rendered with errors).
 */
export async function navigation(page: Page, action: () => Promise<unknown>): Promise<NavigationResult> {
  const requests: Request[] = [];
  const onRequest = (r: Request) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) requests.push(r);
  };
  page.on('request', onRequest);
  try {
    const loaded = page.waitForEvent('load');
    await action();
    await loaded;
  } finally {
    page.off('request', onRequest);
  }
  const last = requests.at(-1);
  if (!last) throw new Error(`the action did not navigate (still at ${page.url()})`);
  const chain: number[] = [];
  for (let r: Request | null = last; r; r = r.redirectedFrom()) {
    const res = await r.response();
    chain.unshift(res ? res.status() : 0);
  }
  const url = new URL(page.url());
  return { status: chain.at(-1) ?? 0, chain, path: url.pathname + url.search };
}

/** page.goto() that reports the same as navigation(): final status, redirect chain and path. */
export async function visit(page: Page, url: string): Promise<NavigationResult> {
  const res = await page.goto(url, { waitUntil: 'load' });
  if (!res) throw new Error(`no response for ${url}`);
  const chain: number[] = [];
  for (let r: Request | null = res.request(); r; r = r.redirectedFrom()) {
    const x = await r.response();
    chain.unshift(x ? x.status() : 0);
  }
  const u = new URL(page.url());
  return { status: res.status(), chain, path: u.pathname + u.search };
}

/** Console errors and uncaught exceptions of every page this test file opened (closed ones too). */
export function allPageProblems(): PageProblem[] {
  return [...allProblems];
}

/**
 * Problems that always mean a broken page: Content-Security-Policy violations and uncaught
 * exceptions. (Chromium also logs "Failed to load resource" for every 4xx page, which tests
 * that expect a 401/403/410 cause on purpose, so those are not counted.)
 */
export function seriousPageProblems(problems: PageProblem[] = allProblems): PageProblem[] {
  return problems.filter((p) => /Content Security Policy/i.test(p.text) || p.text.startsWith('uncaught:'));
}

function safeName(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
}

/**
 * The page at 1280 and 390 px wide, as a user on a desktop and on a phone sees it: with SHOTS_DIR
 * set, saved there as `<name>-<width>.png`; with `noOverflow`, checked at both widths (whether or
 * not SHOTS_DIR is set) that nothing is wider than the window. The viewport goes back to
 * 1280 × `height` afterwards.
 */
export async function shootBothWidths(page: Page, name: string, options: { noOverflow?: boolean; height?: number } = {}): Promise<void> {
  const dir = process.env['SHOTS_DIR'];
  const height = options.height ?? 720;
  if (!dir && !options.noOverflow) return;
  if (dir) mkdirSync(dir, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: Math.max(height, 800) });
    if (dir) await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    if (options.noOverflow) expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), `${name} at ${width}px`).toBe(true);
  }
  await page.setViewportSize({ width: 1280, height });
}

let screenshotCount = 0;

/** Full-page screenshot into .tmp/screenshots/; returns the file path. */
export async function takeScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  screenshotCount += 1;
  const file = join(screenshotDir, `${safeName(name)}-${Date.now()}-${screenshotCount}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Call once at the top of a test file (or describe): when a test fails, every page still open
 * in this file (pages kept across tests, like a signed-in administrator's) is saved to
 * .tmp/screenshots/<file>--<test>[-n]-<time>.png and the path logged. Pages used inside
 * withPage() are saved by withPage itself, before they are closed.
 */
export function screenshotOnFailure(): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const file = ctx.task.file?.name ? ctx.task.file.name.split('/').pop()!.replace(/\.test\.ts$/, '') : 'test';
      const pages = [...openPages].filter((p) => !p.isClosed());
      let n = 0;
      for (const page of pages) {
        n += 1;
        await screenshotFailure(page, `${file}--${ctx.task.name}${pages.length > 1 ? `-${n}` : ''}`);
      }
    });
  });
}

/**
 * Runs in the page (a string, because this project compiles without the DOM lib). Lists
 * violations of the basics every page must meet: each form control has a non-empty label
 * (label[for], a wrapping label, aria-label or aria-labelledby), each button has a name, the
 * page has one main landmark, a non-empty h1, a title, a lang attribute, unique ids, and
 * in-page links (the skip link, error-summary links) and label[for] point at existing ids.
 */
const accessibilityAudit = `(() => {
  const problems = [];
  const text = (el) => (el && el.textContent ? el.textContent.replace(/\\s+/g, ' ').trim() : '');
  const describe = (el) => {
    const tag = el.tagName.toLowerCase();
    const type = el.getAttribute('type');
    const name = el.getAttribute('name');
    const id = el.getAttribute('id');
    return tag + (type ? '[type=' + type + ']' : '') + (name ? '[name=' + name + ']' : '') + (id ? '#' + id : '');
  };
  const labelledBy = (el) =>
    (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean).map((id) => text(document.getElementById(id))).join(' ').trim();
  const skipTypes = ['hidden', 'submit', 'button', 'reset', 'image'];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (el.tagName === 'INPUT' && skipTypes.includes(type)) continue;
    const fromLabels = Array.from(el.labels || []).map(text).join(' ').trim();
    const aria = (el.getAttribute('aria-label') || '').trim();
    if (!fromLabels && !aria && !labelledBy(el)) problems.push(describe(el) + ' has no label');
  }
  for (const el of document.querySelectorAll('button, input[type=submit], input[type=button], input[type=reset]')) {
    const name = text(el) || (el.getAttribute('value') || '').trim() || (el.getAttribute('aria-label') || '').trim() || labelledBy(el);
    if (!name) problems.push(describe(el) + ' (a button) has no accessible name');
  }
  for (const el of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(el.getAttribute('href').slice(1));
    if (id && !document.getElementById(id)) problems.push('link "' + text(el) + '" points at a missing id #' + id);
  }
  for (const el of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(el.getAttribute('for'))) problems.push('label "' + text(el) + '" points at a missing id #' + el.getAttribute('for'));
  }
  const h1s = Array.from(document.querySelectorAll('h1'));
  if (h1s.length === 0) problems.push('the page has no h1');
  else if (h1s.every((h) => !text(h))) problems.push('the h1 is empty');
  const mains = document.querySelectorAll('main, [role=main]');
  if (mains.length !== 1) problems.push('the page has ' + mains.length + ' main landmarks (expected 1)');
  if (!(document.documentElement.getAttribute('lang') || '').trim()) problems.push('<html> has no lang attribute');
  if (!document.title.trim()) problems.push('the page has no title');
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push('id "' + id + '" is used ' + n + ' times');
  return problems;
})()`;

/** The accessibility basics that fail on this page (empty when all pass). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(accessibilityAudit);
}

/** The WCAG 2.0–2.2 A/AA rules and axe's best practices: the standard a product page is held to. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * axe-core's serious and critical violations on the current page (empty when there are none), one
 * line each: rule, what it asks for, and up to three elements. axe runs inside the page (its source
 * is evaluated through the DevTools protocol, which a page's CSP does not govern). A page opened
 * with JavaScript disabled cannot run it; such pages are checked by the same test with JS on.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if (scriptsOff.has(page)) return [];
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(axe.source);
  const run = `(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => 'axe ' + v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | '));
  })()`;
  return page.evaluate<string[]>(run);
}

/** Asserts the accessibility basics and axe's serious/critical rules on the current page; the message names the page and each problem. */
export async function expectAccessibilityBasics(page: Page): Promise<void> {
  const problems = [...(await accessibilityProblems(page)), ...(await axeViolations(page))];
  expect(problems, `accessibility on ${new URL(page.url()).pathname}`).toEqual([]);
}

/** A virtual authenticator (WebAuthn domain already enabled) that keeps discoverable credentials and always says yes: a platform one ("internal": Chromium allows one) or a USB security key. */
export async function addVirtualAuthenticator(cdp: CDPSession, transport: 'internal' | 'usb' = 'internal'): Promise<string> {
  const r = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return r.authenticatorId;
}
