// The shorter CI leg on Node 20 (.ci/run), for as long as the README says Node 20 works: every
// unit and HTTP test file, that is every test file that starts no Samba AD DC and no Chromium
// (those run on Node 24 in the whole suite). A file is left out when it, or a test helper it
// imports, uses test/helpers/samba-dc.ts or test/helpers/browser.ts. `--list` prints the files only.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const heavy = ['test/helpers/samba-dc.ts', 'test/helpers/browser.ts'].map((p) => join(root, p));

const files = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? (e.name === 'node_modules' ? [] : files(p)) : [p];
  });

/** The test helpers a file imports, followed through helpers that import helpers. */
const seen = new Map();
function usesHeavy(file) {
  if (heavy.includes(file)) return true;
  if (seen.has(file)) return seen.get(file);
  seen.set(file, false);
  const text = readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  const helpers = imports.filter((p) => p.startsWith(join(root, 'test/helpers/')));
  const result = helpers.some((p) => usesHeavy(p));
  seen.set(file, result);
  return result;
}

const tests = [...files(join(root, 'src')), ...files(join(root, 'test'))].filter((f) => /\.test\.tsx?$/.test(f));
const light = tests.filter((f) => !usesHeavy(f)).map((f) => relative(root, f));
if (process.argv.includes('--list')) {
  for (const f of light) console.log(f);
  process.exit(0);
}
console.log(`Node ${process.versions.node} leg: ${light.length} unit and HTTP test files; ${tests.length - light.length} that start a Samba DC or Chromium run on Node 24 only.`);
const r = spawnSync('npx', ['vitest', 'run', ...light], { cwd: root, stdio: 'inherit' });
spawnSync(process.execPath, [join(root, 'scripts/test-summary.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
