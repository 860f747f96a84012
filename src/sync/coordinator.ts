import type { Logger } from '../logging/logger.js';
import type { AgentHub } from '../writeback/agent-hub.js';
import { fail, ok, type Result } from '../shared/result.js';
import { createHash } from 'node:crypto';
import type { SyncScopeRequest } from '../agent-protocol/index.js';
import type { SyncRun, SyncService } from './sync-service.js';

/** The scope's key as the sync state keeps it; null: the agent's own scope (nothing set in the portal). */
export function scopeKeyOf(scope: SyncScopeRequest): string | null {
  if (scope.baseDns.length === 0 && scope.userFilter === '') return null;
  return createHash('sha256').update(JSON.stringify({ baseDns: scope.baseDns.map((d) => d.toLowerCase()), userFilter: scope.userFilter })).digest('hex');
}

/** Why a run did not start: no agent is connected, or another instance holds the lease. */
export const SYNC_START_REFUSALS = ['no_agent', 'busy'] as const;
export type SyncStartRefusal = (typeof SYNC_START_REFUSALS)[number];

/**
 * Runs a sync: takes the lease (one instance at a time), asks a connected agent for a delta
 * from the stored cursor (or a full import when there is none, or when asked), applies each page
 * as it arrives, one at a time and in order (the agent reads the next page from AD while the
 * portal applies one, and never has more than two unacknowledged, so memory stays bounded), and
 * completes the run. A delta the agent turned into a full import (the DC
 * changed) is completed as a full import, so users no longer in AD are disabled.
 */
export class SyncCoordinator {
  constructor(
    private readonly d: {
      sync: SyncService;
      hub: AgentHub;
      logger: Logger;
      instanceId: string;
      leaseMs?: number;
      /** The scope set in the portal (Settings › Directory sync), read at each run. */
      scope?(): SyncScopeRequest;
    },
  ) {}

  async run(trigger: SyncRun['trigger'], options: { full?: boolean } = {}): Promise<Result<SyncRun, SyncStartRefusal>> {
    const { d } = this;
    const agent = d.hub.pickAgent();
    if (!agent) return fail('no_agent');
    if (!(await d.sync.acquireLease(d.instanceId, d.leaseMs ?? 30 * 60_000))) return fail('busy');
    try {
      const cursor = await d.sync.cursor();
      const scope = d.scope?.() ?? { baseDns: [], userFilter: '' };
      const scopeKey = scopeKeyOf(scope);
      // A delta continues the scope its cursor was read under; under another scope, only a full import knows who left it.
      const mode = options.full || !cursor || (await d.sync.scopeKey()) !== scopeKey ? 'full' : 'delta';
      let runId = await d.sync.startRun(mode, trigger, agent.id);
      const done = new Promise<SyncRun>((resolve, reject) => {
        // Completing or failing the run must settle it whatever goes wrong, or run() would never return.
        const settle = async (work: () => Promise<SyncRun>) => {
          try {
            resolve(await work());
          } catch (err) {
            d.logger.warn({ err, run: runId }, 'sync: completing the run failed');
            try {
              await d.sync.failRun(runId, `the portal could not complete the run: ${String((err as Error).message ?? err)}`);
              resolve((await d.sync.run(runId))!);
            } catch (again) {
              reject(again as Error);
            }
          }
        };
        const failRun = (problem: string) =>
          settle(async () => {
            await d.sync.failRun(runId, problem);
            return (await d.sync.run(runId))!;
          });
        const started = d.hub.startSync(agent.id, runId, mode, mode === 'delta' ? cursor : null, {
          page: (page) => d.sync.applyPage(runId, page),
          end: (reported, next) =>
            settle(async () => {
              if (reported === 'full' && mode === 'delta') runId = await d.sync.markFull(runId);
              return d.sync.finishRun(runId, { full: reported === 'full', cursor: next, scopeKey });
            }),
          failed: failRun,
        }, scopeKey === null ? null : scope);
        if (!started) void failRun('the agent disconnected before the sync started');
      });
      const run = await done;
      if (run.status === 'failed') d.logger.warn({ run: run.id, problems: run.problems }, 'sync failed');
      return ok(run);
    } finally {
      await d.sync.releaseLease(d.instanceId);
    }
  }
}
