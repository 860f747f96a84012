import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rangeDataset, rangeFolder, sha1, startRangeServer, type RangeServer } from '../../test/helpers/pwned-ranges.js';
import { BreachedPasswords, parseRange, type BreachedRules } from './breached.js';
import { checkPassword, type PasswordContext } from './check.js';

const LEAKED = 'Tr0ub4dor&3-leaked';
const ONCE = 'only-once-Zq8#mW2';
const FRESH = 'never-seen-Zq8#mW2!vR5';
const dataset = rangeDataset({ [LEAKED]: 3_861_493, [ONCE]: 1 });

const base: BreachedRules = { mode: 'hibp', minCount: 1, failureMode: 'open', timeoutMs: 2000, hibpUrl: '', localFolder: null, localUrl: null };
const rules: PasswordContext = { minLength: 8, maxLength: 256, minScore: 0, checkCommon: false };

let server: RangeServer;
let folder: { dir: string; cleanup(): void };
beforeAll(async () => {
  server = await startRangeServer(dataset);
  folder = rangeFolder(dataset);
});
afterAll(async () => {
  await server.close();
  folder.cleanup();
});
beforeEach(() => {
  server.requests.length = 0;
  server.behave({});
});

const hibp = (over: Partial<BreachedRules> = {}): BreachedRules => ({ ...base, hibpUrl: server.url, ...over });

