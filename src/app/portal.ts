import type { Logger } from '../logging/logger.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { deriveKey } from '../shared/crypto.js';
import { createFieldCipher, type FieldCipher } from '../shared/sealed.js';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { createPasswordHasher, type PasswordHasher } from '../passwords/password-hash.js';
import { UserStore } from '../directory/users.js';
import { GroupStore } from '../directory/groups.js';
import { DirectoryService } from '../directory/directory-service.js';
import { PasswordHistory } from '../passwords/history.js';
import { sharedStrengthPool, type StrengthPool } from '../passwords/strength-pool.js';
import { SessionStore } from '../state/sessions.js';
import { ThrottleStore } from '../state/throttle-store.js';
import { SignInService, type SecondFactorPolicy } from '../auth/sign-in.js';
import { SecondFactorStep, methodsAsSecondFactor } from '../auth/second-factor.js';
import type { LockoutPolicy } from '../state/lockout.js';
import { MethodStore } from '../methods/method-store.js';
import { QuestionStore } from '../methods/questions.js';
import { CodeService } from '../methods/codes.js';
import { CallerVerificationService } from '../support/verification.js';
import { PasskeyCallerCheck } from '../support/passkey-verification.js';
import { SecurityInfoService } from '../methods/security-info.js';
import { RecoveryCodeStore } from '../methods/recovery-code-store.js';
import { RecoveryCodeService } from '../methods/recovery-codes.js';
import { PasskeyService, relyingParty } from '../methods/passkeys.js';
import { PasskeySignIn } from '../auth/passkey-sign-in.js';
import { renderEmail } from '../delivery/templates.js';
import { BrandService } from '../branding/brand-service.js';
import { initialBrand } from '../branding/initial.js';
import { languageParts, type WordingService } from './language-wiring.js';
import { FlowStore } from '../state/flow-store.js';
import { FirstRun } from '../setup/first-run.js';
import { ChangePasswordService } from '../flows/change/change-password.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';
import { createDelivery, type Delivery } from '../delivery/delivery.js';
import { PolicyService } from '../policy/policy-service.js';
import { initialPolicy } from '../policy/policy.js';
import { Captcha } from '../flows/reset/captcha.js';
import { ResetService } from '../flows/reset/reset-service.js';
import type { Writeback } from '../writeback/writeback.js';
import type { AgentRegistry } from '../writeback/agent-registry.js';
import type { AgentHub } from '../writeback/agent-hub.js';
import { HybridAccountActions } from '../writeback/admin-actions.js';
import type { SyncService } from '../sync/sync-service.js';
import { ExpiryReminders } from '../sync/reminders.js';
import type { SyncCoordinator } from '../sync/coordinator.js';
import { ApiTokenService } from '../api/tokens.js';
import { Notices } from '../delivery/notices.js';
import { ReportLinkStore } from '../state/report-links.js';
import { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import { NotMeService } from '../not-me/not-me-service.js';
import { breachedCheck, passwordLengthOf } from './password-rules-wiring.js';
import { HelpdeskScopeStore } from '../support/scope-store.js';
import { HelpdeskScopeService, ScopedAccess } from '../support/scope.js';
import type { SupportReader } from '../support/support-reader.js';
import type { ResetLinkStore } from '../state/reset-links.js';
import { Reregistrations } from '../methods/reregistration.js';
import type { ResetLinkStart } from '../flows/reset/reset-link.js';
import type { SupportActions } from '../support/support-actions.js';
import { supportParts } from './support-wiring.js';
import { settingsParts, type LiveTimes, type SettingsService } from './settings-wiring.js';
import { agentParts } from './agent-wiring.js';

/** Everything the HTTP app and the CLI work with, built once from the validated config. */
export interface Portal {
  config: Readonly<Config>;
  store: Store;
  logger: Logger;
  clock: Clock;
  keys: { csrf: Buffer; data: Buffer; lookup: Buffer };
  /** Seals contact details and secrets at rest (AES-256-GCM with the data key). */
  cipher: FieldCipher;
  hasher: PasswordHasher;
  /** zxcvbn's worker threads: started (dictionaries loaded) by startServer, closed by its stop. */
  strength: StrengthPool;
  audit: AuditLog;
  users: UserStore;
  groups: GroupStore;
  sessions: SessionStore;
  throttle: ThrottleStore;
  flows: FlowStore;
  signIn: SignInService;
  directory: DirectoryService;
  firstRun: FirstRun;
  metrics: Metrics;
  /** Email, SMS and voice (or the outbox), with per-destination and global limits. */
  delivery: Delivery;
  methods: MethodStore;
  questions: QuestionStore;
  codes: CodeService;
  securityInfo: SecurityInfoService;
  /** Saved recovery codes: making, showing once and finishing a set (spending a code is securityInfo's). */
  recoveryCodes: RecoveryCodeService;
  securityInfoLimits: { verifyFailures: LockoutPolicy; phoneOrApp: LockoutPolicy; emailSends: LockoutPolicy };
  secondFactor: SecondFactorStep;
  /** Passkeys (WebAuthn): registration, and the assertion check the sign-in step uses. */
  passkeys: PasskeyService;
  passkeySignIn: PasskeySignIn;
  /** The change flow for a signed-in user. */
  changePassword: ChangePasswordService;
  /** The stored, versioned SSPR policy (who may reset, methods, registration, notifications, on-premises). */
  policy: PolicyService;
  /** Delivery, throttling, the sign-in lockout, the reset's numbers, reminders, sync and writeback as administrators set them (src/settings/). */
  settings: SettingsService;
  /** Session lifetimes, the codes' settings and the setup link's life as stored now (settings-wiring). */
  times: LiveTimes;
  /** The organisation's brand; the languages offered and the administrators' own wording (src/branding/, src/wording/). */
  brand: BrandService;
  wording: WordingService;
  /**
   * Where a user in trouble gets help, the one rule every page, flow and mail uses: a saved brand's
   * helpdesk, else the SSPR policy's (Customization), else the file's `branding.helpdesk`.
   */
  helpdeskContact(): Promise<string | null>;
  /** Bearer tokens of the JSON API (stored as hashes; created, listed and revoked by administrators). */
  apiTokens: ApiTokenService;
  /** How hybrid users' passwords reach Active Directory: jobs for the on-premises agents. */
  writeback: Writeback;
  /** Registered agents and their one-time registration tokens. */
  agents: AgentRegistry;
  /** The agents connected to this instance, and the synchronous jobs sent to them. */
  agentHub: AgentHub;
  /** An administrator's actions on a hybrid user's AD account (through the agent). */
  hybridAccounts: HybridAccountActions;
  /** Applies what the agents read from AD to the portal's directory. */
  sync: SyncService;
  /** Password-expiry reminders for hybrid users. */
  reminders: ExpiryReminders;
  /** Runs a sync through a connected agent. */
  syncCoordinator: SyncCoordinator;
  captcha: Captcha;
  /** Forgot password and unlock account. */
  resets: ResetService;
  /** The one path of every notice to a user (with its "this wasn't me" link) and to the administrators. */
  notices: Notices;
  /** The "this wasn't me" links (keyed hashes only). */
  reportLinks: ReportLinkStore;
  /** Users whose self-service is off after they reported "this wasn't me". */
  selfServiceBlocks: SelfServiceBlockStore;
  /** The report behind the link, and an administrator lifting the block. */
  notMe: NotMeService;
  /** Which users a console user may see and act on (the helpdesk's scope and refusals); the API and CLI pass ADMIN_VIEWER. */
  supportAccess: ScopedAccess;
  /** The helpdesk users' scopes, set by administrators (audited). */
  helpdeskScopes: HelpdeskScopeService;
  /** One user as the support desk sees them (page, API, CLI): masked methods, counters, sessions, AD state, events. */
  support: SupportReader;
  /** The helpdesk verifying a caller with the caller's own methods (support/verification.ts). */
  callerVerifications: CallerVerificationService;
  /** The caller's side of a passkey check: the page behind the link the helpdesk sent. */
  passkeyCallerCheck: PasskeyCallerCheck;
  /** The support desk's actions on one user (unblock, remove a method, send a reset link, …). */
  supportActions: SupportActions;
  /** The reset links the helpdesk sends (keyed hashes only), and their start of a reset flow. */
  resetLinks: ResetLinkStore;
  resetLinkStart: ResetLinkStart;
  /** "Require re-registration": applied at the next sign-in. */
  reregistrations: Reregistrations;
}

export interface PortalDeps {
  config: Readonly<Config>;
  store: Store;
  logger: Logger;
  clock: Clock;
  masterKey: Buffer;
  secondFactor?: SecondFactorPolicy;
  writeback?: Writeback;
}

const MINUTE = 60_000;

export function buildPortal(deps: PortalDeps): Portal {
  const { config, store, clock } = deps;
  const hasher = createPasswordHasher(config.passwordHashing);
  const strength = sharedStrengthPool();
  const audit = createAuditLog(store, clock);
  const users = new UserStore(store.db, clock);
  const groups = new GroupStore(store.db, clock);
  const throttle = new ThrottleStore(store, clock);
  const flows = new FlowStore(store, clock);
  const metrics = createMetrics();
  const keys = { csrf: deriveKey(deps.masterKey, 'csrf'), data: deriveKey(deps.masterKey, 'data-encryption'), lookup: deriveKey(deps.masterKey, 'lookup') };
  const cipher = createFieldCipher(keys.data);
  const { settings, limits: securityInfoLimits, live: lockouts, times } = settingsParts({ config, store, clock, audit, cipher });
  const live = () => settings.snapshot();
  // Session lifetimes and the codes' settings as stored now: each use reads them (settings-wiring).
  const sessions = new SessionStore(store, clock, times.sessions);
  const delivery = createDelivery({ config, settings: () => live().delivery.values, store, clock, cipher, lookupKey: keys.lookup, logger: deps.logger });
  const { wording, defaultLocale, t } = languageParts({ config, store, clock, audit });
  const methods = new MethodStore(store.db, clock, cipher, keys.lookup);
  const questions = new QuestionStore(store.db, clock, hasher);
  const policy = new PolicyService({ store, clock, audit, groups, initial: initialPolicy(config) });
  const brand = new BrandService({ store, clock, audit, initial: initialBrand(config.branding) });
  // Mails are rendered without waiting: the brand as last loaded (every page request refreshes it).
  const mailBrand = () => brand.forMail(config.branding, config.publicUrl);
  const reportLinks = new ReportLinkStore(store, clock, deriveKey(deps.masterKey, 'report-links'));
  const selfServiceBlocks = new SelfServiceBlockStore(store.db, clock);
  const notices = new Notices({ users, methods, delivery, render: (content) => renderEmail(mailBrand(), content, t), reportLinks, t, publicUrl: config.publicUrl, defaultLocale });
  const codes = new CodeService(store.db, clock, deriveKey(deps.masterKey, 'codes'), times.codes);
  // Its own key: the codes' HMACs share no key material with anything else.
  const recoveryCodeStore = new RecoveryCodeStore(store.db, clock, deriveKey(deps.masterKey, 'recovery-codes'));
  const securityInfo = new SecurityInfoService({
    methods,
    users,
    codes,
    questions,
    recoveryCodes: recoveryCodeStore,
    outbound: delivery,
    renderEmail: (content) => renderEmail(mailBrand(), content, t),
    notices,
    audit,
    throttle,
    clock,
    t,
    policy: () => {
      const p = policy.snapshot().policy;
      return { available: p.methodsAvailable, codeMinutes: times.codeMinutes, questions: p.questions };
    },
    productName: config.branding.productName,
    defaultLocale,
    get phoneRegion() { return times.phoneRegion; }, // prettier-ignore
    limits: securityInfoLimits,
  });
  const recoveryCodes = new RecoveryCodeService({ methods, codes: recoveryCodeStore, flows, cipher, securityInfo, users, audit, clock });
  const reregistrations = new Reregistrations({ db: store.db, clock, methods, questions, flows, audit });
  const signIn = new SignInService({
    users,
    hasher,
    throttle,
    sessions,
    flows,
    audit,
    clock,
    secondFactor: deps.secondFactor ?? methodsAsSecondFactor(methods),
    get userLockout() {
      return lockouts.signIn;
    },
    get ipLockout() {
      return lockouts.signInIp;
    },
    flowTtlMs: 10 * MINUTE,
    onOutcome: (outcome) => metrics.signIns.inc({ outcome }),
    passThrough: { bind: (user, password) => writeback.bind(user, password) },
    reregistration: reregistrations,
  });
  const directory = new DirectoryService({
    users,
    groups,
    hasher,
    audit,
    sessions,
    flows,
    // The rules in force are the policy's (config.passwords only until they are saved there).
    passwordRules: async () => (await policy.current()).policy.passwords,
    // The saved brand's name once there is one (the file's until then): a new name is refused in passwords at once.
    organisationName: async () => (await brand.current()).brand.organisationName,
    passwordHistory: new PasswordHistory(store.db, clock, () => policy.snapshot().policy.passwords.historyCount),
    breached: breachedCheck(config.passwords.breached, metrics, deps.logger),
    strength,
    temporaryPasswords: async () => (await policy.current()).policy.helpdesk.temporaryPasswords,
    groupInUse: async (groupId) => ((await policy.current()).policy.groups.includes(groupId) ? 'groups.refuse.inPolicy' : null),
  });
  const secondFactor = new SecondFactorStep({ flows, users, methods, securityInfo, sessions, audit });
  // The RP ID and origin come from the configured public URL, never from a request's Host header.
  const passkeys = new PasskeyService({
    methods,
    flows,
    users,
    securityInfo,
    audit,
    throttle,
    clock,
    rp: relyingParty(config.publicUrl, config.branding.productName),
    get verifyFailures() {
      return securityInfoLimits.verifyFailures;
    },
    challengeTtlMs: 5 * MINUTE,
  });
  const passkeySignIn = new PasskeySignIn({ flows, passkeys, secondFactor, clock, challengeTtlMs: 5 * MINUTE });
  const { agents, agentHub, sync, writeback, adPolicyFor, syncCoordinator } = agentParts({ config, store, clock, audit, logger: deps.logger, settings, methods, ...(deps.writeback ? { writeback: deps.writeback } : {}) });
  const changePassword = new ChangePasswordService({
    users,
    directory,
    hasher,
    throttle,
    flows,
    get lockout() {
      return lockouts.signIn;
    },
    notices,
    blocks: selfServiceBlocks,
    sessions,
    audit,
    t,
    clock,
    publicUrl: config.publicUrl,
    writeback,
    adPolicy: (user) => adPolicyFor(user),
    passwordLength: passwordLengthOf(policy),
    hashSync: async () => (await policy.current()).policy.onPremises.passwordHashSync,
  });
  const captcha = new Captcha(store, clock, deriveKey(deps.masterKey, 'captcha').toString('base64'), () => lockouts.captchaMaxNumber);
  // Where a user in trouble gets help (Portal.helpdeskContact): a saved brand's, else the policy's, else the file's.
  const helpdeskContact = async (): Promise<string | null> => {
    const [b, { policy: p }] = await Promise.all([brand.current(), policy.current()]);
    return (b.version > 0 ? b.brand.helpdesk : null) ?? p.customization.helpdesk ?? config.branding.helpdesk ?? null;
  };
  const resets = new ResetService({
    helpdesk: helpdeskContact,
    flows,
    users,
    methods,
    questions,
    codes,
    securityInfo,
    passkeys,
    directory,
    sessions,
    hasher,
    policy,
    throttle,
    captcha,
    writeback,
    outbound: delivery,
    renderEmail: (content) => renderEmail(mailBrand(), content, t),
    notices,
    blocks: selfServiceBlocks,
    reregistrations,
    audit,
    clock,
    t,
    lookupKey: keys.lookup,
    publicUrl: config.publicUrl,
    get phoneRegion() { return times.phoneRegion; }, // prettier-ignore
    passwordLength: passwordLengthOf(policy),
    get flowTtlMs() {
      return lockouts.resetFlowMs;
    },
    get codeTtlMs() { return times.codes.ttlMs; }, // prettier-ignore
    get perDestinationPerHour() {
      return live().delivery.values.limits.perDestinationPerHour;
    },
    get perDestinationPerDay() { return live().delivery.values.limits.perDestinationPerDay; }, // prettier-ignore
    get startsPerIp() {
      return lockouts.resetStarts;
    },
    get verifyFailures() {
      return securityInfoLimits.verifyFailures;
    },
    adPolicy: (user) => adPolicyFor(user),
  });
  const helpdeskScopeStore = new HelpdeskScopeStore(store.db, clock);
  const passkeyCheck = new PasskeyCallerCheck({
    db: store.db,
    users,
    methods,
    passkeys,
    outbound: delivery,
    renderEmail: (content) => renderEmail(mailBrand(), content, t),
    throttle,
    get emailSends() {
      return securityInfoLimits.emailSends;
    },
    audit,
    clock,
    t,
    key: deriveKey(deps.masterKey, 'helpdesk-passkey-links'),
    publicUrl: config.publicUrl,
    defaultLocale,
  });
  const supportAccess = new ScopedAccess({ users, groups, scopes: helpdeskScopeStore });
  const callerVerifications = new CallerVerificationService({ db: store.db, access: supportAccess, methods, securityInfo, audit, clock, t, get codeTtlMs() { return times.codes.ttlMs; }, passkeyCheck }); // prettier-ignore
  const hybridAccounts = new HybridAccountActions({ users, directory, hasher, sessions, flows, audit, writeback, adPolicy: (user) => adPolicyFor(user), hashSync: async () => (await policy.current()).policy.onPremises.passwordHashSync, now: () => clock.now() });
  const supportDesk = supportParts({ config, store, clock, masterKey: deps.masterKey, users, methods, questions, policy, flows, blocks: selfServiceBlocks, audit, access: supportAccess, verifications: callerVerifications, throttle, hybrid: hybridAccounts, reregistrations, sessions, delivery, notices, t, mailBrand, helpdeskContact, defaultLocale, recoveryCodes: recoveryCodeStore, limits: securityInfoLimits, live: lockouts, writeback });
  const firstRun = new FirstRun({ store, clock, users, directory, get tokenTtlMs() { return times.setupTokenTtlMs; } }); // prettier-ignore
  return {
    config,
    store,
    logger: deps.logger,
    clock,
    keys,
    cipher,
    hasher,
    strength,
    audit,
    users,
    groups,
    sessions,
    throttle,
    flows,
    signIn,
    directory,
    firstRun,
    metrics,
    delivery,
    methods,
    questions,
    codes,
    securityInfo,
    recoveryCodes,
    securityInfoLimits,
    secondFactor,
    passkeys,
    passkeySignIn,
    changePassword,
    policy,
    settings,
    times,
    brand,
    wording,
    helpdeskContact,
    apiTokens: new ApiTokenService({ store, clock, audit }),
    writeback,
    agents,
    agentHub,
    sync,
    syncCoordinator,
    reminders: new ExpiryReminders({ store, methods, outbound: delivery, renderEmail: (content) => renderEmail(mailBrand(), content, t), audit, clock, t, defaultLocale, refreshWording: () => wording.current(), publicUrl: config.publicUrl, get daysBefore() { return live().reminders.values.daysBefore; }, get whenExpired() { return live().reminders.values.whenExpired; } }), // prettier-ignore
    hybridAccounts,
    captcha,
    resets,
    notices,
    reportLinks,
    selfServiceBlocks,
    notMe: new NotMeService({ reportLinks, blocks: selfServiceBlocks, users, sessions, codes, audit, notices, policy, helpdeskContact, t, publicUrl: config.publicUrl }),
    supportAccess,
    helpdeskScopes: new HelpdeskScopeService({ scopes: helpdeskScopeStore, groups, audit }),
    callerVerifications,
    passkeyCallerCheck: passkeyCheck,
    ...supportDesk,
    reregistrations,
  };
}
