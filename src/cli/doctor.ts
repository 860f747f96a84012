import nodemailer from 'nodemailer';
import type { CliIO } from './context.js';
import { loadCliConfig } from './context.js';
import { ConfigError } from '../config/load.js';
import { keySourceOf, loadMasterKey } from '../config/secret-key.js';
import type { LoadedConfig } from '../config/load.js';
import { checkStoreKey } from '../store/key-canary.js';
import { explainWrongKey } from './key-check.js';
import { publicUrlPortProblem } from '../config/public-url.js';
import { openStore, pendingMigrations, type Store } from '../store/database.js';
import { UserStore } from '../directory/users.js';
import { systemClock } from '../shared/clock.js';
import type { Config } from '../config/schema.js';
import { createAuditLog } from '../audit/audit-log.js';
import { deriveKey } from '../shared/crypto.js';
import { createFieldCipher } from '../shared/sealed.js';
import { SettingsService } from '../settings/settings-service.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  level: Level;
  what: string;
  detail: string;
  fix?: string;
}

const mark: Record<Level, string> = { ok: '✔', warn: '⚠', fail: '✖' };

/** Checks configuration, key, store and delivery; prints each finding with how to fix it. Exit 0 when nothing failed. */
export async function doctor(io: CliIO, configPath: string | undefined): Promise<number> {
  const checks: Check[] = [];
  const print = () => {
    for (const c of checks) {
      io.stdout.write(`${mark[c.level]} ${c.what}: ${c.detail}\n`);
      if (c.fix) io.stdout.write(`    fix: ${c.fix}\n`);
    }
    const failed = checks.filter((c) => c.level === 'fail').length;
    const warned = checks.filter((c) => c.level === 'warn').length;
    io.stdout.write(`\n${failed} problem(s), ${warned} warning(s).\n`);
    return failed > 0 ? 1 : 0;
  };

  let loaded;
  try {
    loaded = loadCliConfig(io, configPath);
    checks.push({ level: 'ok', what: 'configuration', detail: loaded.file ? `read ${loaded.file}` : 'no sspr.yaml; using defaults and SSPR_* variables' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) checks.push({ level: 'fail', what: 'configuration', detail: `${p.key} ${p.message}`, fix: 'edit sspr.yaml or the SSPR_* variable; see README "Configuration"' });
    return print();
  }
  const { config, baseDir } = loaded;

  let key: Buffer | null = null;
  try {
    key = loadMasterKey(config, baseDir, { create: false }).key;
    checks.push({ level: 'ok', what: 'secret key', detail: config.secrets.key ? 'secrets.key is set' : `key file ${config.secrets.keyFile} is readable` });
  } catch (err) {
    const msg = err instanceof ConfigError ? err.problems.map((p) => p.message).join('; ') : (err as Error).message;
    checks.push({ level: 'fail', what: 'secret key', detail: msg, fix: 'run `sspr init` (writes a key into sspr.yaml) or `sspr start` once' });
  }

  let store: Store | null = null;
  try {
    store = openStore(config.database.url, { baseDir, poolSize: 2 });
  } catch (err) {
    // better-sqlite3 and mkdir fail at open time, before any ping.
    checks.push({ level: 'fail', what: 'store', detail: `cannot open ${config.database.url.startsWith('sqlite:') ? config.database.url : 'database.url'}: ${(err as Error).message}`, fix: 'check database.url and that its folder exists or can be created and is writable' });
  }
  // The delivery in force: the stored settings once saved in the console (they need the key to open their secrets), else the file's.
  const stored = store ? await checkStore(store, checks, key ? { key, loaded } : null) : null;
  const delivery = stored ?? config.delivery;
  const where = stored ? ' (saved settings)' : '';

  const url = new URL(config.publicUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !local) {
    checks.push({ level: 'warn', what: 'public URL', detail: `${config.publicUrl} is plain HTTP on a non-local host`, fix: 'serve the portal over HTTPS and set publicUrl to the https:// address' });
  } else checks.push({ level: 'ok', what: 'public URL', detail: config.publicUrl });
  const mismatch = publicUrlPortProblem(loaded);
  if (mismatch) checks.push({ level: 'fail', what: 'public URL', detail: `${mismatch.problem}; \`sspr start\` refuses to start`, fix: mismatch.fix });
  if (/^[\d.]+$|^\[/.test(url.hostname) && config.methods.available.includes('passkey')) {
    checks.push({ level: 'warn', what: 'passkeys', detail: `${url.hostname} is an IP address; browsers accept passkeys only for a host name`, fix: 'set publicUrl to a host name (http://localhost:… for a local trial)' });
  }

  if (delivery.mode === 'outbox') {
    checks.push({ level: 'warn', what: 'delivery', detail: `outbox${where}: messages stay in the store and are shown to administrators; not for production`, fix: 'choose an SMTP server in the console (Settings, Email and phone delivery) or with `sspr settings set delivery mode=smtp smtp.host=… smtp.password=-`' });
  } else if (delivery.smtp) {
    const s = delivery.smtp;
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.requireTls,
      auth: s.user ? { user: s.user, pass: s.password ?? '' } : undefined,
      tls: { rejectUnauthorized: s.rejectUnauthorized },
      connectionTimeout: 5000,
      greetingTimeout: 5000,
    });
    try {
      await transport.verify();
      checks.push({ level: 'ok', what: 'delivery', detail: `SMTP ${s.host}:${s.port}${where} accepted the connection${s.user ? ' and the login' : ''}` });
    } catch (err) {
      checks.push({ level: 'fail', what: 'delivery', detail: `SMTP ${s.host}:${s.port}${where}: ${(err as Error).message}`, fix: 'check the SMTP server, port, TLS settings and credentials (Settings, Email and phone delivery)' });
    } finally {
      transport.close();
    }
  }
  return print();
}

