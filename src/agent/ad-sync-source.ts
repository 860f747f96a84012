import type { SyncCursor, SyncPage } from '../agent-protocol/index.js';
import type { SyncSource } from './agent-client.js';
import type { AdSyncReader } from './ad-sync-reader.js';

/** The sync reader as the agent client uses it: AD's answers turned into the protocol's outcomes. */
export function adSyncSource(reader: AdSyncReader, pageSize: number): SyncSource {
  return {
    async full(onPage: (page: SyncPage) => Promise<void>) {
      const r = await reader.full(onPage, pageSize);
      return r.ok ? { ok: true, cursor: r.value } : { ok: false, problem: `${r.reason}${r.detail ? `: ${r.detail}` : ''}` };
    },
    async delta(since: SyncCursor, onPage: (page: SyncPage) => Promise<void>) {
      const r = await reader.delta(since, onPage, pageSize);
      if (!r.ok) return { ok: false, problem: `${r.reason}${r.detail ? `: ${r.detail}` : ''}` };
      return 'fullNeeded' in r.value ? { ok: true, fullNeeded: true } : { ok: true, cursor: r.value.cursor };
    },
  };
}
