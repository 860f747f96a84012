#!/usr/bin/env node
// Time from `npm start` to the printed setup link (issue 17 item 6), in these cases:
//   first   no dist/ (a checkout before its first build): the full compile, then the start
//   second  nothing changed since the last build
//   touch   one source file's mtime changed, its content not
//   edit    one source file's content changed (src/cli/start.ts: a comment appended, then undone)
//   direct  for comparison, `node bin/sspr.js start` alone (no npm, no build check)
//   always  for comparison, what `npm start` did before: tsc on every start, then the start
// Each start gets a fresh store and key in a temp folder (so a setup link is printed) on port
// 18180 via SSPR_LISTEN__PORT, and is stopped (its process group) once the link is out.
// Usage: node bench/start-up.mjs [case ...]   (default: all, in the order above)
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function timeToSetupLink(command) {
  const data = mkdtempSync(join(tmpdir(), 'sspr-start-bench-'));
  const env = { ...process.env, SSPR_LISTEN__PORT: '18180', SSPR_DATABASE__URL: `sqlite:${join(data, 'sspr.db')}`, SSPR_SECRETS__KEY_FILE: join(data, 'secret.key') };
  const started = performance.now();
  const child = spawn('sh', ['-c', command], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const done = (value) => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      child.once('exit', () => {
        rmSync(data, { recursive: true, force: true });
        if (value instanceof Error) reject(value);
        else resolve(value);
      });
    };
    child.stdout.on('data', (d) => {
      out += d;
      const link = /(http:\/\/\S+\/setup\?token=)\S+/.exec(out);
      if (link) done({ seconds: (performance.now() - started) / 1000, link: link[1] });
    });
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => {
      if (!/setup\?token=/.test(out)) reject(new Error(`exited ${code} before the setup link:\n${out}\n${err}`));
    });
  });
}

const file = join(root, 'src', 'cli', 'start.ts');
const cases = {
  first: async () => {
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    return timeToSetupLink('npm start --silent');
  },
  second: () => timeToSetupLink('npm start --silent'),
  touch: () => {
    const now = new Date();
    utimesSync(file, now, now);
    return timeToSetupLink('npm start --silent');
  },
  edit: async () => {
    const before = readFileSync(file, 'utf8');
    appendFileSync(file, '// bench/start-up.mjs: an edit\n');
    try {
      return await timeToSetupLink('npm start --silent');
    } finally {
      writeFileSync(file, before);
    }
  },
  direct: () => timeToSetupLink('node bin/sspr.js start'),
  always: () => timeToSetupLink('npx tsc -p tsconfig.build.json && node bin/sspr.js start'),
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(cases);
for (const name of wanted) {
  const r = await cases[name]();
  process.stdout.write(`${name.padEnd(7)} ${r.seconds.toFixed(1).padStart(5)} s to ${r.link}…\n`);
}
// Leave dist/ matching src/ again (the edit was undone).
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root, stdio: 'inherit' });
