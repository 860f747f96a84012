import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { AuditLog } from '../../audit/audit-log.js';
import { lockRemaining, type LockoutPolicy } from '../../state/lockout.js';
import type { ThrottleStore } from '../../state/throttle-store.js';
import type { SessionStore } from '../../state/sessions.js';
import type { DirectoryService } from '../../directory/directory-service.js';
import type { PasswordHasher } from '../../passwords/password-hash.js';
import type { User, UserStore } from '../../directory/users.js';
import type { Translate } from '../../i18n/index.js';
import type { PasswordVerdict } from '../../passwords/check.js';
import type { CodeService } from '../../methods/codes.js';
import type { MethodStore } from '../../methods/method-store.js';
import type { Outbound, RenderEmail } from '../../methods/outbound.js';
import type { Notices } from '../../delivery/notices.js';
import type { SelfServiceBlockStore } from '../../directory/self-service-blocks.js';
import type { PasskeyService } from '../../methods/passkeys.js';
import type { QuestionStore } from '../../methods/questions.js';
import type { SecurityInfoService } from '../../methods/security-info.js';
import type { PolicyService } from '../../policy/policy-service.js';
import { effectiveFor, gateOfChoice, type GateType, type MethodChoice, type Policy } from '../../policy/policy.js';
import type { Clock } from '../../shared/clock.js';
import { fail, ok, type Ok, type Refused } from '../../shared/result.js';
import type { Writeback } from '../../writeback/writeback.js';
import { writebackMessageKey } from '../../writeback/refusals.js';
import type { ReportedPolicy } from '../../agent-protocol/index.js';
import { afterOnPremisesPassword, checkOnPremisesPassword } from '../../writeback/onprem-password.js';
import type { FlowStore } from '../../state/flow-store.js';
import { throttleKeys } from '../../state/throttle-keys.js';
import { passwordRefused, type PasswordRefused } from '../password-refusal.js';
import { blockState, WARN_FROM_ATTEMPTS_LEFT, type BlockState } from './block-state.js';
import type { Captcha } from './captcha.js';
import type { StepRefusal } from './refusals.js';
import { decoyKeyOf, finish, hold, outcome, release } from './reset-apply.js';
import { startData, transition, type Intent, type ResetData, type ResetState } from './reset-flow.js';
import { NOBODY, registeredGates, standingOf, strongMethods } from './eligibility.js';
import { stepOf, type PasswordLength, type ResetFlow, type ResetView } from './reset-view.js';
import { registeredHints } from './hints.js';
import { minutesUntilSend, sendFailed } from './send-budget.js';
import { proofStrategies, type ProofStrategy } from './strategies/index.js';
import type { ProofAnswer, ProofStarted } from './strategies/proof-strategy.js';

export const RESET_FLOW = 'reset';

/** A step's refusal; `field` names the form field at fault, when there is one. */
export type StepRefused = Refused<StepRefusal> & { field?: string; vars?: Record<string, number> };
export type StepResult<T = undefined> = Ok<T> | StepRefused;

type Meta = { ip: string; userAgent: string; browserId: string };

export interface ResetServiceDeps {
  flows: FlowStore;
  users: UserStore;
  methods: MethodStore;
  questions: QuestionStore;
  codes: CodeService;
  securityInfo: SecurityInfoService;
  passkeys: PasskeyService;
  directory: DirectoryService;
  sessions: SessionStore;
  hasher: PasswordHasher;
  policy: PolicyService;
  throttle: ThrottleStore;
  captcha: Captcha;
  writeback: Writeback;
  outbound: Outbound;
  renderEmail: RenderEmail;
  /** The one notice path (with the "this wasn't me" link); `blocks`: users who reported one (no self-service). */
  notices: Pick<Notices, 'toUser' | 'toAdministrators'>;
  blocks: Pick<SelfServiceBlockStore, 'isBlocked'>;
  /** Users the helpdesk asked to register again: their old methods do not reset (eligibility.ts). */
  reregistrations?: { get(userId: string): Promise<{ methodsRemovedAt: number | null } | null> };
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  lookupKey: Buffer;
  publicUrl: string;
  phoneRegion: string;
  passwordLength: PasswordLength;
  flowTtlMs: number;
  codeTtlMs: number;
  /** delivery.limits.perDestinationPerHour and …PerDay: a reset's codes per typed destination (send-budget.ts). */
  perDestinationPerHour: number;
  perDestinationPerDay: number;
  startsPerIp: LockoutPolicy;
  verifyFailures: LockoutPolicy;
  /** The domain password policy the agents reported, for hybrid users (null until one did); where to get help (a saved brand's helpdesk, else the policy's). */
  adPolicy: (user: User) => Promise<ReportedPolicy | null>;
  helpdesk?: () => Promise<string | null>;
}

