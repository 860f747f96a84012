#!/usr/bin/env node
// Build once: compiles src/ to dist/ with `tsc -p tsconfig.build.json` only when the sources
// changed since the last build. The fingerprint is a SHA-256 over the path, size and content of
// every file under src/ except the tests (tsconfig.build.json leaves them out), the two tsconfig
// files and the TypeScript version; it is kept in dist/.build-fingerprint after a successful
// build. `npm start`, `npm test` and `npm run build` all go through here; `--force` always builds.
// The compile is incremental (tsc's build info in dist/), so after an edit only the changed files
// and their dependants are checked again.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-fingerprint');
const entry = join(dist, 'cli', 'main.js');

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile() && !/\.test\.tsx?$/.test(e.name)) yield p;
  }
}

export function fingerprint() {
  const hash = createHash('sha256');
  const tsc = createRequire(import.meta.url).resolve('typescript/package.json', { paths: [root] });
  hash.update(`typescript ${JSON.parse(readFileSync(tsc, 'utf8')).version}\n`);
  for (const f of [join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json'), ...files(join(root, 'src'))]) {
    const body = readFileSync(f);
    hash.update(`${relative(root, f)}\0${body.length}\0`);
    hash.update(body);
  }
  return hash.digest('hex');
}

const force = process.argv.includes('--force');
// `npm install --omit=dev` (no TypeScript) still runs `prepare`: then there is nothing to build with.
if (process.argv.includes('--if-possible')) {
  try {
    createRequire(import.meta.url).resolve('typescript/package.json', { paths: [root] });
  } catch {
    process.stderr.write('build: TypeScript is not installed (production install); skipped\n');
    process.exit(0);
  }
}
const quiet = process.argv.includes('--quiet');
const started = Date.now();
const now = fingerprint();
const before = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null;
// --check: only tell (exit 0 up to date, 1 not), build nothing.
if (process.argv.includes('--check')) process.exit(!force && before === now && existsSync(entry) ? 0 : 1);
if (!force && before === now && existsSync(entry)) {
  if (!quiet) process.stderr.write(`build: dist/ is up to date with src/ (checked in ${Date.now() - started} ms)\n`);
  process.exit(0);
}
if (!quiet) process.stderr.write(before ? 'build: src/ changed since the last build; compiling…\n' : 'build: compiling src/ to dist/ (once; later starts reuse it)…\n');
const tscBin = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json', { paths: [root] })), 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tscBin, '-p', join(root, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', join(dist, '.tsbuildinfo')], { cwd: root, stdio: 'inherit' });
} catch {
  // tsc printed the errors; the old fingerprint stays, so the next run compiles again.
  process.exit(1);
}
writeFileSync(stamp, `${now}\n`);
if (!quiet) process.stderr.write(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
