import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/** The repository root (this file lives in test/helpers/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export interface DemoUser {
  username: string;
  password: string;
  roles: string[];
  groups: string[];
}

export interface PortalProcess {
  /** The public URL, e.g. http://127.0.0.1:40123 or http://localhost:40123 (no trailing slash). */
  url: string;
  /** The one-time setup link printed on first run, or null when none was printed. */
  setupLink: string | null;
  /** Demo users printed by `start --demo` (empty without --demo). */
  demoUsers: DemoUser[];
  /** The temporary directory holding sspr.yaml, the SQLite file and the key. */
  dir: string;
  /** The child's PID (the only process stop() ever signals). */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM to this child only, wait for it to exit (SIGKILL to the same PID after 5 s), remove the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL to this child only, as a crash: nothing of it cleans up; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface PortalProcessOptions {
  /** Run `start --demo`. */
  demo?: boolean;
  /** Extra configuration, deep-merged over the defaults this helper writes. */
  config?: Record<string, unknown>;
  /**
   * The host name in the public URL (default 127.0.0.1; the server listens on 127.0.0.1 either
   * way). Passkeys need a host name as their RP ID, so their tests use `localhost`.
   */
  publicHost?: string;
}

/** A free TCP port on 127.0.0.1, found by listening on port 0 and closing again. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether dist/ is up to date with src/ (scripts/build.mjs --check: a hash of src/, some milliseconds). */
function upToDate(): boolean {
  try {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--check'], { cwd: repoRoot, stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The CLI runs from dist/. The test command builds first; this builds when src/ changed since (a
 * single file run by hand after an edit), so a test never runs yesterday's dist/. A lock directory
 * keeps parallel test files from compiling at once.
 */
async function ensureBuilt(): Promise<void> {
  if (upToDate()) return;
  const lock = join(repoRoot, '.tmp', 'build.lock');
  mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (upToDate()) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for another build (remove ${lock} if it is stale)`);
      await sleep(250);
    }
  }
  try {
    if (!upToDate()) execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), '--quiet'], { cwd: repoRoot, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function parseSetupLink(text: string): string | null {
  const m = /^\s+(https?:\/\/\S+\/setup\?token=\S+)\s*$/m.exec(text);
  return m ? m[1]! : null;
}

function parseDemoUsers(text: string): DemoUser[] {
  const start = text.indexOf('Demo users');
  if (start < 0) return [];
  const users: DemoUser[] = [];
  for (const line of text.slice(start).split('\n').slice(1)) {
    // "  alice    <password>   user; groups: SSPR pilot"
    const m = /^ {2}(\S+)\s+(\S+)\s+(.+?); groups: (.*)$/.exec(line.trimEnd());
    if (!m) break;
    const list = (s: string) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    users.push({ username: m[1]!, password: m[2]!, roles: list(m[3]!), groups: list(m[4]!) });
  }
  return users;
}

/**
 * Starts the real portal as a separate process: `node bin/sspr.js start --config <tmp>/sspr.yaml`
 * with SQLite in a fresh temp dir, a free loopback port and cheap argon2 parameters. Resolves once
 * the startup banner (the "is running" line through "Press Ctrl+C to stop.") has been printed.
 */
export async function startPortalProcess(options: PortalProcessOptions = {}): Promise<PortalProcess> {
  await ensureBuilt();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sspr-process-'));
  const url = `http://${options.publicHost ?? '127.0.0.1'}:${port}`;
  const config = deepMerge(
    {
      publicUrl: url,
      listen: { host: '127.0.0.1', port },
      database: { url: `sqlite:${join(dir, 'sspr.db')}` },
      secrets: { keyFile: join(dir, 'secret.key') },
      passwordHashing: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
      logging: { level: 'info' },
      // Browser tests of other features skip the registration interrupt; its own test passes registrationRequired: true.
      methods: { registrationRequired: false },
    },
    options.config ?? {},
  );
  const configFile = join(dir, 'sspr.yaml');
  writeFileSync(configFile, stringify(config), { mode: 0o600 });

  // The child reads SSPR_* variables as configuration: pass none, so the file is the whole config.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SSPR_')) env[k] = v;

  // PORTAL_NODE_ARGS: Node options for the portal alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it in a benchmark.
  const nodeArgs = process.env.PORTAL_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const args = [...nodeArgs, join(repoRoot, 'bin', 'sspr.js'), 'start', '--config', configFile];
  if (options.demo) args.push('--demo');
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('could not spawn the portal process');
  }
  const pid = child.pid;

  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.on('error', (err) => (stderr += `\n[spawn error] ${err.message}\n`));
  const output = () => `${stdout}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`;

  let exited = false;
  const exitPromise = new Promise<void>((r) => {
    child.once('exit', () => {
      exited = true;
      r();
    });
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // The setup link and demo users are printed after the "is running" line, before "Press Ctrl+C".
  const bannerDone = () => {
    const i = stdout.indexOf('is running at');
    return i >= 0 && stdout.indexOf('Press Ctrl+C to stop.', i) >= 0;
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!bannerDone()) {
    if (exited) {
      await stop();
      throw new Error(`the portal process exited before it was ready (exit code ${child.exitCode ?? 'none'}, signal ${child.signalCode ?? 'none'}):\n${output()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the portal process did not print "is running" within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    await sleep(50);
  }

  const kill = async () => {
    if (!exited) child.kill('SIGKILL');
    await exitPromise;
  };

  return { url, setupLink: parseSetupLink(stdout), demoUsers: parseDemoUsers(stdout), dir, pid, output, stop, kill };
}
