import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, loadConfig, type ConfigProblem } from './load.js';
import { configSchema } from './schema.js';
import { publicUrlPortProblem } from './public-url.js';
import { configTemplate } from './template.js';
import { newKeyBase64 } from './secret-key.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeYaml(text: string, name = 'sspr.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Loads and returns the ConfigError's problems; fails the test when loading succeeds. */
function problemsOf(load: () => unknown): ConfigProblem[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  expect.fail('expected a ConfigError');
}

describe('defaults', () => {
  it('validate on their own: an empty input is a complete, valid config', () => {
    const config = configSchema.parse({});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.database.url).toBe('sqlite:./data/sspr.db');
    expect(config.passwordHashing).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
    expect(config.delivery.mode).toBe('outbox');
  });

  it('are used when there is no sspr.yaml and no SSPR_* variable', () => {
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.file).toBeNull();
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.config).toEqual(configSchema.parse({}));
  });

  it('ignore environment variables without the SSPR_ prefix and the reserved SSPR_TEST_ ones', () => {
    const loaded = loadConfig({ cwd: dir, env: { LISTEN__PORT: '1', PORT: '2', SSPR_TEST_POSTGRES_URL: 'postgres://x' } });
    expect(loaded.config.listen.port).toBe(8080);
  });
});

describe('publicUrl and listen.port', () => {
  it('listen.port alone moves the default publicUrl (file or SSPR_LISTEN__PORT), and port 0 keeps 8080', () => {
    expect(configSchema.parse({ listen: { port: 18180 } }).publicUrl).toBe('http://localhost:18180');
    expect(configSchema.parse({ listen: { port: 0 } }).publicUrl).toBe('http://localhost:8080');
    const fromEnv = loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '18180' } });
    expect(fromEnv.config.publicUrl).toBe('http://localhost:18180');
    expect(fromEnv.sources).toEqual({ publicUrl: 'default', listenPort: 'env', secretsKey: 'default' });
    writeYaml('listen:\n  port: 9191\n');
    const fromFile = loadConfig({ cwd: dir, env: {} });
    expect(fromFile.config.publicUrl).toBe('http://localhost:9191');
    expect(fromFile.sources).toEqual({ publicUrl: 'default', listenPort: 'file', secretsKey: 'default' });
    expect(publicUrlPortProblem(fromFile)).toBeNull();
  });

  it('an explicit publicUrl is kept as given; on this machine with another port it is a problem, unless a proxy is trusted or the host is not local', () => {
    writeYaml('publicUrl: http://127.0.0.1:8080\n');
    const loaded = loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '9090' } });
    expect(loaded.config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(loaded.sources).toEqual({ publicUrl: 'file', listenPort: 'env', secretsKey: 'default' });
    expect(publicUrlPortProblem(loaded)?.problem).toContain(`publicUrl http://127.0.0.1:8080 (set in ${join(dir, 'sspr.yaml')}) points at port 8080, but listen.port is 9090 (set by SSPR_LISTEN__PORT)`);
    expect(publicUrlPortProblem(loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '9090', SSPR_TRUSTED_PROXIES: '[127.0.0.1]' } }))).toBeNull();
    expect(publicUrlPortProblem(loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '9090', SSPR_PUBLIC_URL: 'https://sspr.example.com' } }))).toBeNull();
    expect(publicUrlPortProblem(loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '443', SSPR_PUBLIC_URL: 'https://localhost' } }))).toBeNull();
    expect(publicUrlPortProblem(loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '0' } }))).toBeNull();
  });
});

