import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
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

/**
 * The agent's memory of claimed jobs, in a small JSON file replaced atomically (write, then
 * rename). It never holds a password: only the job id, kind, user anchor and AD's verdict. After
 * a crash the agent reads it back: finished jobs are reported again; jobs claimed but without a
 * verdict are reconciled by looking at AD (src/agent/agent-client.ts), never guessed.
 */
export class Journal {
  private entries = new Map<string, JournalEntry>();

  constructor(private readonly path: string | null) {
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

  put(entry: JournalEntry): void {
    this.entries.set(entry.id, entry);
    this.save();
  }

  remove(id: string): void {
    if (this.entries.delete(id)) this.save();
  }

  private save(): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    // Flushed to disk before the rename: after a power cut the journal is the old or the new one, never half.
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ entries: this.all() }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const dir = openSync(dirname(this.path), 'r');
    try {
      fsyncSync(dir);
    } catch {
      // Some file systems cannot fsync a directory; the file itself is on disk.
    } finally {
      closeSync(dir);
    }
  }
}
