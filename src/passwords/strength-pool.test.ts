import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPassword, checkPasswordRules, userInputsOf, type PasswordContext } from './check.js';
import { StrengthPool } from './strength-pool.js';

const rules: PasswordContext = { minLength: 8, maxLength: 256, organisationName: 'Example Organisation', userInputs: userInputsOf({ username: 'kingsley', displayName: 'Kingsley Arbuthnot', email: 'k.arbuthnot@example.com' }) };

describe('the strength pool (zxcvbn in a worker thread)', () => {
  const pool = new StrengthPool(2);
  afterAll(() => pool.close());

  it('gives the verdicts the in-thread check gives', async () => {
    await pool.start();
    for (const password of ['Summer2026!', 'password1', 'correct horse battery staple', 'kingsleyarbuthnot', 'Qwerty123', '🦊🐢🍵🎩🐇⏰🃏🌹', 'x'.repeat(300), 'Mango!Tree#24']) {
      expect(await checkPassword(password, { ...rules, estimator: pool })).toEqual(checkPasswordRules(password, rules));
    }
  });

  it('answers questions asked at once, each with its own estimate', async () => {
    const passwords = Array.from({ length: 12 }, (_, i) => (i % 2 ? `Copper willow nebula ${i}` : `password${i}`));
    const answers = await Promise.all(passwords.map((p) => pool.estimate(p, [])));
    expect(answers.map((a) => a.estimate.score >= 3)).toEqual(passwords.map((_, i) => i % 2 === 1));
  });

  it('starts again after close()', async () => {
    await pool.close();
    expect((await pool.estimate('password', [])).common).toBe(true);
  });

  it('never keeps a process alive when idle: a script that uses it and never closes it exits', () => {
    const script = `import { StrengthPool } from './src/passwords/strength-pool.ts';
      const pool = new StrengthPool(1);
      await pool.start();
      const r = await pool.estimate('password1', []);
      console.log(JSON.stringify({ common: r.common }));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
    expect({ status: run.status, signal: run.signal, stdout: run.stdout.trim() }).toEqual({ status: 0, signal: null, stdout: '{"common":true}' });
  });
});
