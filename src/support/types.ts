import type { MethodType } from '../store/schema.js';
import type { User } from '../directory/users.js';
import type { SelfServiceBlock } from '../directory/self-service-blocks.js';

/**
 * The support desk's shared vocabulary: what a helpdesk user (role `password_administrator`) or an
 * administrator sees on one user's support page, and the actions they may take. The read model
 * (support-reader.ts), the actions (support-actions.ts), caller verification (verification.ts),
 * the page, the JSON API and the CLI all speak these types, so each is written once.
 */

/** One registered method as the helpdesk sees it: never a full address or number, never a secret. */
export interface MaskedMethod {
  /** auth_methods.id; `questions` for the security questions (one entry when registered). */
  id: string;
  type: MethodType | 'questions';
  /** Masked: `a•••@example.com`, `+49 •••• ••78`; a passkey's own name; "Authenticator app"; … */
  masked: string;
  registeredAt: number | null;
  lastUsedAt: number | null;
  isDefault: boolean;
  /** A code can be sent to it (email, mobile, office phone): offered for "send a reset link" and verification. */
  canReceive: boolean;
  /** Recovery codes only: how many are left of how many. */
  recoveryCodes?: { left: number; total: number };
}

/** The user's self-service state: wrong answers counted and the block they lead to. */
export interface SelfServiceState {
  /** Self-service blocked by wrong codes/answers until then (null: not blocked). */
  blockedUntil: number | null;
  /** Why it is blocked: wrong codes or answers, or too many codes sent by email or to a phone (null: not blocked). */
  blockedBy?: 'wrong_codes' | 'email_sends' | 'phone_checks' | null;
  /** Wrong codes, answers and passkey assertions counted towards the block. */
  failedAttempts: number;
  /** How many wrong answers block self-service. */
  threshold: number;
  /** Emails with a code in the current window, and texts/calls/app checks (the counters towards the send limits). */
  codesSent: { email: number; phone: number };
  /** Codes the delivery log shows sent to the user in the last hour, by email and by text or call (rate-limited ones left out). */
  codesLastHour: { email: number; phone: number };
  /** Self-service turned off by the user's "this wasn't me" (only an administrator or the helpdesk lifts it). */
  notMe: SelfServiceBlock | null;
}

export interface SignInState {
  lockedUntil: number | null;
  failures: number;
}

export interface SessionSummary {
  createdAt: number;
  lastSeenAt: number;
  ip: string;
  userAgent: string;
}

/** A hybrid user's account in AD, read live through the agent. */
export interface AdAccountState {
  enabled: boolean;
  lockedOut: boolean;
  /** When AD locked the account (lockoutTime), null when not locked. */
  lockedAt: number | null;
  passwordLastSet: number | null;
  /** msDS-UserPasswordExpiryTimeComputed; null: never expires. */
  passwordExpiresAt: number | null;
  mustChangeAtNextLogon: boolean;
  /** adminCount=1 or a member of a protected group: the agent will not write to it. */
  protectedAccount: boolean;
}

export type AdAccountRead = { ok: true; state: AdAccountState; readAt: number } | { ok: false; reason: string };

export interface SupportEvent {
  at: number;
  event: string;
  outcome: string;
  actorName: string | null;
  /** Null for the portal's own actors (setup, the command line, the demo data). */
  actorId: string | null;
  details: Record<string, unknown>;
}

export interface SupportView {
  user: User;
  methods: MaskedMethod[];
  selfService: SelfServiceState;
  signIn: SignInState;
  sessions: SessionSummary[];
  /** Cloud users: null. */
  ad: AdAccountRead | null;
  /** The last 20 audit events about this user, newest first. */
  recentEvents: SupportEvent[];
  /** Re-registration required since then (all methods go at the next sign-in); null: not required. */
  reregistrationRequiredAt: number | null;
  /** Until when the viewing actor's verification of this caller counts (null: not verified in the last 10 minutes). */
  verifiedUntil: number | null;
}

/**
 * Whether the actor verified this caller recently (verification.ts implements it): the reset-link
 * and unlock actions ask it when `helpdesk.requireVerification` is on.
 */
export interface CallerVerifications {
  verifiedUntil(actorId: string, userId: string): Promise<number | null>;
}

/** How long a successful caller verification unlocks the reset-link and unlock actions. */
export const VERIFICATION_VALID_MS = 10 * 60_000;

/** How long a reset link the helpdesk sends stays usable. */
export const RESET_LINK_TTL_MS = 60 * 60_000;
