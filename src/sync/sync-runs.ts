/** A sync run as the console and the coordinator see it (a row of sync_runs). */

export interface SyncConflict {
  anchor: string;
  name: string;
  reason: 'username_taken_by_cloud_user' | 'username_taken_by_other_ad_user' | 'group_name_taken';
}

export interface SyncRun {
  id: string;
  kind: 'full' | 'delta';
  trigger: 'schedule' | 'manual' | 'cli' | 'api';
  agentId: string | null;
  status: 'running' | 'done' | 'failed';
  startedAt: number;
  finishedAt: number | null;
  added: number;
  updated: number;
  disabled: number;
  errors: number;
  conflicts: SyncConflict[];
  problems: string[];
}

/** A sync_runs row as a SyncRun. */
export function toRun(r: { id: string; kind: 'full' | 'delta'; trigger: SyncRun['trigger']; agent_id: string | null; status: SyncRun['status']; started_at: number; finished_at: number | null; added: number; updated: number; disabled: number; errors: number; details: string }): SyncRun {
  const details = JSON.parse(r.details) as { conflicts: SyncConflict[]; problems: string[] };
  return { id: r.id, kind: r.kind, trigger: r.trigger, agentId: r.agent_id, status: r.status, startedAt: Number(r.started_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at), added: Number(r.added), updated: Number(r.updated), disabled: Number(r.disabled), errors: Number(r.errors), conflicts: details.conflicts, problems: details.problems };
}
