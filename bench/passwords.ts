/**
 * Password-rule benchmark: `npx tsx bench/passwords.ts [--seconds 2] [--rounds 3]`.
 *
 * Measures, in this process, checks per second and the median time per call of the full rule
 * check (`checkPasswordRules`: length, banned-list scoring with the global list and 200 custom
 * terms, common-password list, zxcvbn estimate with the user's names) for a set of inputs, next
 * to the baseline of `checkPasswordLength` alone on the same inputs. The history check is not
 * included: it is one argon2 verification per remembered password (see the HTTP benchmark for
 * argon2's cost). The one-off dictionary load is measured separately. Then the portal's path:
 * checkPassword with the estimate from the worker pool (StrengthPool), its start, the first
 * check after it, and the event loop's longest delay while checks run, next to the same checks
 * on this thread.
 *
 * Each round measures every input once, baseline first; checks/s is the median over rounds and
 * the per-call median is over every call of every round. Figures are for comparison on one
 * machine: never assert on them in tests.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkPassword, checkPasswordRules, userInputsOf, type PasswordContext } from '../src/passwords/check.js';
import { warmUpEstimator } from '../src/passwords/estimate.js';
import { checkPasswordLength } from '../src/passwords/rules.js';
import { StrengthPool } from '../src/passwords/strength-pool.js';
import { measure, median, type Rate } from './lib.js';

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '3' } } });
const seconds = Number(flags.seconds);
const rounds = Number(flags.rounds);
if (!(seconds > 0 && seconds <= 60) || !Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error('--seconds must be in (0, 60] and --rounds an integer from 1 to 20');
  process.exit(2);
}

// A deterministic, varied 256-character password (printable ASCII from a fixed-seed generator):
// the slow case for the estimator is long input with many symbols and digits.
let seed = 20261125;
const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const long256 = Array.from({ length: 256 }, () => String.fromCharCode(33 + Math.floor(next() * 94))).join('');

const inputs: Array<[string, string]> = [
  ['short ("abc12")', 'abc12'],
  ['common ("password1")', 'password1'],
  ['banned ("Welcome2026!")', 'Welcome2026!'],
  ['strong passphrase (28 chars)', 'correct horse battery staple'],
  ['256 chars, random printable', long256],
  ['1 MB ("a" × 1,048,576)', 'a'.repeat(1024 * 1024)],
];

const custom = Array.from({ length: 200 }, (_, i) => `product${i.toString(36)}name`);
const ctx: PasswordContext = {
  minLength: 8,
  maxLength: 256,
  minScore: 3,
  checkCommon: true,
  customBanned: Object.freeze(custom),
  organisationName: 'Example Organisation',
  userInputs: userInputsOf({ username: 'kingsley', displayName: 'Kingsley Arbuthnot', email: 'k.arbuthnot@example.com' }),
};

const fmtRate = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-GB') : n.toFixed(1));
const fmtTime = (ms: number) => (ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(1)} µs`);

const t0 = performance.now();
const commonCount = warmUpEstimator();
const loadMs = performance.now() - t0;
// First full check pays for compiling the lists and JIT warm-up; not measured.
for (const [, pw] of inputs) checkPasswordRules(pw, ctx);

const baseline = new Map<string, Rate>();
const full = new Map<string, Rate>();
for (const [name] of inputs) {
  baseline.set(name, { perSecond: [], times: [] });
  full.set(name, { perSecond: [], times: [] });
}
const budget = seconds * 1000;
for (let r = 0; r < rounds; r++) {
  for (const [name, pw] of inputs) {
    measure(() => checkPasswordLength(pw, ctx), Math.min(budget, 500), baseline.get(name)!);
    measure(() => checkPasswordRules(pw, ctx), budget, full.get(name)!);
  }
}

console.log(`Password rules — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
console.log(`dictionary load (once, lazily): ${loadMs.toFixed(0)} ms, ${commonCount.toLocaleString('en-GB')} common passwords; ${rounds} round(s) of ${seconds} s per input\n`);
console.log('| input | baseline checks/s | baseline median | rules checks/s | rules median | verdict |');
console.log('|---|---:|---:|---:|---:|---|');
for (const [name, pw] of inputs) {
  const b = baseline.get(name)!;
  const f = full.get(name)!;
  const v = checkPasswordRules(pw, ctx);
  const verdict = v.ok ? 'accepted' : v.reasons.map((x) => x.key.replace('v.password.', '')).join(', ');
  console.log(`| ${name} | ${fmtRate(median(b.perSecond))} | ${fmtTime(median(b.times))} | ${fmtRate(median(f.perSecond))} | ${fmtTime(median(f.times))} | ${verdict} |`);
}

// The portal's path: checkPassword with the estimate from the worker pool (StrengthPool, one
// worker, as the portal runs it). Started (dictionaries loaded in the worker) and timed first,
// then the first check after start, then sequential checks; the event loop's delay is sampled
// while checks run, next to the same checks on this thread.
const pool = new StrengthPool(1);
const poolStartAt = performance.now();
await pool.start();
const poolStartMs = performance.now() - poolStartAt;
const poolCtx: PasswordContext = { ...ctx, estimator: pool };
const strong = inputs[3]![1];
const firstAt = performance.now();
await checkPassword(strong, poolCtx);
const firstMs = performance.now() - firstAt;

async function timed(n: number, check: () => Promise<unknown>): Promise<{ times: number[]; loopDelayMaxMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    await check();
    times.push(performance.now() - a);
    // A timer between checks, so the loop's delay is seen while they run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  delay.disable();
  return { times, loopDelayMaxMs: delay.max / 1e6 };
}

console.log(`\nThrough the worker pool (checkPassword, 1 worker): start ${poolStartMs.toFixed(0)} ms (dictionaries loaded in the worker); the first check after start ("${strong}") ${fmtTime(firstMs)}.\n`);
console.log('| input | n | in-thread median | in-thread max loop delay | pool median | pool max loop delay |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, pw] of [inputs[2]!, inputs[3]!, inputs[4]!]) {
  const n = 40;
  const here = await timed(n, () => checkPassword(pw, ctx));
  const there = await timed(n, () => checkPassword(pw, poolCtx));
  console.log(`| ${name} | ${n} | ${fmtTime(median(here.times))} | ${here.loopDelayMaxMs.toFixed(1)} ms | ${fmtTime(median(there.times))} | ${there.loopDelayMaxMs.toFixed(1)} ms |`);
}
await pool.close();
