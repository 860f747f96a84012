import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './schema.js';
import { ConfigError } from './load.js';

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
