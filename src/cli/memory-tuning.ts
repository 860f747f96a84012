/**
 * Memory settings for the long-running commands (`sspr start`, `sspr agent run`), applied by
 * the launcher (bin/sspr.js) before anything else is loaded: the process replaces itself
 * (`process.execve`, same PID, same standard streams) with the same command plus
 *
 * - `MALLOC_MMAP_THRESHOLD_=4194304`: glibc gives every allocation of 4 MiB and more back to
 *   the system when it is freed. argon2 takes 19 MiB per hash; without this glibc raises its
 *   threshold after the first free and keeps the later buffers in its heap for good (measured in
 *   docs/performance.md: over 100 MiB more after a minute of resets);
 * - `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`: those buffers are asked for as transparent huge
 *   pages, so mapping 19 MiB afresh for each hash costs a few faults, not thousands (measured:
 *   an argon2 hash 34 ms with glibc's defaults, 55–61 ms with the threshold alone, 38–42 ms with
 *   both; glibc before 2.35 ignores the tunable);
 * - `--max-semi-space-size=2` (MiB): V8's young generation stays small; the portal's
 *   short-lived garbage is small, and V8's default grows it to tens of MiB that stay resident.
 *
 * Only on Linux with a Node.js that has `process.execve` (22.15+, 24): on Node 20 the command
 * runs as it is. A setting the operator made is kept: an existing MALLOC_MMAP_THRESHOLD_, a
 * hugetlb entry in GLIBC_TUNABLES (other tunables stay as they are), or a semi-space flag in
 * NODE_OPTIONS or on the command line. `OPENSSPR_MEMORY_TUNED` marks the
 * replaced process (never twice); setting it to anything beforehand turns the tuning off.
 * This file imports nothing: it runs before the rest of the program is loaded.
 */

export const TUNED_MARK = 'OPENSSPR_MEMORY_TUNED';
export const MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024;
export const SEMI_SPACE_MIB = 2;
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

const LONG_RUNNING: ReadonlyArray<readonly string[]> = [['start'], ['agent', 'run']];

interface ProcessLike {
  platform: string;
  execPath: string;
  execArgv: string[];
  env: Record<string, string | undefined>;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/** The command's words before its options, e.g. ['agent', 'run']. */
function commandOf(args: readonly string[]): string[] {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  return words;
}

/** What the process would be replaced with, or null when it runs as it is. */
export function tunedExec(argv: readonly string[], p: ProcessLike): { file: string; args: string[]; env: Record<string, string> } | null {
  if (p.platform !== 'linux' || typeof p.execve !== 'function' || p.env[TUNED_MARK] !== undefined) return null;
  const words = commandOf(argv.slice(2));
  if (!LONG_RUNNING.some((c) => c.every((w, i) => words[i] === w))) return null;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.env)) if (v !== undefined) env[k] = v;
  env[TUNED_MARK] = '1';
  env['MALLOC_MMAP_THRESHOLD_'] ??= String(MMAP_THRESHOLD_BYTES);
  const tunables = env['GLIBC_TUNABLES'];
  if (tunables === undefined || tunables === '') env['GLIBC_TUNABLES'] = HUGE_PAGES_TUNABLE;
  else if (!tunables.includes('glibc.malloc.hugetlb=')) env['GLIBC_TUNABLES'] = `${tunables}:${HUGE_PAGES_TUNABLE}`;
  const semiSpaceSet = [...p.execArgv, ...(p.env['NODE_OPTIONS'] ?? '').split(/\s+/)].some((a) => /^--max-semi-space-size(=|$)/.test(a));
  const nodeFlags = semiSpaceSet ? p.execArgv : [...p.execArgv, `--max-semi-space-size=${SEMI_SPACE_MIB}`];
  return { file: p.execPath, args: [p.execPath, ...nodeFlags, ...argv.slice(1)], env };
}

/** Replaces this process with the tuned one when tunedExec says so; returns only when it does not. */
export function applyMemoryTuning(argv: readonly string[] = process.argv, p: ProcessLike = process as unknown as ProcessLike): void {
  const exec = tunedExec(argv, p);
  if (exec) p.execve!(exec.file, exec.args, exec.env);
}
