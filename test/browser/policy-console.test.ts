import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit } from '../helpers/browser.js';
import { createFirstAdmin, mainText, submitSignIn } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { currentTotp } from '../../src/methods/totp.js';
import { main } from '../../src/cli/main.js';
import { codeIn } from '../helpers/codes.js';

/**
 * The SSPR policy console through the real `sspr start --demo` process and real Chromium: an
 * administrator (registered with two methods, as the shipped default requires) changes every
 * setting of every section through the forms, sees each one saved, meets a validation error on
 * the way, and finds every version in the history. The tests build on each other, in order.
 */

/** The policy console's label of saved recovery codes. */
const RECOVERY_CODES = 'Recovery codes (10 one-time codes the user saves)';
const admin = { username: 'policy.admin', displayName: 'Polly Admin', password: 'Meadow-Console-Pass-1' };
const customQuestions = ['What was the name of your first team?', 'Which city did you first fly to?'];

let portal: PortalProcess;
let browser: Browser;
let page: Page;

/** Clicks Save on a policy page and expects the redirect back with the "saved" notice. */
async function saveAndExpectSaved(slug: string): Promise<void> {
  const r = await navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
  expect(r.chain).toEqual([303, 200]);
  expect(r.path).toBe(`/admin/policy/${slug}?done=policy.done.saved`);
  expect(await statusMessages(page)).toContain('The policy is saved.');
  await expectAccessibilityBasics(page);
}

/** The radio button of a yes/no (or other one-of) setting, found through its fieldset's legend. */
function choice(legend: string, option: string) {
  return page.getByRole('group', { name: legend }).getByRole('radio', { name: option, exact: true });
}

async function expectVersion(n: number): Promise<void> {
  expect(await mainText(page)).toContain(`Version ${n}, saved by ${admin.username} on`);
}

