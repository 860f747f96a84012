import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { isStoredPath, shapeOf, storedSectionNames, unwrap, type AnySchema } from './stored-sections.js';

export interface ConfigProblem {
  key: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`Configuration (${source}) is not valid:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path to sspr.yaml; when absent, ./sspr.yaml is used if it exists, otherwise defaults only. */
  path?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** The file read, if any. */
  file: string | null;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Where publicUrl, listen.port and secrets.key came from: the file, an SSPR_* variable, or the default. */
  sources: { publicUrl: SettingSource; listenPort: SettingSource; secretsKey: SettingSource };
}

export type SettingSource = 'file' | 'env' | 'default';

const ENV_PREFIX = 'SSPR_';

// One level of a variable name: words of letters and digits joined by single underscores.
const ENV_SEGMENT = /^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/;

/**
 * SSPR_DATABASE__URL=... → { database: { url: ... } }. A double underscore nests; each level is
 * matched against the schema's keys ignoring case and underscores, so SSPR_PUBLIC_URL → publicUrl
 * and SSPR_PASSWORD_HASHING__MEMORY_KIB → passwordHashing.memoryKiB. A level that matches no
 * key keeps its camelCase spelling so that validation reports it as an unknown setting.
 * Values are parsed as YAML scalars so that numbers, booleans and lists (`[a, b]`) work the
 * same as in the file, except for string settings (keys, passwords, names), which are taken verbatim.
 */
export function configFromEnv(
  env: Record<string, string | undefined>,
  schema: AnySchema = configSchema,
): {
  values: Record<string, unknown>;
  problems: ConfigProblem[];
} {
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (name.startsWith('SSPR_TEST_')) continue; // reserved for the test suite
    const segments = name.slice(ENV_PREFIX.length).split('__');
    if (!segments.every((seg) => ENV_SEGMENT.test(seg))) {
      problems.push({ key: name, message: 'is not a valid SSPR_ variable name (words joined by "_", levels by "__")' });
      continue;
    }
    const path: string[] = [];
    let node: AnySchema | null = schema;
    for (const seg of segments) {
      const shape = shapeOf(node);
      const wanted = seg.replace(/_/g, '').toLowerCase();
      const key = shape ? Object.keys(shape).find((k) => k.toLowerCase() === wanted) : undefined;
      path.push(key ?? seg.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
      node = key && shape ? (shape[key] ?? null) : null;
    }
    let value: unknown;
    if (node && (unwrap(node)._zod.def as { type: string }).type === 'string') value = raw;
    else {
      try {
        value = raw === '' ? '' : parseYaml(raw);
      } catch {
        value = raw;
      }
    }
    let target = values;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) target[part] = value;
      else {
        const next = target[part];
        if (typeof next !== 'object' || next === null) target[part] = {};
        target = target[part] as Record<string, unknown>;
      }
    }
  }
  return { values, problems };
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)) {
      out[k] = deepMerge(b as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

export function formatIssues(issues: z.core.$ZodIssue[], envKeys: Set<string>): ConfigProblem[] {
  return issues.flatMap((issue) => {
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : null;
    const base = issue.path.map(String).join('.');
    if (unknownKeys) {
      return unknownKeys.map((k) => {
        const key = base ? `${base}.${k}` : k;
        const fromEnv = [...envKeys].some((e) => e === key || e.startsWith(`${key}.`)) ? ' (from environment)' : '';
        return { key, message: `is not a known setting (check the spelling; see README "Configuration")${fromEnv}` };
      });
    }
    const key = base || '(root)';
    const fromEnv = envKeys.has(key) ? ' (from environment)' : '';
    return [{ key, message: `${issue.message}${fromEnv}` }];
  });
}

function flattenKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? flattenKeys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

/** Reads sspr.yaml and SSPR_* variables, validates once, and returns a frozen config or throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? {};
  let file: string | null = null;
  let fromFile: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];

  const candidate = options.path ? resolve(cwd, options.path) : resolve(cwd, 'sspr.yaml');
  if (options.path && !existsSync(candidate)) {
    throw new ConfigError(candidate, [{ key: '--config', message: `file not found: ${candidate}` }]);
  }
  if (existsSync(candidate)) {
    file = candidate;
    try {
      const parsed: unknown = parseYaml(readFileSync(candidate, 'utf8'));
      if (parsed === null || parsed === undefined) fromFile = {};
      else if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push({ key: '(root)', message: 'the file must contain a YAML mapping of settings' });
      } else fromFile = parsed as Record<string, unknown>;
    } catch (err) {
      const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
      throw new ConfigError(candidate, [{ key: '(file)', message: `is not valid YAML${where}: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }

  const fromEnv = configFromEnv(env);
  problems.push(...fromEnv.problems);
  const merged = deepMerge(fromFile, fromEnv.values);
  const result = configSchema.safeParse(merged);
  const source = [file ?? 'defaults', Object.keys(fromEnv.values).length ? 'SSPR_* environment' : null].filter(Boolean).join(' + ');
  if (!result.success) problems.push(...formatIssues(result.error.issues, new Set(flattenKeys(fromEnv.values))));
  const fixedInFile = result.success ? result.data.fixedSettings : [];
  for (const [i, path] of fixedInFile.entries()) {
    if (!isStoredPath(path)) problems.push({ key: `fixedSettings.${i}`, message: `${path} is not a setting that can be changed in the console (sections: ${storedSectionNames.join(', ')})` });
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  // A value an SSPR_* variable sets is fixed too: the console shows it and cannot change it.
  const fixedByEnv = flattenKeys(fromEnv.values).filter((k) => isStoredPath(k));
  const fixedSettings = [...new Set([...fixedInFile, ...fixedByEnv])];
  const sourceOf = (top: string, sub?: string): SettingSource => {
    const has = (o: Record<string, unknown>) => {
      const v = o[top];
      if (sub === undefined) return v !== undefined;
      return !!v && typeof v === 'object' && (v as Record<string, unknown>)[sub] !== undefined;
    };
    return has(fromEnv.values) ? 'env' : has(fromFile) ? 'file' : 'default';
  };
  return {
    config: deepFreeze({ ...result.data!, fixedSettings }),
    file,
    baseDir: file ? resolve(file, '..') : cwd,
    sources: { publicUrl: sourceOf('publicUrl'), listenPort: sourceOf('listen', 'port'), secretsKey: sourceOf('secrets', 'key') },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