describe('sspr.yaml', () => {
  it('values are read from ./sspr.yaml in the working directory', () => {
    const file = writeYaml('listen:\n  port: 9090\npublicUrl: https://sspr.example.com/\ndatabase:\n  url: postgres://u@db/sspr\n');
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.file).toBe(file);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.config.listen.port).toBe(9090);
    expect(loaded.config.listen.host).toBe('127.0.0.1');
    expect(loaded.config.publicUrl).toBe('https://sspr.example.com');
    expect(loaded.config.database.url).toBe('postgres://u@db/sspr');
  });

  it('values are read from the file given as path, relative to cwd, whose folder becomes the base for relative paths', () => {
    writeYaml('sessions:\n  absoluteHours: 8\n', 'other.yaml');
    const loaded = loadConfig({ cwd: dir, path: 'other.yaml', env: {} });
    expect(loaded.config.sessions.absoluteHours).toBe(8);
    expect(loaded.file).toBe(join(dir, 'other.yaml'));
    expect(loaded.baseDir).toBe(dir);
  });

  it('an empty file means defaults', () => {
    writeYaml('');
    expect(loadConfig({ cwd: dir, env: {} }).config).toEqual(configSchema.parse({}));
  });

  it('a file that is not a mapping is refused with a clear message', () => {
    writeYaml('- a\n- b\n');
    expect(problemsOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([{ key: '(root)', message: 'the file must contain a YAML mapping of settings' }]);
  });

  it('invalid YAML is reported with the line it is on', () => {
    writeYaml('listen:\n  port: 8080\n  host: [unclosed\nbranding:\n  productName: x\n');
    const err = (() => {
      try {
        loadConfig({ cwd: dir, env: {} });
      } catch (e) {
        return e as ConfigError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toHaveLength(1);
    expect(err!.problems[0]!.key).toBe('(file)');
    expect(err!.problems[0]!.message).toMatch(/^is not valid YAML at line \d+/);
    expect(err!.message).toContain(join(dir, 'sspr.yaml'));
  });

  it('a tab-indented mapping is reported with its line number', () => {
    writeYaml('listen:\n  port: 8080\nsessions:\n\tidleMinutes: 5\n');
    const [problem] = problemsOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(problem!.message).toMatch(/at line 4/);
  });

  it('--config pointing at a missing file is a clear error naming the path, not a silent fallback to defaults', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, path: 'nope.yaml', env: {} }));
    expect(problems).toEqual([{ key: '--config', message: `file not found: ${join(dir, 'nope.yaml')}` }]);
  });
});

describe('SSPR_* environment variables', () => {
  it('map a double underscore to nesting and parse numbers: SSPR_LISTEN__PORT=9000 → listen.port 9000', () => {
    const { config } = loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '9000' } });
    expect(config.listen.port).toBe(9000);
  });

  it('map single underscores to camelCase words: SSPR_PUBLIC_URL → publicUrl', () => {
    const { config } = loadConfig({ cwd: dir, env: { SSPR_PUBLIC_URL: 'https://reset.example.org' } });
    expect(config.publicUrl).toBe('https://reset.example.org');
  });

  it('SSPR_DATABASE__URL sets database.url', () => {
    const { config } = loadConfig({ cwd: dir, env: { SSPR_DATABASE__URL: 'postgres://sspr:secret@db:5432/sspr' } });
    expect(config.database.url).toBe('postgres://sspr:secret@db:5432/sspr');
  });

  it('reach keys with capitals inside a word: SSPR_PASSWORD_HASHING__MEMORY_KIB → passwordHashing.memoryKiB', () => {
    expect(configFromEnv({ SSPR_PASSWORD_HASHING__MEMORY_KIB: '2048' }).values).toEqual({ passwordHashing: { memoryKiB: 2048 } });
    const { config } = loadConfig({ cwd: dir, env: { SSPR_PASSWORD_HASHING__MEMORY_KIB: '2048', SSPR_SESSIONS__ABSOLUTE_HOURS: '4' } });
    expect(config.passwordHashing.memoryKiB).toBe(2048);
    expect(config.sessions.absoluteHours).toBe(4);
  });

  it('give numeric settings numbers even when the name contains "token": SSPR_SETUP__TOKEN_MINUTES=30', () => {
    const { config } = loadConfig({ cwd: dir, env: { SSPR_SETUP__TOKEN_MINUTES: '30' } });
    expect(config.setup.tokenMinutes).toBe(30);
  });

  it('keep string settings verbatim even when they look like numbers, booleans or null', () => {
    const { values } = configFromEnv({ SSPR_METRICS__TOKEN: '1234567890123456', SSPR_BRANDING__HELPDESK: 'true', SSPR_DELIVERY__SMTP__USER: 'null' });
    expect(values).toEqual({ metrics: { token: '1234567890123456' }, branding: { helpdesk: 'true' }, delivery: { smtp: { user: 'null' } } });
  });

  it('parse booleans and lists like the file does', () => {
    const { config } = loadConfig({ cwd: dir, env: { SSPR_METRICS__ENABLED: 'false', SSPR_TRUSTED_PROXIES: '[10.0.0.1, "::1"]' } });
    expect(config.metrics.enabled).toBe(false);
    expect(config.trustedProxies).toEqual(['10.0.0.1', '::1']);
  });

  it('override the file key by key, leaving its other keys in place', () => {
    writeYaml('listen:\n  host: 0.0.0.0\n  port: 8081\ndatabase:\n  url: sqlite:./file.db\n');
    const { config } = loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: '9000', SSPR_DATABASE__URL: 'sqlite:./env.db' } });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.database.url).toBe('sqlite:./env.db');
  });

  it('a misspelt variable is reported as an unknown setting from the environment', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: { SSPR_LISTEN__PROT: '9000' } }));
    expect(problems).toEqual([{ key: 'listen.prot', message: expect.stringMatching(/is not a known setting.*\(from environment\)/) }]);
  });

  it('a wrong value from the environment says so', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: { SSPR_LISTEN__PORT: 'eighty' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.key).toBe('listen.port');
    expect(problems[0]!.message).toContain('(from environment)');
  });

  it('a malformed variable name (empty level, stray underscore) is a problem naming the variable', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: { SSPR_LISTEN____PORT: '1', SSPR_LISTEN__PORT_: '2' } }));
    expect(problems.map((p) => p.key).sort()).toEqual(['SSPR_LISTEN__PORT_', 'SSPR_LISTEN____PORT']);
    for (const p of problems) expect(p.message).toMatch(/not a valid SSPR_ variable name/);
  });
});

