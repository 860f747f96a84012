import type { SyncCursor, SyncPage } from '../agent-protocol/index.js';
import { fail, ok } from '../shared/result.js';
import type { SyncSource } from './agent-client.js';
import type { AdSyncReader } from './ad-sync-reader.js';

/** The sync reader as the agent client uses it: AD's answers turned into the protocol's outcomes. */
export function adSyncSource(reader: AdSyncReader, pageSize: number): SyncSource {
  return {
    async full(onPage: (page: SyncPage) => Promise<void>) {
      const r = await reader.full(onPage, pageSize);
      return r.ok ? ok({ cursor: r.value }) : fail('ad_failed', { problem: `${r.reason}${r.detail ? `: ${r.detail}` : ''}` });
    },
    async delta(since: SyncCursor, onPage: (page: SyncPage) => Promise<void>) {
      const r = await reader.delta(since, onPage, pageSize);
      if (!r.ok) return fail('ad_failed', { problem: `${r.reason}${r.detail ? `: ${r.detail}` : ''}` });
      return 'fullNeeded' in r.value ? ok({ fullNeeded: true as const }) : ok({ cursor: r.value.cursor });
    },
  };
}
