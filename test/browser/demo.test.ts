import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, expectAccessibilityBasics, launchBrowser, navigation, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage } from '../helpers/browser.js';
import { signIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type DemoUser, type PortalProcess } from '../helpers/portal-process.js';

/** `sspr start --demo` through the real process and real Chromium. */

let portal: PortalProcess;
let browser: Browser;

function demoUser(username: string): DemoUser {
  const u = portal.demoUsers.find((d) => d.username === username);
  if (!u) throw new Error(`demo user ${username} was not printed:\n${portal.output()}`);
  return u;
}

describe('start --demo (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    portal = await startPortalProcess({ demo: true });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('prints the demo users with fresh random passwords, roles and groups', () => {
    expect(portal.output()).toContain('Demo users (fresh passwords on every `start --demo`');
    expect(portal.demoUsers.map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
    for (const u of portal.demoUsers) expect(u.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(new Set(portal.demoUsers.map((u) => u.password)).size).toBe(3);
    expect(demoUser('alice')).toMatchObject({ roles: ['user'], groups: ['SSPR pilot'] });
    expect(demoUser('bob')).toMatchObject({ roles: ['password_administrator'], groups: ['Helpdesk'] });
    // No administrator exists in the demo either: the setup link is printed as well.
    expect(portal.setupLink).toMatch(/\/setup\?token=/);
  });

  it('a demo user signs in with the printed password and sees "My account"', async () => {
    await withPage(browser, async (page) => {
      const r = await signIn(page, portal, demoUser('alice'));
      expect(r.chain).toEqual([303, 200]);
      expect(r.path).toBe('/account');
      expect(await page.locator('h1').innerText()).toBe('My account');
      expect(await page.locator('main').innerText()).toContain('Signed in as Alice Andersen (alice).');
      expect(await page.getByRole('link', { name: 'Admin console' }).count()).toBe(0);
      await expectAccessibilityBasics(page);
    });
  });

  it('"Sign out everywhere" ends every session of the user: this browser and another one', async () => {
    const carol = demoUser('carol');
    await withPage(browser, (first) =>
      withPage(browser, async (second) => {
        expect((await signIn(first, portal, carol)).path).toBe('/account');
        expect((await signIn(second, portal, carol)).path).toBe('/account');
        await visit(first, `${portal.url}/account`);
        expect(await first.locator('main').innerText()).toContain('You are signed in on 2 devices or browsers.');

        const out = await navigation(first, () => first.getByRole('button', { name: 'Sign out everywhere' }).click());
        expect(out.chain).toEqual([303, 200]);
        expect(out.path).toBe('/sign-in?m=signedOut');
        expect(await statusMessages(first)).toContain('You are signed out.');

        // This browser: no session cookie any more, so /account asks to sign in.
        const mine = await visit(first, `${portal.url}/account`);
        expect(mine.chain).toEqual([303, 200]);
        expect(new URL(first.url()).pathname).toBe('/sign-in');
        expect(new URL(first.url()).searchParams.get('next')).toBe('/account');

        // The other browser still has its cookie, but its session was ended with the rest.
        const other = await visit(second, `${portal.url}/account`);
        expect(other.chain).toEqual([303, 200]);
        const landed = new URL(second.url());
        expect(landed.pathname).toBe('/sign-in');
        expect(landed.searchParams.get('m')).toBe('sessionExpired');
        expect(await statusMessages(second)).toContain('Your session ended. Sign in again to continue.');
      }),
    );
  });

  it('the accessibility check itself flags unlabelled controls, broken in-page links, a missing h1 and a missing main landmark', async () => {
    await withPage(browser, async (page) => {
      await page.setContent('<html><head><title>x</title></head><body><form><input name="who"><label for="gone">Gone</label><a href="#nowhere">Skip</a><button></button></form></body></html>');
      const problems = await accessibilityProblems(page);
      expect(problems).toEqual(
        expect.arrayContaining([
          'input[name=who] has no label',
          'button (a button) has no accessible name',
          'label "Gone" points at a missing id #gone',
          'link "Skip" points at a missing id #nowhere',
          'the page has no h1',
          'the page has 0 main landmarks (expected 1)',
          '<html> has no lang attribute',
        ]),
      );
    });
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
