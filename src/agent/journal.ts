import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
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
  /** Replaces the file at `path` with `text`, atomically and durably: resolves only once both are on disk (creation, compaction). */
  replace(path: string, text: string): Promise<void>;
  /** Adds `text` at the end of the file at `path` (made by `replace`) and resolves only once it is on disk. */
  append(path: string, text: string): Promise<void>;
  /** Lets go of the open file (at shutdown); the next append opens it again. */
  close(): Promise<void>;
}

/**
 * The real disk, one per journal. `replace`: write to a temporary file, fsync it, rename it over
 * the journal, fsync the directory — after a power cut the journal is the old or the new one,
 * never half, and once this resolves the new one survives it. `append`: one write to the file
 * kept open, then fdatasync (the data and the new length) — a third of a replace's cost, and the
 * only flush a job's claim or verdict waits for. An append cut short by a crash leaves a last
 * line without its newline, which the reader drops: the put it carried never resolved.
 */
export function durableDisk(): JournalDisk {
  let file: { path: string; handle: FileHandle } | null = null;
  const release = async () => {
    const open = file;
    file = null;
    await open?.handle.close().catch(() => undefined);
  };
  return {
    async replace(path, text) {
      // The open handle would write to the file this one replaces.
      await release();
      const tmp = `${path}.tmp`;
      // The folder is made when it is missing, not asked for on every write.
      const out = await open(tmp, 'w', 0o600).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(dirname(path), { recursive: true });
        return open(tmp, 'w', 0o600);
      });
      try {
        await out.writeFile(text);
        await out.sync();
      } finally {
        await out.close();
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
    async append(path, text) {
      if (file?.path !== path) {
        await release();
        file = { path, handle: await open(path, 'a', 0o600) };
      }
      try {
        await file.handle.appendFile(text);
        await file.handle.datasync();
      } catch (err) {
        await release();
        throw err;
      }
    },
    close: release,
  };
}

/** The journal's lines: a snapshot of every entry (the first line; the whole file of older agents), then each put and removal since. */
type JournalLine = { entries: JournalEntry[] } | { put: JournalEntry } | { remove: string };

/** The entries a journal file holds, and whether it ends cleanly (else the first write replaces it). */
function readJournal(path: string): { entries: Map<string, JournalEntry>; lines: number; clean: boolean } {
  const text = readFileSync(path, 'utf8');
  const entries = new Map<string, JournalEntry>();
  const rows = text.split('\n');
  let lines = 0;
  for (const [i, row] of rows.entries()) {
    if (row.trim() === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(row) as JournalLine;
    } catch {
      // The last line, cut short by a crash while it was written: its put never resolved.
      if (i === rows.length - 1) return { entries, lines, clean: false };
      throw new Error(`the agent's journal ${path} is damaged at line ${i + 1}; keep a copy for the portal's administrators (it names the jobs in flight), then move it away to start afresh`);
    }
    lines += 1;
    if ('entries' in line) {
      entries.clear();
      for (const e of line.entries) entries.set(e.id, e);
    } else if ('put' in line) entries.set(line.put.id, line.put);
    else entries.delete(line.remove);
  }
  return { entries, lines, clean: text.endsWith('\n') };
}

/** How long a removal may wait for a write that carries it anyway. */
const REMOVAL_DELAY_MS = 250;

/** Lines the file may grow to before a write replaces it with one snapshot (at least; more while many jobs are in flight). */
const COMPACT_LINES = 512;