/** The key against the store's canary, read-only (start writes the canary). */
async function checkKey(store: Store, checks: Check[], key: Buffer, loaded: LoadedConfig): Promise<void> {
  const check = await checkStoreKey(store, key, { write: false });
  const source = keySourceOf(loaded).text;
  if (check.state === 'wrong') {
    const wrong = await explainWrongKey(loaded, store, check);
    checks.push({ level: 'fail', what: 'store key', detail: `${wrong.problem}; \`sspr start\` refuses to start`, fix: wrong.fix });
  } else if (check.state === 'ok') checks.push({ level: 'ok', what: 'store key', detail: `${source} opens the store's key check` });
  else if (check.proof === 'sealed-data') checks.push({ level: 'ok', what: 'store key', detail: `${source} opens the store's encrypted data (the key check is written at the next start)` });
  else checks.push({ level: 'ok', what: 'store key', detail: `no encrypted data yet; the next start writes the key check with ${source}` });
}

/** The store's checks; the delivery settings saved in it (null: none saved, or they cannot be read). */
async function checkStore(store: Store, checks: Check[], keyed: { key: Buffer; loaded: LoadedConfig } | null): Promise<Config['delivery'] | null> {
  let delivery: Config['delivery'] | null = null;
  try {
    await store.ping();
    checks.push({ level: 'ok', what: 'store', detail: `${store.description} is reachable` });
    const pending = await pendingMigrations(store);
    if (pending.length) checks.push({ level: 'warn', what: 'store schema', detail: `${pending.length} migration(s) pending: ${pending.join(', ')}`, fix: 'run `sspr migrate` (or `sspr start`, which migrates)' });
    else {
      checks.push({ level: 'ok', what: 'store schema', detail: 'up to date' });
      if (keyed) await checkKey(store, checks, keyed.key, keyed.loaded);
      const admins = await new UserStore(store.db, systemClock).countEnabledWithRole('administrator');
      if (admins === 0) checks.push({ level: 'warn', what: 'administrators', detail: 'no enabled administrator yet', fix: 'run `sspr start` and open the one-time setup link it prints' });
      else checks.push({ level: 'ok', what: 'administrators', detail: `${admins} enabled` });
      if (keyed) {
        try {
          const cipher = createFieldCipher(deriveKey(keyed.key, 'data-encryption'));
          const saved = (await new SettingsService({ store, clock: systemClock, audit: createAuditLog(store, systemClock), cipher, config: keyed.loaded.config }).refresh()).delivery;
          delivery = saved.version > 0 ? saved.values : null;
        } catch (err) {
          // A key that is not the store's cannot open the saved secrets (the store key check says so above).
          checks.push({ level: 'warn', what: 'delivery', detail: `the saved delivery settings cannot be read: ${(err as Error).message}`, fix: 'start with the key the store was written with (see the store key check)' });
        }
      }
    }
  } catch (err) {
    checks.push({
      level: 'fail',
      what: 'store',
      detail: `${store.description}: ${(err as Error).message}`,
      fix: store.dialect === 'postgres' ? 'check that PostgreSQL runs and database.url (host, port, user, database) is right' : 'check that the folder of database.url is writable',
    });
  } finally {
    await store.close().catch(() => undefined);
  }
  return delivery;
}
