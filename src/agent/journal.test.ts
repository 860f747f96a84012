import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, durableDisk, type JournalDisk, type JournalEntry } from './journal.js';

/**
 * The journal's crash guarantee with appends and group commit: a put resolves only once a write
 * holding it is on disk; writes asked for at the same time share one flush; removals ride along
 * later; a write cut short by a crash is dropped on reading, never half-believed.
 */

const dir = mkdtempSync(join(tmpdir(), 'sspr-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real disk, with every durable write counted (which kind, and its text), each one held until released. */
function countingDisk(): JournalDisk & { writes: string[]; kinds: Array<'replace' | 'append'>; hold: boolean; release: () => void } {
  let waiting: Array<() => void> = [];
  const real = durableDisk();
  const disk = {
    writes: [] as string[],
    kinds: [] as Array<'replace' | 'append'>,
    hold: false,
    release: () => {
      const w = waiting;
      waiting = [];
      for (const r of w) r();
    },
    async replace(path: string, text: string) {
      if (disk.hold) await new Promise<void>((r) => waiting.push(r));
      await real.replace(path, text);
      disk.writes.push(text);
      disk.kinds.push('replace');
    },
    async append(path: string, text: string) {
      if (disk.hold) await new Promise<void>((r) => waiting.push(r));
      await real.append(path, text);
      disk.writes.push(text);
      disk.kinds.push('append');
    },
    close: () => real.close(),
  };
  return disk;
}

const entry = (id: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({ id, kind: 'reset', anchor: `anchor-${id}`, claimedAt: 1, ...extra });
/** What an agent starting now would read from the file. */
const onDisk = (path: string) => new Journal(path).all();
const ids = (text: string) => text.trim().split('\n').flatMap((l) => { const x = JSON.parse(l) as { put?: JournalEntry; entries?: JournalEntry[] }; return x.put ? [x.put.id] : (x.entries ?? []).map((e) => e.id); });

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

  it('after the file is made, a claim and its verdict are one append each (one flush, no rename); a job’s whole life reads back', async () => {
    const path = join(dir, 'append.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    await journal.put(entry('first'));
    await journal.put(entry('c'));
    await journal.put(entry('c', { verdict: { ok: true, historyEnforced: true } }));
    expect(disk.kinds).toEqual(['replace', 'append', 'append']);
    expect(onDisk(path)).toEqual([entry('first'), entry('c', { verdict: { ok: true, historyEnforced: true } })]);
    // Opened again (an agent restarted), the file is appended to where it ended.
    await journal.flush();
    const again = countingDisk();
    const restarted = new Journal(path, again);
    await restarted.put(entry('d'));
    expect(again.kinds).toEqual(['append']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['first', 'c', 'd']);
    await restarted.flush();
  });

  it('the file is compacted: past 512 lines one write replaces it with a snapshot of the entries left, which reads back the same', async () => {
    const path = join(dir, 'compact.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    for (let i = 0; i < 300; i++) {
      await journal.put(entry(`k${i}`));
      await journal.put(entry(`k${i}`, { verdict: { ok: true, historyEnforced: false } }));
      if (i !== 299) journal.remove(`k${i}`);
    }
    expect(disk.kinds.filter((k) => k === 'replace').length).toBe(2);
    // 900 lines were written in all; the file holds what came after the snapshot.
    expect(readFileSync(path, 'utf8').trim().split('\n').length).toBeLessThan(512);
    expect(onDisk(path)).toEqual([entry('k299', { verdict: { ok: true, historyEnforced: false } })]);
    await journal.flush();
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
    expect(ids(disk.writes[0]!)).toEqual(['j0']);
    expect(ids(disk.writes[1]!)).toEqual(['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['j0', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7']);
  });

  it('a verdict put after a claim waits for a write that holds the verdict, never an older one', async () => {
    const path = join(dir, 'verdict.json');
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    disk.hold = true;
    const claim = journal.put(entry('v'));
    await new Promise((r) => setTimeout(r, 10));
    let verdictDone = false;
    const verdict = journal.put(entry('v', { verdict: { ok: true, historyEnforced: false } })).then(() => (verdictDone = true));
    disk.release();
    await claim;
    // The claim's write is done; the verdict's is held.
    await new Promise((r) => setTimeout(r, 10));
    expect(verdictDone).toBe(false);
    disk.hold = false;
    disk.release();
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
    expect(disk.writes).toHaveLength(2);
    expect(onDisk(path).map((e) => e.id)).toEqual(['r2']);
    journal.remove('r2');
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

  it('a write that fails rejects the put (the job must not go on), and the next write replaces the file with every entry', async () => {
    const path = join(dir, 'fail.json');
    let fail = false;
    const real = durableDisk();
    const kinds: string[] = [];
    const journal = new Journal(path, {
      replace: (p, text) => (kinds.push('replace'), fail ? Promise.reject(new Error('disk full')) : real.replace(p, text)),
      append: (p, text) => (kinds.push('append'), fail ? Promise.reject(new Error('disk full')) : real.append(p, text)),
      close: () => real.close(),
    });
    await journal.put(entry('w'));
    fail = true;
    await expect(journal.put(entry('x'))).rejects.toThrow('disk full');
    fail = false;
    await journal.put(entry('y'));
    expect(kinds).toEqual(['replace', 'append', 'replace']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['w', 'x', 'y']);
    await journal.flush();
  });

  it('a last line cut short by a crash is dropped (its put never resolved) and the next write replaces the file; a damaged line before the last refuses to start, in words', async () => {
    const path = join(dir, 'torn.json');
    const journal = new Journal(path);
    await journal.put(entry('t1'));
    await journal.put(entry('t2'));
    await journal.flush();
    appendFileSync(path, '{"put":{"id":"t3","kind":"res');
    const disk = countingDisk();
    const reopened = new Journal(path, disk);
    expect(reopened.all().map((e) => e.id)).toEqual(['t1', 't2']);
    await reopened.put(entry('t4'));
    expect(disk.kinds).toEqual(['replace']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['t1', 't2', 't4']);
    await reopened.flush();

    const damaged = join(dir, 'damaged.json');
    writeFileSync(damaged, `${JSON.stringify({ put: entry('ok') })}\nnot json at all\n${JSON.stringify({ put: entry('later') })}\n`);
    expect(() => new Journal(damaged)).toThrow(/journal .*damaged\.json is damaged at line 2; keep a copy/);
  });

  it('a journal written by an older agent (one JSON object, no newline) is read, and the next write turns it into lines', async () => {
    const path = join(dir, 'older.json');
    writeFileSync(path, JSON.stringify({ entries: [entry('o1', { verdict: { ok: true, historyEnforced: true } })] }));
    const disk = countingDisk();
    const journal = new Journal(path, disk);
    expect(journal.get('o1')?.verdict).toEqual({ ok: true, historyEnforced: true });
    await journal.put(entry('o2'));
    expect(disk.kinds).toEqual(['replace']);
    await journal.put(entry('o3'));
    expect(disk.kinds).toEqual(['replace', 'append']);
    expect(onDisk(path).map((e) => e.id)).toEqual(['o1', 'o2', 'o3']);
    await journal.flush();
  });

  it('without a file (tests, the in-process adapter) nothing is written', async () => {
    const journal = new Journal(null);
    await journal.put(entry('n'));
    journal.remove('n');
    await journal.flush();
    expect(journal.all()).toEqual([]);
  });
});
