import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/load.js';
import { newKeyBase64 } from '../config/secret-key.js';
import { createLogger } from '../logging/logger.js';
import { migratorFor, openStore } from '../store/database.js';
import { checkStoreKey } from '../store/key-canary.js';
import { EXIT, openPortal } from './context.js';

/**
 * The store key, as issue 17 found it: a first start creates data/secret.key; an `sspr init`
 * afterwards wrote a new key into sspr.yaml that took precedence, and every sign-in of a user with
 * methods failed while `sspr doctor` said all was well. Here the folder is an operator's: no
 * sspr.yaml at first, the store and key file in ./data, cheap argon2 parameters as SSPR_* variables.
 */

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-store-key-'));
  env = { SSPR_PASSWORD_HASHING__MEMORY_KI_B: '1024', SSPR_PASSWORD_HASHING__ITERATIONS: '1', SSPR_LOGGING__LEVEL: 'warn' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sspr = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => runCli(args, { env: { ...env, ...extraEnv }, cwd: dir });
const yaml = () => join(dir, 'sspr.yaml');
const keyFile = () => join(dir, 'data', 'secret.key');

async function canaryRows(): Promise<number> {
  const store = openStore('sqlite:./data/sspr.db', { baseDir: dir });
  try {
    return (await store.db.selectFrom('key_canary').select('id').execute()).length;
  } finally {
    await store.close();
  }
}

/** What a first `npm start` leaves: data/secret.key, the store with its canary, and a user with a sealed email address. */
async function firstRunWithData(): Promise<void> {
  const added = await sspr(['user', 'add', 'alice', '--display-name', 'Alice', '--generate-password']);
  expect(added.code, added.stderr).toBe(EXIT.ok);
  expect(existsSync(keyFile())).toBe(true);
  const { portal } = await openPortal({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env, cwd: dir }, undefined, { createKey: false, logger: createLogger('silent') });
  try {
    const alice = (await portal.users.byUsername('alice'))!;
    const email = await portal.methods.addContact(alice.id, 'email', 'alice@example.com');
    await portal.methods.confirm(alice.id, email.id);
  } finally {
    await portal.store.close();
  }
}

describe('the store-key canary', () => {
  it('is written at the first start, and opens with the key file from then on', async () => {
    await firstRunWithData();
    expect(await canaryRows()).toBe(1);
    const key = Buffer.from(readFileSync(keyFile(), 'utf8').trim(), 'base64');
    const store = openStore('sqlite:./data/sspr.db', { baseDir: dir });
    try {
      expect(await checkStoreKey(store, key, { write: false })).toEqual({ state: 'ok' });
      expect(await checkStoreKey(store, Buffer.from(newKeyBase64(), 'base64'), { write: false })).toEqual({ state: 'wrong', evidence: 'canary' });
    } finally {
      await store.close();
    }
    const doctor = await sspr(['doctor']);
    expect(doctor.stdout).toContain(`✔ store key: the key file ${keyFile()} opens the store's key check`);
    expect(doctor.code).toBe(EXIT.ok);
  });

  it('a new key in sspr.yaml (what the old `sspr init` wrote) is refused by start, by every command and by doctor, which name the key in use and the fix', async () => {
    await firstRunWithData();
    writeFileSync(yaml(), `secrets:\n  key: ${newKeyBase64()}\n`);

    // Port 0: whatever holds 8080 on this machine, the key is what stops the start.
    const start = await sspr(['start'], { SSPR_LISTEN__PORT: '0' });
    expect(start.code).toBe(EXIT.config);
    expect(start.stdout).not.toContain('setup?token=');
    expect(start.stderr).toContain(`error: The encryption key in use (secrets.key in ${yaml()}) is not the key this store (SQLite ${join(dir, 'data', 'sspr.db')}) was written with: the key check written at its first start does not open. Nothing was changed.`);
    expect(start.stderr).toContain(`fix: the key file ${keyFile()} opens this store: remove secrets.key from ${yaml()} (secrets.key takes precedence over the key file), then start again.`);
    expect(start.stderr).not.toMatch(/\n\s+at /);

    const list = await sspr(['user', 'list']);
    expect(list.code).toBe(EXIT.config);
    expect(list.stdout).toBe('');

    const doctor = await sspr(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✖ store key: The encryption key in use (secrets.key in ${yaml()}) is not the key this store`);
    expect(doctor.stdout).toContain(`    fix: the key file ${keyFile()} opens this store: remove secrets.key from ${yaml()}`);

    // The fix as told: the file without secrets.key.
    writeFileSync(yaml(), 'logging:\n  level: warn\n');
    const again = await sspr(['user', 'list']);
    expect(again.code, again.stderr).toBe(EXIT.ok);
    expect(again.stdout).toContain('alice');
  });

  it('a wrong key with no key file to fall back on (SSPR_SECRETS__KEY) is named as such, with the general fix', async () => {
    await firstRunWithData();
    rmSync(keyFile());
    const r = await sspr(['user', 'list'], { SSPR_SECRETS__KEY: newKeyBase64() });
    expect(r.code).toBe(EXIT.config);
    expect(r.stderr).toContain('error: The encryption key in use (the SSPR_SECRETS__KEY variable) is not the key this store');
    expect(r.stderr).toContain('fix: give the portal the key the store was written with');

    // The key file lost: start would make a new one; it is refused, and the new file removed again.
    const start = await sspr(['start'], { SSPR_LISTEN__PORT: '0' });
    expect(start.code).toBe(EXIT.config);
    expect(start.stderr).toContain(`error: The encryption key in use (the key file ${keyFile()}) is not the key this store`);
    expect(start.stdout).not.toContain('First run: created the encryption key');
    expect(existsSync(keyFile())).toBe(false);
  });

  it('a store from before the canary gets one when the key opens its sealed data; with another key it gets none and is refused', async () => {
    await firstRunWithData();
    const store = openStore('sqlite:./data/sspr.db', { baseDir: dir });
    try {
      // Back to 0015: the canary's table goes, the sealed email address stays.
      expect((await migratorFor(store).migrateTo('0015-caller-verification')).error).toBeUndefined();
    } finally {
      await store.close();
    }

    const wrong = await sspr(['migrate'], { SSPR_SECRETS__KEY: newKeyBase64() });
    expect(wrong.code).toBe(EXIT.config);
    expect(wrong.stdout).toContain('applied\t0016-store-key-canary');
    expect(wrong.stderr).toContain('none of its encrypted contact details and authenticator secrets open. The schema is up to date; nothing else was changed.');
    expect(await canaryRows()).toBe(0);
    const doctorWrong = await sspr(['doctor'], { SSPR_SECRETS__KEY: newKeyBase64() });
    expect(doctorWrong.stdout).toContain('✖ store key: The encryption key in use (the SSPR_SECRETS__KEY variable)');
    expect(await canaryRows()).toBe(0);

    const doctorRight = await sspr(['doctor']);
    expect(doctorRight.stdout).toContain(`✔ store key: the key file ${keyFile()} opens the store's encrypted data (the key check is written at the next start)`);
    expect(await canaryRows()).toBe(0);
    const right = await sspr(['user', 'list']);
    expect(right.code, right.stderr).toBe(EXIT.ok);
    expect(await canaryRows()).toBe(1);
  });
});

describe('sspr init after the first start', () => {
  it('refuses to write a new key while the store holds encrypted data: exit 5, nothing written, the key in use named', async () => {
    await firstRunWithData();
    const r = await sspr(['init']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain(`error: the store SQLite ${join(dir, 'data', 'sspr.db')} already holds data encrypted with a key (the key file ${keyFile()}); a new key in ${yaml()} would take its place and make that data unreadable. Nothing was written.`);
    expect(r.stderr).toContain('fix: run `sspr init --keep-key`');
    expect(existsSync(yaml())).toBe(false);
    // --force is about overwriting the file, not about the key.
    expect((await sspr(['init', '--force'])).code).toBe(EXIT.refused);
    expect(existsSync(yaml())).toBe(false);
  });

  it('--keep-key writes the commented file without a key: the key file stays in use and everything still opens', async () => {
    await firstRunWithData();
    const keyBefore = readFileSync(keyFile(), 'utf8');
    const r = await sspr(['init', '--keep-key']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain(`Wrote ${yaml()}, keeping the encryption key in use (the key file ${keyFile()}).`);
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.file).toBe(yaml());
    expect(loaded.config.secrets.key).toBeUndefined();
    expect(loaded.config.secrets.keyFile).toBe('./data/secret.key');
    expect(readFileSync(keyFile(), 'utf8')).toBe(keyBefore);
    const doctor = await sspr(['doctor']);
    expect(doctor.stdout).toContain("✔ store key: the key file");
    expect(doctor.stdout).not.toContain('✖');
    const list = await sspr(['user', 'list']);
    expect(list.code, list.stderr).toBe(EXIT.ok);
  });

  it('--force --keep-key over a file with secrets.key keeps that key', async () => {
    const key = newKeyBase64();
    writeFileSync(yaml(), `secrets:\n  key: ${key}\n`);
    expect((await sspr(['user', 'add', 'bob', '--display-name', 'Bob'])).code).toBe(EXIT.ok);
    expect((await sspr(['init', '--force'])).code).toBe(EXIT.refused);
    expect(loadConfig({ cwd: dir, env: {} }).config.secrets.key).toBe(key);
    const r = await sspr(['init', '--force', '--keep-key']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain(`keeping the encryption key in use (secrets.key in ${yaml()})`);
    expect(loadConfig({ cwd: dir, env: {} }).config.secrets.key).toBe(key);
    expect(readFileSync(yaml(), 'utf8')).toContain('# OpenSSPR configuration.');
    expect((await sspr(['user', 'list'])).code).toBe(EXIT.ok);
  });

  it('a store it cannot reach (PostgreSQL down) is not taken for an empty one: refused, nothing written', async () => {
    const r = await sspr(['init'], { SSPR_DATABASE__URL: 'postgres://sspr@127.0.0.1:1/sspr' });
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain('error: cannot tell whether the store (PostgreSQL');
    expect(r.stderr).toContain('Nothing was written.');
    expect(existsSync(yaml())).toBe(false);
  });

  it('with no store yet, writes a new key as before', async () => {
    const r = await sspr(['init']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(loadConfig({ cwd: dir, env: {} }).config.secrets.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });
});
