import type { MiddlewareHandler } from 'hono';
import type { User } from '../directory/users.js';
import type { AppEnv } from '../http/context.js';
import type { Clock } from '../shared/clock.js';
import type { MethodStore } from './method-store.js';
import type { QuestionStore } from './questions.js';
import type { PolicyService } from '../policy/policy-service.js';

const DAY = 86_400_000;

export interface RegistrationPolicy {
  registrationRequired: boolean;
  reconfirmDays: number;
  required: number;
  available: readonly string[];
  questions: { toRegister: number };
}

export interface RegistrationStatus {
  /** Methods that count towards the policy (security questions count as one, never for administrators). */
  have: number;
  need: number;
  missing: boolean;
  reconfirmDue: boolean;
}

const availableKind: Record<string, string[]> = {
  email: ['email'],
  mobile: ['mobile_sms', 'mobile_voice'],
  office: ['office_voice'],
  totp: ['totp'],
  passkey: ['passkey'],
  recovery_code: ['recovery_code'],
};

/** How far a user is from what the reset policy needs; administrators always need two methods and questions do not count for them. */
export async function registrationStatus(user: User, deps: { methods: Pick<MethodStore, 'list'>; questions: Pick<QuestionStore, 'registeredQuestionIds'>; policy: RegistrationPolicy; now: number }): Promise<RegistrationStatus> {
  const { policy } = deps;
  const admin = user.roles.includes('administrator');
  const methods = await deps.methods.list(user.id, { confirmedOnly: true });
  let have = methods.filter((m) => (availableKind[m.type] ?? []).some((k) => policy.available.includes(k))).length;
  if (!admin && policy.available.includes('questions') && (await deps.questions.registeredQuestionIds(user.id)).length >= policy.questions.toRegister) have += 1;
  const need = admin ? Math.max(2, policy.required) : policy.required;
  const missing = policy.registrationRequired && have < need;
  const confirmedAt = user.securityInfoConfirmedAt;
  const reconfirmDue = !missing && policy.registrationRequired && policy.reconfirmDays > 0 && have > 0 && (confirmedAt === null || deps.now - confirmedAt > policy.reconfirmDays * DAY);
  return { have, need, missing, reconfirmDue };
}

/** The registration rules for one user from the stored policy; users outside the SSPR scope are never interrupted. */
export async function registrationPolicyFor(deps: { policy: Pick<PolicyService, 'current' | 'inScope'> }, user: User): Promise<RegistrationPolicy> {
  const { policy } = await deps.policy.current();
  const inScope = await deps.policy.inScope(user, policy);
  return {
    registrationRequired: inScope && policy.registration.required,
    reconfirmDays: policy.registration.reconfirmDays,
    required: policy.methodsRequired,
    available: policy.methodsAvailable,
    questions: policy.questions,
  };
}

// In outbox mode an administrator reads their own registration codes in the outbox, so it stays reachable.
const ALLOWED = ['/account/security-info', '/sign-out', '/assets/', '/admin/outbox'];

/**
 * The registration interrupt: a signed-in user who lacks the methods the policy requires, or
 * whose re-confirmation is due, is led to security info before anything else.
 */
export interface RegistrationInterruptDeps {
  methods: Pick<MethodStore, 'list'>;
  questions: Pick<QuestionStore, 'registeredQuestionIds'>;
  policy: Pick<PolicyService, 'current' | 'inScope'>;
  clock: Clock;
  /** A user who reported "this wasn't me" cannot change security info, so is not sent there. */
  blocks: { isBlocked(userId: string): Promise<boolean> };
  /** The helpdesk required re-registration: registering is required for this user whatever the policy says, until done. */
  reregistration?: { pending(userId: string): Promise<boolean>; clear(userId: string): Promise<void> };
}

export function registrationInterrupt(deps: RegistrationInterruptDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user || ALLOWED.some((p) => c.req.path === p || c.req.path.startsWith(p === '/assets/' ? p : `${p}/`))) return next();
    if (await deps.blocks.isBlocked(user.id)) return next();
    const policy = await registrationPolicyFor(deps, user);
    const asked = (await deps.reregistration?.pending(user.id)) ?? false;
    const status = await registrationStatus(user, { methods: deps.methods, questions: deps.questions, policy: asked ? { ...policy, registrationRequired: true } : policy, now: deps.clock.now() });
    // Registered enough again: the helpdesk's request is done.
    if (asked && !status.missing) await deps.reregistration?.clear(user.id);
    if (status.missing) return c.redirect('/account/security-info?register=1', 303);
    if (status.reconfirmDue) return c.redirect('/account/security-info/reconfirm', 303);
    return next();
  };
}
