import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { estimateStrength, isCommonPassword, type Estimate } from './estimate.js';

/**
 * zxcvbn off the event loop. A check costs milliseconds of CPU (tens on long symbol-heavy input)
 * and loading the dictionaries a few hundred, so the portal asks a small pool of worker threads:
 * a request being checked never holds up the others, and the dictionaries are loaded once per
 * worker when the pool starts — the first check after start costs what the hundredth does, and the
 * main thread never loads its own copy (one set of dictionaries in memory per worker, not two).
 *
 * One pool per process (sharedStrengthPool): every portal built in it — a test file builds many —
 * asks the same workers, so the dictionaries are in memory once per worker whatever the number of
 * portals. A worker is unref()'d while it has nothing to answer, so an idle pool never keeps a
 * process (a CLI command, a test) alive; close() ends the threads now (the server's stop), and a
 * later question starts them again. A worker that dies fails the questions it held and is
 * replaced on the next question.
 */

export interface StrengthResult {
  estimate: Estimate;
  /** One of the most common passwords (the common-password list, lower-cased). */
  common: boolean;
}

/** Where the rules get the strength estimate: the pool, or this thread for tests and benchmarks. */
export interface StrengthEstimator {
  estimate(password: string, userInputs: readonly string[]): Promise<StrengthResult>;
}

export const inThreadEstimator: StrengthEstimator = {
  estimate: (password, userInputs) => Promise.resolve({ estimate: estimateStrength(password, userInputs), common: isCommonPassword(password) }),
};

export interface StrengthQuestion {
  id: number;
  password: string;
  userInputs: readonly string[];
}

export type StrengthAnswer = { id: number; ok: true; estimate: Estimate; common: boolean } | { id: number; ok: false; error: string };

interface Pending {
  resolve(result: StrengthResult): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

/**
 * The worker next to this file: strength-worker.js when running from dist/; from src/ (under tsx
 * or vitest) the .ts source, loaded after registering tsx's hooks in the worker (Node 20 does not
 * run an `--import` given in a worker's execArgv before its entry module).
 */
function spawnWorker(): Worker {
  // A small young generation: loading the dictionaries makes tens of MiB of short-lived garbage,
  // and with V8's default the worker keeps that much more resident for good (measured: about
  // 35 MiB less RSS with 4 MiB, the estimate no slower).
  const resourceLimits = { maxYoungGenerationSizeMb: 4 };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./strength-worker.js', import.meta.url), { resourceLimits });
  const source = new URL('./strength-worker.ts', import.meta.url).href;
  // tsx's ESM API (its "import" export; require.resolve would give the CommonJS one).
  const tsx = new URL('dist/esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'))).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, { eval: true, resourceLimits });
}

export class StrengthPool implements StrengthEstimator {
  private readonly threads: Array<Thread | null>;
  private nextId = 1;
  private turn = 0;

  /** `size` worker threads (1–4; on a 2-core machine 1 leaves a core to the event loop and argon2). */
  constructor(size = 1) {
    if (!Number.isInteger(size) || size < 1 || size > 4) throw new Error('the strength pool has 1–4 workers');
    this.threads = Array.from({ length: size }, () => null);
  }

  /** Starts every worker and resolves once each has loaded its dictionaries. */
  async start(): Promise<void> {
    await Promise.all(this.threads.map((_, i) => this.thread(i).ready));
  }

  async estimate(password: string, userInputs: readonly string[]): Promise<StrengthResult> {
    const t = this.thread(this.pick());
    const id = this.nextId++;
    const answer = new Promise<StrengthResult>((resolve, reject) => t.pending.set(id, { resolve, reject }));
    // Busy: a question in flight keeps the process alive until it is answered.
    if (t.pending.size === 1) t.worker.ref();
    t.worker.postMessage({ id, password, userInputs: [...userInputs] } satisfies StrengthQuestion);
    return answer;
  }

  /** Ends the threads; questions still open are failed. */
  async close(): Promise<void> {
    const ending = this.threads.map((t, i) => {
      this.threads[i] = null;
      if (!t) return Promise.resolve();
      this.fail(t, new Error('the strength pool was closed'));
      return t.worker.terminate().then(() => undefined);
    });
    await Promise.all(ending);
  }

  /** The worker with the fewest open questions (round robin among equals). */
  private pick(): number {
    let best = this.turn++ % this.threads.length;
    for (let i = 0; i < this.threads.length; i++) {
      if ((this.threads[i]?.pending.size ?? 0) < (this.threads[best]?.pending.size ?? 0)) best = i;
    }
    return best;
  }

  private thread(i: number): Thread {
    const existing = this.threads[i];
    if (existing) return existing;
    const worker = spawnWorker();
    worker.unref();
    const t: Thread = { worker, pending: new Map(), ready: Promise.resolve() };
    t.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: StrengthAnswer | { ready: number }) => {
        if ('ready' in m) return resolve();
        const p = t.pending.get(m.id);
        if (!p) return;
        t.pending.delete(m.id);
        if (t.pending.size === 0) worker.unref();
        if (m.ok) p.resolve({ estimate: m.estimate, common: m.common });
        else p.reject(new Error(`password strength check failed: ${m.error}`));
      });
      const gone = (err: Error) => {
        if (this.threads[i] === t) this.threads[i] = null;
        reject(err);
        this.fail(t, err);
      };
      worker.on('error', gone);
      worker.on('exit', (code) => gone(new Error(`the password strength worker stopped (exit code ${code})`)));
    });
    // Nobody may be waiting for readiness (the first question is queued behind it anyway).
    t.ready.catch(() => undefined);
    this.threads[i] = t;
    return t;
  }

  private fail(t: Thread, err: Error): void {
    for (const p of t.pending.values()) p.reject(err);
    t.pending.clear();
  }
}

let shared: StrengthPool | null = null;

/** The process's pool (one worker), created on first use; its threads start on start() or the first question. */
export function sharedStrengthPool(): StrengthPool {
  shared ??= new StrengthPool(1);
  return shared;
}
