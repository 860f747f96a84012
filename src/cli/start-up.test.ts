import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, repoRoot } from '../../test/helpers/portal-process.js';
import { EXIT } from './context.js';
import { runCli } from '../../test/helpers/cli.js';

/**
 * `sspr start` as an operator runs it: the real bin/sspr.js from dist/ in a fresh folder, with the
 * settings given as SSPR_* variables (the store in that folder, cheap argon2 parameters).
 */

let dir: string;
let children: ChildProcess[] = [];
let held: Server[] = [];

beforeAll(() => {
  // A no-op when dist/ is up to date with src/ (scripts/build.mjs).
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--quiet'], { cwd: repoRoot, stdio: 'pipe' });
}, 180_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-start-up-'));
});

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
  children = [];
  await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  held = [];
  rmSync(dir, { recursive: true, force: true });
});

function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  // The child's environment (PATH and the like), without any SSPR_* setting of the test run's own.
  // eslint-disable-next-line no-restricted-syntax
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SSPR_')) env[k] = v;
  return { ...env, SSPR_PASSWORD_HASHING__MEMORY_KI_B: '1024', SSPR_PASSWORD_HASHING__ITERATIONS: '1', ...extra };
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code, or with null once stdout shows `until` (the portal is up). */
  settle(until?: RegExp, timeoutMs?: number): Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sspr.js'), ...args, 'start'], { cwd: dir, env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    settle(until = /Press Ctrl\+C to stop\./, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sspr start neither exited nor came up in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
        const onData = () => {
          if (until.test(out)) {
            clearTimeout(timer);
            resolve(null);
          }
        };
        child.stdout!.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
  };
}

async function hold(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  held.push(server);
}

describe('sspr start: the port', () => {
  it('SSPR_LISTEN__PORT alone moves the default publicUrl: the setup link is on that port and opens', async () => {
    const port = await freePort();
    const run = start({ SSPR_LISTEN__PORT: String(port) });
    expect(await run.settle(), run.stderr()).toBeNull();
    expect(run.stdout()).toContain(`is running at http://localhost:${port} (listening on http://127.0.0.1:${port})`);
    const link = /^\s+(http:\/\/\S+\/setup\?token=\S+)$/m.exec(run.stdout())?.[1];
    expect(link).toMatch(new RegExp(`^http://localhost:${port}/setup\\?token=`));
    const page = await fetch(link!.replace('localhost', '127.0.0.1'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1');
  });

  it('a port held by another program: exit 3 with one plain sentence and a command that works, no stack trace, nothing created', async () => {
    const port = await freePort();
    await hold(port);
    const run = start({ SSPR_LISTEN__PORT: String(port) });
    expect(await run.settle()).toBe(EXIT.config);
    expect(run.stderr()).toBe(`error: Port ${port} is already in use by another program. Stop it, or choose another port: SSPR_LISTEN__PORT=${port + 1} npm start\n`);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(run.stdout()).not.toContain('setup?token=');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('publicUrl on this machine set to another port than listen.port is refused, naming both values, where each was set, and the fix', async () => {
    const port = await freePort();
    writeFileSync(join(dir, 'sspr.yaml'), 'publicUrl: http://localhost:8080\n');
    const run = start({ SSPR_LISTEN__PORT: String(port) });
    expect(await run.settle()).toBe(EXIT.config);
    const err = run.stderr();
    expect(err).toContain(`publicUrl http://localhost:8080 (set in ${join(dir, 'sspr.yaml')}) points at port 8080, but listen.port is ${port} (set by SSPR_LISTEN__PORT)`);
    expect(err).toContain(`fix: use one port for both, e.g. publicUrl: http://localhost:${port}`);
    expect(err).toContain('leave publicUrl out so it follows listen.port');
    expect(err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('the same publicUrl behind a configured reverse proxy (trustedProxies) starts: the proxy may listen on the public port', async () => {
    const port = await freePort();
    const run = start({ SSPR_LISTEN__PORT: String(port), SSPR_PUBLIC_URL: 'http://localhost:8080', SSPR_TRUSTED_PROXIES: '[127.0.0.1]' });
    expect(await run.settle(), run.stderr()).toBeNull();
    expect(run.stdout()).toContain(`is running at http://localhost:8080 (listening on http://127.0.0.1:${port})`);
  });

  it('a publicUrl that agrees with listen.port starts as before', async () => {
    const port = await freePort();
    const run = start({ SSPR_LISTEN__PORT: String(port), SSPR_PUBLIC_URL: `http://127.0.0.1:${port}` });
    expect(await run.settle(), run.stderr()).toBeNull();
    expect(run.stdout()).toContain(`http://127.0.0.1:${port}/setup?token=`);
  });

  it('sspr doctor reports the same disagreement as a problem, with the fix', async () => {
    const r = await runCli(['doctor'], { env: { SSPR_LISTEN__PORT: '18180', SSPR_PUBLIC_URL: 'http://localhost:8080' }, cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ public URL: publicUrl http://localhost:8080 (set by SSPR_PUBLIC_URL) points at port 8080, but listen.port is 18180 (set by SSPR_LISTEN__PORT)');
    expect(r.stdout).toContain('    fix: use one port for both, e.g. publicUrl: http://localhost:18180');
  });
});