describe('validation', () => {
  it('lists every problem at once, each with the key that is wrong', () => {
    writeYaml(
      [
        'publicUrl: not a url',
        'listen:',
        '  port: "eighty"',
        '  prot: 8080',
        'passwords:',
        '  minLength: 64',
        '  maxLength: 32',
        'delivery:',
        '  mode: smtp',
        '',
      ].join('\n'),
    );
    let error: ConfigError | null = null;
    try {
      loadConfig({ cwd: dir, env: {} });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const byKey = new Map(error!.problems.map((p) => [p.key, p.message]));
    expect([...byKey.keys()].sort()).toEqual(['delivery.smtp', 'listen.port', 'listen.prot', 'passwords.minLength', 'publicUrl']);
    expect(byKey.get('listen.port')).toMatch(/expected number/);
    expect(byKey.get('listen.prot')).toMatch(/is not a known setting/);
    expect(byKey.get('publicUrl')).toBe('must be an absolute http:// or https:// URL');
    expect(byKey.get('passwords.minLength')).toBe('must not exceed passwords.maxLength');
    expect(byKey.get('delivery.smtp')).toBe('is required when delivery.mode is smtp');
    // The thrown message itself lists them, one per line, with the file it came from.
    expect(error!.message).toContain(join(dir, 'sspr.yaml'));
    for (const key of byKey.keys()) expect(error!.message).toContain(`  - ${key}: `);
  });

  it('cross-field rules are reported on their own too', () => {
    writeYaml('passwords:\n  minLength: 64\n  maxLength: 32\n');
    expect(problemsOf(() => loadConfig({ cwd: dir, env: {} }))).toEqual([{ key: 'passwords.minLength', message: 'must not exceed passwords.maxLength' }]);
  });

  it('delivery.mode smtp with an smtp block is accepted, with defaults filled in', () => {
    writeYaml('delivery:\n  mode: smtp\n  smtp:\n    host: smtp.example.com\n');
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.delivery.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, requireTls: true });
  });

  it('refuses a secrets.key that is not 32 bytes of base64', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: { SSPR_SECRETS__KEY: Buffer.alloc(16).toString('base64') } }));
    expect(problems).toEqual([{ key: 'secrets.key', message: expect.stringContaining('32 random bytes') }]);
  });

  it('the sync attribute mapping takes LDAP attribute names only, for the fields that can be mapped; the username source is one of three', () => {
    writeYaml('agent:\n  sync:\n    attributes:\n      mobile: "pager)(objectClass=*"\n      objectGUID: cn\nsync:\n  usernameFrom: employeeID\n');
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: {} }));
    const byKey = new Map(problems.map((p) => [p.key, p.message]));
    expect([...byKey.keys()].sort()).toEqual(['agent.sync.attributes.mobile', 'agent.sync.attributes.objectGUID', 'sync.usernameFrom']);
    expect(byKey.get('agent.sync.attributes.mobile')).toMatch(/must be an LDAP attribute name/);
    expect(byKey.get('agent.sync.attributes.objectGUID')).toMatch(/is not a known setting/);
    writeYaml('agent:\n  sync:\n    attributes:\n      mobile: pager\n      telephoneNumber: extensionAttribute3\nsync:\n  usernameFrom: sAMAccountName\n');
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.agent.sync.attributes).toEqual({ mobile: 'pager', telephoneNumber: 'extensionAttribute3' });
    expect(config.sync.usernameFrom).toBe('sAMAccountName');
  });

  it('refuses a database URL of an unknown kind', () => {
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: { SSPR_DATABASE__URL: 'mysql://db/sspr' } }));
    expect(problems.map((p) => p.key)).toEqual(['database.url']);
  });
});

