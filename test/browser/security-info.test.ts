import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { expectAccessibilityBasics, launchBrowser, navigation, newPage, closePage, screenshotOnFailure, seriousPageProblems, statusMessages, visit, withPage } from '../helpers/browser.js';
import { alerts, confirmAuthenticator, createUser, enterCode, h1, mainText, signIn, signOut, wrongCode } from '../helpers/browser-flows.js';
import { startPortalProcess, type PortalProcess } from '../helpers/portal-process.js';
import { openPortalOutbox, type PortalOutbox } from '../helpers/portal-outbox.js';
import { currentTotp } from '../../src/methods/totp.js';
import { codeIn } from '../helpers/codes.js';

/**
 * "My security info" (/account/security-info), MFA at sign-in and the registration interrupt,
 * through the real `sspr start` process and real Chromium. Codes are read from the process's
 * outbox (its SQLite store, decrypted with its key file), as a tester using outbox delivery would.
 * Users are created with the CLI against the same config file while the portal runs. Each test
 * uses its own user, so the per-user send and verification limits of one test do not reach the next.
 */

const BASE = '/account/security-info';
const PASSWORD = 'Browser-Methods-Pass-1';


function startedPortal() {
  let portal!: PortalProcess;
  let outbox!: PortalOutbox;
  let browser!: Browser;

  async function openSecurityInfo(page: Page): Promise<void> {
    const r = await visit(page, `${portal.url}${BASE}`);
    expect(r.status).toBe(200);
    expect(r.path).toBe(BASE);
    expect(await h1(page)).toBe('My security info');
  }

  /** From My security info: "Add an email address", type it, send the code; ends on the confirm page. Returns the code that was sent. */
  async function startEmail(page: Page, address: string): Promise<string> {
    await openSecurityInfo(page);
    const form = await navigation(page, () => page.getByRole('link', { name: 'Add an email address', exact: true }).click());
    expect(form.path).toBe(`${BASE}/add/email`);
    expect(await h1(page)).toBe('Add an email address');
    await expectAccessibilityBasics(page);
    await page.getByLabel('Email address', { exact: true }).fill(address);
    const before = await outbox.mark();
    const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
    expect(sent.chain).toEqual([303, 200]);
    expect(sent.path).toMatch(new RegExp(`^${BASE}/confirm/[^/?]+$`));
    return outbox.nextCodeTo(address.toLowerCase(), before);
  }

  /** Registers an email address end to end and checks the "is registered" notice. */
  async function registerEmail(page: Page, address: string, masked: string): Promise<void> {
    const code = await startEmail(page, address);
    const done = await enterCode(page, code);
    expect(done.chain).toEqual([303, 200]);
    expect(await statusMessages(page)).toContain(`Email ${masked} is registered.`);
  }

  /** "Add an authenticator app" → the key shown as text; confirms with the current code. Returns the key. */
  async function registerAuthenticator(page: Page): Promise<string> {
    await openSecurityInfo(page);
    const started = await navigation(page, () => page.getByRole('button', { name: 'Add an authenticator app', exact: true }).click());
    expect(started.chain).toEqual([303, 200]);
    return confirmAuthenticator(page);
  }

  /** From My security info: "Add a mobile phone" / "Add an office phone", send the code, confirm it from the outbox. */
  async function registerPhone(page: Page, kind: 'mobile' | 'office', typed: string, e164: string, name: string): Promise<void> {
    await openSecurityInfo(page);
    await navigation(page, () => page.getByRole('link', { name: kind === 'mobile' ? 'Add a mobile phone' : 'Add an office phone', exact: true }).click());
    await page.getByLabel('Phone number', { exact: true }).fill(typed);
    const before = await outbox.mark();
    const sent = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
    expect(sent.chain).toEqual([303, 200]);
    const done = await enterCode(page, await outbox.nextCodeTo(e164, before));
    expect(done.chain).toEqual([303, 200]);
    expect(await statusMessages(page)).toContain(`${name} is registered.`);
  }

  return {
    get portal() {
      return portal;
    },
    get outbox() {
      return outbox;
    },
    get browser() {
      return browser;
    },
    async start(config: Record<string, unknown>) {
      portal = await startPortalProcess({ config });
      outbox = openPortalOutbox(portal);
      browser = await launchBrowser();
    },
    async stop() {
      await outbox?.close();
      await browser?.close();
      await portal?.stop();
    },
    signOut,
    openSecurityInfo,
    startEmail,
    enterCode,
    registerEmail,
    registerAuthenticator,
    registerPhone,
  };
}

