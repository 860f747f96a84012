/**
 * One complete forgot-password flow through HTTP, as a browser does it (bench/reset.ts,
 * bench/reset-memory.ts): every answer checked, the parts timed.
 */
import type { FieldCipher } from '../src/shared/sealed.js';
import type { Store } from '../src/store/database.js';
import { codeFromOutbox, expectText, FormClient, PUBLIC_URL, solve, type Challenge } from './lib.js';

export interface BenchUser {
  id: string;
  username: string;
  email: string;
  newPassword: string;
}

export interface FlowTiming {
  totalMs: number;
  captchaMs: number;
  /** Sum of request times (sent → body read), 9 requests. */
  httpMs: number;
  /** From "email me a code" answered to the code found in the outbox (the send runs in the background). */
  codeWaitMs: number;
  /** Request times of the steps that do the work. */
  identifyMs: number;
  codeMs: number;
  passwordMs: number;
  captchaNumber: number;
}

/**
 * One complete forgot-password flow for `user`, every answer checked. With `presolved` (a
 * solution of an earlier challenge from the same portal), the challenge is still fetched but not
 * solved: the phase then measures the portal without the client's proof of work.
 */
export async function resetFlow(base: string, store: Store, cipher: FieldCipher, user: BenchUser, presolved?: string): Promise<FlowTiming> {
  const started = performance.now();
  const c = new FormClient(base);
  const page = await c.get('/reset');
  expectText(page.body, 'Reset your password', 'GET /reset');

  const ch = JSON.parse((await c.get('/reset/captcha')).body) as Challenge;
  const solveAt = performance.now();
  const solved = presolved ? { payload: presolved, number: NaN } : await solve(ch);
  const captchaMs = presolved ? 0 : performance.now() - solveAt;
  const captcha = solved.payload;

  let t = c.httpMs;
  const started303 = await c.post('/reset', { username: user.username, captcha });
  const identifyMs = c.httpMs - t;
  const verifyPath = started303.location ?? '';
  const flow = new URL(verifyPath, PUBLIC_URL).searchParams.get('flow');
  if (!verifyPath.startsWith('/reset/verify?flow=') || !flow) throw new Error(`POST /reset redirected to ${verifyPath}`);
  expectText((await c.get(verifyPath)).body, 'Email me a code', 'the method list');

  const chosen = await c.post('/reset/verify/choose', { flow, choice: 'email', contact: user.email });
  if (chosen.location !== verifyPath) throw new Error(`choose redirected to ${chosen.location}`);
  const waitFrom = performance.now();
  const code = await codeFromOutbox(store, cipher, user.id);
  const codeWaitMs = performance.now() - waitFrom;
  expectText((await c.get(verifyPath)).body, 'If the address you typed is the one you registered', 'the code page');

  t = c.httpMs;
  await c.post('/reset/verify/code', { flow, code });
  const codeMs = c.httpMs - t;
  expectText((await c.get(verifyPath)).body, 'Choose a new password', 'the new-password page');

  t = c.httpMs;
  await c.post('/reset/password', { flow, password: user.newPassword, confirm: user.newPassword });
  const passwordMs = c.httpMs - t;
  expectText((await c.get(verifyPath)).body, 'Your password was reset', 'the done page');
  if (c.requests !== 10) throw new Error(`expected 10 requests, made ${c.requests}`);

  return { totalMs: performance.now() - started, captchaMs, httpMs: c.httpMs, codeWaitMs, identifyMs, codeMs, passwordMs, captchaNumber: solved.number };
}
