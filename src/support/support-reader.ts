import type { User } from '../directory/users.js';
import type { MethodStore } from '../methods/method-store.js';
import type { QuestionStore } from '../methods/questions.js';
import type { RecoveryCodeStore } from '../methods/recovery-code-store.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { SessionStore } from '../state/sessions.js';
import { lockRemaining, type CounterState, type LockoutPolicy } from '../state/lockout.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { nameKey } from '../directory/names.js';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { AuditQueries } from '../audit/audit-query.js';
import type { Writeback } from '../writeback/writeback.js';
import { maskEmail, maskPhone } from '../delivery/destinations.js';
import type { Clock } from '../shared/clock.js';
import type { Viewer } from './access.js';
import type { CallerVerifications, MaskedMethod, SelfServiceState, SignInState, SupportEvent, SupportView } from './types.js';

export interface SupportReaderDeps {
  methods: Pick<MethodStore, 'list'>;
  questions: Pick<QuestionStore, 'registration'>;
  recoveryCodes: Pick<RecoveryCodeStore, 'count'>;
  throttle: Pick<ThrottleStore, 'get'>;
  /** The portal's `securityInfoLimits`: wrong codes per day, phone/app checks per hour, emails per 10 minutes. */
  limits: { verifyFailures: LockoutPolicy; phoneOrApp: LockoutPolicy; emailSends: LockoutPolicy };
  /** The sign-in lockout per username. */
  signInLockout: LockoutPolicy;
  blocks: Pick<SelfServiceBlockStore, 'get'>;
  sessions: Pick<SessionStore, 'listForUser'>;
  audit: Pick<AuditQueries, 'about'>;
  /** A hybrid user's AD state, read live through the agent. */
  writeback: Pick<Writeback, 'accountState'>;
  /** Codes the delivery log shows sent to the user since a time (src/delivery/outbox.ts codesSentTo). */
  codesSentSince: (userId: string, since: number) => Promise<{ email: number; phone: number }>;
  clock: Clock;
  /** Filled by the re-registration part; absent: never required. */
  reregistration?: { requiredAt(userId: string): Promise<number | null> };
  /** Filled by the caller-verification part; absent: never verified. */
  verifications?: CallerVerifications;
}

/** How many events "Recent activity" shows. */
export const RECENT_EVENTS = 20;

/** A counter as it stands now: failures in a window that ran out (and no lock) count for nothing. */
function live(state: CounterState, policy: LockoutPolicy, now: number): { failures: number; lockedUntil: number | null } {
  const locked = lockRemaining(state, now) > 0;
  if (locked) return { failures: Math.max(state.failures + 1, policy.threshold), lockedUntil: state.lockedUntil };
  if (now - state.windowStartedAt > policy.windowMs) return { failures: 0, lockedUntil: null };
  return { failures: state.failures, lockedUntil: null };
}

/**
 * One user as the support desk sees them (the page, `GET /api/v1/users/{username}/support` and
 * `sspr user support`): methods masked, the self-service and sign-in counters, sessions without
 * their tokens, the AD account read live for hybrid users, and the last events. Nothing here
 * changes anything. Contacts are masked here, once — the user's own email included — so no
 * caller of the view can show a full address or number.
 */
export class SupportReader {
  constructor(private readonly d: SupportReaderDeps) {}

  async view(viewer: Viewer, user: User): Promise<SupportView> {
    const d = this.d;
    const [methods, selfService, signIn, sessions, ad, recentEvents, reregistrationRequiredAt, verifiedUntil] = await Promise.all([
      this.methods(user),
      this.selfService(user),
      this.signIn(user),
      d.sessions.listForUser(user.id),
      user.source === 'onprem' ? d.writeback.accountState(user) : Promise.resolve(null),
      this.events(user),
      d.reregistration ? d.reregistration.requiredAt(user.id) : Promise.resolve(null),
      d.verifications && viewer.id !== null ? d.verifications.verifiedUntil(viewer.id, user.id) : Promise.resolve(null),
    ]);
    return { user: { ...user, email: user.email === null ? null : maskEmail(user.email) }, methods, selfService, signIn, sessions, ad, recentEvents, reregistrationRequiredAt, verifiedUntil };
  }

  private async methods(user: User): Promise<MaskedMethod[]> {
    const { d } = this;
    const [rows, questions] = await Promise.all([d.methods.list(user.id, { confirmedOnly: true }), d.questions.registration(user.id)]);
    const out: MaskedMethod[] = [];
    for (const m of rows) {
      const base = { id: m.id, type: m.type, registeredAt: m.createdAt, lastUsedAt: m.lastUsedAt, isDefault: m.isDefault };
      switch (m.type) {
        case 'email':
          out.push({ ...base, masked: maskEmail(m.contact ?? ''), canReceive: true });
          break;
        case 'mobile':
        case 'office':
          out.push({ ...base, masked: maskPhone(m.contact ?? ''), canReceive: true });
          break;
        case 'totp':
        case 'passkey':
          // The name the user gave it (a passkey's, an app's label); the page adds the kind in words.
          out.push({ ...base, masked: m.label, canReceive: false });
          break;
        case 'recovery_code':
          out.push({ ...base, masked: '', canReceive: false, recoveryCodes: await d.recoveryCodes.count(user.id, m.id) });
          break;
      }
    }
    if (questions) out.push({ id: 'questions', type: 'questions', masked: '', registeredAt: questions.registeredAt, lastUsedAt: null, isDefault: false, canReceive: false });
    return out;
  }

  private async selfService(user: User): Promise<SelfServiceState> {
    const { d } = this;
    const now = d.clock.now();
    const [wrong, emails, phone, notMe, codesLastHour] = await Promise.all([
      d.throttle.get(throttleKeys.verifyFailures(user.id)),
      d.throttle.get(throttleKeys.emailSends(user.id)),
      d.throttle.get(throttleKeys.phoneChecks(user.id)),
      d.blocks.get(user.id),
      d.codesSentSince(user.id, now - 60 * 60_000),
    ]);
    const w = live(wrong, d.limits.verifyFailures, now);
    const e = live(emails, d.limits.emailSends, now);
    const p = live(phone, d.limits.phoneOrApp, now);
    // The block that lifts last is the one that counts; wrong codes first when they tie.
    const blocks = [
      { by: 'wrong_codes' as const, until: w.lockedUntil },
      { by: 'email_sends' as const, until: e.lockedUntil },
      { by: 'phone_checks' as const, until: p.lockedUntil },
    ].filter((b): b is { by: 'wrong_codes' | 'email_sends' | 'phone_checks'; until: number } => b.until !== null);
    const last = blocks.reduce<(typeof blocks)[number] | null>((a, b) => (a === null || b.until > a.until ? b : a), null);
    return {
      blockedUntil: last?.until ?? null,
      blockedBy: last?.by ?? null,
      failedAttempts: w.failures,
      threshold: d.limits.verifyFailures.threshold,
      codesSent: { email: e.failures, phone: p.failures },
      codesLastHour,
      notMe,
    };
  }

  private async signIn(user: User): Promise<SignInState> {
    const s = live(await this.d.throttle.get(throttleKeys.signInUser(nameKey(user.username))), this.d.signInLockout, this.d.clock.now());
    return { lockedUntil: s.lockedUntil, failures: s.failures };
  }

  private async events(user: User): Promise<SupportEvent[]> {
    const rows = await this.d.audit.about(user.id, RECENT_EVENTS);
    return rows.map((r) => ({ at: r.at, event: r.event, outcome: r.outcome, actorName: r.actor, actorId: r.actorId, details: r.details }));
  }
}