/**
 * Forgot password and unlock account, for people who cannot sign in.
 *
 * Until identity is proven every answer is the same whoever was named: an unknown, disabled,
 * out-of-scope or unregistered user gets a flow too (a decoy, user id null), the same pages,
 * the same "if this matches, a code is on its way", and the same block after the same number
 * of wrong answers. Contact details are never taken from the request: the user types the full
 * address or number, and a code goes only to a registered one that matches. Every step is a
 * compare-and-swap on the stored flow, which is bound to one browser and expires.
 *
 * The proof methods are strategies (./strategies/): this class runs the flow around them.
 */
export class ResetService {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly strategies: ReadonlyMap<MethodChoice, ProofStrategy>;

  constructor(private readonly d: ResetServiceDeps) {
    // Not a spread: some deps are getters of stored settings, read at each use, which a spread would freeze.
    const strategyDeps = Object.create(d, { background: { value: (p: Promise<unknown>) => this.background(p) } }) as Parameters<typeof proofStrategies>[0];
    this.strategies = proofStrategies(strategyDeps);
  }

  /** Waits for codes being sent in the background (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private background(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Whether /unlock is offered at all (the SSPR policy's switch). */
  async unlockAllowed(): Promise<boolean> {
    return (await this.d.policy.current()).policy.onPremises.allowUnlock;
  }

  /** The first page's step indicator: the policy's number of checks (the same for every name). */
  async stepsBeforeStart(): Promise<{ n: number; of: number }> {
    return { n: 1, of: (await this.d.policy.current()).policy.methodsRequired + 2 };
  }

  async start(input: { username: unknown; captcha: unknown; intent: Intent }, meta: Meta): Promise<StepResult<{ flowId: string }>> {
    const { d } = this;
    const { policy } = await d.policy.current();
    if (input.intent === 'unlock' && !policy.onPremises.allowUnlock) return fail('reset.unlockDisabled');
    if (typeof input.username !== 'string' || input.username.trim() === '') return fail('v.username.required', { field: 'username' });
    const username = input.username.trim();
    if (username.length > 256) return fail('v.username.tooLong', { field: 'username' });
    const ipKey = throttleKeys.resetStarts(meta.ip);
    if (lockRemaining(await d.throttle.get(ipKey), d.clock.now()) > 0) return fail('reset.tooManyStarts');
    if (!(await d.captcha.verify(input.captcha))) return fail('reset.captchaFailed', { field: 'captcha' });
    await d.throttle.recordFailure(ipKey, d.startsPerIp);

    const user = await d.users.byUsername(username);
    // The same queries run for a name that matches nobody, so the time taken tells nothing.
    const { eligible, strongNeeded } = await standingOf(d, user ?? NOBODY, policy);
    const required = user && eligible ? effectiveFor(policy, user).required : policy.methodsRequired;
    const { state, data } = startData(input.intent, username, required, strongNeeded);
    // Nothing is proven yet: a password change elsewhere leaves the flow alone until a method is passed.
    const flow = await d.flows.create<ResetState, ResetData>({ kind: RESET_FLOW, state, userId: eligible ? user!.id : null, browserId: meta.browserId, data, ttlMs: d.flowTtlMs, holdsProof: false });
    // For administrators only (the audit log): why a flow could never succeed.
    const why: Record<string, string> = eligible ? {} : { why: !user ? 'unknown' : !user.enabled ? 'disabled' : 'not_in_scope_or_not_registered' };
    await d.audit.record({ event: 'reset_started', outcome: 'info', target: { id: user?.id ?? null, name: username.slice(0, 256) }, ip: meta.ip, userAgent: meta.userAgent, details: { intent: input.intent, eligible, ...why } });
    return ok({ flowId: flow.id });
  }

  private async load(flowId: string, browserId: string): Promise<{ flow: ResetFlow; user: User | null; policy: Policy } | null> {
    const loaded = await this.d.flows.load<ResetState, ResetData>(RESET_FLOW, flowId, browserId);
    return loaded.ok ? this.withUser(loaded.value) : null;
  }

