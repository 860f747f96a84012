import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

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
}

const ENV_PREFIX = 'SSPR_';

/**
 * SSPR_DATABASE__URL=... → { database: { url: ... } }. A double underscore nests, a single one
 * separates words (SSPR_PUBLIC_URL → publicUrl). Values are parsed as YAML scalars so that
 * numbers, booleans and lists (`[a, b]`) work the same as in the file.
 */
export function configFromEnv(env: Record<string, string | undefined>): {
  values: Record<string, unknown>;
  problems: ConfigProblem[];
} {
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (name.startsWith('SSPR_TEST_')) continue; // reserved for the test suite
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    // Keys and secrets are strings even when they look like numbers.
    if (typeof value !== 'string' && /key|password|token|url|host|from|name/i.test(path.at(-1) ?? '')) value = raw;
    let node = values;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else {
        const next = node[part];
        if (typeof next !== 'object' || next === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
    }
    if (path.some((p) => p === '')) problems.push({ key: name, message: 'is not a valid SSPR_ variable name' });
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
      return unknownKeys.map((k) => ({
        key: base ? `${base}.${k}` : k,
        message: 'is not a known setting (check the spelling; see README "Configuration")',
      }));
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
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { config: deepFreeze(result.data!), file, baseDir: file ? resolve(file, '..') : cwd };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
