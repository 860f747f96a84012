import type { Generated } from 'kysely';
import type { AgentsTable, AgentRegistrationsTable, AgentPresenceTable, WritebackJobsTable, SyncedObjectsTable, SyncRunsTable, SyncStateTable, PasswordRemindersTable } from './schema-agents-sync.js';
export type { AgentsTable, AgentRegistrationsTable, WritebackJobKind, WritebackJobStatus, AgentPresenceTable, WritebackJobsTable, SyncedObjectsTable, SyncRunsTable, SyncStateTable, PasswordRemindersTable } from './schema-agents-sync.js';

/**
 * Row types of the store. Timestamps are integer milliseconds since the epoch (UTC) and flags
 * are 0/1 integers, so SQLite and PostgreSQL hold and return exactly the same values.
 */
export interface UsersTable {
  id: string;
  username: string;
  /** NFKC + lower-case, unique: "Alice" and "alice" are the same account. */
  username_key: string;
  display_name: string;
  email: string | null;
  enabled: number;
  source: 'cloud' | 'onprem';
  /** For hybrid users: the AD objectGUID. */
  anchor: string | null;
  password_hash: string | null;
  password_changed_at: number | null;
  created_at: number;
  updated_at: number;
  security_info_confirmed_at: number | null;
  /** A code of src/i18n/languages.ts, chosen in My account; null: none chosen. */
  language: string | null;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface GroupsTable {
  id: string;
  name: string;
  name_key: string;
  description: string;
  source: 'cloud' | 'onprem';
  anchor: string | null;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  member_type: 'user' | 'group';
  member_id: string;
  added_at: number;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  absolute_expires_at: number;
  ip: string;
  user_agent: string;
  /** Comma-separated list of what proved the user ("password", later "totp", ...). */
  amr: string;
  verified_at: number | null;
}

export interface FlowsTable {
  /** SHA-256 of the flow id the browser holds (never the id itself). */
  id_hash: string;
  kind: string;
  state: string;
  user_id: string | null;
  /** Hash of the browser-binding cookie: a flow only continues in the browser that started it. */
  browser_hash: string;
  data: string;
  version: number;
  created_at: number;
  expires_at: number;
  /** 1 while the flow holds a proof of its user (a password, a passed method): what a password change voids. */
  holds_proof: number;
  /** When a password change (or an unlock) elsewhere ended the flow, and which of the two (`VoidReason`). */
  voided_at: number | null;
  voided_by: string | null;
}

export interface ThrottleTable {
  key: string;
  failures: number;
  lockouts: number;
  locked_until: number;
  window_started_at: number;
  updated_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  event: string;
  outcome: string;
  actor_id: string | null;
  actor_name: string | null;
  target_id: string | null;
  target_name: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  /** 1 for an event an administrator should look at (migration 0012), e.g. a user's "this wasn't me". */
  attention: Generated<number>;
}

export type MethodType = 'email' | 'mobile' | 'office' | 'totp' | 'passkey' | 'recovery_code';

export interface AuthMethodsTable {
  id: string;
  user_id: string;
  type: MethodType;
  label: string;
  secret: string | null;
  lookup_hash: string | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: number;
  transports: string | null;
  last_totp_step: number | null;
  confirmed_at: number | null;
  is_default: number;
  created_at: number;
  last_used_at: number | null;
}

/** One saved recovery code (migration 0011): only its keyed hash; used_at set once, by a compare-and-swap. */
export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** The user's auth_methods row of type recovery_code that holds the set. */
  method_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface SecurityAnswersTable {
  user_id: string;
  question_id: string;
  answer_hash: string;
  created_at: number;
}

export interface VerificationCodesTable {
  id: string;
  user_id: string;
  method_id: string;
  purpose: string;
  code_hash: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface OutboxMessagesTable {
  id: Generated<number>;
  channel: 'email' | 'sms' | 'voice';
  kind: string;
  user_id: string | null;
  /** Sealed: the outbox is readable by administrators in the console, not by whoever copies the database. */
  destination: string;
  subject: string | null;
  body: string;
  created_at: number;
}

export interface DeliveryLogTable {
  id: Generated<number>;
  channel: 'email' | 'sms' | 'voice';
  kind: string;
  user_id: string | null;
  destination_hash: string;
  /** Masked, e.g. "+49 ••• ••78" or "a•••@example.com": enough for an administrator to recognise. */
  destination_hint: string;
  provider: string;
  status: 'sent' | 'failed' | 'rate_limited';
  attempts: number;
  error: string | null;
  created_at: number;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  user_id: string;
  /** argon2id, like users.password_hash. */
  password_hash: string;
  created_at: number;
}

export interface PolicyVersionsTable {
  version: number;
  /** The whole SSPR policy as JSON (src/policy/policy.ts), validated on every read. */
  document: string;
  created_at: number;
  actor_id: string | null;
  actor_name: string | null;
  comment: string | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the token; the token itself is shown once. */
  token_hash: string;
  scope: 'read' | 'write';
  /** The areas the scope applies to, comma-separated (policy,users,…); null: every area. */
  areas: string | null;
  created_by: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface CaptchaSolutionsTable {
  signature_hash: string;
  expires_at: number;
}


/** A "this wasn't me" link (migration 0012): only the keyed hash of its token. */
export interface ReportLinksTable {
  token_hash: string;
  user_id: string;
  /** The audit event the notice reported, e.g. password_reset, method_added. */
  event: string;
  event_at: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A user whose self-service is blocked after they reported "this wasn't me" (migration 0012). */
export interface SelfServiceBlocksTable {
  user_id: string;
  blocked_at: number;
  reported_event: string;
  reported_event_at: number;
}

/** What a helpdesk user may see (migration 0013): a group (nested included) or an AD OU; no rows = every user. */
export interface HelpdeskScopesTable {
  user_id: string;
  kind: 'group' | 'ou';
  /** The group's id, or the OU's DN as the administrator typed it (spaces around separators removed). */
  value: string;
  /** The group while it exists (null after it was deleted: the row then matches nobody). */
  group_id: string | null;
  created_at: number;
}

/**
 * A helpdesk's verification of a caller (migration 0015). `kind`: code (sent to an email or phone),
 * totp (the app's current code), passkey (confirmed in the caller's browser). Before it is verified,
 * expires_at is when the attempt can no longer be answered; after, when the verification stops counting.
 */
export interface CallerVerificationsTable {
  id: string;
  user_id: string;
  /** The console user's id, or `api:<token name>` for the API and CLI. */
  actor_id: string;
  method_id: string;
  kind: 'code' | 'totp' | 'passkey';
  started_at: number;
  verified_at: number | null;
  expires_at: number;
  attempts: number;
  /** Passkeys: the keyed hash of the link's token sent to the caller; null once used. */
  token_hash: string | null;
  /** Passkeys: the challenge the caller's browser signs; null when none is open. */
  challenge: string | null;
}

/** A reset link the helpdesk sent (migration 0014): only the keyed hash of its token. */
export interface ResetLinksTable {
  token_hash: string;
  user_id: string;
  /** The registered method (email or mobile) it was sent to. */
  method_id: string;
  /** Who sent it (the console user's or the API's name). */
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** The helpdesk required the user to register again (migration 0014). */
export interface ReregistrationsTable {
  user_id: string;
  required_at: number;
  required_by: string;
  /** When the next sign-in removed every method (null: not yet signed in since). */
  methods_removed_at: number | null;
}

/** The sealed canary that tells whether the key in use is the store's (migration 0016). */
export interface KeyCanaryTable {
  id: string;
  sealed: string;
  created_at: number;
}

/** The brand, one row per saved version (src/branding/); `document` is its JSON, validated on every read. */
export interface WordingVersionsTable { version: number; document: string; created_at: number; actor_id: string | null; actor_name: string | null }
/** One saved version of one stored settings section (src/settings/); secrets in `document` are sealed. */
export interface SettingsVersionsTable { section: string; version: number; document: string; created_at: number; actor_id: string | null; actor_name: string | null; comment: string | null }
export interface BrandVersionsTable { version: number; document: string; created_at: number; actor_id: string | null; actor_name: string | null }
/** Uploaded logos by the SHA-256 of their bytes (/brand/logo/<sha256>.<ext>); `data` is the bytes in base64. */
export interface BrandAssetsTable { sha256: string; content_type: string; data: string; width: number | null; height: number | null; created_at: number; published_at: number | null }

export interface Database {
  key_canary: KeyCanaryTable;
  brand_versions: BrandVersionsTable;
  wording_versions: WordingVersionsTable;
  settings_versions: SettingsVersionsTable;
  brand_assets: BrandAssetsTable;
  caller_verifications: CallerVerificationsTable;
  reset_links: ResetLinksTable;
  reregistrations: ReregistrationsTable;
  helpdesk_scopes: HelpdeskScopesTable;
  report_links: ReportLinksTable;
  self_service_blocks: SelfServiceBlocksTable;
  synced_objects: SyncedObjectsTable;
  sync_runs: SyncRunsTable;
  sync_state: SyncStateTable;
  password_reminders: PasswordRemindersTable;
  agents: AgentsTable;
  agent_registrations: AgentRegistrationsTable;
  writeback_jobs: WritebackJobsTable;
  agent_presence: AgentPresenceTable;
  policy_versions: PolicyVersionsTable;
  api_tokens: ApiTokensTable;
  captcha_solutions: CaptchaSolutionsTable;
  auth_methods: AuthMethodsTable;
  security_answers: SecurityAnswersTable;
  recovery_codes: RecoveryCodesTable;
  verification_codes: VerificationCodesTable;
  outbox_messages: OutboxMessagesTable;
  delivery_log: DeliveryLogTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  setup_tokens: SetupTokensTable;
  sessions: SessionsTable;
  flows: FlowsTable;
  throttle: ThrottleTable;
  audit_events: AuditEventsTable;
  password_history: PasswordHistoryTable;
}
