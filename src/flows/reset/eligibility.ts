import type { User } from '../../directory/users.js';
import type { MethodStore } from '../../methods/method-store.js';
import type { QuestionStore } from '../../methods/questions.js';
import type { PolicyService } from '../../policy/policy-service.js';
import { effectiveFor, isStrongGate, type GateType, type Policy } from '../../policy/policy.js';

interface Deps {
  methods: MethodStore;
  questions: QuestionStore;
  policy: PolicyService;
  /**
   * The helpdesk's "require re-registration" (src/methods/reregistration.ts): until the user signs
   * in (which removes them), their old methods (a lost phone) are not trusted for a self-service
   * reset; methods registered after that are. Absent: not asked (the helpdesk's own reset link counts its method anyway).
   */
  reregistrations?: { get(userId: string): Promise<{ methodsRemovedAt: number | null } | null> };
}

/** What a user could prove with: the gates the policy accepts for them, and the strong methods they registered. */
export interface Standing {
  /** In scope, enabled, and registered with enough different methods the policy accepts. */
  eligible: boolean;
  /** Needs an authenticator app or passkey, or two gates (`reset.neverWeakerThanSignIn`). */
  strongNeeded: boolean;
}

/** Stands in for a name that matches no account while the eligibility queries run. */
export const NOBODY: User = {
  id: '00000000-0000-4000-8000-000000000000',
  username: '',
  displayName: '',
  email: null,
  enabled: false,
  source: 'cloud',
  anchor: null,
  roles: [],
  hasPassword: false,
  passwordChangedAt: null,
  createdAt: 0,
  securityInfoConfirmedAt: null,
  language: null,
};

/** The same queries run for NOBODY as for a real user, so the time taken tells nothing. */
export async function standingOf(d: Deps, user: User, policy: Policy): Promise<Standing> {
  const inScope = await d.policy.inScope({ ...user, enabled: true }, policy);
  const gates = await registeredGates(d, user, policy);
  const { required } = effectiveFor(policy, user);
  const asked = d.reregistrations ? await d.reregistrations.get(user.id) : null;
  const eligible = user !== NOBODY && user.enabled && inScope && gates.size >= required && (asked === null || asked.methodsRemovedAt !== null);
  const strong = await strongMethods(d, user);
  // Where two methods are required anyway (administrators, or the policy), the rule asks nothing more.
  return { eligible, strongNeeded: eligible && required < 2 && policy.reset.neverWeakerThanSignIn && strong.length > 0 };
}

/** The kinds of method that count as one gate each for this user under the policy. */
export async function registeredGates(d: Deps, user: User, policy: Policy): Promise<Set<GateType>> {
  const eff = effectiveFor(policy, user);
  const gates = new Set<GateType>();
  for (const m of await d.methods.list(user.id, { confirmedOnly: true })) {
    const gate = m.type as GateType;
    if (eff.gates.has(gate) && (gate !== 'mobile' || eff.available.includes('mobile_sms') || eff.available.includes('mobile_voice'))) gates.add(gate);
  }
  if (eff.gates.has('questions') && (await d.questions.registeredQuestionIds(user.id)).length >= policy.questions.toAnswer) gates.add('questions');
  return gates;
}

/**
 * The strong methods (authenticator app, passkey) the user registered, whether or not the reset
 * policy offers them: they make the user's sign-in strong, so a reset must not be weaker.
 */
export async function strongMethods(d: Pick<Deps, 'methods'>, user: User): Promise<GateType[]> {
  const types = (await d.methods.list(user.id, { confirmedOnly: true })).map((m) => m.type).filter(isStrongGate);
  return [...new Set(types)] as GateType[];
}
