/** Row types of the agents, writeback jobs, AD sync and reminders (part of the store's schema, src/store/schema.ts). */
export interface AgentsTable {
  id: string;
  name: string;
  /** Ed25519 public key (SPKI DER, base64url): checks the agent's answer to the connection challenge. */
  signing_key: string;
  /** X25519 public key (SPKI DER, base64url): new passwords are sealed to it. */
  sealing_key: string;
  version: string | null;
  domain: string | null;
  /** JSON of src/ad/domain-policy.ts PasswordPolicy, as the agent last reported it. */
  domain_policy: string | null;
  /** JSON: the agent's rights check (src/ad/rights/report.ts RightsReport), as it last sent it. */
  rights_report: string | null;
  registered_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
}

export interface AgentRegistrationsTable {
  token_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  agent_id: string | null;
}

export type WritebackJobKind = 'reset' | 'change' | 'unlock' | 'must_change' | 'bind' | 'policy' | 'read_account' | 'check';
export type WritebackJobStatus = 'pending' | 'taken' | 'applied' | 'failed' | 'expired';

/** Which portal instance holds an agent's live connection (migration 0009). */
export interface AgentPresenceTable {
  agent_id: string;
  instance_id: string;
  connected_at: number;
  seen_at: number;
}

export interface WritebackJobsTable {
  id: string;
  kind: WritebackJobKind;
  user_id: string;
  status: WritebackJobStatus;
  agent_id: string | null;
  created_at: number;
  expires_at: number;
  taken_at: number | null;
  finished_at: number | null;
  /** AD's verdict in our words (src/ad/verdicts.ts), e.g. applied, too_short, protected_account. */
  verdict: string | null;
  detail: string | null;
}

export interface SyncedObjectsTable {
  anchor: string;
  kind: 'user' | 'group';
  local_id: string;
  dn: string;
  /** Lower-case DN, for resolving group members. */
  dn_key: string;
  /** JSON: the synced attributes that are not columns of users/groups. */
  attributes: string;
  /** JSON array of member DNs (groups). */
  member_dns: string | null;
  /** JSON { email?: { id, value }, mobile?: { id, value } }: methods created from AD's contact info. */
  ad_methods: string | null;
  password_expires_at: number | null;
  last_run_id: string | null;
  gone_at: number | null;
  gone_reason: string | null;
  updated_at: number;
}

export interface SyncRunsTable {
  id: string;
  kind: 'full' | 'delta';
  trigger: 'schedule' | 'manual' | 'cli' | 'api';
  agent_id: string | null;
  status: 'running' | 'done' | 'failed';
  started_at: number;
  finished_at: number | null;
  added: number;
  updated: number;
  disabled: number;
  errors: number;
  /** JSON: conflicts and errors (never secrets). */
  details: string;
}

export interface SyncStateTable {
  id: string;
  invocation_id: string | null;
  usn: string | null;
  dc: string | null;
  updated_at: number | null;
  lease_holder: string | null;
  lease_until: number | null;
  requested_at: number | null;
  requested_full: number | null;
  /** The sync scope the cursor was read under (a hash); null: the agent's own scope. */
  scope_key: string | null;
}

export interface PasswordRemindersTable {
  user_id: string;
  expires_at: number;
  threshold: number;
  sent_at: number;
}
