import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JobKind, JobVerdict } from '../agent-protocol/index.js';

/** One job the agent claimed: written before AD is touched, completed with AD's verdict, removed once the portal acknowledged it. */
export interface JournalEntry {
  id: string;
  kind: JobKind;
  anchor: string;
  claimedAt: number;
  /** For a must_change job: the value asked for. */
  mustChange?: boolean;
  verdict?: JobVerdict;
}

/** How the journal reaches the disk; a test counts the flushes or fails them. */
export interface JournalDisk {
  /** Replaces the file at `path` with `text`, atomically and durably: resolves only once both are on disk. */
  replace(path: string, text: string): Promise<void>;
}

/**
 * Write to a temporary file, fsync it, rename it over the journal, fsync the directory: after a
 * power cut the journal is the old or the new one, never half, and once this resolves the new
 * one survives it.
 */
export const durableDisk: JournalDisk = {
  async replace(path, text) {
    const tmp = `${path}.tmp`;
    // The folder is made when it is missing, not asked for on every write.
    const file = await open(tmp, 'w', 0o600).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true });
      return open(tmp, 'w', 0o600);
    });
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } catch {
      // Some file systems cannot fsync a directory; the file itself is on disk.
    } finally {
      await dir.close();
    }
  },
};

/** How long a removal may wait for a write that carries it anyway. */
const REMOVAL_DELAY_MS = 250;

/**
 * The agent's memory of claimed jobs, in a small JSON file replaced atomically. It never holds a
 * password: only the job id, kind, user anchor and AD's verdict. After a crash the agent reads it
 * back: finished jobs are reported again; jobs claimed but without a verdict are reconciled by
 * looking at AD (src/agent/agent-client.ts), never guessed.
 *
 * The two promises it keeps — a claim is on disk before AD is touched, AD's answer is on disk
 * before it is sent — are kept by `put` resolving only once a write that contains the entry is
 * durable; the caller waits for it. Fewer flushes, the same promises:
 * - group commit: a put made while a write is under way waits for the NEXT write, which starts
 *   when that one is done and carries every put made meanwhile (one pair of fsyncs for all the
 *   jobs claimed or answered at the same moment). A write is a snapshot of the whole journal
 *   taken when it starts, so it holds every entry put before it started: a put's promise never
 *   resolves on a write older than the put.
 * - removals wait: `remove` (the portal acknowledged a verdict) goes to disk with the next write,
 *   or after REMOVAL_DELAY_MS. Losing one in a crash is harmless: the entry comes back with its
 *   verdict, is reported again and acknowledged again — the same as an acknowledgement lost on
 *   the network, which the portal already answers without applying anything.
 * - writes are asynchronous, so the agent goes on with other jobs while the disk flushes.
 */
export class Journal {
  private entries = new Map<string, JournalEntry>();
  /** The write under way (or the last one). */
  private writing: Promise<void> = Promise.resolve();
  /** The write that will start when the current one is done: every change made now goes in it. */
  private queued: Promise<void> | null = null;
  private changes = 0;
  private written = 0;
  private removalTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string | null,
    private readonly disk: JournalDisk = durableDisk,
  ) {
    if (path && existsSync(path)) {
      const data = JSON.parse(readFileSync(path, 'utf8')) as { entries?: JournalEntry[] };
      for (const e of data.entries ?? []) this.entries.set(e.id, e);
    }
  }

  get(id: string): JournalEntry | undefined {
    return this.entries.get(id);
  }

  all(): JournalEntry[] {
    return [...this.entries.values()];
  }

  /** Resolves once the entry is on disk; rejects when it could not be written (then nothing may go on as if it were). */
  put(entry: JournalEntry): Promise<void> {
    this.entries.set(entry.id, entry);
    this.changes += 1;
    return this.commit();
  }

  remove(id: string): void {
    if (!this.entries.delete(id)) return;
    this.changes += 1;
    if (!this.path || this.removalTimer !== null) return;
    this.removalTimer = setTimeout(() => {
      this.removalTimer = null;
      // Already carried by a put's write meanwhile: nothing to do.
      if (this.written < this.changes) this.commit().catch(() => undefined);
    }, REMOVAL_DELAY_MS);
    this.removalTimer.unref?.();
  }

  /** Writes what is not on disk yet (at shutdown: the removals still waiting). */
  async flush(): Promise<void> {
    if (this.removalTimer !== null) clearTimeout(this.removalTimer);
    this.removalTimer = null;
    if (this.path && this.written < this.changes) await this.commit();
    else await this.writing.catch(() => undefined);
  }

  private commit(): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    if (this.queued !== null) return this.queued;
    const next = this.writing
      .catch(() => undefined)
      .then(() => {
        // From here on, changes wait for the write after this one.
        this.queued = null;
        const upTo = this.changes;
        return this.disk.replace(path, JSON.stringify({ entries: this.all() })).then(() => {
          this.written = Math.max(this.written, upTo);
        });
      });
    this.queued = next;
    this.writing = next;
    return next;
  }
}
