import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, expectAccessibilityBasics, launchBrowser, navigation, screenshotOnFailure, seriousPageProblems, shootBothWidths, statusMessages, visit, withPage, type NavigationResult } from '../helpers/browser.js';
import { alerts, createFirstAdmin, h1, mainText, sendCodeVia, submitNewPassword, submitSignIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { openPortalStore, type PortalStore } from '../helpers/portal-store.js';
import { startSambaDc, type SambaDc, type SambaUser } from '../helpers/samba-dc.js';
import { bindsAs } from '../helpers/ad-connector.js';

/**
 * The forgot-password flow of a hybrid user (source onprem, anchored on an AD objectGUID) in
 * real Chromium against the real `sspr start` process, whose in-process agent
 * (`agent.inProcess: true`) writes the new password back to a real Samba AD DC. The user is
 * created in AD with samba-tool and in the portal's store directly (test/helpers/portal-store.ts:
 * there is no AD sync yet, and a hybrid user has no portal password to sign in and register
 * methods with), with a confirmed email address; codes are read from the process's outbox.
 *
 * Two portal processes: `withAgent` (the in-process agent connected to the DC) and `noAgent`
 * (no agent at all, jobs expire after 1 s), both on the same DC.
 */

const START_PASSWORD = 'Start!Pass#2024';
/** Passes the portal's own rules (long, strong, not common) but not AD's complexity: only small letters and spaces. */
const AD_REFUSES = 'quiet marble orchard lantern';
/** Passes both: capital and small letters and digits. */
const NEW_PASSWORD = 'Harbour Lantern Quartz 42';
/** The minimum length of the fine-grained policy of one user, longer than NEW_PASSWORD. */
const PSO_MIN_LENGTH = 28;
const LONG_PASSWORD = 'Harbour Lantern Quartz 42 Willow';
const CHEAP_CAPTCHA = 2000;

interface Env {
  portal: PortalProcess;
  outbox: PortalOutbox;
  store: PortalStore;
}

let dc: SambaDc;
let dir: string;
let browser: Browser;
const withAgent = {} as Env;
const noAgent = {} as Env;

const binds = (sam: SambaUser, password: string) => bindsAs(dc, sam.guid, password);

async function started(env: Env, config: Record<string, unknown>): Promise<void> {
  env.portal = await startPortalProcess({ config });
  env.outbox = openPortalOutbox(env.portal);
  env.store = openPortalStore(env.portal);
}

/** A user in AD and the same person as a hybrid user in the portal, with a confirmed email address. */
async function hybridUser(env: Env, username: string, displayName: string): Promise<{ sam: SambaUser; email: string }> {
  const sam = await dc.addUser(username, START_PASSWORD, { displayName });
  const user = await env.store.addHybridUser({ username, displayName, anchor: sam.guid });
  const email = `${username}@example.com`;
  await env.store.addConfirmedEmail(user.id, email);
  return { sam, email };
}

/** The user's writeback jobs, oldest first: [kind, status, verdict]. */
/** The password jobs of a user (the policy reads that come with each new-password page are left out). */
async function jobsOf(env: Env, username: string): Promise<Array<[string, string, string | null]>> {
  const user = await env.store.users.byUsername(username);
  if (!user) throw new Error(`no user ${username}`);
  const jobs = await env.store.store.db.selectFrom('writeback_jobs').select(['kind', 'status', 'verdict', 'created_at']).where('user_id', '=', user.id).where('kind', '!=', 'policy').orderBy('created_at').execute();
  return jobs.map((j) => [j.kind, j.status, j.verdict]);
}

// ---------------------------------------------------------------- page helpers

/** /reset → the name → the page's own proof of work → Next; ends on the method list. */
async function identify(env: Env, page: Page, username: string): Promise<NavigationResult> {
  const opened = await visit(page, `${env.portal.url}/reset`);
  expect(opened.status).toBe(200);
  expect(await h1(page)).toBe('Reset your password');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.locator('[data-captcha-status]', { hasText: 'Robot check done.' }).waitFor();
  const r = await navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
  expect(r.chain).toEqual([303, 200]);
  expect(r.path).toMatch(/^\/reset\/verify\?flow=[A-Za-z0-9_-]+$/);
  expect((await page.locator('main').innerText()).replace(/\s+/g, ' ')).toContain(`Account: ${username}`);
  return r;
}

/** On the method list: "Email me a code" with the address typed, the code from the outbox, Verify. Ends on the new-password page. */
async function verifyByEmail(env: Env, page: Page, email: string): Promise<void> {
  const before = await env.outbox.mark();
  const chosen = await sendCodeVia(page, 'Email me a code', email);
  expect(chosen.chain).toEqual([303, 200]);
  await page.getByLabel('Code', { exact: true }).fill(await env.outbox.nextCodeTo(email, before));
  const verified = await navigation(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());
  expect(verified.chain).toEqual([303, 200]);
  expect(await h1(page)).toBe('Choose a new password');
}

// ---------------------------------------------------------------- the tests

describe('forgot password of a hybrid user, written back to AD by the in-process agent (real process, real Chromium, real Samba DC)', { timeout: 90_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sspr-hybrid-reset-'));
    dc = await startSambaDc();
    await dc.samba(['domain', 'passwordsettings', 'set', '--min-pwd-age=0']);
    const caCertFile = join(dir, 'dc-ca.pem');
    writeFileSync(caCertFile, dc.caCertPem);
    const common = { reset: { captchaMaxNumber: CHEAP_CAPTCHA }, methods: { registrationRequired: false } };
    // allSettled: when one start fails the other is still awaited, so afterAll stops every process that started.
    const starts = await Promise.allSettled([
      started(withAgent, {
        ...common,
        agent: {
          inProcess: true,
          stateFile: join(dir, 'agent-state.json'),
          journalFile: join(dir, 'agent-journal.json'),
          ad: { urls: [dc.url], caCertFile, tlsServerName: dc.tlsServerName, bindDn: dc.adminDn, bindPassword: dc.adminPassword, baseDn: dc.baseDn },
        },
      }),
      started(noAgent, { ...common, writeback: { jobSeconds: 1 } }),
    ]);
    for (const r of starts) if (r.status === 'rejected') throw r.reason;
    browser = await launchBrowser();
    // The in-process agent connects once the server listens: wait until the portal has seen it.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const agents = await withAgent.store.store.db.selectFrom('agents').select(['name', 'last_seen_at']).execute();
      if (agents.length === 1 && agents[0]!.name === 'in-process' && agents[0]!.last_seen_at !== null) break;
      if (Date.now() > deadline) throw new Error(`the in-process agent did not connect within 15 s: ${JSON.stringify(agents)}\n${withAgent.portal.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const env of [withAgent, noAgent]) {
      await env.outbox?.close();
      await env.store?.close();
      await env.portal?.stop();
    }
    await dc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a password that breaks AD's complexity rule (the portal's own rules pass it) is refused at once in AD's words, nothing is sent to AD, and the same flow then resets the password in AD", async () => {
    const { sam, email } = await hybridUser(withAgent, 'hanna.hybrid', 'Hanna Hybrid');
    await withPage(browser, async (page) => {
      await identify(withAgent, page, 'hanna.hybrid');
      await expectAccessibilityBasics(page);
      await verifyByEmail(withAgent, page, email);
      expect(await statusMessages(page)).toContain('It is you: the checks for hanna.hybrid are done.');
      // The portal's rules, then the domain's own policy as the agent read it from the DC
      // (Samba's defaults: 7 characters, complexity, 42 days; a reset on Samba enforces neither the
      // history nor the minimum age — no policy-hints control — so the page does not promise them).
      expect((await page.locator('#rules li').allInnerTexts()).map((t) => t.trim())).toEqual([
        'be 8 to 256 characters long (spaces and any letters allowed)',
        'not be a common or easily guessed password',
        'not contain your name, username or the organisation name',
        "also meet your organisation network's own password rules",
        'at least 7 characters',
        'three of: capital letters, small letters, digits, symbols — and not your name or username',
        'a new password every 42 days',
      ]);
      // Samba offers no policy-hints control, so AD does not check the history on a reset: the page says so plainly.
      expect((await page.locator('#rules').innerText()).replace(/\s+/g, ' ')).toContain("Your organisation's network does not check your earlier passwords when you reset (only when you change your password), so please choose one you have not used before.");
      await expectAccessibilityBasics(page);

      // Only small letters and spaces: strong by the portal's measure, not complex enough for AD.
      const refused = await submitNewPassword(page, AD_REFUSES);
      expect(refused.chain).toEqual([400]);
      expect(await h1(page)).toBe('Choose a new password');
      const words = "Your organisation's network needs a password with at least three of: capital letters, small letters, digits and symbols, and not containing your name. Nothing was changed.";
      expect(await page.locator('#f-password-error').innerText()).toBe(words);
      expect(await alerts(page)).toEqual([`There is a problem with what you entered. New password: ${words}`]);
      expect(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await expectAccessibilityBasics(page);
      expect(await binds(sam, START_PASSWORD)).toBe(true);

      // The flow is still usable: no second proof, just a password AD accepts.
      const before = await withAgent.outbox.mark();
      const done = await submitNewPassword(page, NEW_PASSWORD);
      expect(done.chain).toEqual([303, 200]);
      expect(done.path).toMatch(/^\/reset\/verify\?flow=/);
      expect(await h1(page)).toBe('Your password was reset');
      expect(await statusMessages(page)).toContain('Your password was reset. Your account was also unlocked, and you were signed out everywhere else.');
      await expectAccessibilityBasics(page);
      const notice = await withAgent.outbox.nextMessageTo(email, before);
      expect(notice.subject).toContain('Your password was reset');
    });

    // AD has the new password.
    expect(await binds(sam, NEW_PASSWORD)).toBe(true);
    // One job only: the refused password never left the portal.
    expect(await jobsOf(withAgent, 'hanna.hybrid')).toEqual([['reset', 'applied', 'applied']]);
    // No password in anything the process printed (its log lines, the agent's included).
    for (const secret of [AD_REFUSES, NEW_PASSWORD]) expect(withAgent.portal.output()).not.toContain(secret);
  });

  it('a user under a fine-grained policy (longer passwords than the domain\'s) sees that policy, is told at once that the password is too short, nothing is sent to AD, and a long enough one then works', async () => {
    const { sam, email } = await hybridUser(withAgent, 'pia.pso', 'Pia Pso');
    // A fine-grained password policy for this user only: the agent reads the user's effective policy.
    await dc.samba(['domain', 'passwordsettings', 'pso', 'create', 'Long-Passwords', '10', `--min-pwd-length=${PSO_MIN_LENGTH}`, '--complexity=on', '--history-length=5', '--min-pwd-age=0', '--max-pwd-age=90']);
    await dc.samba(['domain', 'passwordsettings', 'pso', 'apply', 'Long-Passwords', 'pia.pso']);
    expect(NEW_PASSWORD.length).toBeLessThan(PSO_MIN_LENGTH);
    await withPage(browser, async (page) => {
      await identify(withAgent, page, 'pia.pso');
      await verifyByEmail(withAgent, page, email);
      expect(await page.locator('#rules li').allInnerTexts()).toContain(`at least ${PSO_MIN_LENGTH} characters`);

      const refused = await submitNewPassword(page, NEW_PASSWORD);
      expect(refused.chain).toEqual([400]);
      expect(await h1(page)).toBe('Choose a new password');
      expect(await page.locator('#f-password-error').innerText()).toBe("Your organisation's network needs a longer password. Nothing was changed. Choose a longer one.");
      await expectAccessibilityBasics(page);
      expect(await binds(sam, START_PASSWORD)).toBe(true);

      const done = await submitNewPassword(page, LONG_PASSWORD);
      expect(done.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Your password was reset');
    });
    expect(await binds(sam, LONG_PASSWORD)).toBe(true);
    // The refused password never left the portal: one password job, applied.
    expect(await jobsOf(withAgent, 'pia.pso')).toEqual([['reset', 'applied', 'applied']]);
  });

  it('a protected account (a member of Domain Admins) is told right after the email code, before any password is typed, that it cannot be reset here; AD is asked to change nothing', async () => {
    const { sam, email } = await hybridUser(withAgent, 'pat.protected', 'Pat Protected');
    await dc.samba(['group', 'addmembers', 'Domain Admins', 'pat.protected']);
    await withPage(browser, async (page) => {
      await identify(withAgent, page, 'pat.protected');
      const before = await withAgent.outbox.mark();
      await sendCodeVia(page, 'Email me a code', email);
      await page.getByLabel('Code', { exact: true }).fill(await withAgent.outbox.nextCodeTo(email, before));
      const verified = await navigation(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());
      expect(verified.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('This password cannot be reset here');
      expect(await statusMessages(page)).toEqual(expect.arrayContaining(['It is you: the checks for pat.protected are done.', "Your account has administrator rights in your organisation's network, so for safety its password cannot be reset or unlocked through this page. Nothing was changed."]));
      expect(await page.locator('main').innerText()).toContain('Contact your IT helpdesk or administrator.');
      expect(await page.getByLabel('New password', { exact: true }).count()).toBe(0);
      await expectAccessibilityBasics(page);
    });
    expect(await binds(sam, START_PASSWORD)).toBe(true);
    // Only the policy look-up went to AD: no password job at all.
    expect(await jobsOf(withAgent, 'pat.protected')).toEqual([]);
  });

  it('with no agent connected, the reset is refused in plain words ("Nothing was changed"), AD keeps the old password, and the user can try again', async () => {
    const { sam, email } = await hybridUser(noAgent, 'ivan.offline', 'Ivan Offline');
    await withPage(browser, async (page) => {
      await identify(noAgent, page, 'ivan.offline');
      await verifyByEmail(noAgent, page, email);
      for (let attempt = 0; attempt < 2; attempt++) {
        const r = await submitNewPassword(page, NEW_PASSWORD);
        expect(r.chain).toEqual([503]);
        expect(await h1(page)).toBe('Choose a new password');
        expect(await alerts(page)).toEqual(["Your password is kept in your organisation's network, and the service that changes it there is not reachable right now. Nothing was changed. Try again in a few minutes."]);
        expect(await page.getByRole('button', { name: 'Reset password', exact: true }).count()).toBe(1);
        await expectAccessibilityBasics(page);
      }
    });
    expect(await binds(sam, START_PASSWORD)).toBe(true);
    expect(await jobsOf(noAgent, 'ivan.offline')).toEqual([
      ['reset', 'expired', 'no_agent'],
      ['reset', 'expired', 'no_agent'],
    ]);
  });

  it('in the console, Test connection of the in-process agent says which DC and domain it reached and the policy it read; the page passes axe and fits a phone', async () => {
    const admin = { username: 'wb.admin', displayName: 'Wanda Writeback', password: 'Copper-Lantern-Ridge-57' };
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await withPage(browser, async (p) => {
      expect((await createFirstAdmin(p, withAgent.portal.setupLink!, admin)).path).toBe('/sign-in?m=setupDone');
      expect((await submitSignIn(p, withAgent.portal.url, admin.username, admin.password)).path).toBe('/admin');
      await visit(p, `${withAgent.portal.url}/admin/agents`);
      const tested = await navigation(p, () => p.getByRole('button', { name: 'Test connection of agent in-process', exact: true }).click());
      expect(tested.status).toBe(200);
      expect(await mainText(p)).toMatch(new RegExp(`Agent in-process reached ${escape(dc.tlsServerName)} for the domain ${escape(dc.realm)} and read its password policy \\(minimum length \\d+\\) in \\d+ ms\\. Writeback through this agent works\\.`, 'i'));
      await expectAccessibilityBasics(p);
      expect(await axeViolations(p)).toEqual([]);
      await shootBothWidths(p, 'agents-tested', { noOverflow: true });
      // A connection test is not a user's job: the job list and the last job stay about users, and no id shows.
      const text = await mainText(p);
      expect(text).not.toContain('Connection test');
      expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    });
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
