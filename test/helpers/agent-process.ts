import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { repoRoot } from './portal-process.js';
import type { SambaDc } from './samba-dc.js';

const STOP_GRACE_MS = 5_000;

/** A real `sspr agent run` process (from dist/), started and ended only through its own PID. */
export interface AgentProcess {
  name: string;
  pid: number;
  /** Its sspr.yaml (state, journal, AD connection): run it again with `runAgentProcess`. */
  configFile: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM to this child only (SIGKILL to the same PID after 5 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** SIGKILL to this child only, as a crash: nothing of it cleans up (its journal stays as it was). */
  kill(): Promise<void>;
}

/**
 * Writes an agent's sspr.yaml in `dir` (state and journal files named after the agent, the DC's
 * CA, the Administrator as service account) and registers it with `sspr agent register` against
 * `portalUrl` (the portal's public URL, or the balancer in front of it). `adUrl` replaces the DC's
 * own URL (a proxy in front of it, say; the TLS name stays the DC's). Returns the config file.
 */
export async function registerAgentProcess(o: { dir: string; name: string; dc: SambaDc; portalUrl: string; token: string; adUrl?: string; logLevel?: string }): Promise<string> {
  const ca = join(o.dir, `${o.name}-dc-ca.pem`);
  writeFileSync(ca, o.dc.caCertPem);
  const configFile = join(o.dir, `${o.name}.yaml`);
  writeFileSync(
    configFile,
    stringify({
      logging: { level: o.logLevel ?? 'warn' },
      agent: {
        stateFile: join(o.dir, `${o.name}-state.json`),
        journalFile: join(o.dir, `${o.name}-journal.json`),
        ad: { urls: [o.adUrl ?? o.dc.url], caCertFile: ca, tlsServerName: o.dc.tlsServerName, bindDn: o.dc.adminDn, bindPassword: o.dc.adminPassword, baseDn: o.dc.baseDn },
      },
    }),
    { mode: 0o600 },
  );
  // Asynchronous: the portal (or the balancer) it talks to may run in the caller's process.
  await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'sspr.js'), 'agent', 'register', '--portal', o.portalUrl, '--token', o.token, '--name', o.name, '--config', configFile], { cwd: o.dir });
  return configFile;
}

/** `sspr agent run --config <configFile>` as its own process; it connects to the portal URL it was registered with. */
export function runAgentProcess(name: string, configFile: string): AgentProcess {
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bin', 'sspr.js'), 'agent', 'run', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn agent ${name}`);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      r();
    }),
  );
  return {
    name,
    pid: child.pid,
    configFile,
    stderr: () => stderr,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => !exited && child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    },
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
  };
}
