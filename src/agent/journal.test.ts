import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, durableDisk, type JournalDisk, type JournalEntry } from './journal.js';

/**
 * The journal's crash guarantee with group commit: a put resolves only once a write holding it
 * is on disk; writes asked for at the same time share one flush; removals ride along later.
 */

const dir = mkdtempSync(join(tmpdir(), 'sspr-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real disk, with every durable replace counted and its text kept, each one held until released. */
function countingDisk(): JournalDisk & { writes: string[]; hold: boolean; release: () => void } {
  let waiting: Array<() => void> = [];
  const disk = {
    writes: [] as string[],
    hold: false,
    release: () => {
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
    async replace(path: string, text: string) {
      if (disk.hold) await new Promise<void>((r) => waiting.push(r));
      await durableDisk.replace(path, text);
      disk.writes.push(text);
    },
  };
  return disk;
}

const entry = (id: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({ id, kind: 'reset', anchor: `anchor-${id}`, claimedAt: 1, ...extra });
const onDisk = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { entries: JournalEntry[] }).entries;

describe('the journal', () => {
  it('a claim is on disk (the file re-read) when put resolves, and a journal opened after a crash has it', async () => {
    const path = join(dir, 'claim.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    await journal.put(entry('a'));
    expect(disk.writes).toHaveLength(1);
    expect(onDisk(path)).toEqual([entry('a')]);
    expect(new Journal(path).get('a')).toEqual(entry('a'));
  });

  it('put does not resolve before its write is durable', async () => {
    const path = join(dir, 'held.json');
    const disk = countingDisk();
    disk.hold = true;
    const journal = new Journal(path, disk);
    let done = false;
    const put = journal.put(entry('a')).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    disk.release();
    await put;
    expect(done).toBe(true);
    expect(onDisk(path).map((e) => e.id)).toEqual(['a']);
  });

  it('group commit: puts made while a write is under way share the next write, which holds every one of them', async () => {
    const path = join(dir, 'group.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    disk.hold = true;
    const first = journal.put(entry('j0'));
    // While j0's write waits for the disk, seven more jobs are claimed.
    await new Promise((r) => setTimeout(r, 10));
    const more = Array.from({ length: 7 }, (_, i) => journal.put(entry(`j${i + 1}`)));
    disk.hold = false;
    disk.release();
    await Promise.all([first, ...more]);
    expect(disk.writes).toHaveLength(2);
    expect((JSON.parse(disk.writes[0]!) as { entries: JournalEntry[] }).entries.map((e) => e.id)).toEqual(['j0']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7']);
  });

  it('a verdict put after a claim waits for a write that holds the verdict, never an older one', async () => {
    const path = join(dir, 'verdict.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    disk.hold = true;
    const claim = journal.put(entry('v'));
    await new Promise((r) => setTimeout(r, 10));
    const verdict = journal.put(entry('v', { verdict: { ok: true, historyEnforced: false } }));
    disk.hold = false;
    disk.release();
    await claim;
    await verdict;
    expect(onDisk(path)).toEqual([entry('v', { verdict: { ok: true, historyEnforced: false } })]);
  });

  it('a removal goes to disk with the next put, or on its own shortly after; lost in a crash, the entry comes back with its verdict', async () => {
    const path = join(dir, 'remove.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    await journal.put(entry('r1', { verdict: { ok: true, historyEnforced: false } }));
    journal.remove('r1');
    // A crash now: the acknowledged entry is still there, with its verdict, to be reported again.
    expect(new Journal(path).get('r1')?.verdict).toEqual({ ok: true, historyEnforced: false });
    await journal.put(entry('r2'));
    expect(onDisk(path).map((e) => e.id)).toEqual(['r2']);
    journal.remove('r2');
    // The third write is counted once it is durable (after the rename the file already reads empty).
    await expect.poll(() => disk.writes.length, { timeout: 2000 }).toBe(3);
    expect(onDisk(path)).toEqual([]);
  });

  it('flush writes the removals still waiting', async () => {
    const path = join(dir, 'flush.json');
    const journal = new Journal(path);
    await journal.put(entry('f'));
    journal.remove('f');
    await journal.flush();
    expect(onDisk(path)).toEqual([]);
  });

  it('a write that fails rejects the put (the job must not go on), and the next write succeeds', async () => {
    const path = join(dir, 'fail.json');
    let fail = true;
    const journal = new Journal(path, {
      replace: (p, text) => (fail ? Promise.reject(new Error('disk full')) : durableDisk.replace(p, text)),
    });
    await expect(journal.put(entry('x'))).rejects.toThrow('disk full');
    fail = false;
    await journal.put(entry('y'));
    expect(onDisk(path).map((e) => e.id)).toEqual(['x', 'y']);
  });

  it('without a file (tests, the in-process adapter) nothing is written', async () => {
    const journal = new Journal(null);
    await journal.put(entry('n'));
    journal.remove('n');
    await journal.flush();
    expect(journal.all()).toEqual([]);
  });
});
