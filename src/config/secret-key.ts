import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './schema.js';
import { ConfigError, type LoadedConfig } from './load.js';

export function newKeyBase64(): string {
  return randomBytes(32).toString('base64');
}

/**
 * The master key: `secrets.key` when set, otherwise the key file. On a first run the file is
 * created (mode 0600) so the quick-start command works without a prior `sspr init`.
 */
export function loadMasterKey(config: Config, baseDir: string, options: { create: boolean }): { key: Buffer; createdFile: string | null } {
  if (config.secrets.key) return { key: Buffer.from(config.secrets.key, 'base64'), createdFile: null };
  const file = resolve(baseDir, config.secrets.keyFile);
  if (!existsSync(file)) {
    if (!options.create) {
      throw new ConfigError('secrets', [{ key: 'secrets.keyFile', message: `${file} does not exist; run \`sspr init\` or \`sspr start\` once to create it, or set secrets.key` }]);
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${newKeyBase64()}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), createdFile: file };
  }
  const text = readFileSync(file, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('secrets', [{ key: 'secrets.keyFile', message: `${file} must hold 32 bytes in base64` }]);
  return { key, createdFile: null };
}

/** Where the key in use comes from, in the words an operator looks for: sspr.yaml, the SSPR_ variable, or the key file. */
export function keySourceOf(loaded: LoadedConfig): { kind: 'file-setting' | 'env' | 'key-file'; text: string } {
  const { config, sources, file, baseDir } = loaded;
  if (config.secrets.key && sources.secretsKey === 'env') return { kind: 'env', text: 'the SSPR_SECRETS__KEY variable' };
  if (config.secrets.key) return { kind: 'file-setting', text: `secrets.key in ${file ?? 'sspr.yaml'}` };
  return { kind: 'key-file', text: `the key file ${resolve(baseDir, config.secrets.keyFile)}` };
}

/** The key file's key when secrets.key is set instead (it takes precedence) and the file is there: the likely right key after `sspr init`. */
export function shadowedKeyFile(loaded: LoadedConfig): { path: string; key: Buffer } | null {
  const { config, baseDir } = loaded;
  if (!config.secrets.key) return null;
  const path = resolve(baseDir, config.secrets.keyFile);
  if (!existsSync(path)) return null;
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  return key.length === 32 ? { path, key } : null;
}
