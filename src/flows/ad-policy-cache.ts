import type { ReportedPolicy } from '../agent-protocol/index.js';
import type { Clock } from '../shared/clock.js';
import type { User } from '../directory/users.js';

/** How long an effective AD policy read from the agent is used before it is asked again. */
export const AD_POLICY_TTL_MS = 60_000;
/** Bound on the users remembered at once (a policy is a few numbers; the oldest go first). */
const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  policy: Promise<ReportedPolicy | null>;
}

/**
 * The effective AD password policy of a hybrid user, read once per flow: the change page and the
 * reset's new-password page show it, and the submit that follows checks the password against it
 * — one agent round trip for both, not one each. Kept per user (by anchor: the policy AD applies
 * depends on the user's fine-grained policy objects) for at most the TTL, so a policy changed in
 * AD is used within a minute; look-ups for the same user at once share one read. An answer of
 * "no policy" (no agent connected, the read failed) is not kept: the next look-up asks again.
 */
export class AdPolicyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly read: (user: User) => Promise<ReportedPolicy | null>,
    private readonly clock: Clock,
    private readonly ttlMs = AD_POLICY_TTL_MS,
  ) {}

  policyFor(user: User): Promise<ReportedPolicy | null> {
    const key = user.anchor;
    if (!key) return this.read(user);
    const now = this.clock.now();
    const kept = this.entries.get(key);
    if (kept && now - kept.at < this.ttlMs) return kept.policy;
    const policy = this.read(user);
    const entry = this.keep(key, policy, now);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    policy.then((p) => (p === null ? forget() : undefined), forget);
    return policy;
  }

  /** A policy the agent told along with other work (a sign-in's bind): kept as if it had been read now. */
  remember(user: User, policy: ReportedPolicy): void {
    if (user.anchor) this.keep(user.anchor, Promise.resolve(policy), this.clock.now());
  }

  /** The newest entry of a user (insertion order is age order, for trim). */
  private keep(key: string, policy: Promise<ReportedPolicy | null>, now: number): Entry {
    const entry: Entry = { at: now, policy };
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.trim(now);
    return entry;
  }

  private trim(now: number): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && now - entry.at < this.ttlMs) break;
      // Insertion order is age order: expired ones and the oldest go first.
      this.entries.delete(key);
    }
  }
}