  private async withUser(flow: ResetFlow): Promise<{ flow: ResetFlow; user: User | null; policy: Policy }> {
    const { policy } = await this.d.policy.current();
    const user = flow.userId ? await this.d.users.byId(flow.userId) : null;
    // A user disabled (or deleted) during the flow carries on as a decoy: nothing can succeed.
    return { flow, user: user?.enabled ? user : null, policy };
  }

  /** The methods offered: the policy's list, the same for everyone until a gate is passed. */
  private choicesFor(flow: ResetFlow, user: User | null, policy: Policy): MethodChoice[] {
    const offered = policy.methodsAvailable.filter((c) => !flow.data.passed.includes(gateOfChoice[c]));
    if (flow.data.passed.length === 0 || !user) return offered;
    // Past the first gate the user is partly proven: offer only what can still work for them.
    return offered.filter((c) => effectiveFor(policy, user).available.includes(c));
  }

  async view(flowId: string, browserId: string): Promise<ResetView> {
    const loaded = await this.d.flows.load<ResetState, ResetData>(RESET_FLOW, flowId, browserId);
    // Ended by a password change (or unlock) elsewhere: said so, rather than "took too long".
    if (!loaded.ok) return loaded.reason === 'voided' ? { kind: 'voided', by: loaded.voidedBy } : { kind: 'expired' };
    const { flow, user, policy } = await this.withUser(loaded.value);
    const helpdesk = this.d.helpdesk ? await this.d.helpdesk() : policy.customization.helpdesk;
    switch (flow.state) {
      case 'verifying': {
        // Blocked (here or in another browser): said at once, with until when, not after the next answer.
        const block = await this.blockState(flow, user, browserId);
        if (block.until !== null) return { kind: 'failed', flow, helpdesk, blocked: { until: block.until, remainingMs: block.until - this.d.clock.now() } };
        const choices = this.choicesFor(flow, user, policy);
        const pending = flow.data.pending;
        const hints = await registeredHints(this.d, user, policy);
        const step = pending ? (this.strategies.get(pending.choice)?.step(pending, policy) ?? null) : null;
        const attemptsWarning = step && block.attemptsLeft <= WARN_FROM_ATTEMPTS_LEFT ? { left: block.attemptsLeft, blockMs: block.blockMs } : null;
        let noMoreMethods = false;
        let strongReason: GateType[] = [];
        if (user && flow.data.passed.length > 0) {
          const left = [...(await registeredGates(this.d, user, policy))].filter((g) => !flow.data.passed.includes(g));
          noMoreMethods = left.length === 0;
          // Only past a proof: before it, every name sees the same page.
          if (flow.data.strongNeeded) strongReason = await strongMethods(this.d, user);
        }
        // The method the page asks for comes first.
        if (strongReason.length > 0) choices.sort((a, b) => Number(strongReason.includes(gateOfChoice[b])) - Number(strongReason.includes(gateOfChoice[a])));
        const picked = flow.data.picked && choices.includes(flow.data.picked) ? flow.data.picked : null;
        // A code delivery did not send: told on the code page (only ever for a real send; a decoy's refusals come at once, with the same count).
        const notSent = pending?.sendKey && pending.sentAt !== undefined && (await sendFailed(this.d, flow.id, pending.sentAt)) ? { minutes: await minutesUntilSend(this.d, pending.sendKey) } : null;
        return { kind: 'verifying', flow, choices, picked, hints, stepNo: stepOf(flow.data, flow.state), now: this.d.clock.now(), notSent, step, phoneRegion: this.d.phoneRegion, helpdesk, noMoreMethods, strongReason, attemptsWarning };
      }
      case 'verified': {
        if (!user) return { kind: 'expired' };
        // Told only now, once identity is proven: before it a blocked user's pages are everyone's.
        if (await this.d.blocks.isBlocked(user.id)) return { kind: 'selfServiceBlocked', flow, helpdesk };
        const adPolicy = user.source === 'onprem' ? await this.d.adPolicy(user) : null;
        // Told right after the proof, not after a password was typed: the agent would refuse any write to this account.
        if (adPolicy?.protectedAccount) return { kind: 'protected', flow, helpdesk };
        return { kind: 'verified', flow, user, canUnlock: policy.onPremises.allowUnlock, helpdesk, adPolicy, passwordLength: this.d.passwordLength, stepNo: stepOf(flow.data, flow.state) };
      }
      case 'applying':
        return { kind: 'applying', flow };
      case 'completed':
        return { kind: 'completed', flow };
      case 'failed': {
        const { until } = await this.blockState(flow, user, browserId);
        return { kind: 'failed', flow, helpdesk, blocked: until === null ? null : { until, remainingMs: until - this.d.clock.now() } };
      }
    }
  }

