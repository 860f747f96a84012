import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { addVirtualAuthenticator, expectAccessibilityBasics, launchBrowser, navigation, newPage, screenshotOnFailure, seriousPageProblems, statusMessages, visit } from '../helpers/browser.js';
import { signIn } from '../helpers/browser-flows.js';
import { freePort } from '../helpers/portal-process.js';
import { createTestPortal, type TestPortal } from '../helpers/test-portal.js';
import { makeUser } from '../helpers/http-client.js';
import { lastMessageTo } from '../helpers/outbox.js';
import { VERIFICATION_VALID_MS } from '../../src/support/types.js';
import { unwrappedWords } from '../helpers/pseudo.js';

/**
 * A caller verified with their passkey, in real Chromium with a virtual WebAuthn authenticator:
 * the caller registers a passkey through My security info, the helpdesk sends the link, the
 * caller opens it and confirms with the passkey (the page's own script), and the helpdesk's
 * verification counts. The portal runs in this process on http://localhost:<port> (WebAuthn
 * needs a host name as RP ID), over a real SQLite store; the link is read from the outbox.
 */

const PASSWORD = 'Copper-Willow-Pass-1';
const ADDRESS = 'carla.home@mail.test';

let tp: TestPortal;
let server: ServerType;
let url = '';
let browser: Browser;
let page: Page;
let cdp: CDPSession;

describe('caller verification with a passkey (real Chromium, virtual authenticator)', { timeout: 60_000 }, () => {
  screenshotOnFailure();

  beforeAll(async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    // The pseudo-locale is offered too: the last test reads the caller's pages in it.
    tp = await createTestPortal({ config: { publicUrl: url, branding: { languages: ['en', 'en-XA'] } } });
    server = serve({ fetch: tp.app.fetch, hostname: '127.0.0.1', port });
    await new Promise((r) => server.once('listening', r));
    browser = await launchBrowser();
    page = await newPage(browser);
    cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await tp?.cleanup();
  });

  it('the caller confirms with their own passkey through the link, and the helpdesk’s verification counts', async () => {
    const carla = await makeUser(tp.portal, { username: 'carla', password: PASSWORD, displayName: 'Carla Caller' });
    const admin = await makeUser(tp.portal, { username: 'root', password: PASSWORD, roles: ['administrator'] });

    // The caller registers a passkey the ordinary way (signed in with the password alone: no method yet), then signs out.
    await addVirtualAuthenticator(cdp, 'internal');
    expect((await signIn(page, { url }, { username: 'carla', password: PASSWORD })).chain.at(-1)).toBe(200);
    await visit(page, `${url}/account/security-info/add/passkey`);
    await page.locator('#passkey-register-note').waitFor({ state: 'hidden' });
    await page.getByLabel('Name for this passkey', { exact: true }).fill('Work laptop');
    await navigation(page, () => page.getByRole('button', { name: 'Create passkey' }).click());
    expect(await statusMessages(page)).toContain('Passkey “Work laptop” is registered.');
    await navigation(page, () => page.getByRole('button', { name: 'Sign out', exact: true }).click());
    const passkey = (await tp.portal.methods.list(carla.id, { confirmedOnly: true })).find((m) => m.type === 'passkey')!;
    // And has a registered email address, where the helpdesk's link goes.
    const email = await tp.portal.methods.addContact(carla.id, 'email', ADDRESS);
    await tp.portal.methods.confirm(carla.id, email.id);

    // The helpdesk sends the link (the console's form does the same through this service).
    const verifier = { id: admin.id, name: 'root', roles: ['administrator'] };
    const started = await tp.portal.callerVerifications.start(verifier, 'carla', { methodId: passkey.id });
    expect(started).toMatchObject({ ok: true, value: { methodType: 'passkey', sentTo: expect.stringContaining('•') } });
    const link = /(http:\/\/localhost:\d+\/helpdesk-check\?token=[A-Za-z0-9_%-]+)/.exec((await lastMessageTo(tp.portal, ADDRESS))!.body!)![1]!;

    // The caller opens it, signed in nowhere, and confirms with the passkey.
    const opened = await visit(page, link);
    expect(opened.status).toBe(200);
    await page.locator('#helpdesk-check-note').waitFor({ state: 'hidden' });
    await expectAccessibilityBasics(page);
    expect(await tp.portal.callerVerifications.verifiedUntil(admin.id, carla.id)).toBeNull();
    const done = await navigation(page, () => page.getByRole('button', { name: 'Confirm with my passkey' }).click());
    expect(done.path).toBe('/helpdesk-check/done');
    expect(await statusMessages(page)).toContain('Done: you confirmed it is you. Tell the helpdesk; they will see it on their screen.');
    const until = await tp.portal.callerVerifications.verifiedUntil(admin.id, carla.id);
    expect(until).not.toBeNull();
    expect(until! - Date.now()).toBeGreaterThan(VERIFICATION_VALID_MS - 60_000);

    // The link is spent: opening it again says it is done, and nothing can be confirmed twice.
    await visit(page, link);
    expect(await statusMessages(page)).toContain('Done: you confirmed it is you. Tell the helpdesk; they will see it on their screen.');
    expect(seriousPageProblems()).toEqual([]);
  });

  it('in the pseudo-locale the caller’s page behind a valid link and its done page came from the catalogue (nothing outside ⟦ ⟧ but data)', async () => {
    const carla = (await tp.portal.users.byUsername('carla'))!;
    const admin = (await tp.portal.users.byUsername('root'))!;
    const passkey = (await tp.portal.methods.list(carla.id, { confirmedOnly: true })).find((m) => m.type === 'passkey')!;
    const started = await tp.portal.callerVerifications.start({ id: admin.id, name: 'root', roles: ['administrator'] }, 'carla', { methodId: passkey.id });
    expect(started.ok).toBe(true);
    const link = /(http:\/\/localhost:\d+\/helpdesk-check\?token=[A-Za-z0-9_%-]+)/.exec((await lastMessageTo(tp.portal, ADDRESS))!.body!)![1]!;
    const data = ['OpenSSPR', 'Example Organisation', 'Carla Caller', 'carla', 'root', 'Work laptop'];
    const problems: string[] = [];
    expect((await visit(page, `${link}&lang=en-XA`)).status).toBe(200);
    expect(await page.locator('html').getAttribute('lang')).toBe('en-XA');
    await page.locator('#helpdesk-check-note').waitFor({ state: 'hidden' });
    const found = unwrappedWords(await page.locator('body').innerText(), data);
    if (found.length) problems.push(`the page behind the link: ${found.join(' ')}`);
    const done = await navigation(page, () => page.getByRole('button', { name: '⟦Confirm with my passkey⟧' }).click());
    expect(done.path).toBe('/helpdesk-check/done');
    const after = unwrappedWords(await page.locator('body').innerText(), data);
    if (after.length) problems.push(`the done page: ${after.join(' ')}`);
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
