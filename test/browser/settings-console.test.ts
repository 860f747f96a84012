import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, shootBothWidths, visit, withPage } from '../helpers/browser.js';
import { createFirstAdmin, enterCode, mainText, signIn, signOut, submitSignIn, wrongCode } from '../helpers/browser-flows.js';
import { addUserWithCli } from '../helpers/browser-flows.js';
import { codeIn } from '../helpers/codes.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { parsedMessages, SMTP_PASSWORD, startSmtp } from '../helpers/smtp-sink.js';
import { until } from '../helpers/wait.js';

/**
 * Issue 14's done-when for the console: each settings section changed in real Chromium against the
 * real `sspr start` process, and seen to take effect: mail moves from the outbox to a real SMTP
 * server on loopback with the new sender (the test message, then a user's code), a new throttle
 * number blocks a reset at the new count, a new user's code has the new length and lifetime, an
 * idle session ends at the new idle time, and the reminder days, the sync interval and the agent
 * token's life show on the pages that use them. The tests build on each other, in order.
 */

const admin = { username: 'settings.admin', displayName: 'Sam Settings', password: 'Harbour-Lantern-Quay-7' };
const user = { username: 'tess', displayName: 'Tess Throttle', password: 'Orchard-Meadow-Lamp-3' };
const SENDER = 'it-desk@corp.test';

let portal: PortalProcess;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let browser: Browser;
let page: Page;

const save = () => navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
const field = (label: string) => page.getByLabel(label, { exact: true });
const yesNo = (legend: string, answer: 'Yes' | 'No') => page.getByRole('group', { name: legend, exact: true }).getByRole('radio', { name: answer, exact: true }).check();

async function openSection(name: string, path: string): Promise<void> {
  await visit(page, `${portal.url}/admin/settings`);
  const opened = await navigation(page, () => page.getByRole('link', { name, exact: true }).click());
  expect(opened.path).toBe(path);
  expect(await page.locator('main h1').innerText()).toBe(name);
}

/** The newest mail the SMTP server received for an address, and its code. */
async function codeMailedTo(address: string, after: number): Promise<string> {
  await until(async () => sink().slice(after).some((r) => r.to.includes(address)), 10_000);
  const mails = await parsedMessages(sink().slice(after).filter((r) => r.to.includes(address)));
  return codeIn(mails.at(-1)!.text ?? '');
}
const sink = () => smtp.received;