  /**
   * The user picks a method answered on the page. For email and phones they type the full
   * address or number; a code is sent only when it matches a registered one, in the background,
   * so the answer and its timing are the same either way. TOTP and questions need nothing sent.
   */
  async choose(flowId: string, browserId: string, input: { choice: unknown; contact?: unknown }): Promise<StepResult> {
    const started = await this.startProof(flowId, browserId, input.choice, (s) => s.answer !== 'assertion', input);
    return started.ok ? ok(undefined) : started;
  }

  /**
   * A way picked from the list. Ways that need nothing typed first (an authenticator app,
   * questions, a recovery code) start at once; the others (an address or number to type, a
   * passkey) show their own page.
   */
  async pick(flowId: string, browserId: string, wanted: unknown): Promise<StepResult> {
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return fail('reset.expired');
    const choice = this.choicesFor(l.flow, l.user, l.policy).find((c) => c === wanted);
    if (!choice) return fail('reset.pickOne', { field: 'choice' });
    if (choice === 'totp' || choice === 'questions' || choice === 'recovery_code') return this.choose(flowId, browserId, { choice });
    const next = transition(l.flow.state, l.flow.data, { type: 'method_picked', choice });
    if (!next.ok || !(await this.d.flows.advance(l.flow, next.value))) return fail('reset.expired');
    return ok(undefined);
  }

  /** "Resend code": the same destination gets a new code once the cooldown is over (its budget counts it). */
  async resend(flowId: string, browserId: string): Promise<StepResult> {
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return fail('reset.expired');
    const { flow, user, policy } = l;
    const pending = flow.data.pending;
    const strategy = pending ? this.strategies.get(pending.choice) : undefined;
    if (!pending || !strategy?.resend) return fail('reset.notAllowedNow');
    if (await this.isBlocked(flow, user, browserId)) return this.block(flow, user);
    const real = user && effectiveFor(policy, user).available.includes(pending.choice) ? user : null;
    const r = await strategy.resend({ flow, pending, user: real, policy });
    if (!r.ok) return r.reason === 'methods.blocked' ? this.block(flow, user) : r;
    const next = transition(flow.state, flow.data, { type: 'proof_started', pending: r.value });
    if (!next.ok || !(await this.d.flows.advance(flow, next.value))) return fail('reset.expired');
    return ok(undefined);
  }

  /** A passkey challenge for this flow (no credential list: nothing about the account is revealed). */
  async passkeyOptions(flowId: string, browserId: string): Promise<StepResult<PublicKeyCredentialRequestOptionsJSON>> {
    const started = await this.startProof(flowId, browserId, 'passkey', (s) => s.answer === 'assertion', {});
    if (!started.ok) return started;
    return started.value.options ? ok(started.value.options) : fail('methods.notAvailable');
  }

