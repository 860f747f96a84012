#!/usr/bin/env node
// Screenshots of the main pages at 1280 and 390 px, made by the browser tests themselves:
// runs the journey, console-crawl, branding, languages and settings tests with SHOTS_DIR set (see
// shootBothWidths in test/helpers/browser.ts), then copies the pages listed below into
// docs/screenshots/ under stable names and writes docs/screenshots/README.md.
// Usage: npm run screenshots   (needs what `npm test` needs: Chromium; run `npm test` once first)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const shots = join(root, '.tmp', 'screenshot-run');
const out = join(root, 'docs', 'screenshots');

/** [file name the test writes (without -<width>.png), name in docs/screenshots, what it shows]. */
const pages = [
  ['journey-reset1-name', 'reset-1-name', 'Reset, step 1: the account name and the robot check'],
  ['journey-reset1-list', 'reset-2-ways', 'Reset, step 2: the ways to prove it is you (the same list for every name)'],
  ['journey-reset1-address', 'reset-3-address', 'Reset: the chosen way on its own page (type the registered address)'],
  ['journey-reset1-code', 'reset-4-code', 'Reset: the code, with "Resend code" and "Try another way"'],
  ['journey-reset1-code-wrong', 'reset-4-code-wrong', 'Reset: a mistyped code, with the error summary and the field message'],
  ['journey-reset1-password', 'reset-5-new-password', 'Reset, last step: the new password with the rules in force'],
  ['journey-reset1-done', 'reset-6-done', 'Reset done'],
  ['journey-unlock-code', 'unlock-code', 'Unlock: the code step'],
  ['journey-change', 'change-password', 'Change password (signed in)'],
  ['brand-sign-in', 'sign-in-branded', 'The sign-in page with an organisation\'s brand'],
  ['brand-console', 'console-brand', 'Console: the brand, with its preview'],
  ['crawl-admin', 'console-overview', 'Console: the overview with the setup checklist'],
  ['crawl-admin-audit', 'console-audit', 'Console: the audit log, codes in words'],
  ['crawl-admin-delivery', 'console-delivery', 'Console: delivery, with what was not sent and why'],
  ['crawl-admin-policy', 'console-policy', 'Console: the password reset policy'],
  ['crawl-admin-policy-history', 'console-policy-history', 'Console: the policy history, changes in words'],
  ['crawl-admin-reports', 'console-reports', 'Console: reports'],
  ['crawl-admin-agents', 'console-agents', 'Console: on-premises agents (not needed on a cloud-only portal)'],
  ['settings-index', 'console-settings', 'Console: settings, one page per section'],
  ['settings-delivery', 'console-settings-delivery', 'Console: email and phone delivery, with the test email and text'],
  ['settings-refused', 'console-settings-refused', 'Console: a setting refused in words, next to its field'],
  ['settings-codes', 'console-settings-codes', 'Console: verification codes (digits, minutes, wrong tries, phone country)'],
  ['settings-sessions', 'console-settings-sessions', 'Console: session lifetimes'],
  ['crawl-admin-api-tokens', 'console-api-tokens', 'Console: API tokens, with a level per part of the API'],
  ['agents-tested', 'console-agents-tested', "Console: an agent's Test connection, with the DC, the domain and the policy it read"],
  ['lang-de-reset-2-ways', 'lang-de-reset-ways', 'German (from the browser): the ways to prove it is you'],
  ['lang-de-reset-4-new-password', 'lang-de-reset-new-password', 'German: the new password'],
  ['lang-ar-reset-3-code', 'lang-ar-reset-code', 'Arabic, right to left: the code step (mirrored layout, codes left to right)'],
  ['lang-ar-reset-4-new-password', 'lang-ar-reset-new-password', 'Arabic: the new password'],
  ['lang-ar-reset-5-done', 'lang-ar-reset-done', 'Arabic: reset done'],
];

rmSync(shots, { recursive: true, force: true });
const tests = ['test/browser/journey.test.ts', 'test/browser/console-crawl.test.ts', 'test/browser/branding.test.ts', 'test/browser/languages.test.ts', 'test/browser/settings-console.test.ts', 'test/browser/hybrid-reset.test.ts'];
const run = spawnSync('npx', ['vitest', 'run', ...tests], { cwd: root, stdio: 'inherit', env: { ...process.env, SHOTS_DIR: shots } });
if (run.status !== 0) {
  console.error('screenshots: the browser tests failed; docs/screenshots/ was not changed');
  process.exit(run.status ?? 1);
}
const made = new Set(existsSync(shots) ? readdirSync(shots) : []);
const missing = pages.flatMap(([from]) => [1280, 390].map((w) => `${from}-${w}.png`)).filter((f) => !made.has(f));
if (missing.length) {
  console.error(`screenshots: the tests did not make ${missing.join(', ')}; docs/screenshots/ was not changed`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const rows = [];
for (const [from, to, what] of pages) {
  for (const w of [1280, 390]) copyFileSync(join(shots, `${from}-${w}.png`), join(out, `${to}-${w}.png`));
  rows.push(`| ${what} | [1280 px](${to}-1280.png) | [390 px](${to}-390.png) |`);
}
writeFileSync(
  join(out, 'README.md'),
  ['# Screenshots', '', 'Made by `npm run screenshots` (scripts/screenshots.mjs) from the browser tests, in Debian\'s Chromium, at 1280 and 390 px wide. Do not edit by hand: run the script again.', '', '| page | desktop | phone |', '|---|---|---|', ...rows, ''].join('\n'),
);
console.log(`screenshots: ${pages.length * 2} pictures in docs/screenshots/`);