describe('settings changed in the console take effect (real process, real Chromium, real SMTP)', { timeout: 120_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    smtp = await startSmtp();
    portal = await startPortalProcess({ config: { methods: { available: ['email', 'totp'], required: 1 }, reset: { captchaMaxNumber: 2000 } } });
    browser = await launchBrowser();
    page = await newPage(browser);
    expect((await createFirstAdmin(page, portal.setupLink!, admin)).path).toBe('/sign-in?m=setupDone');
    await addUserWithCli(portal, user);
    await submitSignIn(page, portal.url, admin.username, admin.password);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    await smtp?.close();
  });

  it('the settings page lists each section from the console navigation; accessible and fits a phone', async () => {
    await visit(page, `${portal.url}/admin`);
    const opened = await navigation(page, () => page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Settings', exact: true }).click());
    expect(opened.path).toBe('/admin/settings');
    const text = await mainText(page);
    for (const section of ['Email and phone delivery', 'Throttling', 'Sign-in lockout', 'Sessions', 'Verification codes', 'Setup link', 'Reset and unlock', 'Expiry reminders', 'Directory sync', 'Password writeback']) expect(text).toContain(section);
    await expectAccessibilityBasics(page);
    expect(await axeViolations(page)).toEqual([]);
    await shootBothWidths(page, 'settings-index', { noOverflow: true });
  });

  it('delivery: SMTP set in the console, the test email reaches the SMTP server from the new sender, and so does a user’s code', async () => {
    await openSection('Email and phone delivery', '/admin/settings/delivery');
    await expectAccessibilityBasics(page);
    expect(await axeViolations(page)).toEqual([]);
    await shootBothWidths(page, 'settings-delivery', { noOverflow: true });
    await field('How email is sent').selectOption('smtp');
    await field('Server name').fill('127.0.0.1');
    await field('Port').fill(String(smtp.port));
    await yesNo('TLS from the first byte', 'No');
    await yesNo('Refuse to send without encryption', 'Yes');
    await yesNo('Check the server’s certificate', 'No');
    await field('User name').fill('mailer');
    await field('Password').fill(SMTP_PASSWORD);
    await field('Sender').fill(`IT Service Desk <${SENDER}>`);
    const saved = await save();
    expect(saved.path).toBe('/admin/settings/delivery?done=saved');
    expect(await mainText(page)).toContain('Settings saved.');
    // The password is never shown again: an empty field, and words saying one is saved.
    expect(await field('Password').inputValue()).toBe('');
    expect(await mainText(page)).toContain('Saved. Leave empty to keep it; type a new one to replace it.');
    expect(await page.content()).not.toContain(SMTP_PASSWORD);

    await field('Send it to').fill('ops@corp.test');
    const before = sink().length;
    const sent = await navigation(page, () => page.getByRole('button', { name: 'Send test email', exact: true }).click());
    expect(sent.status).toBe(200);
    expect(await mainText(page)).toContain(`The test message was handed to SMTP 127.0.0.1:${smtp.port} for`);
    await until(async () => sink().length > before, 10_000);
    expect(sink()[before]).toMatchObject({ from: SENDER, to: ['ops@corp.test'], user: 'mailer', secure: true });
    const [mail] = await parsedMessages(sink().slice(before));
    expect(mail!.from?.value[0]).toMatchObject({ name: 'IT Service Desk', address: SENDER });

    // A user adding an email address gets the code over SMTP now, not in the outbox.
    await withPage(browser, async (p) => {
      await signIn(p, portal, user);
      await visit(p, `${portal.url}/account/security-info`);
      await navigation(p, () => p.getByRole('link', { name: 'Add an email address', exact: true }).click());
      await p.getByLabel('Email address', { exact: true }).fill('tess@corp.test');
      const mark = sink().length;
      await navigation(p, () => p.getByRole('button', { name: 'Send code', exact: true }).click());
      expect((await enterCode(p, await codeMailedTo('tess@corp.test', mark))).chain).toEqual([303, 200]);
      expect(sink().at(-1)!.from).toBe(SENDER);
      await signOut(p);
    });
  });

  it('throttling: after "2 wrong codes" is saved, a reset is blocked at the second wrong code, for the new number of hours', async () => {
    await openSection('Throttling', '/admin/settings/throttling');
    await field('Wrong codes or answers allowed in 24 hours').fill('2');
    await field('How long a block lasts (hours)').fill('3');
    expect((await save()).path).toBe('/admin/settings/throttling?done=saved');
    await shootBothWidths(page, 'settings-throttling', { noOverflow: true });

    await withPage(browser, async (p) => {
      await visit(p, `${portal.url}/reset`);
      await p.getByLabel('Username', { exact: true }).fill(user.username);
      await p.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
      await navigation(p, () => p.getByRole('button', { name: 'Next', exact: true }).click());
      await p.getByRole('radio', { name: 'Email me a code', exact: true }).check();
      await navigation(p, () => p.getByRole('button', { name: 'Next', exact: true }).click());
      await p.getByLabel('Your email address', { exact: true }).fill('tess@corp.test');
      const mark = sink().length;
      await navigation(p, () => p.getByRole('button', { name: 'Send code', exact: true }).click());
      const code = await codeMailedTo('tess@corp.test', mark);
      const first = await enterCode(p, wrongCode(code));
      expect(first.status).toBe(400);
      expect(await mainText(p)).toContain('1 attempt left before self-service is blocked for 3 hours.');
      const second = await enterCode(p, wrongCode(code, 2));
      expect(second.status).toBe(429);
      expect(await mainText(p)).toContain('for about 3 hours');
    });
  });

  it('reminders, sync and writeback: the new days, interval and token life show where they are used', async () => {
    await openSection('Expiry reminders', '/admin/settings/reminders');
    await field('Days before the expiry').fill('10, 2');
    expect((await save()).path).toBe('/admin/settings/reminders?done=saved');
    await visit(page, `${portal.url}/admin/sync/reminders`);
    expect(await page.locator('#reminders-days').innerText()).toBe('10, 2');

    await openSection('Directory sync', '/admin/settings/sync');
    await field('Sync every (minutes)').fill('45');
    expect((await save()).path).toBe('/admin/settings/sync?done=saved');
    await visit(page, `${portal.url}/admin/sync`);
    expect(await mainText(page)).toContain('then every 45 minutes');

    await openSection('Password writeback', '/admin/settings/writeback');
    await field('How long an agent registration token is valid (minutes)').fill('15');
    expect((await save()).path).toBe('/admin/settings/writeback?done=saved');
    await visit(page, `${portal.url}/admin/agents`);
    expect(await mainText(page)).toContain('expires after 15 minutes');
  });

  it('codes and sessions: a 6-digit code valid for 7 minutes reaches a new user; with a 1-minute idle time an idle session ends while an active one goes on', async () => {
    await openSection('Verification codes', '/admin/settings/codes');
    await field('Digits in a code').fill('6');
    await field('A code works for (minutes)').fill('7');
    expect((await save()).path).toBe('/admin/settings/codes?done=saved');
    await expectAccessibilityBasics(page);
    expect(await axeViolations(page)).toEqual([]);
    await shootBothWidths(page, 'settings-codes', { noOverflow: true });
    const cody = { username: 'cody', displayName: 'Cody Codes', password: 'Willow-Beacon-Ferry-8' };
    await addUserWithCli(portal, cody);
    await withPage(browser, async (p) => {
      await signIn(p, portal, cody);
      await visit(p, `${portal.url}/account/security-info`);
      await navigation(p, () => p.getByRole('link', { name: 'Add an email address', exact: true }).click());
      await p.getByLabel('Email address', { exact: true }).fill('cody@corp.test');
      const mark = sink().length;
      await navigation(p, () => p.getByRole('button', { name: 'Send code', exact: true }).click());
      const code = await codeMailedTo('cody@corp.test', mark);
      expect(code).toMatch(/^\d{6}$/);
      const [mail] = await parsedMessages(sink().slice(mark).filter((r) => r.to.includes('cody@corp.test')));
      expect(mail!.text).toContain('It is valid for 7 minutes.');
      expect((await enterCode(p, code)).chain).toEqual([303, 200]);

      await openSection('Sessions', '/admin/settings/sessions');
      await field('Signed out after this long without activity (minutes)').fill('1');
      expect((await save()).path).toBe('/admin/settings/sessions?done=saved');
      await shootBothWidths(page, 'settings-sessions', { noOverflow: true });
      // Cody stays idle; the administrator opens a page every 20 seconds.
      expect((await visit(p, `${portal.url}/account`)).path).toBe('/account');
      const idleSince = Date.now();
      while (Date.now() - idleSince < 62_000) {
        await new Promise((r) => setTimeout(r, Math.min(20_000, 62_000 - (Date.now() - idleSince))));
        expect((await visit(page, `${portal.url}/admin/settings/sessions`)).path).toBe('/admin/settings/sessions');
      }
      expect((await visit(p, `${portal.url}/account`)).path).toMatch(/^\/sign-in/);
    });
    await field('Signed out after this long without activity (minutes)').fill('30');
    expect((await save()).path).toBe('/admin/settings/sessions?done=saved');
  });

  it('sign-in lockout and reset: a username locks at the new count of wrong passwords; the robot check gets the new difficulty', async () => {
    await openSection('Sign-in lockout', '/admin/settings/sign-in');
    await field('Wrong passwords before a username is locked').fill('2');
    await field('First lock (seconds)').fill('120');
    expect((await save()).path).toBe('/admin/settings/sign-in?done=saved');
    await withPage(browser, async (p) => {
      const wrong = { ...user, password: 'Not-The-Password-1' };
      expect((await signIn(p, portal, wrong)).status).toBe(401);
      await signIn(p, portal, wrong);
      expect(await mainText(p)).toContain('Too many sign-in attempts. Wait 2 minutes and try again.');
    });

    await openSection('Reset and unlock', '/admin/settings/reset');
    await field('Difficulty of the robot check').fill('3000');
    expect((await save()).path).toBe('/admin/settings/reset?done=saved');
    await shootBothWidths(page, 'settings-reset', { noOverflow: true });
    const challenge = (await (await page.request.get(`${portal.url}/reset/captcha`)).json()) as { maxnumber: number };
    expect(challenge.maxnumber).toBe(3000);
    await withPage(browser, async (p) => {
      await visit(p, `${portal.url}/reset`);
      await p.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
    });
  });

  it('a wrong value is refused in words next to its field and nothing is saved', async () => {
    await openSection('Directory sync', '/admin/settings/sync');
    await field('Sync every (minutes)').fill('2000');
    const refused = await save();
    expect(refused.status).toBe(400);
    expect(await page.locator('.error-summary').innerText()).toContain('Sync every (minutes): Must be at most 1440.');
    expect(await field('Sync every (minutes)').getAttribute('aria-invalid')).toBe('true');
    await expectAccessibilityBasics(page);
    await shootBothWidths(page, 'settings-refused', { noOverflow: true });
    await visit(page, `${portal.url}/admin/sync`);
    expect(await mainText(page)).toContain('then every 45 minutes');
  });
});