describe('my security info and MFA at sign-in (real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();
  const p = startedPortal();

  beforeAll(async () => {
    await p.start({ methods: { available: ['email', 'mobile_sms', 'mobile_voice', 'office_voice', 'totp', 'questions'] } });
  });

  afterAll(async () => {
    await p.stop();
  });

  it('an email address is registered with the code from the outbox: a wrong code is refused first, then it is listed as the default', async () => {
    const alice = await createUser(p.portal, { username: 'alice', displayName: 'Alice Andersen', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      const signedIn = await signIn(page, p.portal, alice);
      expect(signedIn.path).toBe('/account');
      await p.openSecurityInfo(page);
      expect(await mainText(page)).toContain('You have not registered any method yet.');
      await expectAccessibilityBasics(page);

      const code = await p.startEmail(page, 'Alice.Private@Example.com');
      expect(code).toMatch(/^\d{8}$/);
      expect(await h1(page)).toBe('Email a•••@example.com');
      expect(await page.locator('#f-code-hint').innerText()).toBe('We sent a code to a•••@example.com. It is valid for 5 minutes.');
      await expectAccessibilityBasics(page);
      const mail = (await p.outbox.messagesTo('alice.private@example.com'))[0]!;
      expect(mail.channel).toBe('email');
      expect(mail.subject?.startsWith('Your verification code · OpenSSPR')).toBe(true);
      // The subject shows on lock screens: never the code.
      expect(mail.subject).not.toContain(code);

      const refused = await p.enterCode(page, wrongCode(code));
      expect(refused.status).toBe(400);
      expect(await alerts(page)).toContain('That code is not right. Check it and try again.');
      await expectAccessibilityBasics(page);

      const done = await p.enterCode(page, code);
      expect(done.chain).toEqual([303, 200]);
      expect(done.path.startsWith(`${BASE}?done=methods.done.added`)).toBe(true);
      expect(await statusMessages(page)).toContain('Email a•••@example.com is registered.');
      const rows = page.locator('main table tbody tr');
      expect(await rows.count()).toBe(1);
      const row = (await rows.first().innerText()).replace(/\s+/g, ' ');
      expect(row).toContain('Email a•••@example.com');
      expect(row).toContain('Default');
      expect(await mainText(page)).not.toContain('You have not registered any method yet.');
      await expectAccessibilityBasics(page);
    });
  });

  it('"Test" sends a new code and entering it shows "It works"; the same code used again shows the plain "no code waiting" message', async () => {
    const amy = await createUser(p.portal, { username: 'amy', displayName: 'Amy Adams', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, amy);
      await p.registerEmail(page, 'amy@example.com', 'a•••@example.com');

      const before = await p.outbox.mark();
      const test = await navigation(page, () => page.getByRole('button', { name: 'Test Email a•••@example.com', exact: true }).click());
      expect(test.chain).toEqual([303, 200]);
      expect(test.path).toMatch(new RegExp(`^${BASE}/test/[^/?]+$`));
      const testPath = test.path;
      expect(await h1(page)).toBe('Test Email a•••@example.com');
      await expectAccessibilityBasics(page);
      const code = await p.outbox.nextCodeTo('amy@example.com', before);
      const ok = await p.enterCode(page, code);
      expect(ok.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('It works: Email a•••@example.com verified you.');
      await expectAccessibilityBasics(page);

      // The test page opened again (from history, say) with the code that was already used.
      await visit(page, `${p.portal.url}${testPath}`);
      const again = await p.enterCode(page, code);
      expect(again.status).toBe(400);
      expect(await alerts(page)).toContain('There is no code waiting. Send a new one.');
      await expectAccessibilityBasics(page);
    });
  });

  it('"Remove" removes the method; a second tab still showing it then gets the plain "does not exist any more" message (404)', async () => {
    const abe = await createUser(p.portal, { username: 'abe', displayName: 'Abe Abbott', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, abe);
      await p.registerEmail(page, 'abe@example.com', 'a•••@example.com');
      const stale = await page.context().newPage();
      try {
        await visit(stale, `${p.portal.url}${BASE}`);

        const removed = await navigation(page, () => page.getByRole('button', { name: 'Remove Email a•••@example.com', exact: true }).click());
        expect(removed.chain).toEqual([303, 200]);
        expect(removed.path).toBe(`${BASE}?done=methods.done.removed`);
        expect(await statusMessages(page)).toContain('The method was removed.');
        expect(await page.locator('main table').count()).toBe(0);
        expect(await mainText(page)).toContain('You have not registered any method yet.');
        await expectAccessibilityBasics(page);

        const gone = await navigation(stale, () => stale.getByRole('button', { name: 'Remove Email a•••@example.com', exact: true }).click());
        expect(gone.status).toBe(404);
        expect(await alerts(stale)).toContain('That method does not exist any more. Start again.');
        expect(await h1(stale)).toBe('My security info');
        await expectAccessibilityBasics(stale);
      } finally {
        await stale.close();
      }
    });
  });

  it('a mobile phone by SMS, a mobile phone by voice call and an office phone by voice call are each confirmed with the code the outbox shows', async () => {
    const bob = await createUser(p.portal, { username: 'bob', displayName: 'Bob Berg', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, bob);

      // Mobile, text message (the default choice).
      await p.openSecurityInfo(page);
      await navigation(page, () => page.getByRole('link', { name: 'Add a mobile phone', exact: true }).click());
      expect(await h1(page)).toBe('Add a mobile phone');
      expect(await page.getByRole('radio', { name: 'Text me a code (SMS)' }).isChecked()).toBe(true);
      await expectAccessibilityBasics(page);
      await page.getByLabel('Phone number', { exact: true }).fill('+49 (151) 2345-6789');
      let before = await p.outbox.mark();
      const sms = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
      expect(sms.chain).toEqual([303, 200]);
      expect(sms.path).toMatch(new RegExp(`^${BASE}/confirm/[^/?]+\\?via=sms$`));
      expect(await h1(page)).toBe('Mobile phone +49 ••• 89');
      expect(await page.locator('#f-code-hint').innerText()).toBe('We sent a text message with a code to +49 ••• 89. It is valid for 5 minutes.');
      await expectAccessibilityBasics(page);
      const text = await p.outbox.nextMessageTo('+4915123456789', before);
      expect(text.channel).toBe('sms');
      expect(text.body).toMatch(/^\d{8} is your OpenSSPR verification code\. Valid for 5 minutes\. Do not share it\.$/);
      let done = await p.enterCode(page, codeIn(text.body!));
      expect(done.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('Mobile phone +49 ••• 89 is registered.');

      // Mobile, voice call.
      await navigation(page, () => page.getByRole('link', { name: 'Add a mobile phone', exact: true }).click());
      await page.getByLabel('Phone number', { exact: true }).fill('+49 151 2345 6790');
      await page.getByRole('radio', { name: 'Call me and read the code' }).check();
      before = await p.outbox.mark();
      const voice = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
      expect(voice.path).toMatch(new RegExp(`^${BASE}/confirm/[^/?]+\\?via=voice$`));
      expect(await page.locator('#f-code-hint').innerText()).toBe('We are calling +49 ••• 90; the call reads out a code. It is valid for 5 minutes.');
      await expectAccessibilityBasics(page);
      const call = await p.outbox.nextMessageTo('+4915123456790', before);
      expect(call.channel).toBe('voice');
      const spoken = /code is: ((?:\d, ){7}\d)\. Again, your code is: \1\./.exec(call.body!);
      expect(spoken, call.body!).not.toBeNull();
      done = await p.enterCode(page, spoken![1]!.replace(/, /g, ''));
      expect(done.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('Mobile phone +49 ••• 90 is registered.');

      // Office phone: always a voice call, no choice offered.
      await navigation(page, () => page.getByRole('link', { name: 'Add an office phone', exact: true }).click());
      expect(await h1(page)).toBe('Add an office phone');
      expect(await page.getByRole('radio').count()).toBe(0);
      await expectAccessibilityBasics(page);
      await page.getByLabel('Phone number', { exact: true }).fill('+44 20 7946 0958');
      before = await p.outbox.mark();
      const office = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
      expect(office.path).toMatch(new RegExp(`^${BASE}/confirm/[^/?]+$`));
      expect(await page.locator('#f-code-hint').innerText()).toBe('We are calling +44 ••• 58; the call reads out a code. It is valid for 5 minutes.');
      const officeCall = await p.outbox.nextMessageTo('+442079460958', before);
      expect(officeCall.channel).toBe('voice');
      expect(officeCall.body).toMatch(/code is: (\d, ){7}\d\./);
      done = await p.enterCode(page, await p.outbox.nextCodeTo('+442079460958', before));
      expect(done.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('Office phone +44 ••• 58 is registered.');

      const rows = (await page.locator('main table tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
      expect(rows).toHaveLength(3);
      expect(rows[0]).toContain('Mobile phone +49 ••• 89 Default');
      expect(rows[1]).toContain('Mobile phone +49 ••• 90');
      expect(rows[2]).toContain('Office phone +44 ••• 58');
      expect(rows.slice(1).join(' ')).not.toContain('Default');
      await expectAccessibilityBasics(page);
    });
  });

  it('a malformed phone number or email address shows a field error with the typed value kept, and nothing is registered or sent', async () => {
    const frank = await createUser(p.portal, { username: 'frank', displayName: 'Frank Fischer', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, frank);
      const before = await p.outbox.mark();
      for (const typed of ['call me maybe', '12']) {
        await visit(page, `${p.portal.url}${BASE}/add/mobile`);
        await page.getByLabel('Phone number', { exact: true }).fill(typed);
        const r = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
        expect(r.status).toBe(400);
        expect(r.path).toBe(`${BASE}/add/mobile`);
        expect(await page.getByRole('alert').innerText()).toContain('Phone number: Enter a valid phone number, like +44 20 7946 0958.');
        expect(await page.locator('#f-phone-error').innerText()).toBe('Enter a valid phone number, like +44 20 7946 0958.');
        const field = page.getByLabel('Phone number', { exact: true });
        expect(await field.getAttribute('aria-invalid')).toBe('true');
        expect((await field.getAttribute('aria-describedby')) ?? '').toContain('f-phone-error');
        expect(await field.inputValue()).toBe(typed);
        await expectAccessibilityBasics(page);
      }

      await visit(page, `${p.portal.url}${BASE}/add/email`);
      await page.getByLabel('Email address', { exact: true }).fill('not an email');
      const e = await navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
      expect(e.status).toBe(400);
      expect(await page.getByRole('alert').innerText()).toContain('Email address: Enter a valid email address, like name@example.com.');
      expect(await page.getByLabel('Email address', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await expectAccessibilityBasics(page);

      await p.openSecurityInfo(page);
      expect(await mainText(page)).toContain('You have not registered any method yet.');
      expect(await page.locator('main table').count()).toBe(0);
      expect(await p.outbox.mark()).toBe(before);
    });
  });

  it('an authenticator app shows a QR code and the key as text, is confirmed with the current code, and the same code is refused for a "Test"', async () => {
    const carol = await createUser(p.portal, { username: 'carol', displayName: 'Carol Chen', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, carol);
      await p.openSecurityInfo(page);
      const started = await navigation(page, () => page.getByRole('button', { name: 'Add an authenticator app', exact: true }).click());
      expect(started.chain).toEqual([303, 200]);
      expect(started.path).toMatch(new RegExp(`^${BASE}/confirm/[^/?]+$`));
      expect(await h1(page)).toBe('Add an authenticator app');
      const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
      expect(await qr.count()).toBe(1);
      expect(await qr.locator('svg').count()).toBe(1);
      expect(await mainText(page)).toContain('Cannot scan? Enter this key in the app instead:');
      const shown = await page.locator('main code.secret').innerText();
      expect(shown).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
      const key = shown.replace(/ /g, '');
      expect(await page.locator('#f-code-hint').innerText()).toBe('Enter the 6-digit code from your authenticator app.');
      // No code is sent for an app, so there is nothing to send again.
      expect(await page.getByRole('button', { name: 'Send a new code' }).count()).toBe(0);
      await expectAccessibilityBasics(page);

      const code = currentTotp(key, Date.now());
      const done = await p.enterCode(page, code);
      expect(done.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('Authenticator app is registered.');
      expect((await page.locator('main table tbody tr').first().innerText()).replace(/\s+/g, ' ')).toContain('Authenticator app Default');
      await expectAccessibilityBasics(page);

      const test = await navigation(page, () => page.getByRole('button', { name: 'Test Authenticator app', exact: true }).click());
      expect(test.chain).toEqual([303, 200]);
      expect(await h1(page)).toBe('Test Authenticator app');
      await expectAccessibilityBasics(page);
      const replay = await p.enterCode(page, code);
      expect(replay.status).toBe(400);
      expect(await alerts(page)).toContain('That code is not right. Check it and try again.');

      // The app's next code (one step ahead is inside the accepted clock skew) works.
      const next = await p.enterCode(page, currentTotp(key, Date.now() + 30_000));
      expect(next.chain).toEqual([303, 200]);
      expect(await statusMessages(page)).toContain('It works: Authenticator app verified you.');
    });
  });

  it('security questions: an answer given twice is refused with a field error, then a correct set is saved', async () => {
    const dave = await createUser(p.portal, { username: 'dave', displayName: 'Dave Dunn', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, dave);
      await p.openSecurityInfo(page);
      const opened = await navigation(page, () => page.getByRole('link', { name: 'Set up security questions', exact: true }).click());
      expect(opened.path).toBe(`${BASE}/add/questions`);
      expect(await h1(page)).toBe('Security questions');
      await expectAccessibilityBasics(page);

      const choose = async (n: number, questionId: string, answer: string) => {
        const group = page.getByRole('group', { name: `Question ${n}`, exact: true });
        await group.getByLabel('Choose a question', { exact: true }).selectOption(questionId);
        await group.getByLabel(`Answer ${n}`, { exact: true }).fill(answer);
      };
      await choose(1, 'q.firstPet', 'Rex');
      await choose(2, 'q.birthCity', '  REX ');
      await choose(3, 'q.firstCar', 'VW Beetle');
      const refused = await navigation(page, () => page.getByRole('button', { name: 'Save questions', exact: true }).click());
      expect(refused.status).toBe(400);
      expect(await page.locator('#f-answer1-error').innerText()).toBe('Give a different answer to each question.');
      const answer2 = page.getByLabel('Answer 2', { exact: true });
      expect(await answer2.getAttribute('aria-invalid')).toBe('true');
      expect(await answer2.getAttribute('aria-describedby')).toBe('f-answer1-error');
      // The chosen questions are kept (answers are secrets and are typed again).
      expect(await page.getByRole('group', { name: 'Question 2', exact: true }).getByLabel('Choose a question', { exact: true }).inputValue()).toBe('q.birthCity');
      await expectAccessibilityBasics(page);

      await choose(1, 'q.firstPet', 'Rex');
      await choose(2, 'q.birthCity', 'New York');
      await choose(3, 'q.firstCar', 'VW Beetle');
      const saved = await navigation(page, () => page.getByRole('button', { name: 'Save questions', exact: true }).click());
      expect(saved.chain).toEqual([303, 200]);
      expect(saved.path).toBe(`${BASE}?done=methods.done.questions`);
      expect(await statusMessages(page)).toContain('Your security questions are saved.');
      // The add link turns into "Change security questions".
      expect(await page.getByRole('link', { name: 'Change security questions', exact: true }).count()).toBe(1);
      expect(await page.getByRole('link', { name: 'Set up security questions', exact: true }).count()).toBe(0);
      // Questions alone are listed too, with a way to remove them.
      expect(await mainText(page)).toContain('Security questions 3 questions answered');
      expect(await page.getByRole('button', { name: 'Remove security questions', exact: true }).count()).toBe(1);
      await expectAccessibilityBasics(page);
    });
  });

  it('MFA at sign-in: after the password "Verify your identity" offers the methods; email sends a code that reaches the account page; "Use another method" switches to the authenticator app', async () => {
    const erin = await createUser(p.portal, { username: 'erin', displayName: 'Erin Evans', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, erin);
      await p.registerEmail(page, 'erin@example.org', 'e•••@example.org');
      const key = await p.registerAuthenticator(page);
      await p.signOut(page);

      // Email.
      const password = await signIn(page, p.portal, erin);
      expect(password.chain).toEqual([303, 200]);
      expect(password.path).toMatch(/^\/sign-in\/verify\?flow=[A-Za-z0-9_-]+$/);
      expect(await h1(page)).toBe('Verify your identity');
      expect(await mainText(page)).toContain('Your password is right. Now prove it is you with one of your methods.');
      const offered = (await page.locator('main button').allInnerTexts()).map((t) => t.trim());
      expect(offered).toEqual(['Use Email e•••@example.org', 'Use Authenticator app']);
      expect(await page.getByLabel('Code', { exact: true }).count()).toBe(0);
      await expectAccessibilityBasics(page);

      // The flow belongs to this browser: another browser opening the same address gets a plain message.
      const verifyUrl = page.url();
      await withPage(p.browser, async (other) => {
        const r = await visit(other, verifyUrl);
        expect(r.status).toBe(410);
        expect(await statusMessages(other)).toContain('The sign-in took too long. Sign in again.');
        expect(await h1(other)).toBe('Sign in');
        await expectAccessibilityBasics(other);
      });

      let before = await p.outbox.mark();
      const chose = await navigation(page, () => page.getByRole('button', { name: 'Use Email e•••@example.org', exact: true }).click());
      expect(chose.chain).toEqual([303, 200]);
      expect(await page.locator('#f-code-hint').innerText()).toBe('We sent a code to e•••@example.org. It is valid for 5 minutes.');
      expect(await mainText(page)).toContain('Use another method');
      expect(await page.getByRole('button', { name: 'Use Authenticator app', exact: true }).count()).toBe(1);
      await expectAccessibilityBasics(page);
      const signedIn = await p.enterCode(page, await p.outbox.nextCodeTo('erin@example.org', before));
      expect(signedIn.chain).toEqual([303, 200]);
      expect(signedIn.path).toBe('/account');
      expect(await h1(page)).toBe('My account');
      await expectAccessibilityBasics(page);
      await p.signOut(page);

      // Email chosen first, then the authenticator app instead.
      await signIn(page, p.portal, erin);
      before = await p.outbox.mark();
      await navigation(page, () => page.getByRole('button', { name: 'Use Email e•••@example.org', exact: true }).click());
      await p.outbox.nextMessageTo('erin@example.org', before);
      const switched = await navigation(page, () => page.getByRole('button', { name: 'Use Authenticator app', exact: true }).click());
      expect(switched.chain).toEqual([303, 200]);
      expect(await page.locator('#f-code-hint').innerText()).toBe('Enter the 6-digit code from your authenticator app.');
      expect(await page.getByRole('button', { name: 'Send a new code' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Use Email e•••@example.org', exact: true }).count()).toBe(1);
      await expectAccessibilityBasics(page);
      // Registration used the current step's code; the app's next code is a new one.
      const viaApp = await p.enterCode(page, currentTotp(key, Date.now() + 30_000));
      expect(viaApp.chain).toEqual([303, 200]);
      expect(viaApp.path).toBe('/account');
      expect(await h1(page)).toBe('My account');
    });
  });

  it('"Remove" takes each kind of method off the list — mobile phone, office phone, authenticator app and security questions — and it stays gone', async () => {
    const gina = await createUser(p.portal, { username: 'gina', displayName: 'Gina Graham', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, gina);
      await p.registerPhone(page, 'mobile', '+49 151 2345 6801', '+4915123456801', 'Mobile phone +49 ••• 01');
      await p.registerPhone(page, 'office', '+44 20 7946 0801', '+442079460801', 'Office phone +44 ••• 01');
      await p.registerAuthenticator(page);
      await p.openSecurityInfo(page);
      await navigation(page, () => page.getByRole('link', { name: 'Set up security questions', exact: true }).click());
      for (const [n, question, answer] of [[1, 'q.firstPet', 'Rex'], [2, 'q.birthCity', 'New York'], [3, 'q.firstCar', 'VW Beetle']] as const) {
        const group = page.getByRole('group', { name: `Question ${n}`, exact: true });
        await group.getByLabel('Choose a question', { exact: true }).selectOption(question);
        await group.getByLabel(`Answer ${n}`, { exact: true }).fill(answer);
      }
      await navigation(page, () => page.getByRole('button', { name: 'Save questions', exact: true }).click());
      const listed = async () => (await page.locator('main table tbody tr td:first-child strong').allInnerTexts()).map((t) => t.trim());
      expect(await listed()).toEqual(['Mobile phone +49 ••• 01', 'Office phone +44 ••• 01', 'Authenticator app', 'Security questions']);

      for (const name of ['Office phone +44 ••• 01', 'Authenticator app', 'Mobile phone +49 ••• 01']) {
        const removed = await navigation(page, () => page.getByRole('button', { name: `Remove ${name}`, exact: true }).click());
        expect(removed.chain, name).toEqual([303, 200]);
        expect(removed.path).toBe(`${BASE}?done=methods.done.removed`);
        expect(await statusMessages(page)).toContain('The method was removed.');
        expect(await mainText(page), name).not.toContain(name);
        expect(await listed()).not.toContain(name);
        await expectAccessibilityBasics(page);
      }
      expect(await listed()).toEqual(['Security questions']);
      const removed = await navigation(page, () => page.getByRole('button', { name: 'Remove security questions', exact: true }).click());
      expect(removed.path).toBe(`${BASE}?done=methods.done.removed`);
      expect(await statusMessages(page)).toContain('The method was removed.');
      expect(await page.locator('main table').count()).toBe(0);
      expect(await mainText(page)).toContain('You have not registered any method yet.');
      expect(await page.getByRole('link', { name: 'Set up security questions', exact: true }).count()).toBe(1);

      // Gone for good: a fresh page lists nothing, and sign-in needs the password alone.
      await p.openSecurityInfo(page);
      expect(await page.locator('main table').count()).toBe(0);
      await p.signOut(page);
      expect((await signIn(page, p.portal, gina)).path).toBe('/account');
    });
  });

  it('MFA at sign-in with a mobile phone: "Text me a code" sends a text message and "Call me" a voice call; either code reaches the account page', async () => {
    const hank = await createUser(p.portal, { username: 'hank', displayName: 'Hank Hughes', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, hank);
      await p.registerPhone(page, 'mobile', '+49 151 2345 6802', '+4915123456802', 'Mobile phone +49 ••• 02');
      await p.signOut(page);

      for (const [button, channel, hint] of [
        ['Text me a code', 'sms', 'We sent a text message with a code to +49 ••• 02. It is valid for 5 minutes.'],
        ['Call me', 'voice', 'We are calling +49 ••• 02; the call reads out a code. It is valid for 5 minutes.'],
      ] as const) {
        const password = await signIn(page, p.portal, hank);
        expect(password.path).toMatch(/^\/sign-in\/verify\?flow=/);
        const choice = page.getByRole('group', { name: 'Use Mobile phone +49 ••• 02', exact: true });
        expect((await choice.getByRole('button').allInnerTexts()).map((t) => t.trim())).toEqual(['Text me a code', 'Call me']);
        await expectAccessibilityBasics(page);
        const before = await p.outbox.mark();
        const chose = await navigation(page, () => choice.getByRole('button', { name: button, exact: true }).click());
        expect(chose.chain).toEqual([303, 200]);
        expect(await page.locator('#f-code-hint').innerText()).toBe(hint);
        const message = await p.outbox.nextMessageTo('+4915123456802', before);
        expect(message.channel).toBe(channel);
        const signedIn = await p.enterCode(page, await p.outbox.nextCodeTo('+4915123456802', before));
        expect(signedIn.chain).toEqual([303, 200]);
        expect(signedIn.path).toBe('/account');
        expect(await h1(page)).toBe('My account');
        await p.signOut(page);
      }
    });
  });

  it('MFA at sign-in with an office phone: "Use Office phone …" calls with the code, which reaches the account page', async () => {
    const ivy = await createUser(p.portal, { username: 'ivy', displayName: 'Ivy Irving', password: PASSWORD });
    await withPage(p.browser, async (page) => {
      await signIn(page, p.portal, ivy);
      await p.registerPhone(page, 'office', '+44 20 7946 0802', '+442079460802', 'Office phone +44 ••• 02');
      await p.signOut(page);

      const password = await signIn(page, p.portal, ivy);
      expect(password.path).toMatch(/^\/sign-in\/verify\?flow=/);
      // An office phone is only called: one button, no choice.
      expect((await page.locator('main button').allInnerTexts()).map((t) => t.trim())).toEqual(['Use Office phone +44 ••• 02']);
      const before = await p.outbox.mark();
      const chose = await navigation(page, () => page.getByRole('button', { name: 'Use Office phone +44 ••• 02', exact: true }).click());
      expect(chose.chain).toEqual([303, 200]);
      expect(await page.locator('#f-code-hint').innerText()).toBe('We are calling +44 ••• 02; the call reads out a code. It is valid for 5 minutes.');
      await expectAccessibilityBasics(page);
      expect((await p.outbox.nextMessageTo('+442079460802', before)).channel).toBe('voice');
      const signedIn = await p.enterCode(page, await p.outbox.nextCodeTo('+442079460802', before));
      expect(signedIn.chain).toEqual([303, 200]);
      expect(signedIn.path).toBe('/account');
      expect(await h1(page)).toBe('My account');
    });
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});

describe('the registration interrupt (registrationRequired: true; real process, real Chromium)', { timeout: 60_000 }, () => {
  screenshotOnFailure();
  const p = startedPortal();

  beforeAll(async () => {
    await p.start({ methods: { registrationRequired: true, required: 1, available: ['email', 'totp'] } });
  });

  afterAll(async () => {
    await p.stop();
  });

  it('a user without methods is taken to My security info with the "Register your security info" notice, /account redirects there until a method is registered, then /account works', async () => {
    const gina = await createUser(p.portal, { username: 'gina', displayName: 'Gina Gray', password: PASSWORD });
    const page = await newPage(p.browser);
    try {
      const signedIn = await signIn(page, p.portal, gina);
      expect(signedIn.chain).toEqual([303, 303, 200]);
      expect(signedIn.path).toBe(`${BASE}?register=1`);
      expect(await h1(page)).toBe('My security info');
      const notice = (await statusMessages(page)).join(' | ');
      expect(notice).toContain('Register your security info');
      expect(notice).toContain('Your organisation asks you to register at least 1 method before you continue.');
      expect(notice).toContain('0 of 1 registered.');
      await expectAccessibilityBasics(page);

      const account = await visit(page, `${p.portal.url}/account`);
      expect(account.chain).toEqual([303, 200]);
      expect(account.path).toBe(`${BASE}?register=1`);

      await p.registerEmail(page, 'gina@example.net', 'g•••@example.net');
      expect((await statusMessages(page)).join(' | ')).not.toContain('Register your security info');
      await expectAccessibilityBasics(page);

      const after = await visit(page, `${p.portal.url}/account`);
      expect(after.chain).toEqual([200]);
      expect(after.path).toBe('/account');
      expect(await h1(page)).toBe('My account');
      await expectAccessibilityBasics(page);
    } finally {
      await closePage(page);
    }
  });

  it('no page reported a Content-Security-Policy violation or a script error', () => {
    expect(seriousPageProblems()).toEqual([]);
  });
});
