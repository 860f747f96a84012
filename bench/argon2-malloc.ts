/**
 * What glibc's malloc settings cost and save for argon2 (the portal's password hash): `npx tsx bench/argon2-malloc.ts`.
 *
 *   --hashes <n>   hashes per run, one at a time (default 40)
 *   --rounds <n>   runs of each setting, alternating (default 3)
 *
 * Each run is its own `node` child process (the settings are read when a process starts), which
 * hashes with the portal's default parameters (argon2id, 19,456 KiB, 2 iterations, 1 lane) after
 * 5 unmeasured hashes, and reports the median time per hash and its VmRSS at the end. Settings:
 *
 *   default        glibc's own (its mmap threshold rises after the first 19 MiB buffer is freed:
 *                  later buffers stay in the libuv threads' arenas, resident)
 *   threshold      MALLOC_MMAP_THRESHOLD_=4194304 (every buffer mapped and given back)
 *   threshold+thp  the same and GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (mapped as transparent huge
 *                  pages): what `sspr start` sets (src/cli/memory-tuning.ts)
 *
 * Ratios are against `default` of the same round. Figures compare on one machine; never assert on
 * them in tests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { intOptions, median, ms, printHeader, runBench, table, versions } from './lib.js';

const opts = intOptions('bench/argon2-malloc.ts', { hashes: [40, 5, 1000], rounds: [3, 1, 20] });

const CHILD = `
import argon2 from 'argon2';
import { readFileSync } from 'node:fs';
const o = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
for (let i = 0; i < 5; i++) await argon2.hash('warm-up ' + i, o);
const times = [];
for (let i = 0; i < ${opts.hashes}; i++) { const t = performance.now(); await argon2.hash('password ' + i, o); times.push(performance.now() - t); }
const rss = Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
console.log(JSON.stringify({ times, rss }));
`;

const SETTINGS: Array<[string, Record<string, string>]> = [
  ['default', {}],
  ['threshold', { MALLOC_MMAP_THRESHOLD_: '4194304' }],
  ['threshold+thp', { MALLOC_MMAP_THRESHOLD_: '4194304', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }],
];

function run(env: Record<string, string>): { p50: number; rss: number } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !k.startsWith('MALLOC_') && k !== 'GLIBC_TUNABLES')) as Record<string, string>;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...base, ...env }, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`the hashing child failed: ${r.stderr}`);
  const { times, rss } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { times: number[]; rss: number };
  return { p50: median(times), rss };
}

async function main(): Promise<void> {
  printHeader('argon2 and glibc malloc settings', ['src', 'package.json']);
  const thp = (() => {
    try {
      return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();
  console.log(`${versions(['argon2'])}; transparent huge pages: ${thp}; ${opts.hashes} hashes per run, ${opts.rounds} round(s)\n`);
  const rows: string[][] = [];
  const ratios = new Map<string, number[]>();
  for (let round = 1; round <= opts.rounds; round++) {
    const results = SETTINGS.map(([label, env]) => [label, run(env)] as const);
    const base = results[0]![1];
    for (const [label, r] of results) {
      ratios.set(label, [...(ratios.get(label) ?? []), r.p50 / base.p50]);
      rows.push([String(round), label, ms(r.p50), `${(r.p50 / base.p50).toFixed(2)}x`, r.rss.toFixed(0)]);
    }
  }
  console.log(table(['round', 'setting', 'hash p50 ms', 'vs default', 'RSS MiB at the end'], rows, 2));
  console.log(`\nMedian over rounds, time per hash vs default: ${[...ratios].map(([l, v]) => `${l} ${median(v).toFixed(2)}x`).join(', ')}.`);
}

await runBench(main);
