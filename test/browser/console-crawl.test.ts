import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, axeViolations, closePage, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, shootBothWidths, statusMessages, visit, withPage } from '../helpers/browser.js';
import { createFirstAdmin, enterCode, h1, submitSignIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type DemoUser, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { AUDIT_EVENTS } from '../../src/audit/events.js';
import { DELIVERY_KINDS } from '../../src/delivery/kinds.js';
import { roles } from '../../src/directory/names.js';
import { policySettings } from '../../src/policy/settings.js';
import { auditMessages } from '../../src/audit/messages.en.js';
import { demoGroups, demoUsers } from '../../src/demo/seed.js';
import { NOT_ME_PATH } from '../../src/delivery/notices.js';
import { unwrappedWords } from '../helpers/pseudo.js';

/**
 * Done-when of issue 17's "words for every code": on a real `sspr start --demo` process with some
 * activity (users, a user registering an email address, sign-ins that fail, resets started, an
 * administrator setting a password, a policy change, outbox messages), an administrator crawls
 * every console page (every /admin link found, breadth first) and each page's visible text holds
 * no raw code of the catalogue (audit events, delivery kinds, reason and detail codes, roles,
 * policy setting paths) and no UUID; no page is wider than the window at 1280 or 390 px, and axe
 * finds no serious or critical violation on any of them.
 */

const admin = { username: 'crawl.admin', displayName: 'Cora Crawler', password: 'Saffron-Harbour-Pass-93' };
const ALICE_EMAIL = 'alice.crawl@example.com';
const CHEAP = { captchaMaxNumber: 2000, startsPerIpPerHour: 1000 };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** Addresses that download a file rather than show a page. */
const DOWNLOAD = /\.(csv|txt|json)(\?|$)/;
const MAX_PAGES = 120;

/** The raw codes no page may show as text (the tooltips keep them). */
function rawCodes(): string[] {
  const values = Object.keys(auditMessages)
    .filter((k) => k.startsWith('audit.value.') || k.startsWith('audit.detail.'))
    .map((k) => k.replace(/^audit\.(value|detail)\./, ''))
    // Codes that are also ordinary words ("blocked", "sign-in") cannot be told from text.
    .filter((c) => /_|[a-z][A-Z]/.test(c));
  const settings = policySettings.map((s) => s.path).filter((p) => /\.|[a-z][A-Z]/.test(p));
  return [...new Set([...AUDIT_EVENTS, ...DELIVERY_KINDS.filter((k) => /[:_]/.test(k) || k.split('-').length > 2), ...roles.filter((r) => r.includes('_')), ...values, ...settings])];
}

function codesIn(text: string, codes: string[]): string[] {
  return codes.filter((code) => new RegExp(`(^|[^\\w.:-])${code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w:-])`).test(text));
}

let portal: PortalProcess;
let outbox: PortalOutbox;
let browser: Browser;
let page: Page;

function demoUser(username: string): DemoUser {
  const u = portal.demoUsers.find((d) => d.username === username);
  if (!u) throw new Error(`demo user ${username} was not printed:\n${portal.output()}`);
  return u;
}

/** The first step of /reset or /unlock for a name: the username, the robot check, Next. */
async function startReset(p: Page, username: string): Promise<void> {
  await visit(p, `${portal.url}/reset`);
  await p.getByLabel('Username', { exact: true }).fill(username);
  await p.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
  const r = await navigation(p, () => p.getByRole('button', { name: 'Next', exact: true }).click());
  expect(r.status).toBeLessThan(400);
}

/** The visible text's raw codes and ids, and the page's width at 1280 and 390 px; also screenshots (SHOTS_DIR). */
async function checkPage(p: Page, path: string, codes: string[]): Promise<string[]> {
  const problems: string[] = [];
  const text = await p.locator('body').innerText();
  const found = codesIn(text, codes);
  if (found.length) problems.push(`${path}: raw codes ${found.join(', ')}`);
  const uuid = UUID.exec(text);
  if (uuid) problems.push(`${path}: an id (${uuid[0]})`);
  // Accessibility: the basics and axe's serious or critical violations.
  for (const a of [...(await accessibilityProblems(p)), ...(await axeViolations(p))]) problems.push(`${path}: ${a}`);
  for (const width of [1280, 390]) {
    await p.setViewportSize({ width, height: 800 });
    const [scroll, inner] = (await p.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
    if (scroll > inner) problems.push(`${path}: ${scroll} px wide at ${width} px`);
  }
  // On a phone a table's rows are cards: every cell under a titled column shows that title.
  const unlabelled = (await p.evaluate(`[...document.querySelectorAll('main table')].flatMap((table) => {
    const heads = [...table.querySelectorAll('thead th')].map((h) => h.textContent.trim());
    if (!heads.length) return [];
    if (!table.classList.contains('stacked')) return ['a table not stacked'];
    return [...table.querySelectorAll('tbody tr')].flatMap((tr) => [...tr.children].filter((cell, i) => heads[i] && cell.colSpan === 1 && !cell.classList.contains('blank') && getComputedStyle(cell, '::before').content !== JSON.stringify(heads[i])).map((cell, i) => 'a cell without its label ' + heads[i]));
  })`)) as string[];
  if (unlabelled.length) problems.push(`${path}: ${unlabelled.slice(0, 3).join('; ')}`);
  await p.setViewportSize({ width: 1280, height: 720 });
  await shootBothWidths(p, `crawl${path.replace(/[^a-z0-9]+/gi, '-')}`.slice(0, 80));
  return problems;
}

describe('every console page in words (real process, real Chromium)', { timeout: 240_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    // One message an hour per address: alice's test code after her registration code is not sent (a dropped message for Delivery).
    // The pseudo-locale is offered too: the last test reads every page in it.
    portal = await startPortalProcess({ demo: true, config: { reset: CHEAP, delivery: { limits: { perDestinationPerHour: 1 } }, branding: { languages: ['en', 'en-XA'] } } });
    outbox = openPortalOutbox(portal);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await outbox?.close();
    await portal?.stop();
  });

  it('in the pseudo-locale the setup page (a valid link) and its refusal came from the catalogue, and a refused setup creates nothing', async () => {
    await withPage(browser, async (p) => {
      const opened = await visit(p, `${portal.setupLink!}&lang=en-XA`);
      expect(opened.status).toBe(200);
      expect(await p.locator('html').getAttribute('lang')).toBe('en-XA');
      expect(await p.locator('input[name="username"]').count()).toBe(1);
      const problems: string[] = [];
      const found = unwrappedWords(await p.locator('body').innerText(), ['OpenSSPR', 'Example Organisation']);
      if (found.length) problems.push(`/setup: ${found.join(' ')}`);
      // Refused: a name with a space, passwords that differ.
      await p.locator('input[name="username"]').fill('has space');
      await p.locator('input[name="password"]').fill(admin.password);
      await p.locator('input[name="confirm"]').fill('Something-Else-Entirely-1');
      const refused = await navigation(p, () => p.locator('main form button[type="submit"]').first().click());
      expect(refused.status).toBe(400);
      expect(await p.locator('[role="alert"]').count()).toBeGreaterThan(0);
      const again = unwrappedWords(await p.locator('body').innerText(), ['OpenSSPR', 'Example Organisation', 'has space']);
      if (again.length) problems.push(`/setup (refused): ${again.join(' ')}`);
      expect(problems, problems.join('\n')).toEqual([]);
      // Nothing was made: the link still opens the form (it is spent once an administrator exists).
      expect((await visit(p, portal.setupLink!)).status).toBe(200);
      expect(await p.locator('input[name="username"]').count()).toBe(1);
    });
  });

  it('activity: the administrator is created; alice registers an email address; failed sign-ins; resets started; a password set; a policy change', async () => {
    await withPage(browser, async (setup) => {
      expect((await createFirstAdmin(setup, portal.setupLink!, admin)).path).toBe('/sign-in?m=setupDone');
    });
    await withPage(browser, async (p) => {
      const alice = demoUser('alice');
      expect((await submitSignIn(p, portal.url, alice.username, alice.password)).path).toBe('/account');
      await visit(p, `${portal.url}/account/security-info`);
      expect(await h1(p)).toBe('My security info');
      await navigation(p, () => p.getByRole('link', { name: 'Add an email address', exact: true }).click());
      await p.getByLabel('Email address', { exact: true }).fill(ALICE_EMAIL);
      const before = await outbox.mark();
      await navigation(p, () => p.getByRole('button', { name: 'Send code', exact: true }).click());
      await enterCode(p, await outbox.nextCodeTo(ALICE_EMAIL, before));
      expect((await statusMessages(p)).join(' | ')).toContain('is registered.');
      // The security info table: its action cells stay table cells (they wrap, not break the table).
      await visit(p, `${portal.url}/account/security-info`);
      const cells = await p.locator('main table td.row').evaluateAll((tds) => tds.map((td) => (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(td).display));
      expect(cells.length).toBeGreaterThan(0);
      expect(new Set(cells)).toEqual(new Set(['table-cell']));
      expect(await checkPage(p, '/account/security-info', [])).toEqual([]);
      // Testing the address at once asks for a second code within the hour: it is not sent.
      const tested = await navigation(p, () => p.getByRole('button', { name: /^Test Email/ }).click());
      expect(tested.status).toBeLessThan(500);
    });
    await withPage(browser, async (p) => {
      // A wrong password, a name that matches nobody, and resets started for both kinds of name.
      await submitSignIn(p, portal.url, 'alice', 'not-her-password');
      await submitSignIn(p, portal.url, 'nobody.here', 'whatever-it-is');
      await startReset(p, 'nobody.here');
      await startReset(p, 'carol');
    });

    page = await newPage(browser);
    expect((await submitSignIn(page, portal.url, admin.username, admin.password)).path).toBe('/admin');
    // The administrator sets carol's password (an administrative reset) ...
    await visit(page, `${portal.url}/admin/users?q=carol`);
    await navigation(page, () => page.getByRole('link', { name: 'carol', exact: true }).first().click());
    const form = page.locator('main form[action$="/password"]');
    await form.locator('input[name="password"]').fill('Meadow-Crawl-Reset-58');
    await form.locator('input[name="confirm"]').fill('Meadow-Crawl-Reset-58');
    const set = await navigation(page, () => form.getByRole('button', { name: 'Set password', exact: true }).click());
    expect(set.chain).toEqual([303, 200]);
    // ... and requires two methods for a reset.
    await visit(page, `${portal.url}/admin/policy/methods`);
    await page.getByRole('group', { name: 'Number of methods required to reset' }).getByLabel('Two', { exact: true }).check();
    const saved = await navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
    expect(saved.path).toBe('/admin/policy/methods?done=policy.done.saved');
  });

  it('the pages that show codes now show words, and keep the code as a tooltip', async () => {
    await visit(page, `${portal.url}/admin/audit`);
    const audit = await page.locator('main').innerText();
    expect(audit).toContain('Policy changed');
    expect(audit).toContain('Method added');
    expect(audit).toContain('Reason: wrong password');
    expect(await page.locator('main span[title="policy_changed"]').count()).toBeGreaterThan(0);
    await visit(page, `${portal.url}/admin/outbox`);
    expect(await page.locator('main').innerText()).toContain('Code to register a method');
    expect(await page.locator('main span[title="code:register"]').count()).toBeGreaterThan(0);
    await visit(page, `${portal.url}/admin/policy/history`);
    expect(await page.locator('main').innerText()).toContain('Number of methods required to reset: 1 → 2');
    // The dropped test code is in Delivery's "Not sent", with the reason in words.
    await visit(page, `${portal.url}/admin/delivery`);
    await navigation(page, () => page.getByRole('link', { name: 'Not sent', exact: true }).click());
    const notSent = await page.locator('main table').innerText();
    expect(notSent).toContain('Test code');
    expect(notSent).toContain('Not sent: the limit of 1 message an hour to this address or number was reached.');
    await visit(page, `${portal.url}/admin`);
    expect(await page.getByRole('heading', { name: 'Set up the portal' }).count()).toBe(1);
    await expectAccessibilityBasics(page);
  });

  it('crawls every console page: no raw code, no UUID in the visible text, no horizontal overflow at 1280 or 390 px, no serious accessibility violation', async () => {
    const codes = rawCodes();
    expect(codes).toContain('method_verified');
    expect(codes).toContain('code:register');
    expect(codes).toContain('password_administrator');
    expect(codes).toContain('nothing_matched');
    const seen = new Set<string>();
    const queue = ['/admin'];
    const problems: string[] = [];
    while (queue.length > 0 && seen.size < MAX_PAGES) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const r = await visit(page, `${portal.url}${path}`);
      if (r.status >= 400) {
        problems.push(`${path}: status ${r.status}`);
        continue;
      }
      problems.push(...(await checkPage(page, path, codes)));
      const links = await page.locator('a[href^="/admin"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
      for (const href of links) {
        const u = new URL(href, portal.url);
        u.hash = '';
        u.searchParams.delete('done');
        // The footer's language switch would change the language of the rest of the crawl.
        if (u.searchParams.has('lang')) continue;
        const next = `${u.pathname}${u.search}`;
        if (!DOWNLOAD.test(next) && !seen.has(next) && !queue.includes(next)) queue.push(next);
      }
    }
    expect(problems).toEqual([]);
    // The crawl reached the sections (and more than the navigation alone).
    for (const p of ['/admin/users', '/admin/groups', '/admin/policy/properties', '/admin/policy/history', '/admin/agents', '/admin/sync', '/admin/reports', '/admin/outbox', '/admin/delivery', '/admin/audit', '/admin/api-tokens', '/admin/settings', '/admin/settings/delivery', '/admin/settings/writeback']) expect(seen, p).toContain(p);
    expect(seen.size).toBeGreaterThan(25);
  });

  it('without JavaScript a table on a phone keeps its columns and headers and scrolls inside its own box: the page itself is no wider than the window', async () => {
    const plain = await newPage(browser, { javaScriptEnabled: false, storageState: await page.context().storageState(), viewport: { width: 390, height: 800 } });
    for (const path of ['/admin/users', '/admin/delivery', '/admin/audit']) {
      expect((await visit(plain, `${portal.url}${path}`)).status, path).toBe(200);
      const [scroll, inner] = (await plain.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
      expect(scroll, path).toBeLessThanOrEqual(inner);
      expect(await plain.evaluate('(() => { const t = document.querySelector("main table"); return [t.classList.contains("stacked"), getComputedStyle(t).overflowX, getComputedStyle(t.querySelector("thead")).position]; })()'), path).toEqual([false, 'auto', 'static']);
    }
    await closePage(plain);
  });

  it('the pages that show a new token (an agent registration token, an API token) stay inside the window at 1280 and 390 px', async () => {
    const codes = rawCodes();
    await visit(page, `${portal.url}/admin/agents`);
    const agent = await navigation(page, () => page.getByRole('button', { name: 'Create a registration token', exact: true }).click());
    expect(agent.status).toBeLessThan(400);
    expect(await page.locator('#agent-token').inputValue()).not.toBe('');
    const problems = await checkPage(page, '/admin/agents (new token)', codes);
    await visit(page, `${portal.url}/admin/api-tokens`);
    await page.getByLabel('Name', { exact: true }).fill('nightly user sync');
    await page.locator('input[name="scope"]').first().check();
    const api = await navigation(page, () => page.getByRole('button', { name: 'Create token', exact: true }).click());
    expect(api.status).toBeLessThan(400);
    problems.push(...(await checkPage(page, '/admin/api-tokens (new token)', codes)));
    expect(problems).toEqual([]);
    await closePage(page);
  });

  it('in the pseudo-locale every text on every console page and on the user pages came from the catalogue (nothing outside ⟦ ⟧ but data)', async () => {
    const data = ['OpenSSPR', 'Example Organisation', 'reset.crawl@example.com', 'unlock.crawl@example.com', admin.username, admin.displayName, ALICE_EMAIL, 'nightly user sync', 'nobody.here', ...demoUsers.flatMap((u) => [u.username, u.displayName, `${u.username}@demo.invalid`]), ...demoGroups.flatMap((g) => [g.name, g.description])];
    const p = await newPage(browser);
    expect((await submitSignIn(p, portal.url, admin.username, admin.password)).path).toBe('/admin');
    await visit(p, `${portal.url}/admin?lang=en-XA`);
    expect(await p.locator('html').getAttribute('lang')).toBe('en-XA');
    const seen = new Set<string>();
    const queue = ['/admin', '/account', '/account/security-info', '/account/change-password'];
    const problems: string[] = [];
    while (queue.length > 0 && seen.size < MAX_PAGES) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const r = await visit(p, `${portal.url}${path}`);
      if (r.status >= 400) continue;
      // The outbox shows messages as they were sent (in their recipient's language): data, like names.
      const text = await p.locator('body').innerText();
      const sent = [...(await p.locator('pre.message').allInnerTexts()), ...(await p.locator('[data-sent-subject]').allInnerTexts())];
      const found = unwrappedWords(text, [...data, ...sent]);
      if (found.length) problems.push(`${path}: ${found.join(' ')}`);
      if (found.length && process.env.PSEUDO_DUMP) (await import('node:fs')).writeFileSync(`/tmp/pseudo${path.replace(/[^a-z0-9]+/gi, '-')}.txt`, text);
      for (const href of await p.locator('a[href^="/admin"], a[href^="/account"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
        const u = new URL(href, portal.url);
        u.hash = '';
        u.searchParams.delete('done');
        u.searchParams.delete('lang');
        const next = `${u.pathname}${u.search}`;
        if (!DOWNLOAD.test(next) && !seen.has(next) && !queue.includes(next)) queue.push(next);
      }
    }
    await closePage(p);
    // Signed out: sign-in, reset and unlock with their first steps.
    await withPage(browser, async (anon) => {
      const check = async (where: string) => {
        const found = unwrappedWords(await anon.locator('body').innerText(), data);
        if (found.length) problems.push(`${where}: ${found.join(' ')}`);
      };
      // Also the error pages, whatever their status: a page that does not exist, a reset link, a "this wasn't me" link and a helpdesk passkey check that are not (or no longer) valid.
      for (const path of ['/sign-in?lang=en-XA', '/reset', '/unlock', '/setup', '/no-such-page', '/reset/link/not-a-token', `${NOT_ME_PATH}?token=not-a-token`, '/helpdesk-check?token=not-a-token']) {
        const r = await visit(anon, `${portal.url}${path}`);
        expect(r.status, path).toBeLessThan(500);
        await check(`${path} (${r.status})`);
      }
      // The later steps of a reset and of an unlock: the list of ways, the address, the code page.
      for (const intent of ['reset', 'unlock']) {
        await visit(anon, `${portal.url}/${intent}`);
        await anon.locator('input[name="username"]').fill('alice');
        await anon.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
        await navigation(anon, () => anon.getByRole('button', { name: '⟦Next⟧', exact: true }).click());
        await check(`/${intent}: the ways`);
        await anon.getByRole('radio', { name: '⟦Email me a code⟧', exact: true }).check();
        await navigation(anon, () => anon.getByRole('button', { name: '⟦Next⟧', exact: true }).click());
        await check(`/${intent}: the address`);
        // Another address each time: this portal sends one code an hour to an address, and the page says so past it.
        await anon.locator('input[name="contact"]').fill(`${intent}.crawl@example.com`);
        await navigation(anon, () => anon.getByRole('button', { name: '⟦Send code⟧', exact: true }).click());
        expect(await anon.locator('input[name="code"]').count(), `${intent}: ${await anon.locator('main').innerText()}`).toBe(1);
        await check(`/${intent}: the code`);
      }
    });
    expect(problems, problems.join('\n')).toEqual([]);
    expect(seen.size).toBeGreaterThan(25);
  });
});
