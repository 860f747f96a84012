import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small Pwned Passwords dataset made by the test itself (never the network): the ranges of the
 * given passwords, each with the listed counts plus unrelated suffixes, so a lookup must pick its
 * own suffix out of a range as it would from the real one. Served as range files in a folder (the
 * downloader's layout: `XXXXX.txt`, lines `SUFFIX:COUNT`, CRLF) and by a loopback range API that
 * records every request and adds padding lines (count 0) when asked with `Add-Padding: true`.
 */

export function sha1(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
}

export type RangeDataset = Map<string, Map<string, number>>;

/** Ranges holding each password (SHA-1 suffix → count) and 20 unrelated suffixes each. */
export function rangeDataset(breached: Record<string, number>): RangeDataset {
  const ranges: RangeDataset = new Map();
  for (const [password, count] of Object.entries(breached)) {
    const hash = sha1(password);
    const range = ranges.get(hash.slice(0, 5)) ?? new Map<string, number>();
    range.set(hash.slice(5), count);
    for (let i = 0; i < 20; i++) range.set(randomBytes(18).toString('hex').toUpperCase().slice(0, 35), 1 + i * 7);
    ranges.set(hash.slice(0, 5), range);
  }
  return ranges;
}

function rangeText(range: Map<string, number> | undefined, padding: number): string {
  const lines = [...(range ?? new Map<string, number>())].map(([suffix, count]) => `${suffix}:${count}`);
  for (let i = 0; i < padding; i++) lines.push(`${randomBytes(18).toString('hex').toUpperCase().slice(0, 35)}:0`);
  return lines.sort().join('\r\n');
}

/** The dataset as a folder of range files (only the ranges it has: a full download has all 16^5). */
export function rangeFolder(dataset: RangeDataset): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sspr-pwned-'));
  mkdirSync(dir, { recursive: true });
  for (const [prefix, range] of dataset) writeFileSync(join(dir, `${prefix}.txt`), rangeText(range, 0));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RangeRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface RangeServer {
  url: string;
  requests: RangeRequest[];
  /** What the next answers do: serve the range, answer with this status, or wait this long first. */
  behave(next: { status?: number; delayMs?: number }): void;
  close(): Promise<void>;
}

/** The range API on loopback: `GET /range/{5 hex}`; any range it does not have is answered with padding only. */
export async function startRangeServer(dataset: RangeDataset): Promise<RangeServer> {
  const requests: RangeRequest[] = [];
  let behaviour: { status?: number; delayMs?: number } = {};
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    const { status, delayMs } = behaviour;
    const answer = () => {
      if (res.destroyed) return;
      const m = /^\/range\/([0-9A-Fa-f]{5})$/.exec(req.url ?? '');
      if (status || !m) {
        res.writeHead(status ?? 400, { 'content-type': 'text/plain' }).end('no');
        return;
      }
      const padded = req.headers['add-padding'] === 'true';
      res.writeHead(200, { 'content-type': 'text/plain' }).end(rangeText(dataset.get(m[1]!.toUpperCase()), padded ? 200 : 0));
    };
    if (delayMs) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave(next) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
