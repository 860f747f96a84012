import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc } from '../../test/helpers/samba-dc.js';
import { AdBulk } from '../../test/helpers/ad-bulk.js';
import { createTestPortal, type TestPortal } from '../../test/helpers/test-portal.js';
import { adConnector, adOptions } from '../../test/helpers/ad-connector.js';
import { inProcessAgents } from '../../test/helpers/agents-in-process.js';
import { AdExecutor } from '../agent/ad-executor.js';
import { AdSyncReader, type SyncScope } from '../agent/ad-sync-reader.js';
import { startServer, type RunningServer } from '../server.js';

/**
 * The sync scope set in the portal (Settings › Directory sync), end to end: a real Samba AD DC, an
 * agent whose own configuration allows two OUs, the portal narrowing it to one OU or a filter.
 * A new scope is a full import (who left it is disabled); a scope beyond the agent's is refused.
 */

let dc: SambaDc;
let bulk: AdBulk;
let tp: TestPortal;
let server: RunningServer;
let dir: string;
let staffOu: string;
let salesOu: string;
let outsideOu: string;
const agents = inProcessAgents(() => ({ tp, server, dir }));
const actor = { id: null, name: 'test' };

const enabled = async () => (await tp.store.db.selectFrom('users').select('username').where('source', '=', 'onprem').where('enabled', '=', 1).orderBy('username').execute()).map((u) => u.username.split('@')[0]);
const scope = async (settings: { baseDns?: string[]; userFilter?: string }) => expect(await tp.portal.settings.update(actor, 'sync', settings, { mode: 'merge' })).toMatchObject({ ok: true });
const run = async () => {
  const r = await tp.portal.syncCoordinator.run('manual');
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sspr-sync-scope-'));
  dc = await startSambaDc();
  bulk = await AdBulk.open(dc);
  staffOu = await bulk.addOu(dc.baseDn, 'Staff');
  salesOu = await bulk.addOu(dc.baseDn, 'Sales');
  outsideOu = await bulk.addOu(dc.baseDn, 'Outside');
  await bulk.addUsers([
    { parentDn: staffOu, name: 'staff1', displayName: 'Staff One' },
    { parentDn: staffOu, name: 'staff2', displayName: 'Staff Two', mail: 'staff2@corp.example.test' },
    { parentDn: salesOu, name: 'sales1', displayName: 'Sales One' },
    { parentDn: outsideOu, name: 'outsider1' },
  ]);
  tp = await createTestPortal({ config: { listen: { host: '127.0.0.1', port: 0 }, sync: { intervalMinutes: 0 } } });
  server = await startServer(tp.portal);
  // The agent's own configuration: Staff and Sales, its ceiling.
  const own: SyncScope = { baseDns: [staffOu, salesOu] };
  const executor = new AdExecutor(adConnector(dc), new AdSyncReader(adOptions(dc), own), 200, adOptions(dc), { own, reader: (s) => new AdSyncReader(adOptions(dc), s) });
  await agents.run(await agents.register('scope-agent'), executor);
}, 240_000);

afterAll(async () => {
  await agents.stop();
  await bulk?.close();
  await server?.stop(1000);
  await tp?.cleanup().catch(() => undefined);
  await dc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the sync scope set in the portal (real Samba DC)', { timeout: 120_000 }, () => {
  it('without one the agent reads its own scope; then a delta', async () => {
    expect(await run()).toMatchObject({ kind: 'full', status: 'done' });
    expect(await enabled()).toEqual(['sales1', 'staff1', 'staff2']);
    expect(await run()).toMatchObject({ kind: 'delta', status: 'done' });
  });

  it('one OU within the agent\'s: a full import, whoever is outside it is disabled; the same scope again is a delta', async () => {
    await scope({ baseDns: [salesOu.toUpperCase()] });
    expect(await run()).toMatchObject({ kind: 'full', status: 'done', disabled: 2 });
    expect(await enabled()).toEqual(['sales1']);
    expect(await run()).toMatchObject({ kind: 'delta', status: 'done' });
  });

  it('a user filter applies on top of the agent\'s scope', async () => {
    await scope({ baseDns: [], userFilter: '(mail=staff2@corp.example.test)' });
    expect(await run()).toMatchObject({ kind: 'full', status: 'done' });
    expect(await enabled()).toEqual(['staff2']);
  });

  it('an OU outside the agent\'s scope is refused in words by the agent, and nobody changes', async () => {
    await scope({ baseDns: [outsideOu], userFilter: '' });
    const refused = await run();
    expect(refused.status).toBe('failed');
    expect(refused.problems.join(' ')).toContain(`the sync scope set in the portal names ${outsideOu}, outside what this agent may read`);
    expect(await enabled()).toEqual(['staff2']);
  });

  it('back to the agent\'s own scope: a full import brings everyone in it back', async () => {
    await scope({ baseDns: [], userFilter: '' });
    expect(await run()).toMatchObject({ kind: 'full', status: 'done' });
    expect(await enabled()).toEqual(['sales1', 'staff1', 'staff2']);
  });
});
