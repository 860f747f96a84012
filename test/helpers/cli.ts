import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Portal } from '../../src/app/portal.js';
import { EXIT, openPortal, type CliIO } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { newKeyBase64 } from '../../src/config/secret-key.js';
import { createLogger } from '../../src/logging/logger.js';

/**
 * The CLI driven in-process through main(argv, io): output sinks, a one-shot runner, and a sandbox
 * (a temp folder with an sspr.yaml holding a fresh key and cheap argon2 parameters, the store
 * location given by SSPR_DATABASE__URL as an operator's environment would give it).
 */

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A Writable that keeps what is written to it; text() gives it all back. */
export function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

export interface CliIOOptions {
  stdin?: string[];
  env: Record<string, string>;
  cwd: string;
}

/** A CliIO over two sinks, with the lines given as stdin (none by default). */
export function cliIO(options: CliIOOptions): { io: CliIO; out: () => string; err: () => string } {
  const out = sink();
  const err = sink();
  const io: CliIO = { stdout: out.stream, stderr: err.stream, stdin: Readable.from(options.stdin ?? []), env: options.env, cwd: options.cwd };
  return { io, out: out.text, err: err.text };
}

/** `main(argv, io)` with sinks for stdout and stderr. */
export async function runCli(argv: string[], options: CliIOOptions): Promise<CliResult> {
  const { io, out, err } = cliIO(options);
  const code = await main(argv, io);
  return { code, stdout: out(), stderr: err() };
}

export interface SandboxRunOptions {
  stdin?: string[];
  /** Replaces the sandbox's environment (not merged with it). */
  env?: Record<string, string>;
  cwd?: string;
  /** A --config path instead of the sandbox's sspr.yaml; null for none at all. */
  config?: string | null;
}

export interface CliSandbox {
  dir: string;
  configPath: string;
  env: Record<string, string>;
  /** A CliIO with the sandbox's environment and folder unless told otherwise. */
  io(options?: Omit<SandboxRunOptions, 'config'>): { io: CliIO; out: () => string; err: () => string };
  /** Runs `sspr --config <dir>/sspr.yaml ...args` (or another --config, or none). */
  run(args: string[], options?: SandboxRunOptions): Promise<CliResult>;
  /** `run` that must succeed with nothing on stderr; returns stdout. */
  ok(args: string[], options?: SandboxRunOptions): Promise<string>;
  /** The portal the server would build from the same config and store, closed afterwards. */
  withPortal<T>(use: (portal: Portal) => Promise<T>): Promise<T>;
  cleanup(): void;
}

/** A fresh temp folder (named from prefix) with its sspr.yaml, extraYamlLines appended to it. */
export function cliSandbox(prefix = 'sspr-cli-', extraYamlLines: string[] = []): CliSandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const configPath = join(dir, 'sspr.yaml');
  writeFileSync(
    configPath,
    ['secrets:', `  key: ${newKeyBase64()}`, 'passwordHashing:', '  memoryKiB: 1024', '  iterations: 1', '  parallelism: 1', 'logging:', '  level: warn', ...extraYamlLines, ''].join('\n'),
  );
  const env = { SSPR_DATABASE__URL: `sqlite:${join(dir, 'sspr.db')}` };

  const io: CliSandbox['io'] = (options = {}) => cliIO({ stdin: options.stdin, env: options.env ?? env, cwd: options.cwd ?? dir });
  const run: CliSandbox['run'] = async (args, options = {}) => {
    const config = options.config === undefined ? configPath : options.config;
    return runCli(config === null ? args : ['--config', config, ...args], { stdin: options.stdin, env: options.env ?? env, cwd: options.cwd ?? dir });
  };

  return {
    dir,
    configPath,
    env,
    io,
    run,
    async ok(args, options) {
      const r = await run(args, options);
      expect(r.stderr, `sspr ${args.join(' ')}`).toBe('');
      expect(r.code, `sspr ${args.join(' ')}`).toBe(EXIT.ok);
      return r.stdout;
    },
    async withPortal(use) {
      const { portal } = await openPortal(io().io, configPath, { createKey: false, logger: createLogger('silent') });
      try {
        return await use(portal);
      } finally {
        await portal.store.close();
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh cliSandbox for each test of the calling file (made in beforeEach, removed in afterEach),
 * through a handle whose members always reach the current test's sandbox, so they can be
 * destructured at the top of the file.
 */
export function useCliSandbox(prefix?: string, extraYamlLines?: string[]): CliSandbox {
  let current: CliSandbox | undefined;
  beforeEach(() => {
    current = cliSandbox(prefix, extraYamlLines);
  });
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });
  const now = (): CliSandbox => {
    if (!current) throw new Error('the CLI sandbox exists only while a test runs');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get configPath() {
      return now().configPath;
    },
    get env() {
      return now().env;
    },
    io: (options) => now().io(options),
    run: (args, options) => now().run(args, options),
    ok: (args, options) => now().ok(args, options),
    withPortal: (use) => now().withPortal(use),
    cleanup: () => now().cleanup(),
  };
}
