import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/portal-process.js';

/**
 * No shell is ever run with user input (shared/design/security.md, Input). The surest way is
 * that no program code can start a process at all: no module under src/ (tests excluded) loads
 * child_process or a package that wraps it. If one part ever needs it (the agent's doctor, say),
 * it goes on the allow-list below with the reason, in the same commit, and runs a fixed program
 * with an argument list (execFile / spawn without `shell`), never a command line built from input.
 */
const ALLOWED: Record<string, string> = {
  // 'agent/doctor.ts': 'why it needs a process, and that nothing it runs comes from a request',
};

/** Modules that run other programs or a shell. */
const PROCESS_MODULES = ['child_process', 'node:child_process', 'execa', 'shelljs', 'cross-spawn', 'node-pty', 'zx'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** Every module a file loads: static imports and re-exports, import(), require(), createRequire(…)(…). */
export function loadedModules(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) found.push(node.moduleReference.expression.text);
    if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const callee = node.expression;
      const loads = callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require') || (ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'createRequire');
      if (loads && arg) found.push(ts.isStringLiteralLike(arg) ? arg.text : `<computed: ${arg.getText(file)}>`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('no shell with user input', () => {
  it('finds a process module however it is loaded (the check itself can fail)', () => {
    const samples = [
      "import { exec } from 'node:child_process';",
      "import * as cp from 'child_process';",
      "export { spawn } from 'child_process';",
      "const cp = await import('node:child_process');",
      "const cp = require('child_process');",
      "import { createRequire } from 'node:module'; const cp = createRequire(import.meta.url)('child_process');",
      "import cp = require('child_process');",
    ];
    for (const s of samples) expect(loadedModules('sample.ts', s).some((m) => PROCESS_MODULES.includes(m)), s).toBe(true);
    expect(loadedModules('sample.ts', "const name = 'child' + '_process'; await import(name);")).toEqual(['<computed: name>']);
  });

  it('no portal or agent module loads child_process or a shell wrapper, outside the allow-list', () => {
    const srcDir = join(repoRoot, 'src');
    const files = sources(srcDir);
    expect(files.length).toBeGreaterThan(100);
    const offenders: string[] = [];
    for (const path of files) {
      const name = relative(srcDir, path);
      for (const spec of loadedModules(path, readFileSync(path, 'utf8'))) {
        const processModule = PROCESS_MODULES.includes(spec);
        // A module name computed at run time could be anything, child_process included.
        const computed = spec.startsWith('<computed');
        if ((processModule || computed) && !(name in ALLOWED)) offenders.push(`${name}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no dependency of the portal is a package for running programs or shells', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => PROCESS_MODULES.includes(d))).toEqual([]);
  });
});
