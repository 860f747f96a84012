import type { AuditLog } from '../audit/audit-log.js';
import type { SessionStore } from '../state/sessions.js';
import type { PasswordHasher } from '../passwords/password-hash.js';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { UserStore } from '../directory/users.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Clock } from '../shared/clock.js';
import type { LockoutPolicy } from '../state/lockout.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { MethodStore } from './method-store.js';
import type { PasskeyService } from './passkeys.js';
import type { QuestionStore } from './questions.js';
import type { RecoveryCodeService } from './recovery-codes.js';
import type { SecurityInfoService } from './security-info.js';

/** Where "My security info" lives; every page and form of it is below. */
export const BASE = '/account/security-info';

/** What the "My security info" pages need; each route file asks for its own part of it. */
export interface SecurityInfoRouteDeps {
  clock: Clock;
  methods: Pick<MethodStore, 'list' | 'get' | 'totpSecret' | 'setDefault'>;
  questions: Pick<QuestionStore, 'registeredQuestionIds'>;
  securityInfo: Pick<SecurityInfoService, 'available' | 'deliverCode' | 'verifyCode' | 'verifyAnswers' | 'startContact' | 'confirmContact' | 'startTotp' | 'confirmTotp' | 'registerQuestions' | 'removeQuestions' | 'remove'>;
  passkeys: Pick<PasskeyService, 'available'>;
  /** Saved recovery codes: the set's state for the overview, making, downloading and finishing a set. */
  recoveryCodes: Pick<RecoveryCodeService, 'status' | 'generate' | 'reveal' | 'finish'>;
  /** Who must register what (registrationPolicyFor), and the questions' numbers for the forms. */
  policy: Pick<PolicyService, 'current' | 'inScope' | 'snapshot'>;
  users: Pick<UserStore, 'markSecurityInfoConfirmed' | 'passwordHash'>;
  /** Users who reported "this wasn't me": no changes to their security info until an administrator lifts it. */
  blocks: Pick<SelfServiceBlockStore, 'isBlocked'>;
  audit: AuditLog;
  sessions: Pick<SessionStore, 'markVerified'>;
  hasher: Pick<PasswordHasher, 'verify'>;
  throttle: Pick<ThrottleStore, 'recordFailure'>;
  /** A wrong password at re-verification counts like a wrong code. */
  verifyFailures: LockoutPolicy;
  /** For the hint above a code field ("valid for 10 minutes"). */
  codeMinutes: number;
  /** The region assumed for numbers typed without a country code. */
  phoneRegion: string;
  /** The issuer an authenticator app shows. */
  productName: string;
}