describe('the loaded config', () => {
  it('is frozen all the way down', () => {
    writeYaml('trustedProxies: [10.0.0.1]\n');
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(Object.isFrozen(config.trustedProxies)).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.trustedProxies as string[]).push('10.0.0.2');
    }).toThrow(TypeError);
    expect(config.listen.port).toBe(8080);
  });
});

describe('the sspr.yaml template', () => {
  it('parses and validates, keeping the key it was given and the documented defaults', () => {
    const key = newKeyBase64();
    writeYaml(configTemplate(key));
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.secrets.key).toBe(key);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    // Every setting the template spells out equals the built-in default (besides the key).
    expect({ ...config, secrets: { ...config.secrets, key: undefined } }).toEqual(configSchema.parse({}));
  });

  it('names settings the schema knows: uncommenting the smtp example is valid', () => {
    const text = configTemplate(newKeyBase64())
      .replace('  mode: outbox\n  # mode: smtp\n', '  mode: smtp\n')
      .replace(/^ {2}# (smtp:.*| {2}(?:host|port|secure|requireTls|user|password|from):.*)$/gm, '  $1');
    writeYaml(text);
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.delivery.mode).toBe('smtp');
    expect(config.delivery.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, user: 'sspr@example.com', from: 'Password portal <sspr@example.com>' });
  });
});

describe('fixedSettings', () => {
  it('a stored setting named in the file, or set by an SSPR_* variable, is fixed; a setting outside the stored sections is not', () => {
    writeYaml('fixedSettings: [delivery.smtp, throttling.blockHours]\n');
    const loaded = loadConfig({ cwd: dir, env: { SSPR_SYNC__INTERVAL_MINUTES: '45', SSPR_LISTEN__PORT: '18181' } });
    expect(loaded.config.fixedSettings).toEqual(['delivery.smtp', 'throttling.blockHours', 'sync.intervalMinutes']);
    expect(loaded.config.sync.intervalMinutes).toBe(45);
  });

  it('a path that is no stored setting stops the start, named', () => {
    writeYaml('fixedSettings: [throttling.blockDays, listen.port]\n');
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(problems.map((p) => p.key)).toEqual(['fixedSettings.0', 'fixedSettings.1']);
    expect(problems[0]!.message).toContain('throttling.blockDays is not a setting that can be changed in the console');
  });

  it('of methods, only the codes and the phone region are stored settings: they may be fixed, the policy seeds beside them are not', () => {
    writeYaml('fixedSettings: [methods.codeDigits, sessions.idleMinutes, setup.tokenMinutes]\n');
    expect(loadConfig({ cwd: dir, env: {} }).config.fixedSettings).toEqual(['methods.codeDigits', 'sessions.idleMinutes', 'setup.tokenMinutes']);
    writeYaml('fixedSettings: [methods.available]\n');
    const problems = problemsOf(() => loadConfig({ cwd: dir, env: {} }));
    expect(problems.map((p) => p.key)).toEqual(['fixedSettings.0']);
    expect(problems[0]!.message).toContain('methods.available is not a setting that can be changed in the console (sections: delivery, throttling, signIn, sessions, setup, methods, reset, reminders, sync, writeback)');
    writeYaml('');
    const env = loadConfig({ cwd: dir, env: { SSPR_METHODS__CODE_DIGITS: '6', SSPR_METHODS__REQUIRED: '2' } }).config;
    expect(env.fixedSettings).toEqual(['methods.codeDigits']);
    expect(env.methods).toMatchObject({ codeDigits: 6, required: 2 });
  });
});
