import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc } from './samba-dc.js';

/** The throw-away DC helper itself: a DC's files kept at stop start another DC with the same directory (for benchmarks). */

const started: SambaDc[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const dc of started.splice(0)) await dc.stop();
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

async function findUser(dc: SambaDc, name: string): Promise<string[]> {
  const client = new Client({ url: dc.url, timeout: 10_000, tlsOptions: { ca: [dc.caCertPem], servername: dc.tlsServerName } });
  try {
    await client.bind(dc.adminDn, dc.adminPassword);
    const { searchEntries } = await client.search(dc.baseDn, { scope: 'sub', filter: `(sAMAccountName=${name})`, attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
    return searchEntries.map((e) => e.dn);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('Samba DC test helper', () => {
  it('a DC stopped with keepIn starts again from its files, with its users, on its own address; the kept folder is not changed', async () => {
    const first = await startSambaDc();
    const user = await first.addUser('kept.user', 'Kept-Passw0rd-1!');
    const keep = mkdtempSync(join(tmpdir(), 'openssspr-kept-dc-'));
    folders.push(keep);
    await first.stop({ keepIn: keep });
    await expect(startSambaDc({ from: join(keep, 'nothing-here') })).rejects.toThrow(/no Samba DC files/);

    const second = await startSambaDc({ from: keep });
    started.push(second);
    expect(second.dir).not.toBe(keep);
    expect(await findUser(second, 'kept.user')).toEqual([user.dn]);
    await second.addUser('only.in.second', 'Kept-Passw0rd-2!');
    const third = await startSambaDc({ from: keep });
    started.push(third);
    expect(third.host).not.toBe(second.host);
    expect(await findUser(third, 'kept.user')).toEqual([user.dn]);
    expect(await findUser(third, 'only.in.second')).toEqual([]);
  });
});
