import type { Logger } from '../logging/logger.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/database.js';
import type { Clock } from '../shared/clock.js';
import { deriveKey } from '../shared/crypto.js';
import { createFieldCipher, type FieldCipher } from '../shared/sealed.js';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { createPasswordHasher, type PasswordHasher } from '../directory/password-hash.js';
import { UserStore } from '../directory/users.js';
import { GroupStore } from '../directory/groups.js';
import { DirectoryService } from '../directory/directory-service.js';
import { SessionStore } from '../auth/sessions.js';
import { ThrottleStore } from '../auth/throttle-store.js';
import { SignInService, passwordOnly, type SecondFactorPolicy } from '../auth/sign-in.js';
import { FlowStore } from '../flows/flow-store.js';
import { FirstRun } from '../setup/first-run.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';

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
}

export interface PortalDeps {
  config: Readonly<Config>;
  store: Store;
  logger: Logger;
  clock: Clock;
  masterKey: Buffer;
  secondFactor?: SecondFactorPolicy;
}

const MINUTE = 60_000;

export function buildPortal(deps: PortalDeps): Portal {
  const { config, store, clock } = deps;
  const hasher = createPasswordHasher(config.passwordHashing);
  const audit = createAuditLog(store, clock);
  const users = new UserStore(store.db, clock);
  const groups = new GroupStore(store.db, clock);
  const sessions = new SessionStore(store, clock, { idleMs: config.sessions.idleMinutes * MINUTE, absoluteMs: config.sessions.absoluteHours * 60 * MINUTE });
  const throttle = new ThrottleStore(store, clock);
  const flows = new FlowStore(store, clock);
  const metrics = createMetrics();
  const keys = { csrf: deriveKey(deps.masterKey, 'csrf'), data: deriveKey(deps.masterKey, 'data-encryption'), lookup: deriveKey(deps.masterKey, 'lookup') };
  const s = config.signIn;
  const signIn = new SignInService({
    users,
    hasher,
    throttle,
    sessions,
    flows,
    audit,
    clock,
    secondFactor: deps.secondFactor ?? passwordOnly,
    userLockout: { threshold: s.lockoutThreshold, baseMs: s.lockoutSeconds * 1000, growth: s.lockoutGrowth, maxMs: s.lockoutMaxSeconds * 1000, windowMs: s.failureWindowHours * 60 * MINUTE },
    // Per address: a wide net against password spraying across many usernames.
    ipLockout: { threshold: s.ipFailuresPerHour, baseMs: 15 * MINUTE, growth: 1, maxMs: 15 * MINUTE, windowMs: 60 * MINUTE },
    flowTtlMs: 10 * MINUTE,
    onOutcome: (outcome) => metrics.signIns.inc({ outcome }),
  });
  const directory = new DirectoryService({ users, groups, hasher, audit, sessions, passwordRules: config.passwords });
  const firstRun = new FirstRun({ store, clock, users, directory, tokenTtlMs: config.setup.tokenMinutes * MINUTE });
  return {
    config,
    store,
    logger: deps.logger,
    clock,
    keys,
    cipher: createFieldCipher(keys.data),
    hasher,
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
  };
}