/**
 * The agent's memory of claimed jobs, in a small file of JSON lines. It never holds a password:
 * only the job id, kind, user anchor and AD's verdict. After a crash the agent reads it back:
 * finished jobs are reported again; jobs claimed but without a verdict are reconciled by
 * looking at AD (src/agent/agent-client.ts), never guessed.
 *
 * The two promises it keeps — a claim is on disk before AD is touched, AD's answer is on disk
 * before it is sent — are kept by `put` resolving only once a write that contains the entry is
 * durable; the caller waits for it. Fewer flushes, the same promises:
 * - appends: a write adds one line per put or removal made since the last write and flushes
 *   it (fdatasync); every COMPACT_LINES lines, and after a failed or cut-short write, the write
 *   instead replaces the file with one snapshot of every entry (atomically: durableDisk);
 * - group commit: a put made while a write is under way waits for the NEXT write, which starts
 *   when that one is done and carries every put made meanwhile (one flush for all the jobs
 *   claimed or answered at the same moment). A put's promise never resolves on a write that
 *   started before the put;
 * - removals wait: `remove` (the portal acknowledged a verdict) goes to disk with the next write,
 *   or after REMOVAL_DELAY_MS. Losing one in a crash is harmless: the entry comes back with its
 *   verdict, is reported again and acknowledged again — the same as an acknowledgement lost on
 *   the network, which the portal already answers without applying anything;
 * - writes are asynchronous, so the agent goes on with other jobs while the disk flushes.
 */
export class Journal {
  private entries = new Map<string, JournalEntry>();
  /** The write under way (or the last one). */
  private writing: Promise<void> = Promise.resolve();
  /** The write that will start when the current one is done: every change made now goes in it. */
  private queued: Promise<void> | null = null;
  /** Lines for the next append: the puts and removals made since the last write started. */
  private pending: string[] = [];
  /** Lines in the file now; a missing, damaged or cut-short file is replaced by the first write. */
  private lines = 0;
  private replaceNext = true;
  private changes = 0;
  private written = 0;
  private removalTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string | null,
    private readonly disk: JournalDisk = durableDisk(),
  ) {
    if (path && existsSync(path)) {
      const read = readJournal(path);
      this.entries = read.entries;
      this.lines = read.lines;
      this.replaceNext = !read.clean;
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
    this.pending.push(JSON.stringify({ put: entry } satisfies JournalLine));
    this.changes += 1;
    return this.commit();
  }

  remove(id: string): void {
    if (!this.entries.delete(id)) return;
    this.pending.push(JSON.stringify({ remove: id } satisfies JournalLine));
    this.changes += 1;
    if (!this.path || this.removalTimer !== null) return;
    this.removalTimer = setTimeout(() => {
      this.removalTimer = null;
      // Already carried by a put's write meanwhile: nothing to do.
      if (this.written < this.changes) this.commit().catch(() => undefined);
    }, REMOVAL_DELAY_MS);
    this.removalTimer.unref?.();
  }

  /** Writes what is not on disk yet (at shutdown: the removals still waiting) and lets go of the file. */
  async flush(): Promise<void> {
    if (this.removalTimer !== null) clearTimeout(this.removalTimer);
    this.removalTimer = null;
    if (this.path && this.written < this.changes) await this.commit();
    else await this.writing.catch(() => undefined);
    await this.disk.close();
  }

  private commit(): Promise<void> {
    const path = this.path;
    if (!path) {
      this.pending = [];
      return Promise.resolve();
    }
    if (this.queued !== null) return this.queued;
    const next = this.writing
      .catch(() => undefined)
      .then(async () => {
        // From here on, changes wait for the write after this one.
        this.queued = null;
        const upTo = this.changes;
        const lines = this.pending;
        this.pending = [];
        try {
          if (this.replaceNext || this.lines + lines.length > Math.max(COMPACT_LINES, 4 * this.entries.size)) {
            await this.disk.replace(path, `${JSON.stringify({ entries: this.all() } satisfies JournalLine)}\n`);
            this.lines = 1;
            this.replaceNext = false;
          } else {
            await this.disk.append(path, `${lines.join('\n')}\n`);
            this.lines += lines.length;
          }
        } catch (err) {
          // Whatever reached the file, the next write replaces it with every entry (these lines' among them).
          this.replaceNext = true;
          throw err;
        }
        this.written = Math.max(this.written, upTo);
      });
    this.queued = next;
    this.writing = next;
    return next;
  }
}
