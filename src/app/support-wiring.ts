import type { AuditLog } from '../audit/audit-log.js';
import type { OrgLocale } from '../i18n/locale-context.js';
import type { Config } from '../config/schema.js';
import type { Delivery } from '../delivery/delivery.js';
import type { Notices } from '../delivery/notices.js';
import { renderEmail } from '../delivery/templates.js';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { UserStore } from '../directory/users.js';
import { standingOf } from '../flows/reset/eligibility.js';
import { ResetLinkStart } from '../flows/reset/reset-link.js';
import type { Translate } from '../i18n/index.js';
import type { MethodStore } from '../methods/method-store.js';
import type { QuestionStore } from '../methods/questions.js';
import type { Reregistrations } from '../methods/reregistration.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Clock } from '../shared/clock.js';
import { deriveKey } from '../shared/crypto.js';
import type { FlowStore } from '../state/flow-store.js';
import { ResetLinkStore } from '../state/reset-links.js';
import type { SessionStore } from '../state/sessions.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { Store } from '../store/database.js';
import type { SupportAccess } from '../support/access.js';
import { SupportActions } from '../support/support-actions.js';
import { RESET_LINK_TTL_MS, type CallerVerifications } from '../support/types.js';
import type { HybridAccountActions } from '../writeback/admin-actions.js';
import type { Writeback } from '../writeback/writeback.js';
import type { RecoveryCodeStore } from '../methods/recovery-code-store.js';
import { SupportReader } from '../support/support-reader.js';
import { auditQueries } from '../audit/audit-query.js';
import { codesSentTo } from '../delivery/outbox.js';
import type { LiveLimits, ThrottleLimits } from './settings-wiring.js';

export interface SupportWiringDeps {
  /** The organisation's language and zone (the console's default language, as last loaded). */
  defaultLocale: OrgLocale;
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  masterKey: Buffer;
  users: UserStore;
  methods: MethodStore;
  questions: QuestionStore;
  policy: PolicyService;
  flows: FlowStore;
  blocks: SelfServiceBlockStore;
  audit: AuditLog;
  access: SupportAccess;
  /** Caller verification; without it nobody counts as verified (the gated actions stay locked while the policy asks for it). */
  verifications: CallerVerifications | undefined;
  throttle: ThrottleStore;
  hybrid: HybridAccountActions;
  reregistrations: Reregistrations;
  sessions: SessionStore;
  delivery: Delivery;
  notices: Notices;
  t: Translate;
  /** The brand the mails carry (src/branding/), as last loaded. */
  mailBrand: () => Parameters<typeof renderEmail>[0];
  /** Where a user gets help (the saved brand's helpdesk, else the policy's). */
  helpdeskContact: () => Promise<string | null>;
  /** What the support view reads besides: saved recovery codes, the counters' numbers in force, AD state through the agent. */
  recoveryCodes: RecoveryCodeStore;
  limits: ThrottleLimits;
  live: LiveLimits;
  writeback: Writeback;
}

/** The support desk's actions and the reset links they send, from the portal's parts (src/app/portal.ts). */
export function supportParts(d: SupportWiringDeps): { resetLinks: ResetLinkStore; resetLinkStart: ResetLinkStart; supportActions: SupportActions; support: SupportReader } {
  const { config, methods, questions, policy } = d;
  const resetLinks = new ResetLinkStore(d.store, d.clock, deriveKey(d.masterKey, 'reset-links'), RESET_LINK_TTL_MS);
  const resetLinkStart = new ResetLinkStart({
    links: resetLinks,
    users: d.users,
    methods,
    questions,
    policy,
    flows: d.flows,
    blocks: d.blocks,
    audit: d.audit,
    get flowTtlMs() {
      return d.live.resetFlowMs;
    },
    helpdesk: d.helpdeskContact,
  });
  const support = new SupportReader({
    methods,
    questions,
    recoveryCodes: d.recoveryCodes,
    throttle: d.throttle,
    limits: d.limits,
    get signInLockout() {
      return d.live.signIn;
    },
    blocks: d.blocks,
    sessions: d.sessions,
    audit: auditQueries(d.store),
    writeback: d.writeback,
    verifications: d.verifications ?? { verifiedUntil: () => Promise.resolve(null) },
    codesSentSince: (userId, since) => codesSentTo(d.store, userId, since),
    reregistration: { requiredAt: async (userId) => (await d.reregistrations.get(userId))?.requiredAt ?? null },
    clock: d.clock,
  });
  const supportActions = new SupportActions({
    access: d.access,
    policy,
    verifications: d.verifications ?? { verifiedUntil: () => Promise.resolve(null) },
    throttle: d.throttle,
    blocks: d.blocks,
    hybrid: d.hybrid,
    methods,
    questions,
    reregistrations: d.reregistrations,
    sessions: d.sessions,
    flows: d.flows,
    resetLinks,
    canReset: async (user) => (await standingOf({ methods, questions, policy }, user, (await policy.current()).policy)).eligible,
    outbound: d.delivery,
    renderEmail: (content) => renderEmail(d.mailBrand(), content, d.t),
    notices: d.notices,
    audit: d.audit,
    clock: d.clock,
    t: d.t,
    publicUrl: config.publicUrl,
    defaultLocale: d.defaultLocale,
  });
  return { resetLinks, resetLinkStart, supportActions, support };
}
