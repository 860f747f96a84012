import { rmSync } from 'node:fs';
import type { Writable, Readable } from 'node:stream';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { loadMasterKey } from '../config/secret-key.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { migrateToLatest, openStore, type Store } from '../store/database.js';
import { buildPortal, type Portal } from '../app/portal.js';
import { systemClock } from '../shared/clock.js';
import { checkStoreKey } from '../store/key-canary.js';
import { explainWrongKey } from './key-check.js';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Exit codes a script can rely on (README "CLI"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, notFound: 4, refused: 5, store: 6 } as const;

export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function loadCliConfig(io: CliIO, configPath: string | undefined): LoadedConfig {
  return loadConfig({ path: configPath, env: io.env, cwd: io.cwd });
}

/**
 * openStore, with a failure to open (an SQLite path whose folder cannot be created or opened, a
 * malformed PostgreSQL URL) reported as "store unreachable" instead of an unexpected crash.
 */
export function openCliStore(url: string, options: { baseDir: string; poolSize: number }): Store {
  try {
    return openStore(url, options);
  } catch (err) {
    throw new CliExit(EXIT.store, `Cannot open the store (database.url ${url.startsWith('sqlite:') ? url : 'for PostgreSQL'}): ${(err as Error).message}`);
  }
}

/** Config → key → store (migrated) → portal: the same wiring the server uses. */
export async function openPortal(io: CliIO, configPath: string | undefined, options: { createKey: boolean; logger?: Logger }): Promise<{ portal: Portal; loaded: LoadedConfig; createdKeyFile: string | null }> {
  const loaded = loadCliConfig(io, configPath);
  const { config, baseDir } = loaded;
  const { key, createdFile } = loadMasterKey(config, baseDir, { create: options.createKey });
  const logger = options.logger ?? createLogger(config.logging.level === 'info' ? 'warn' : config.logging.level, process.stderr);
  const store = openCliStore(config.database.url, { baseDir, poolSize: config.database.poolSize });
  try {
    await store.ping();
    await migrateToLatest(store);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new CliExit(EXIT.store, `Cannot use the store (${store.description}): ${(err as Error).message}`);
  }
  // Before anything is read or written with it: is this the store's key? (Writes the canary on a first run.)
  const check = await checkStoreKey(store, key, { write: true });
  if (check.state === 'wrong') {
    const wrong = await explainWrongKey(loaded, store, check);
    await store.close().catch(() => undefined);
    // A key file made just now for a store that has its key elsewhere would only stand in the way of the real one.
    if (createdFile) rmSync(createdFile, { force: true });
    throw new CliExit(EXIT.config, `${wrong.problem}. Nothing was changed.\n  fix: ${wrong.fix}.`);
  }
  const portal = buildPortal({ config, store, logger, clock: systemClock, masterKey: key });
  await portal.policy.refresh();
  return { portal, loaded, createdKeyFile: createdFile };
}

/** Opens the portal (creating the key if there is none), runs `use`, and always closes the store. */
export async function withPortal<T>(io: CliIO, configPath: string | undefined, use: (portal: Portal, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const { portal, loaded } = await openPortal(io, configPath, { createKey: true });
  try {
    return await use(portal, loaded);
  } finally {
    // A command that handed a job to another instance (PostgreSQL) listened for its answer.
    portal.agentHub.close();
    await portal.store.close();
  }
}

/** `--limit N` of a history command: a whole number from 1 to 500, 20 when not given. */
export function historyLimit(raw: string | undefined): number {
  const limit = raw === undefined ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliExit(EXIT.usage, '--limit must be a whole number from 1 to 500');
  return limit;
}

/** `--expected-version N` as the services take it: `{ expectedVersion }`, or nothing when not given. */
export function expectedVersionOption(raw: string | undefined): { expectedVersion?: number } {
  if (raw === undefined) return {};
  if (!/^\d{1,9}$/.test(raw)) throw new CliExit(EXIT.usage, '--expected-version must be a whole number');
  return { expectedVersion: Number(raw) };
}

export async function readStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  // One trailing newline (from echo or a file) is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
