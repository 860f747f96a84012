import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/portal-process.js';

/**
 * The one direction of imports (docs/architecture.md), checked on the real import statements of
 * every module under src/ (tests excluded: they may build anything they need). A folder may
 * import only folders below it in `layers`, and its own files. Changing the order here is
 * changing the architecture: do it in the same commit as docs/architecture.md.
 */
export const layers = [
  // entry points: the commands, the portal process, the demo data
  'cli',
  'server.ts',
  'demo',
  // the composition root: builds every service and mounts every feature's routes
  'app',
  // the on-premises process (only the entry points and the composition root start it)
  'agent',
  // features, from the outermost in
  'api',
  'admin',
  'support',
  'setup',
  'account',
  'not-me',
  'reports',
  'flows',
  'auth',
  'sync',
  'methods',
  'writeback',
  'settings',
  'policy',
  'branding',
  'wording',
  // shared building blocks
  'http',
  'ops',
  'delivery',
  'directory',
  'audit',
  'state',
  'config',
  'passwords',
  'i18n',
  'store',
  'ad',
  'logging',
  // what travels between the portal and the agent, and what everything may use
  'agent-protocol',
  'shared',
] as const;

const srcDir = join(repoRoot, 'src');
const isTest = (file: string) => /\.test\.tsx?$/.test(file);
const isMessages = (file: string) => /(^|[/-])messages\.en\.ts$/.test(file);

function modules(dir = srcDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return modules(path);
    return /\.tsx?$/.test(e.name) ? [relative(srcDir, path)] : [];
  });
}

/** The folder (or top-level file) a module under src/ belongs to: `flows/reset/routes.tsx` → `flows`. */
const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

interface Import {
  from: string;
  to: string;
}

/** Every relative import of a module (static, type-only, re-exports and dynamic import()), resolved to a path under src/. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(srcDir, file), 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ from: file, to: relative(srcDir, resolve(dirname(join(srcDir, file)), spec)).replace(/\.js$/, '.ts') }));
}

const all = modules();
const sources = all.filter((f) => !isTest(f));
const edges = sources.flatMap(importsOf).filter((e) => !e.to.startsWith('..'));
const show = (list: Import[]) => list.map((e) => `${e.from} → ${e.to}`);

describe('architecture: one direction of imports', () => {
  it('every folder under src/ has its place in the layers', () => {
    const unknown = [...new Set(sources.map(folderOf))].filter((f) => !(layers as readonly string[]).includes(f));
    expect(unknown).toEqual([]);
  });

  it('no module imports a folder above its own (only the catalogue collects the features’ messages)', () => {
    const rank = (file: string) => (layers as readonly string[]).indexOf(folderOf(file));
    const against = edges.filter((e) => {
      if (folderOf(e.from) === folderOf(e.to)) return false;
      // src/i18n/en.ts assembles the catalogue from each feature's messages file, which imports nothing.
      if (e.from === 'i18n/en.ts' && isMessages(e.to)) return false;
      return rank(e.to) < rank(e.from);
    });
    expect(show(against)).toEqual([]);
  });

  it('messages files import nothing of the project', () => {
    expect(show(edges.filter((e) => isMessages(e.from)))).toEqual([]);
  });

  it('nothing under src/agent-protocol/ imports outside it but src/shared/', () => {
    expect(show(edges.filter((e) => folderOf(e.from) === 'agent-protocol' && !['agent-protocol', 'shared'].includes(folderOf(e.to))))).toEqual([]);
  });

  it('the agent imports no portal code (writeback, sync, flows, http, app, or any feature)', () => {
    const allowed = ['agent', 'agent-protocol', 'ad', 'shared', 'config', 'logging'];
    expect(show(edges.filter((e) => folderOf(e.from) === 'agent' && !allowed.includes(folderOf(e.to))))).toEqual([]);
  });

  it('portal-side code never imports the agent; only the entry points and the composition root start it', () => {
    const starters = ['server.ts', 'cli', 'app', 'agent'];
    expect(show(edges.filter((e) => folderOf(e.to) === 'agent' && !starters.includes(folderOf(e.from))))).toEqual([]);
  });

  it('no feature folder imports app/ (the composition root), and nothing below it names the Portal type', () => {
    const above = ['cli', 'server.ts', 'app'];
    expect(show(edges.filter((e) => folderOf(e.to) === 'app' && !above.includes(folderOf(e.from))))).toEqual([]);
  });
});

describe('architecture: small modules, dependencies passed in', () => {
  it('no file under src/ is longer than 450 lines', () => {
    const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    const long = all.map((f) => ({ f, lines: lineCount(readFileSync(join(srcDir, f), 'utf8')) })).filter((x) => x.lines > 450);
    expect(long.map((x) => `${x.f}: ${x.lines} lines`)).toEqual([]);
  });

  it("routes get their dependencies as arguments: c.get('portal') and portalOf appear only in src/app/", () => {
    const lookups = all.filter((f) => folderOf(f) !== 'app' && /c\.get\(['"]portal['"]\)|\bportalOf\b/.test(readFileSync(join(srcDir, f), 'utf8')));
    expect(lookups).toEqual([]);
  });
});