describe('range API (k-anonymity)', () => {
  it('sends only the first 5 hex characters of the SHA-1, asks for padding, and finds the count in the range', async () => {
    const lookup = new BreachedPasswords();
    expect(await lookup.count(LEAKED, hibp())).toEqual({ ok: true, count: 3_861_493 });
    expect(await lookup.count(FRESH, hibp())).toEqual({ ok: true, count: 0 });
    expect(server.requests.map((r) => r.path)).toEqual([`/range/${sha1(LEAKED).slice(0, 5)}`, `/range/${sha1(FRESH).slice(0, 5)}`]);
    for (const r of server.requests) {
      expect(r.headers['add-padding']).toBe('true');
      // Nothing but the range reaches the server: not the password, not the rest of its hash.
      const sent = JSON.stringify(r);
      for (const pw of [LEAKED, FRESH]) {
        expect(sent).not.toContain(pw);
        expect(sent.toUpperCase()).not.toContain(sha1(pw).slice(5, 15));
      }
    }
  });

  it('ignores padding lines (count 0), even for a suffix that matches', () => {
    const suffix = sha1(FRESH).slice(5);
    expect(parseRange(`${suffix}:0\r\nABC:12\r\n${'F'.repeat(35)}:7\n`)).toEqual(new Map([['F'.repeat(35), 7]]));
  });

  it('keeps a range it fetched: the same range is not asked for again until the cache expires', async () => {
    let now = 0;
    const lookup = new BreachedPasswords({ now: () => now, cacheTtlMs: 60_000 });
    await lookup.count(LEAKED, hibp());
    await lookup.count(LEAKED, hibp());
    expect(server.requests).toHaveLength(1);
    now = 60_001;
    await lookup.count(LEAKED, hibp());
    expect(server.requests).toHaveLength(2);
  });

  it('parallel checks of passwords in one range share one request', async () => {
    server.behave({ delayMs: 100 });
    const lookup = new BreachedPasswords();
    const answers = await Promise.all(Array.from({ length: 10 }, () => lookup.count(LEAKED, hibp())));
    expect(answers.every((a) => a.ok && a.count === 3_861_493)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('keeps at most the configured number of ranges, dropping the oldest', async () => {
    const lookup = new BreachedPasswords({ cacheEntries: 1 });
    await lookup.count(LEAKED, hibp());
    await lookup.count(FRESH, hibp());
    await lookup.count(LEAKED, hibp());
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after the timeout and says so, without the password or its hash', async () => {
    server.behave({ delayMs: 1500 });
    const started = Date.now();
    const answer = await new BreachedPasswords().count(LEAKED, hibp({ timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(1400);
    expect(answer).toEqual({ ok: false, problem: 'the range API did not answer within 300 ms' });
  });

  it('reports an error status as a failure, not as "never breached"', async () => {
    server.behave({ status: 503 });
    expect(await new BreachedPasswords().count(LEAKED, hibp())).toEqual({ ok: false, problem: 'the range API answered HTTP 503' });
  });
});

describe('local copy', () => {
  it('reads the range file of the downloader layout (XXXXX.txt, CRLF lines)', async () => {
    const lookup = new BreachedPasswords();
    const local = { ...base, mode: 'local' as const, localFolder: folder.dir };
    expect(await lookup.count(LEAKED, local)).toEqual({ ok: true, count: 3_861_493 });
    expect(await lookup.count(ONCE, local)).toEqual({ ok: true, count: 1 });
  });

  it('calls a missing range file a failure (an incomplete download), not "never breached"', async () => {
    const answer = await new BreachedPasswords().count(FRESH, { ...base, mode: 'local', localFolder: folder.dir });
    expect(answer).toEqual({ ok: false, problem: 'a range file is missing from the local folder (is the download complete?)' });
  });

  it('uses a self-hosted range API the same way', async () => {
    expect(await new BreachedPasswords().count(LEAKED, { ...base, mode: 'local', localUrl: server.url })).toEqual({ ok: true, count: 3_861_493 });
    expect(server.requests[0]!.path).toBe(`/range/${sha1(LEAKED).slice(0, 5)}`);
  });
});

describe('the verdict', () => {
  const lookup = new BreachedPasswords();
  const withBreached = (over: Partial<BreachedRules>, onFailure?: (problem: string) => void): PasswordContext => ({ ...rules, breached: { rules: hibp(over), lookup, onFailure } });

  it('refuses a breached password with how often it appeared', async () => {
    const v = await checkPassword(LEAKED, withBreached({}));
    expect(v).toMatchObject({ ok: false, breachCount: 3_861_493, reasons: [{ key: 'v.password.breached', values: { count: '3,861,493' } }] });
    expect(await checkPassword(ONCE, withBreached({}))).toMatchObject({ ok: false, reasons: [{ key: 'v.password.breachedOnce' }] });
    expect(await checkPassword(FRESH, withBreached({}))).toMatchObject({ ok: true, breachCount: 0, reasons: [] });
  });

  it('accepts a password seen fewer times than the minimum breach count', async () => {
    expect(await checkPassword(ONCE, withBreached({ minCount: 2 }))).toMatchObject({ ok: true, breachCount: 1 });
    expect(await checkPassword(LEAKED, withBreached({ minCount: 3_861_493 }))).toMatchObject({ ok: false });
  });

  it('failure mode open: a check that cannot be done accepts the password and tells the caller why', async () => {
    server.behave({ status: 500 });
    const problems: string[] = [];
    const v = await checkPassword('another-one-Zq8#mW2!', withBreached({ failureMode: 'open' }, (p) => problems.push(p)));
    expect(v).toMatchObject({ ok: true, reasons: [], breachCount: null });
    expect(problems).toEqual(['the range API answered HTTP 500']);
  });

  it('failure mode closed: a check that cannot be done refuses the password with "try again"', async () => {
    server.behave({ delayMs: 1000 });
    const problems: string[] = [];
    const v = await checkPassword('yet-another-Zq8#mW2!', withBreached({ failureMode: 'closed', timeoutMs: 200 }, (p) => problems.push(p)));
    expect(v).toMatchObject({ ok: false, reasons: [{ key: 'v.password.breachedUnknown' }] });
    expect(problems).toEqual(['the range API did not answer within 200 ms']);
  });

  it('mode off asks nothing', async () => {
    expect(await checkPassword(LEAKED, withBreached({ mode: 'off' }))).toMatchObject({ ok: true });
    expect(server.requests).toHaveLength(0);
  });

  it('does not look a password up when the local rules already stop at its length', async () => {
    expect(await checkPassword('x'.repeat(300), withBreached({}))).toMatchObject({ ok: false, reasons: [{ key: 'v.password.tooLong' }] });
    expect(server.requests).toHaveLength(0);
  });
});
