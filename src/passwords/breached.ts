import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Breached passwords, checked without the password (or its whole hash) leaving the portal: the
 * SHA-1 of the password is split into its first 5 hex characters (the range) and the other 35
 * (the suffix). Only the range is asked for — from the Pwned Passwords range API
 * (k-anonymity: every range holds hundreds of suffixes) or from a local copy of the range files —
 * and the suffix is looked up in the answer here. With `Add-Padding: true` the API adds decoy
 * suffixes with a count of 0 so the answer's size tells an observer nothing; those are ignored.
 */

export const breachedModes = ['off', 'hibp', 'local'] as const;
export type BreachedMode = (typeof breachedModes)[number];
export const breachedFailureModes = ['open', 'closed'] as const;
export type BreachedFailureMode = (typeof breachedFailureModes)[number];

export const DEFAULT_HIBP_URL = 'https://api.pwnedpasswords.com';

/** What the password rules say about breached passwords (the policy's `passwords.breached`). */
export interface BreachedRules {
  mode: BreachedMode;
  /** Breach count from which a password is refused (1 = any breach). */
  minCount: number;
  /** When the range cannot be had: `open` accepts the password (the failure is counted and logged), `closed` refuses it. */
  failureMode: BreachedFailureMode;
  /** How long the range may take to arrive. */
  timeoutMs: number;
  /** The range API for `hibp`. */
  hibpUrl: string;
  /** For `local`: a folder of `XXXXX.txt` range files, or a self-hosted range API (one of them). */
  localFolder: string | null;
  localUrl: string | null;
}

export type BreachedAnswer = { ok: true; count: number } | { ok: false; problem: string };

/** The SHA-1 of a password as the range API spells it: 40 upper-case hex characters. */
export function sha1Hex(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

/** `SUFFIX:COUNT` lines (CRLF or LF) to a map; padding (count 0) and malformed lines are dropped. */
export function parseRange(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9A-Fa-f]{35}):(\d{1,12})\s*$/.exec(line);
    if (!m) continue;
    const count = Number(m[2]);
    if (count > 0) out.set(m[1]!.toUpperCase(), count);
  }
  return out;
}

interface CacheEntry {
  at: number;
  range: Map<string, number>;
}

export interface BreachedDeps {
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
  /** Ranges kept (each ~800 suffixes, ~40 KB); the oldest goes first. */
  cacheEntries?: number;
  cacheTtlMs?: number;
}

/**
 * Looks up how often a password was seen in breaches. Ranges are cached per source and range
 * (bounded, with a time to live): the same range is not fetched again for every password in it.
 * Never logs: the caller decides what a failure means (`failureMode`) and counts it.
 */
export class BreachedPasswords {
  private readonly cache = new Map<string, CacheEntry>();
  /** Ranges being fetched: parallel checks of passwords in one range share one request. */
  private readonly inFlight = new Map<string, Promise<{ ok: true; range: Map<string, number> } | { ok: false; problem: string }>>();
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly ttlMs: number;

  constructor(deps: BreachedDeps = {}) {
    this.fetchImpl = deps.fetch ?? fetch;
    this.now = deps.now ?? Date.now;
    this.maxEntries = deps.cacheEntries ?? 5000;
    this.ttlMs = deps.cacheTtlMs ?? 60 * 60 * 1000;
  }

  /** How many times the password appeared in breaches (0 = never), or why that could not be told. */
  async count(password: string, rules: BreachedRules): Promise<BreachedAnswer> {
    if (rules.mode === 'off') return { ok: true, count: 0 };
    const hash = sha1Hex(password);
    const prefix = hash.slice(0, 5);
    const suffix = hash.slice(5);
    const range = await this.range(prefix, rules);
    if (!range.ok) return range;
    return { ok: true, count: range.range.get(suffix) ?? 0 };
  }

  private async range(prefix: string, rules: BreachedRules): Promise<{ ok: true; range: Map<string, number> } | { ok: false; problem: string }> {
    const source: { url: string } | { folder: string } | null = rules.mode === 'hibp' ? { url: rules.hibpUrl } : rules.localFolder ? { folder: rules.localFolder } : rules.localUrl ? { url: rules.localUrl } : null;
    if (!source) return { ok: false, problem: 'no local range folder or URL is configured' };
    const key = `${'url' in source ? `url:${source.url}` : `folder:${source.folder}`}|${prefix}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return { ok: true, range: hit.range };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = ('url' in source ? this.fromApi(source.url, prefix, rules.timeoutMs) : fromFolder(source.folder, prefix)).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const fetched = await pending;
    if (!fetched.ok) return fetched;
    this.cache.delete(key);
    this.cache.set(key, { at: this.now(), range: fetched.range });
    while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    return fetched;
  }

  private async fromApi(base: string, prefix: string, timeoutMs: number): Promise<{ ok: true; range: Map<string, number> } | { ok: false; problem: string }> {
    const url = `${base.replace(/\/+$/, '')}/range/${prefix}`;
    try {
      const res = await this.fetchImpl(url, { headers: { 'Add-Padding': 'true', 'User-Agent': 'OpenSSPR' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, problem: `the range API answered HTTP ${res.status}` };
      }
      return { ok: true, range: parseRange(await res.text()) };
    } catch (err) {
      const name = (err as Error).name;
      return { ok: false, problem: name === 'TimeoutError' || name === 'AbortError' ? `the range API did not answer within ${timeoutMs} ms` : `the range API could not be reached (${(err as Error).message})` };
    }
  }
}

/** The downloader's layout: one `XXXXX.txt` per range in the folder (upper-case hex). */
async function fromFolder(folder: string, prefix: string): Promise<{ ok: true; range: Map<string, number> } | { ok: false; problem: string }> {
  try {
    return { ok: true, range: parseRange(await readFile(join(folder, `${prefix}.txt`), 'utf8')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The range itself is not named: it is part of the password's hash.
    return { ok: false, problem: code === 'ENOENT' ? 'a range file is missing from the local folder (is the download complete?)' : `the local range folder cannot be read (${code ?? 'error'})` };
  }
}
