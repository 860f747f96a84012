import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { currentTotp } from '../../src/methods/totp.js';
import { navigation, statusMessages, visit, type NavigationResult } from './browser.js';
import { repoRoot, type PortalProcess } from './portal-process.js';

/**
 * Steps that many browser tests take on the portal's own pages (reading a page, signing in and
 * out, the first administrator from the setup link, a new password) and the CLI's `user add`
 * against a running portal process.
 */

/** The text of the page's main landmark, whitespace collapsed. */
export async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ').trim();
}

export async function h1(page: Page): Promise<string> {
  return (await page.locator('h1').innerText()).trim();
}

/** The texts of the page's non-empty role=alert messages (error notices), whitespace collapsed. */
export async function alerts(page: Page): Promise<string[]> {
  return (await page.getByRole('alert').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** A code of the same length that is certainly not `code` (the last digit moved on by `n`, 1–9). */
export function wrongCode(code: string, n = 1): string {
  return `${code.slice(0, -1)}${(Number(code.at(-1)) + n) % 10}`;
}

/** Types a code into the "Code" field and presses Verify. */
export async function enterCode(page: Page, code: string): Promise<NavigationResult> {
  await page.getByLabel('Code', { exact: true }).fill(code);
  return navigation(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());
}

/** On the "add an authenticator app" page: reads the key shown as text, confirms it with the current code and expects it registered. Returns the key. */
export async function confirmAuthenticator(page: Page): Promise<string> {
  const key = (await page.locator('main code.secret').innerText()).replace(/\s+/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  const done = await enterCode(page, currentTotp(key, Date.now()));
  expect(done.chain).toEqual([303, 200]);
  expect(await statusMessages(page)).toContain('Authenticator app is registered.');
  return key;
}

/** Opens `<portalUrl>/sign-in`, fills the form and submits it with the button (or with Enter in the password field). */
export async function submitSignIn(page: Page, portalUrl: string, username: string, password: string, how: 'click' | 'enter' = 'click'): Promise<NavigationResult> {
  await visit(page, `${portalUrl}/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  return navigation(page, () => (how === 'enter' ? page.getByLabel('Password', { exact: true }).press('Enter') : page.getByRole('button', { name: 'Sign in', exact: true }).click()));
}

/** Signs `user` in on the portal's own sign-in page (see submitSignIn). */
export function signIn(page: Page, portal: { url: string }, user: { username: string; password: string }, how: 'click' | 'enter' = 'click'): Promise<NavigationResult> {
  return submitSignIn(page, portal.url, user.username, user.password, how);
}

/** `sspr user add` against the running process (password on stdin); expects the CLI to confirm it. */
export async function createUser<R extends 'user' | 'administrator' = 'user'>(portal: PortalProcess, user: { username: string; displayName: string; password: string; role?: R }): Promise<{ username: string; displayName: string; password: string }> {
  const out = await addUserWithCli(portal, user);
  expect(out).toContain(`Created ${user.username} (${user.role ?? 'user'}).`);
  return { username: user.username, displayName: user.displayName, password: user.password };
}

/** Presses "Sign out" and expects to land on the sign-in page with the "signed out" notice. */
export async function signOut(page: Page): Promise<void> {
  const r = await navigation(page, () => page.getByRole('button', { name: 'Sign out', exact: true }).click());
  expect(r.path).toBe('/sign-in?m=signedOut');
}

/** Opens the one-time setup link and creates the first administrator with it (the password typed twice). */
export async function createFirstAdmin(page: Page, setupLink: string, admin: { username: string; displayName: string; password: string }): Promise<NavigationResult> {
  await visit(page, setupLink);
  await page.getByLabel('Username', { exact: true }).fill(admin.username);
  await page.getByLabel('Display name', { exact: true }).fill(admin.displayName);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByLabel('Type the password again', { exact: true }).fill(admin.password);
  return navigation(page, () => page.getByRole('button', { name: 'Create administrator' }).click());
}

/** On the new-password page: types the password twice and presses "Reset password". */
export async function submitNewPassword(page: Page, password: string): Promise<NavigationResult> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Type the password again', { exact: true }).fill(password);
  return navigation(page, () => page.getByRole('button', { name: 'Reset password', exact: true }).click());
}

/**
 * `sspr user add NAME --display-name X [--role R] --password-stdin --config <dir>/sspr.yaml` with
 * the password on stdin, against the running process's config (no SSPR_* variables from this
 * process). Throws unless it exits 0; returns what it printed.
 */
export async function addUserWithCli(portal: PortalProcess, user: { username: string; displayName: string; password: string; role?: 'user' | 'administrator' | 'password_administrator' }): Promise<string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SSPR_')) env[k] = v;
  const role = user.role ? ['--role', user.role] : [];
  const args = [join(repoRoot, 'bin', 'sspr.js'), 'user', 'add', user.username, '--display-name', user.displayName, ...role, '--password-stdin', '--config', join(portal.dir, 'sspr.yaml')];
  const child = spawn(process.execPath, args, { cwd: portal.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stdin.end(user.password);
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolveExit(c));
  });
  if (code !== 0) throw new Error(`sspr user add ${user.username} exited with ${code}:\n${out}`);
  return out;
}

/** On the reset's list of ways: picks the radio button and presses Next (one way per page). */
export async function pickWay(page: Page, label: string): Promise<NavigationResult> {
  await page.getByRole('radio', { name: label, exact: true }).check();
  return navigation(page, () => page.getByRole('button', { name: 'Next', exact: true }).click());
}

/** The labels of the reset's list of ways, in page order (hints left out). */
export async function waysOffered(page: Page): Promise<string[]> {
  return (await page.locator('main fieldset label > span').evaluateAll((spans) => spans.map((s) => (s.firstChild?.textContent ?? '').trim())));
}

/** Picks a way that sends a code, types the address or number on its page and presses "Send code". Ends on the code page. */
export async function sendCodeVia(page: Page, label: string, contact: string): Promise<NavigationResult> {
  const picked = await pickWay(page, label);
  if (picked.status !== 200) throw new Error(`picking ${label}: ${picked.status}`);
  await page.locator('main input[name="contact"]').fill(contact);
  return navigation(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());
}