  private async startProof(flowId: string, browserId: string, wanted: unknown, answeredHere: (s: ProofStrategy) => boolean, input: { contact?: unknown }): Promise<StepResult<ProofStarted>> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return fail('reset.expired');
    const { flow, user, policy } = l;
    const choice = this.choicesFor(flow, user, policy).find((c) => c === wanted);
    const strategy = choice ? this.strategies.get(choice) : undefined;
    if (!choice || !strategy || !answeredHere(strategy)) return fail('methods.notAvailable');
    if (await this.isBlocked(flow, user, browserId)) return this.block(flow, user);
    // Only a user who may use this kind of method gets a real proof; anyone else a decoy one.
    const real = user && effectiveFor(policy, user).available.includes(choice) ? user : null;
    const started = await strategy.choose({ flow, choice, user: real, policy }, input);
    if (!started.ok) return started.reason === 'methods.blocked' ? this.block(flow, user) : started;
    const next = transition(flow.state, flow.data, { type: 'proof_started', pending: started.value.pending });
    if (!next.ok) return fail('methods.notAvailable');
    if (!(await d.flows.advance(flow, next.value))) return fail('reset.expired');
    return started;
  }

  async abandonProof(flowId: string, browserId: string): Promise<StepResult> {
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return fail('reset.expired');
    const next = transition(l.flow.state, l.flow.data, { type: 'proof_abandoned' });
    if (!next.ok || !(await this.d.flows.advance(l.flow, next.value))) return fail('reset.expired');
    return ok(undefined);
  }

  /** A code from email, text, call or the authenticator app. */
  checkCode(flowId: string, browserId: string, typed: unknown): Promise<StepResult> {
    return this.verifyProof(flowId, browserId, 'code', typed);
  }

  checkQuestions(flowId: string, browserId: string, answers: unknown[]): Promise<StepResult> {
    return this.verifyProof(flowId, browserId, 'answers', answers);
  }

  passkeyVerify(flowId: string, browserId: string, response: unknown): Promise<StepResult> {
    return this.verifyProof(flowId, browserId, 'assertion', response);
  }

  /** The pending proof's strategy checks the answer; the flow counts failures, blocks, and passes the gate. */
  private async verifyProof(flowId: string, browserId: string, answer: ProofAnswer, given: unknown): Promise<StepResult> {
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return fail('reset.expired');
    const { flow, user, policy } = l;
    const pending = flow.data.pending;
    const strategy = pending ? this.strategies.get(pending.choice) : undefined;
    if (!pending || strategy?.answer !== answer) return fail(answer === 'assertion' ? 'passkeys.expired' : 'reset.notAllowedNow');
    const r = await strategy.verify({ flow, pending, user, policy }, given);
    if (r.ok) return this.passGate(r.value, pending.gate);
    const at = r.flow ?? flow;
    if (r.reason === 'methods.blocked') return this.block(at, user);
    if (r.nothingMatched) return this.decoyFailure(at, user, browserId, r.reason);
    return r.field ? fail(r.reason, { field: r.field }) : fail(r.reason);
  }

  private async passGate(flow: ResetFlow, gate: GateType): Promise<StepResult> {
    const next = transition(flow.state, flow.data, { type: 'gate_passed', gate });
    // From the first passed method on, a password change elsewhere voids this flow.
    if (!next.ok || !(await this.d.flows.advance(flow, next.value, { holdsProof: true }))) return fail('reset.expired');
    return ok(undefined);
  }

  /** Failures that compared nothing real count on a counter of the typed name, with the same numbers as a real user's. */
  // Per name and browser: a stranger typing wrong addresses is blocked exactly like a real
  // user would be, without being able to block the real user's own resets.
  private decoyKey(flow: ResetFlow, browserId: string): string {
    return decoyKeyOf(flow, browserId);
  }

  private blockState(flow: ResetFlow, user: User | null, browserId: string): Promise<BlockState> {
    // NOBODY's counter (never written) for a decoy: the same two reads whoever was named.
    return blockState(this.d, [this.decoyKey(flow, browserId), throttleKeys.verifyFailures((user ?? NOBODY).id)]);
  }

  private async isBlocked(flow: ResetFlow, user: User | null, browserId: string): Promise<boolean> {
    const { d } = this;
    if (lockRemaining(await d.throttle.get(this.decoyKey(flow, browserId)), d.clock.now()) > 0) return true;
    return user ? d.securityInfo.blockedFor(user.id) : false;
  }

  private async decoyFailure(flow: ResetFlow, user: User | null, browserId: string, refusal: StepRefusal): Promise<StepResult> {
    const { d } = this;
    await d.audit.record({ event: 'method_verified', outcome: 'failure', target: { id: user?.id ?? null, name: flow.data.username }, details: { method: flow.data.pending?.gate ?? 'passkey', purpose: 'reset', reason: 'nothing_matched' } });
    const after = await d.throttle.recordFailure(this.decoyKey(flow, browserId), d.verifyFailures);
    if (lockRemaining(after, d.clock.now()) > 0) return this.block(flow, user);
    return refusal === 'methods.codeWrong' ? fail(refusal, { field: 'code' }) : fail(refusal);
  }

  private async block(flow: ResetFlow, user: User | null): Promise<Refused<'methods.blocked'>> {
    const next = transition(flow.state, flow.data, { type: 'blocked' });
    if (next.ok) await this.d.flows.advance(flow, next.value);
    await this.d.audit.record({ event: flow.data.intent === 'unlock' ? 'account_unlock' : 'password_reset', outcome: 'blocked', target: { id: user?.id ?? null, name: flow.data.username }, details: { reason: 'blocked', method: flow.data.passed.join(',') } });
    return fail('methods.blocked');
  }

  /**
   * The new password, once every gate is passed. One request holds the flow (verified →
   * applying); the rules are checked, the password applied (the store for cloud users, the
   * writeback for hybrid ones), and the flow completed — or put back to verified with the
   * reason when nothing was changed, so the user can try again without proving anything twice.
   */
  async setPassword(flowId: string, browserId: string, input: { password: unknown; confirm: unknown }, meta: Omit<Meta, 'browserId'>): Promise<Ok<User> | StepRefused | PasswordRefused> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || !l.user) return fail('reset.expired');
    const { user, policy } = l;
    if (l.flow.state === 'applying') return fail('reset.inProgress');
    if (l.flow.state !== 'verified') return fail('reset.expired');
    if (await d.blocks.isBlocked(user.id)) return fail('reset.selfServiceBlocked');
    const held = await hold(this.d, l.flow, 'reset');
    if (!held) return fail('reset.inProgress');
    const undo = () => release(this.d, held);

    if (user.source === 'onprem') {
      const checked = await checkOnPremisesPassword(d.directory, user, input, await d.adPolicy(user), d.clock.now());
      if (!checked.ok) {
        await undo();
        await outcome(this.d, held, user, 'failure', meta, { reason: checked.adRule ? `onprem_${checked.adRule}` : 'password_rules' });
        return passwordRefused(checked);
      }
      const r = policy.onPremises.writeback ? await d.writeback.reset(user, checked.value) : ({ ok: false, reason: 'disabled' } as const);
      if (!r.ok) {
        await undo();
        await outcome(this.d, held, user, 'failure', meta, { reason: r.reason === 'unavailable' ? 'onprem_unavailable' : r.reason });
        return fail(writebackMessageKey(r.reason));
      }
      await afterOnPremisesPassword(d.users, d.hasher, user, checked.value, policy.onPremises.passwordHashSync);
    } else {
      // The directory checks every rule and the history, then applies: one check, one hash.
      const r = await d.directory.setPassword({ id: user.id, name: user.username, ip: meta.ip, userAgent: meta.userAgent }, user.id, { password: input.password, confirm: input.confirm }, { auditEvent: 'password_set_by_reset', exceptFlowId: held.id });
      if (!r.ok) {
        await undo();
        if (r.reason === 'invalid') await outcome(this.d, held, user, 'failure', meta, { reason: 'password_rules' });
        return passwordRefused(r);
      }
    }
    await finish(this.d, held, user, meta, browserId);
    return ok(user);
  }

  /** What the strength meter shows while the user types (the rules without the history; the server checks everything again on submit). */
  async previewPassword(flowId: string, browserId: string, password: unknown): Promise<{ verdict: PasswordVerdict; passwordLength: PasswordLength } | null> {
    const l = await this.load(flowId, browserId);
    if (!l || !l.user || l.flow.state !== 'verified' || typeof password !== 'string') return null;
    return { verdict: await this.d.directory.previewPassword(password, l.user), passwordLength: this.d.passwordLength };
  }

  /** Unlock only: the sign-in lockout of a cloud user, or AD's lockoutTime through the writeback. */
  async unlock(flowId: string, browserId: string, meta: Omit<Meta, 'browserId'>): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || !l.user) return fail('reset.expired');
    const { user, policy } = l;
    if (!policy.onPremises.allowUnlock) return fail('reset.unlockDisabled');
    if (l.flow.state === 'applying') return fail('reset.inProgress');
    if (l.flow.state !== 'verified') return fail('reset.expired');
    if (await d.blocks.isBlocked(user.id)) return fail('reset.selfServiceBlocked');
    const held = await hold(this.d, l.flow, 'unlock');
    if (!held) return fail('reset.inProgress');
    if (user.source === 'onprem') {
      const r = policy.onPremises.writeback ? await d.writeback.unlock(user) : ({ ok: false, reason: 'disabled' } as const);
      if (!r.ok) {
        await release(this.d, held);
        await outcome(this.d, held, user, 'failure', meta, { reason: r.reason === 'unavailable' ? 'onprem_unavailable' : r.reason });
        return fail(writebackMessageKey(r.reason));
      }
    }
    await finish(this.d, held, user, meta, browserId);
    return ok(undefined);
  }
}