describe('the SSPR policy console (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    // The shipped default: registration required, so the administrator registers two methods first.
    portal = await startPortalProcess({ demo: true, config: { methods: { registrationRequired: true } } });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
  });

  it('the administrator is created, signs in and registers an authenticator app and an email address', async () => {
    expect(portal.demoUsers.map((u) => u.username)).toContain('alice');
    await createFirstAdmin(page, portal.setupLink!, admin);

    const signedIn = await submitSignIn(page, portal.url, admin.username, admin.password);
    expect(signedIn.path.split('?')[0]).toBe('/account/security-info');

    await navigation(page, () => page.getByRole('button', { name: 'Add an authenticator app' }).click());
    const key = (await page.locator('code.secret').innerText()).replace(/\s/g, '');
    await page.getByLabel('Code', { exact: true }).fill(currentTotp(key, Date.now()));
    await navigation(page, () => page.getByRole('button', { name: 'Verify' }).click());

    await navigation(page, () => page.getByRole('link', { name: 'Add an email address' }).click());
    await page.getByLabel('Email address', { exact: true }).fill('policy.admin@example.com');
    await navigation(page, () => page.getByRole('button', { name: 'Send code' }).click());
    const confirmUrl = page.url();
    await visit(page, `${portal.url}/admin/outbox`);
    const code = codeIn(await mainText(page), 8);
    await visit(page, confirmUrl);
    await page.getByLabel('Code', { exact: true }).fill(code);
    await navigation(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(await mainText(page)).not.toContain('Register your security info');
  });

  it('the console link opens Properties, which says that administrators always use the two-gate policy', async () => {
    await visit(page, `${portal.url}/admin`);
    const r = await navigation(page, () => page.getByRole('link', { name: 'Password reset policy' }).click());
    expect(r.path).toBe('/admin/policy/properties');
    expect(await page.locator('h1').innerText()).toBe('Password reset policy');
    expect(await page.locator('main h2').first().innerText()).toBe('Properties');
    const text = await mainText(page);
    expect(text).toContain('Version 0: the starting policy from the configuration file.');
    expect(text).toContain('Administrators always use the stricter two-gate policy');
    const sections = page.getByRole('navigation', { name: 'Policy sections' });
    for (const name of ['Properties', 'Authentication methods', 'Registration', 'Notifications', 'Customization', 'On-premises integration', 'History']) expect(await sections.getByRole('link', { name, exact: true }).count()).toBe(1);
    expect(await sections.getByRole('link', { name: 'Properties', exact: true }).getAttribute('aria-current')).toBe('page');
    expect(await choice('Self-service password reset enabled for', 'All users').isChecked()).toBe(true);
    await expectAccessibilityBasics(page);
  });

  it('Properties: SSPR for two selected groups (the pilot and the helpdesk)', async () => {
    await choice('Self-service password reset enabled for', 'Selected groups: members of the groups ticked below, also through nested groups').check();
    await page.getByRole('checkbox', { name: 'SSPR pilot', exact: true }).check();
    await page.getByRole('checkbox', { name: 'Helpdesk', exact: true }).check();
    await page.getByLabel('Comment (optional)', { exact: true }).fill('Pilot first');
    await saveAndExpectSaved('properties');
    await expectVersion(1);
    expect(await mainText(page)).toContain('Comment: Pilot first');
    expect(await choice('Self-service password reset enabled for', 'Selected groups: members of the groups ticked below, also through nested groups').isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'SSPR pilot', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Helpdesk', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Staff', exact: true }).isChecked()).toBe(false);
  });

  it('Authentication methods: two required, voice methods off, "never weaker than sign-in" (on by default, explained) off, security questions on with 4 of 5 and two custom questions', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'Authentication methods' }).click());
    expect(await mainText(page)).toContain('Administrators always use the stricter two-gate policy');
    await expectAccessibilityBasics(page);
    const neverWeaker = page.getByRole('group', { name: 'A reset is never weaker than sign-in' });
    expect(await choice('A reset is never weaker than sign-in', 'Yes').isChecked()).toBe(true);
    expect((await neverWeaker.innerText()).replace(/\s+/g, ' ')).toContain('Users who set up an authenticator app or a passkey must use it to reset their password or unlock their account, or verify two other ways');
    await choice('A reset is never weaker than sign-in', 'No').check();
    await choice('Number of methods required to reset', 'Two').check();
    await page.getByRole('checkbox', { name: 'Mobile phone: voice call', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Office phone: voice call', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Security questions', exact: true }).check();
    expect(await mainText(page)).toContain('A set of recovery codes counts as one method too');
    await page.getByRole('checkbox', { name: RECOVERY_CODES, exact: true }).check();
    await page.getByLabel('Number of questions required to register', { exact: true }).selectOption('5');
    await page.getByLabel('Number of questions required to reset', { exact: true }).selectOption('4');
    await page.getByLabel('Custom security questions', { exact: true }).fill(customQuestions.join('\n'));
    await saveAndExpectSaved('methods');
    await expectVersion(2);
    expect(await choice('Number of methods required to reset', 'Two').isChecked()).toBe(true);
    expect(await choice('A reset is never weaker than sign-in', 'No').isChecked()).toBe(true);
    const checked: Record<string, boolean> = {};
    for (const name of ['Email', 'Mobile phone: text message (SMS)', 'Mobile phone: voice call', 'Office phone: voice call', 'Authenticator app code', 'Passkey', 'Security questions', RECOVERY_CODES]) checked[name] = await page.getByRole('checkbox', { name, exact: true }).isChecked();
    expect(checked).toEqual({ Email: true, 'Mobile phone: text message (SMS)': true, 'Mobile phone: voice call': false, 'Office phone: voice call': false, 'Authenticator app code': true, Passkey: true, 'Security questions': true, [RECOVERY_CODES]: true });
    expect(await page.getByLabel('Number of questions required to register', { exact: true }).inputValue()).toBe('5');
    expect(await page.getByLabel('Number of questions required to reset', { exact: true }).inputValue()).toBe('4');
    expect(await page.getByLabel('Custom security questions', { exact: true }).inputValue()).toBe(customQuestions.join('\n'));
  });

  it('Registration: a re-confirmation period out of range is explained next to the field; then registration off and 90 days are saved', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'Registration' }).click());
    expect(await choice('Require users to register when signing in', 'Yes').isChecked()).toBe(true);
    const days = page.getByLabel('Days before users are asked to re-confirm their security info', { exact: true });
    expect(await days.inputValue()).toBe('180');
    await choice('Require users to register when signing in', 'No').check();
    await days.fill('1000');
    const refused = await navigation(page, () => page.getByRole('button', { name: 'Save', exact: true }).click());
    expect(refused.status).toBe(400);
    expect(await page.getByRole('alert').innerText()).toContain('Days before users are asked to re-confirm their security info: Enter a whole number of days from 0 to 730 (0 means never).');
    expect(await page.evaluate<boolean>("document.activeElement !== null && document.activeElement.classList.contains('error-summary')")).toBe(true);
    expect(await days.getAttribute('aria-invalid')).toBe('true');
    expect(await days.inputValue()).toBe('1000');
    // What was chosen is kept, and nothing was saved.
    expect(await choice('Require users to register when signing in', 'No').isChecked()).toBe(true);
    await expectVersion(2);
    await expectAccessibilityBasics(page);

    await days.fill('90');
    await saveAndExpectSaved('registration');
    await expectVersion(3);
    expect(await choice('Require users to register when signing in', 'No').isChecked()).toBe(true);
    expect(await days.inputValue()).toBe('90');
  });

  it('Notifications: neither users nor administrators are notified', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'Notifications' }).click());
    await expectAccessibilityBasics(page);
    expect(await choice('Notify users on password resets', 'Yes').isChecked()).toBe(true);
    await choice('Notify users on password resets', 'No').check();
    await choice('Notify all administrators when another administrator resets their password', 'No').check();
    await saveAndExpectSaved('notifications');
    await expectVersion(4);
    expect(await choice('Notify users on password resets', 'No').isChecked()).toBe(true);
    expect(await choice('Notify all administrators when another administrator resets their password', 'No').isChecked()).toBe(true);
  });

  it('Customization: the helpdesk link', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'Customization' }).click());
    await expectAccessibilityBasics(page);
    const helpdesk = page.getByLabel('Helpdesk link or email address', { exact: true });
    await helpdesk.fill('https://help.example.com/sspr');
    await saveAndExpectSaved('customization');
    await expectVersion(5);
    expect(await helpdesk.inputValue()).toBe('https://help.example.com/sspr');
  });

  it('On-premises integration: each switch is explained; writeback and unlock off, password hash sync on', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'On-premises integration' }).click());
    await expectAccessibilityBasics(page);
    const text = await mainText(page);
    expect(text).toContain('the on-premises agent sets the same password in Active Directory straight away');
    expect(text).toContain('can unlock it after proving who they are, and keep their password');
    expect(text).toContain('so they can sign in to the portal even when the on-premises agent cannot be reached');
    await choice('Write back passwords to your on-premises directory', 'No').check();
    await choice('Allow users to unlock accounts without resetting their password', 'No').check();
    await choice('Password hash sync', 'Yes').check();
    await saveAndExpectSaved('on-premises');
    await expectVersion(6);
    expect(await choice('Write back passwords to your on-premises directory', 'No').isChecked()).toBe(true);
    expect(await choice('Allow users to unlock accounts without resetting their password', 'No').isChecked()).toBe(true);
    expect(await choice('Password hash sync', 'Yes').isChecked()).toBe(true);
  });

  it('the history lists every version with who saved it and which settings changed, and shows any version in full', async () => {
    await navigation(page, () => page.getByRole('navigation', { name: 'Policy sections' }).getByRole('link', { name: 'History' }).click());
    expect(new URL(page.url()).pathname).toBe('/admin/policy/history');
    await expectAccessibilityBasics(page);
    const rows = page.locator('main table tbody tr');
    expect(await rows.count()).toBe(7);
    const cells = async (i: number) => (await rows.nth(i).locator('td').allInnerTexts()).map((s) => s.trim());
    expect((await cells(0))[0]).toBe('Policy version 6');
    expect((await cells(0))[2]).toBe(admin.username);
    // What each version changed, in words: "setting: before → after", one per line.
    expect((await cells(0))[4]!.split('\n')).toEqual(['Write back passwords to your on-premises directory: Yes → No', 'Allow users to unlock accounts without resetting their password: Yes → No', 'Password hash sync: No → Yes']);
    const methods = (await cells(4))[4]!.split('\n');
    expect(methods[0]).toBe('Number of methods required to reset: 1 → 2');
    expect(methods.map((l) => l.split(':')[0])).toEqual(['Number of methods required to reset', 'Methods available to users', 'A reset is never weaker than sign-in', 'Number of questions required to register', 'Number of questions required to reset', 'Custom security questions']);
    const first = await cells(5);
    expect(first.slice(0, 4)).toEqual([expect.stringMatching(/^Policy version 1$/), expect.stringMatching(/UTC$/), admin.username, 'Pilot first']);
    expect(first[4]!.split('\n').map((l) => l.split(':')[0])).toEqual(['Self-service password reset enabled for', 'Groups that may reset (used when “Selected groups” is chosen)']);
    expect(first[4]).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect((await cells(6))[0]).toBe('Policy version 0');

    const opened = await navigation(page, () => page.getByRole('link', { name: 'Policy version 2', exact: true }).click());
    expect(opened.path).toBe('/admin/policy/history/2');
    await expectAccessibilityBasics(page);
    expect(await mainText(page)).toContain('Changed from version 1');
    // Every setting in words; the document itself is folded away under its summary.
    const settings = await page.locator('main dl.props').innerText();
    expect(settings).toMatch(/Number of methods required to reset\s+2/);
    expect(settings).toMatch(/Groups that may reset[^\n]*\s+Helpdesk, SSPR pilot\n/);
    expect(await page.locator('main pre').isVisible()).toBe(false);
    await page.getByText('Show the document as JSON', { exact: true }).click();
    const doc = JSON.parse(await page.locator('main pre').innerText()) as { methodsRequired: number; questions: { custom: string[] }; enabledFor: string };
    expect(doc.methodsRequired).toBe(2);
    expect(doc.enabledFor).toBe('selected');
    expect(doc.questions.custom).toEqual(customQuestions);
  });

  it('the CLI reads the same stored policy the console saved', async () => {
    const chunks: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const code = await main(['--config', join(portal.dir, 'sspr.yaml'), 'policy', 'show', '--json'], { stdout, stderr: stdout, stdin: Readable.from([]), env: {}, cwd: portal.dir });
    expect(code, chunks.join('')).toBe(0);
    const shown = JSON.parse(chunks.join('')) as { version: number; policy: Record<string, unknown> };
    expect(shown.version).toBe(6);
    expect(shown.policy).toMatchObject({
      enabledFor: 'selected',
      methodsRequired: 2,
      methodsAvailable: ['email', 'mobile_sms', 'totp', 'passkey', 'questions', 'recovery_code'],
      questions: { toRegister: 5, toAnswer: 4, custom: customQuestions },
      registration: { required: false, reconfirmDays: 90 },
      notifications: { usersOnReset: false, adminsOnAdminReset: false },
      customization: { helpdesk: 'https://help.example.com/sspr' },
      onPremises: { writeback: false, allowUnlock: false, passwordHashSync: true },
      reset: { neverWeakerThanSignIn: false },
    });
    expect(shown.policy['groups']).toHaveLength(2);
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
