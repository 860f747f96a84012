import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { AuditLog } from '../../audit/audit-log.js';
import { lockRemaining, type LockoutPolicy } from '../../state/lockout.js';
import type { ThrottleStore } from '../../state/throttle-store.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { DirectoryService, Outcome } from '../../directory/directory-service.js';
import { nameKey, optionalEmailSchema } from '../../directory/names.js';
import type { PasswordHasher } from '../../directory/password-hash.js';
import type { User, UserStore } from '../../directory/users.js';
import type { Translate } from '../../i18n/index.js';
import type { PasswordVerdict } from '../../passwords/check.js';
import type { CodeService } from '../../methods/codes.js';
import type { Method, MethodStore } from '../../methods/method-store.js';
import type { Outbound, RenderEmail } from '../../methods/outbound.js';
import type { PasskeyService } from '../../methods/passkeys.js';
import { normalisePhone } from '../../methods/phone.js';
import { questionCatalogue, type QuestionStore } from '../../methods/questions.js';
import type { Refusal, SecurityInfoService } from '../../methods/security-info.js';
import { matchTotp } from '../../methods/totp.js';
import type { PolicyService } from '../../policy/policy-service.js';
import { effectiveFor, gateOfChoice, type GateType, type MethodChoice, type Policy } from '../../policy/policy.js';
import type { Clock } from '../../shared/clock.js';
import { hashToken, hmac } from '../../shared/crypto.js';
import type { Writeback, WritebackRefusal } from '../../writeback/writeback.js';
import type { ReportedPolicy } from '../../agent-protocol/index.js';
import { afterOnPremisesPassword, checkOnPremisesPassword } from '../../writeback/onprem-password.js';
import type { FlowStore, StoredFlow } from '../../state/flow-store.js';
import type { Captcha } from './captcha.js';
import { startData, transition, type Intent, type Pending, type ResetData, type ResetState } from './reset-flow.js';
import { throttleKeys } from '../../state/throttle-keys.js';

export const RESET_FLOW = 'reset';

/** What a step can answer: catalogue keys the pages show. */
export type ResetRefusal =
  | Refusal
  | 'reset.expired'
  | 'reset.captchaFailed'
  | 'reset.tooManyStarts'
  | 'reset.notAllowedNow'
  | 'reset.unlockDisabled'
  | `writeback.${WritebackRefusal}`
  | 'reset.inProgress'
  | 'passkeys.failed'
  | 'passkeys.expired';

export type StepResult<T = undefined> = { ok: true; value: T } | { ok: false; error: ResetRefusal; field?: string };

export type ResetFlow = StoredFlow<ResetState, ResetData>;

export type ResetView =
  | { kind: 'expired' }
  | { kind: 'verifying'; flow: ResetFlow; choices: MethodChoice[]; questions: Array<{ id: string; text: string; custom: boolean }>; helpdesk: string | null; noMoreMethods: boolean }
  | { kind: 'verified'; flow: ResetFlow; user: User; canUnlock: boolean; helpdesk: string | null; adPolicy: ReportedPolicy | null }
  | { kind: 'applying'; flow: ResetFlow }
  | { kind: 'completed'; flow: ResetFlow }
  | { kind: 'failed'; flow: ResetFlow; helpdesk: string | null };

interface Meta {
  ip: string;
  userAgent: string;
  browserId: string;
}

interface Deps {
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
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  lookupKey: Buffer;
  publicUrl: string;
  productName: string;
  phoneRegion: string;
  flowTtlMs: number;
  codeTtlMs: number;
  startsPerIp: LockoutPolicy;
  verifyFailures: LockoutPolicy;
  /** The domain password policy the agents reported, for hybrid users (null until one did). */
  adPolicy: (user: User) => Promise<ReportedPolicy | null>;
}

/** Stands in for a name that matches no account while the eligibility queries run. */
const NOBODY: User = {
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
};

const CODE_CHOICES = new Set<MethodChoice>(['email', 'mobile_sms', 'mobile_voice', 'office_voice']);
/** AD's verdicts in plain words (src/writeback/messages.en.ts). */
const writebackMessage = (reason: WritebackRefusal | 'too_young'): ResetRefusal => `writeback.${reason}`;

/**
 * Forgot password and unlock account, for people who cannot sign in.
 *
 * Until identity is proven every answer is the same whoever was named: an unknown, disabled,
 * out-of-scope or unregistered user gets a flow too (a decoy, user id null), the same pages,
 * the same "if this matches, a code is on its way", and the same block after the same number
 * of wrong answers. Contact details are never taken from the request: the user types the full
 * address or number, and a code goes only to a registered one that matches. Every step is a
 * compare-and-swap on the stored flow, which is bound to one browser and expires.
 */
export class ResetService {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: Deps) {}

  /** Waits for codes being sent in the background (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private background(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async start(input: { username: unknown; captcha: unknown; intent: Intent }, meta: Meta): Promise<StepResult<{ flowId: string }>> {
    const { d } = this;
    const { policy } = await d.policy.current();
    if (input.intent === 'unlock' && !policy.onPremises.allowUnlock) return { ok: false, error: 'reset.unlockDisabled' };
    if (typeof input.username !== 'string' || input.username.trim() === '') return { ok: false, error: 'v.username.required' as Refusal, field: 'username' };
    const username = input.username.trim();
    if (username.length > 256) return { ok: false, error: 'v.username.tooLong' as Refusal, field: 'username' };
    const ipKey = throttleKeys.resetStarts(meta.ip);
    if (lockRemaining(await d.throttle.get(ipKey), d.clock.now()) > 0) return { ok: false, error: 'reset.tooManyStarts' };
    if (!(await d.captcha.verify(input.captcha))) return { ok: false, error: 'reset.captchaFailed', field: 'captcha' };
    await d.throttle.recordFailure(ipKey, d.startsPerIp);

    const user = await d.users.byUsername(username);
    // The same queries run for a name that matches nobody, so the time taken tells nothing.
    const eligible = await this.eligible(user ?? NOBODY, policy);
    const required = user && eligible ? effectiveFor(policy, user).required : policy.methodsRequired;
    const { state, data } = startData(input.intent, username, required);
    const flow = await d.flows.create<ResetState, ResetData>({ kind: RESET_FLOW, state, userId: eligible ? user!.id : null, browserId: meta.browserId, data, ttlMs: d.flowTtlMs });
    await d.audit.record({
      event: 'reset_started',
      outcome: 'info',
      target: { id: user?.id ?? null, name: username.slice(0, 256) },
      ip: meta.ip,
      userAgent: meta.userAgent,
      // For administrators only (the audit log): why a flow could never succeed.
      details: { intent: input.intent, eligible, ...(eligible ? {} : { why: !user ? 'unknown' : !user.enabled ? 'disabled' : 'not_in_scope_or_not_registered' }) },
    });
    return { ok: true, value: { flowId: flow.id } };
  }

  /** In scope, enabled, and registered with enough different methods the policy accepts. */
  private async eligible(user: User, policy: Policy): Promise<boolean> {
    const inScope = await this.d.policy.inScope({ ...user, enabled: true }, policy);
    const gates = await this.registeredGates(user, policy);
    return user !== NOBODY && user.enabled && inScope && gates.size >= effectiveFor(policy, user).required;
  }

  private async registeredGates(user: User, policy: Policy): Promise<Set<GateType>> {
    const eff = effectiveFor(policy, user);
    const gates = new Set<GateType>();
    for (const m of await this.d.methods.list(user.id, { confirmedOnly: true })) {
      const gate = m.type as GateType;
      if (eff.gates.has(gate) && (gate !== 'mobile' || eff.available.includes('mobile_sms') || eff.available.includes('mobile_voice'))) gates.add(gate);
    }
    if (eff.gates.has('questions') && (await this.d.questions.registeredQuestionIds(user.id)).length >= policy.questions.toAnswer) gates.add('questions');
    return gates;
  }

  private async load(flowId: string, browserId: string): Promise<{ flow: ResetFlow; user: User | null; policy: Policy } | null> {
    const loaded = await this.d.flows.load<ResetState, ResetData>(RESET_FLOW, flowId, browserId);
    if (!loaded.ok) return null;
    const { policy } = await this.d.policy.current();
    const user = loaded.flow.userId ? await this.d.users.byId(loaded.flow.userId) : null;
    // A user disabled (or deleted) during the flow carries on as a decoy: nothing can succeed.
    return { flow: loaded.flow, user: user?.enabled ? user : null, policy };
  }

  /** The methods offered: the policy's list, the same for everyone until a gate is passed. */
  private choicesFor(flow: ResetFlow, user: User | null, policy: Policy): MethodChoice[] {
    const offered = policy.methodsAvailable.filter((c) => !flow.data.passed.includes(gateOfChoice[c]));
    if (flow.data.passed.length === 0 || !user) return offered;
    // Past the first gate the user is partly proven: offer only what can still work for them.
    return offered.filter((c) => effectiveFor(policy, user).available.includes(c));
  }

  async view(flowId: string, browserId: string): Promise<ResetView> {
    const l = await this.load(flowId, browserId);
    if (!l) return { kind: 'expired' };
    const { flow, user, policy } = l;
    const helpdesk = policy.customization.helpdesk;
    switch (flow.state) {
      case 'verifying': {
        const choices = this.choicesFor(flow, user, policy);
        const ids = flow.data.pending?.questionIds ?? [];
        const catalogue = new Map(questionCatalogue(policy.questions.custom).map((q) => [q.id, q]));
        const questions = ids.map((id) => catalogue.get(id) ?? { id, text: id, custom: true });
        let noMoreMethods = false;
        if (user && flow.data.passed.length > 0) {
          const left = [...(await this.registeredGates(user, policy))].filter((g) => !flow.data.passed.includes(g));
          noMoreMethods = left.length === 0;
        }
        return { kind: 'verifying', flow, choices, questions, helpdesk, noMoreMethods };
      }
      case 'verified':
        if (!user) return { kind: 'expired' };
        return { kind: 'verified', flow, user, canUnlock: policy.onPremises.allowUnlock, helpdesk, adPolicy: user.source === 'onprem' ? await this.d.adPolicy(user) : null };
      case 'applying':
        return { kind: 'applying', flow };
      case 'completed':
        return { kind: 'completed', flow };
      case 'failed':
        return { kind: 'failed', flow, helpdesk };
    }
  }

  /**
   * The user picks a method. For email and phones they type the full address or number; a code
   * is sent only when it matches a registered one, in the background, so the answer and its
   * timing are the same either way. TOTP and questions need nothing sent.
   */
  async choose(flowId: string, browserId: string, input: { choice: unknown; contact?: unknown }): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const { flow, user, policy } = l;
    const choice = this.choicesFor(flow, user, policy).find((c) => c === input.choice);
    if (!choice || choice === 'passkey') return { ok: false, error: 'methods.notAvailable' };
    const gate = gateOfChoice[choice];
    if (await this.isBlocked(flow, user, browserId)) return this.block(flow, user);
    // Only a user who may use this kind of method gets a real proof; anyone else a decoy one.
    const real = user && effectiveFor(policy, user).available.includes(choice) ? user : null;
    let pending: Pending;
    if (CODE_CHOICES.has(choice)) {
      const contact = this.normaliseContact(choice, input.contact);
      if (!contact.ok) return { ok: false, error: contact.error, field: 'contact' };
      const type = gate as 'email' | 'mobile' | 'office';
      const method = real ? await d.methods.findByContact(real.id, type, contact.value) : null;
      const usable = method?.confirmed ? method : null;
      pending = { choice, gate, methodId: usable?.id ?? null, expiresAt: d.clock.now() + d.codeTtlMs };
      if (real && usable) {
        const channel = choice === 'email' ? 'email' : choice === 'mobile_sms' ? 'sms' : 'voice';
        this.background(d.securityInfo.sendCode(real, usable, 'reset', channel));
      }
    } else if (choice === 'totp') {
      const totps = real ? (await d.methods.list(real.id, { confirmedOnly: true })).filter((m) => m.type === 'totp') : [];
      pending = { choice, gate, methodId: totps[0]?.id ?? null, expiresAt: flow.expiresAt };
    } else {
      const ids = real ? (await d.questions.registeredQuestionIds(real.id)).slice(0, policy.questions.toAnswer) : [];
      const enough = ids.length >= policy.questions.toAnswer;
      pending = { choice, gate, methodId: enough ? 'questions' : null, questionIds: enough ? ids : this.decoyQuestions(flow.data.username, policy), expiresAt: flow.expiresAt };
    }
    const next = transition(flow.state, flow.data, { type: 'proof_started', pending });
    if (!next.ok) return { ok: false, error: 'methods.notAvailable' };
    if (!(await d.flows.advance(flow, next))) return { ok: false, error: 'reset.expired' };
    return { ok: true, value: undefined };
  }

  private normaliseContact(choice: MethodChoice, input: unknown): { ok: true; value: string } | { ok: false; error: Refusal } {
    if (choice === 'email') {
      const parsed = optionalEmailSchema.safeParse(input);
      if (!parsed.success || !parsed.data) return { ok: false, error: 'v.email.invalid' };
      return { ok: true, value: parsed.data.toLowerCase() };
    }
    const phone = normalisePhone(typeof input === 'string' ? input : '', this.d.phoneRegion);
    return phone.ok ? { ok: true, value: phone.e164 } : { ok: false, error: phone.error };
  }

  /** The same questions every time for the same typed name, drawn from the catalogue: a decoy cannot be told from a real user. */
  private decoyQuestions(username: string, policy: Policy): string[] {
    const catalogue = questionCatalogue(policy.questions.custom);
    const seed = Buffer.from(hmac(this.d.lookupKey, `reset-decoy-questions:${nameKey(username)}`), 'base64url');
    const picked: string[] = [];
    for (let i = 0; picked.length < policy.questions.toAnswer && i + 1 < seed.length; i++) {
      const q = catalogue[seed.readUInt16BE(i) % catalogue.length]!;
      if (!picked.includes(q.id)) picked.push(q.id);
    }
    return picked.sort();
  }

  async abandonProof(flowId: string, browserId: string): Promise<StepResult> {
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const next = transition(l.flow.state, l.flow.data, { type: 'proof_abandoned' });
    if (!next.ok || !(await this.d.flows.advance(l.flow, next))) return { ok: false, error: 'reset.expired' };
    return { ok: true, value: undefined };
  }

  /** A code from email, text, call or the authenticator app. */
  async checkCode(flowId: string, browserId: string, typed: unknown): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const { flow, user } = l;
    const pending = flow.data.pending;
    if (!pending || (!CODE_CHOICES.has(pending.choice) && pending.choice !== 'totp')) return { ok: false, error: 'reset.notAllowedNow' };
    const code = typeof typed === 'string' ? typed.replace(/[\s-]/g, '') : '';
    if (!/^\d{6,8}$/.test(code)) return { ok: false, error: 'methods.codeWrong', field: 'code' };
    const method = user && pending.methodId ? await d.methods.get(user.id, pending.methodId) : null;
    if (!user || !method) return this.decoyFailure(flow, user, browserId);
    let target: Method = method;
    if (method.type === 'totp') {
      // Several authenticator apps: the one whose code this is.
      const now = d.clock.now();
      for (const m of (await d.methods.list(user.id, { confirmedOnly: true })).filter((x) => x.type === 'totp')) {
        const secret = await d.methods.totpSecret(user.id, m.id);
        if (secret && matchTotp(secret, code, now) !== null) target = m;
      }
    }
    const r = await d.securityInfo.checkCode(user, target, 'reset', code);
    if (!r.ok) {
      if (r.error === 'methods.blocked') return this.block(flow, user);
      return { ok: false, error: r.error, field: 'code' };
    }
    return this.passGate(flow, pending.gate);
  }

  async checkQuestions(flowId: string, browserId: string, answers: unknown[]): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const { flow, user } = l;
    const pending = flow.data.pending;
    if (!pending || pending.choice !== 'questions' || !pending.questionIds) return { ok: false, error: 'reset.notAllowedNow' };
    const given = pending.questionIds.map((questionId, i) => ({ questionId, answer: answers[i] }));
    if (!user || pending.methodId !== 'questions') {
      // The same argon2 work as real answers, then the same failure.
      for (const a of given) await d.hasher.verifyNothing(typeof a.answer === 'string' ? a.answer.slice(0, 400) : '');
      return this.decoyFailure(flow, user, browserId, 'methods.questions.wrong');
    }
    const r = await d.securityInfo.checkQuestions(user, given, 'reset');
    if (!r.ok) {
      if (r.error === 'methods.blocked') return this.block(flow, user);
      return { ok: false, error: r.error };
    }
    return this.passGate(flow, 'questions');
  }

  /** A passkey challenge for this flow (no credential list: nothing about the account is revealed). */
  async passkeyOptions(flowId: string, browserId: string): Promise<StepResult<PublicKeyCredentialRequestOptionsJSON>> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const { flow, user, policy } = l;
    if (!this.choicesFor(flow, user, policy).includes('passkey')) return { ok: false, error: 'methods.notAvailable' };
    if (await this.isBlocked(flow, user, browserId)) return this.block(flow, user);
    const options = await d.passkeys.discoverableOptions();
    if (!options) return { ok: false, error: 'methods.notAvailable' };
    const real = user && effectiveFor(policy, user).available.includes('passkey') ? user : null;
    const pending: Pending = { choice: 'passkey', gate: 'passkey', methodId: real ? 'passkey' : null, challenge: options.challenge, expiresAt: d.clock.now() + 5 * 60_000 };
    const next = transition(flow.state, flow.data, { type: 'proof_started', pending });
    if (!next.ok || !(await d.flows.advance(flow, next))) return { ok: false, error: 'reset.expired' };
    return { ok: true, value: options };
  }

  async passkeyVerify(flowId: string, browserId: string, response: unknown): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || l.flow.state !== 'verifying') return { ok: false, error: 'reset.expired' };
    const { flow, user } = l;
    const pending = flow.data.pending;
    if (!pending || pending.choice !== 'passkey' || !pending.challenge) return { ok: false, error: 'passkeys.expired' };
    // The challenge is taken out first: single use, and a parallel answer loses the swap.
    const cleared = transition(flow.state, flow.data, { type: 'proof_abandoned' });
    if (!cleared.ok || !(await d.flows.advance(flow, cleared))) return { ok: false, error: 'passkeys.expired' };
    const after: ResetFlow = { ...flow, data: cleared.data, version: flow.version + 1 };
    if (d.clock.now() >= pending.expiresAt) return { ok: false, error: 'passkeys.expired' };
    if (!user || pending.methodId !== 'passkey') return this.decoyFailure(after, user, browserId, 'passkeys.failed');
    const ids = (await d.methods.list(user.id, { confirmedOnly: true })).filter((m) => m.type === 'passkey').map((m) => m.id);
    const r = await d.passkeys.verifyAssertion(user, pending.challenge, response, ids, 'reset');
    if (!r.ok) {
      if (r.error === 'methods.blocked') return this.block(after, user);
      return { ok: false, error: 'passkeys.failed' };
    }
    const withPending = transition(after.state, after.data, { type: 'proof_started', pending: { ...pending, challenge: undefined } });
    if (!withPending.ok || !(await d.flows.advance(after, withPending))) return { ok: false, error: 'reset.expired' };
    return this.passGate({ ...after, data: withPending.data, version: after.version + 1 }, 'passkey');
  }

  private async passGate(flow: ResetFlow, gate: GateType): Promise<StepResult> {
    const next = transition(flow.state, flow.data, { type: 'gate_passed', gate });
    if (!next.ok || !(await this.d.flows.advance(flow, next))) return { ok: false, error: 'reset.expired' };
    return { ok: true, value: undefined };
  }

  /** Failures that compared nothing real count on a counter of the typed name, with the same numbers as a real user's. */
  // Per name and browser: a stranger typing wrong addresses is blocked exactly like a real
  // user would be, without being able to block the real user's own resets.
  private decoyKey(flow: ResetFlow, browserId: string): string {
    return throttleKeys.resetDecoy(nameKey(flow.data.username), hashToken(browserId).slice(0, 32));
  }

  private async isBlocked(flow: ResetFlow, user: User | null, browserId: string): Promise<boolean> {
    const { d } = this;
    if (lockRemaining(await d.throttle.get(this.decoyKey(flow, browserId)), d.clock.now()) > 0) return true;
    return user ? d.securityInfo.blockedFor(user.id) : false;
  }

  private async decoyFailure(flow: ResetFlow, user: User | null, browserId: string, error: ResetRefusal = 'methods.codeWrong'): Promise<StepResult> {
    const { d } = this;
    await d.audit.record({ event: 'method_verified', outcome: 'failure', target: { id: user?.id ?? null, name: flow.data.username }, details: { method: flow.data.pending?.gate ?? 'passkey', purpose: 'reset', reason: 'nothing_matched' } });
    const after = await d.throttle.recordFailure(this.decoyKey(flow, browserId), d.verifyFailures);
    if (lockRemaining(after, d.clock.now()) > 0) return this.block(flow, user);
    return { ok: false, error, field: error === 'methods.codeWrong' ? 'code' : undefined };
  }

  private async block(flow: ResetFlow, user: User | null): Promise<{ ok: false; error: ResetRefusal }> {
    const next = transition(flow.state, flow.data, { type: 'blocked' });
    if (next.ok) await this.d.flows.advance(flow, next);
    await this.d.audit.record({ event: flow.data.intent === 'unlock' ? 'account_unlock' : 'password_reset', outcome: 'blocked', target: { id: user?.id ?? null, name: flow.data.username }, details: { reason: 'blocked', method: flow.data.passed.join(',') } });
    return { ok: false, error: 'methods.blocked' };
  }

  /**
   * The new password, once every gate is passed. One request holds the flow (verified →
   * applying); the rules are checked, the password applied (the store for cloud users, the
   * writeback for hybrid ones), and the flow completed — or put back to verified with the
   * reason when nothing was changed, so the user can try again without proving anything twice.
   */
  async setPassword(flowId: string, browserId: string, input: { password: unknown; confirm: unknown }, meta: Omit<Meta, 'browserId'>): Promise<Outcome<User> | { ok: false; reason: 'flow'; message: ResetRefusal }> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || !l.user) return { ok: false, reason: 'flow', message: 'reset.expired' };
    const { user, policy } = l;
    if (l.flow.state === 'applying') return { ok: false, reason: 'flow', message: 'reset.inProgress' };
    if (l.flow.state !== 'verified') return { ok: false, reason: 'flow', message: 'reset.expired' };
    const held = await this.hold(l.flow, 'reset');
    if (!held) return { ok: false, reason: 'flow', message: 'reset.inProgress' };
    const release = () => this.release(held);

    if (user.source === 'onprem') {
      const checked = await checkOnPremisesPassword(d.directory, user, input, await d.adPolicy(user), d.clock.now());
      if (!checked.ok) {
        await release();
        await this.outcome(held, user, 'failure', meta, { reason: checked.adRule ? `onprem_${checked.adRule}` : 'password_rules' });
        return checked;
      }
      const r = policy.onPremises.writeback ? await d.writeback.reset(user, checked.value) : ({ ok: false, reason: 'disabled' } as const);
      if (!r.ok) {
        await release();
        await this.outcome(held, user, 'failure', meta, { reason: r.reason === 'unavailable' ? 'onprem_unavailable' : r.reason });
        return { ok: false, reason: 'flow', message: writebackMessage(r.reason) };
      }
      await afterOnPremisesPassword(d.users, d.hasher, user, checked.value, policy.onPremises.passwordHashSync);
    } else {
      // The directory checks every rule and the history, then applies: one check, one hash.
      const r = await d.directory.setPassword({ id: user.id, name: user.username, ip: meta.ip, userAgent: meta.userAgent }, user.id, { password: input.password, confirm: input.confirm }, { auditEvent: 'password_set_by_reset' });
      if (!r.ok) {
        await release();
        if (r.reason === 'invalid') await this.outcome(held, user, 'failure', meta, { reason: 'password_rules' });
        return r;
      }
    }
    await this.finish(held, user, meta, browserId);
    return { ok: true, value: user };
  }

  /** What the strength meter shows while the user types (the rules without the history; the server checks everything again on submit). */
  async previewPassword(flowId: string, browserId: string, password: unknown): Promise<PasswordVerdict | null> {
    const l = await this.load(flowId, browserId);
    if (!l || !l.user || l.flow.state !== 'verified' || typeof password !== 'string') return null;
    return this.d.directory.previewPassword(password, l.user);
  }

  /** Unlock only: the sign-in lockout of a cloud user, or AD's lockoutTime through the writeback. */
  async unlock(flowId: string, browserId: string, meta: Omit<Meta, 'browserId'>): Promise<StepResult> {
    const { d } = this;
    const l = await this.load(flowId, browserId);
    if (!l || !l.user) return { ok: false, error: 'reset.expired' };
    const { user, policy } = l;
    if (!policy.onPremises.allowUnlock) return { ok: false, error: 'reset.unlockDisabled' };
    if (l.flow.state === 'applying') return { ok: false, error: 'reset.inProgress' };
    if (l.flow.state !== 'verified') return { ok: false, error: 'reset.expired' };
    const held = await this.hold(l.flow, 'unlock');
    if (!held) return { ok: false, error: 'reset.inProgress' };
    if (user.source === 'onprem') {
      const r = policy.onPremises.writeback ? await d.writeback.unlock(user) : ({ ok: false, reason: 'disabled' } as const);
      if (!r.ok) {
        await this.release(held);
        await this.outcome(held, user, 'failure', meta, { reason: r.reason === 'unavailable' ? 'onprem_unavailable' : r.reason });
        return { ok: false, error: writebackMessage(r.reason) };
      }
    }
    await this.finish(held, user, meta, browserId);
    return { ok: true, value: undefined };
  }

  private async hold(flow: ResetFlow, action: Intent): Promise<ResetFlow | null> {
    const next = transition(flow.state, flow.data, { type: 'apply', action });
    if (!next.ok || !(await this.d.flows.advance(flow, next))) return null;
    return { ...flow, state: next.state, data: next.data, version: flow.version + 1 };
  }

  private async release(held: ResetFlow): Promise<void> {
    const back = transition(held.state, held.data, { type: 'apply_refused' });
    if (back.ok) await this.d.flows.advance(held, back);
  }

  private async outcome(flow: ResetFlow, user: User, outcome: 'success' | 'failure', meta: Omit<Meta, 'browserId'>, details: Record<string, string> = {}): Promise<void> {
    await this.d.audit.record({
      event: flow.data.action === 'unlock' ? 'account_unlock' : 'password_reset',
      outcome,
      actor: { id: user.id, name: user.username },
      target: { id: user.id, name: user.username },
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { method: flow.data.passed.join(','), intent: flow.data.intent, ...details },
    });
  }

  /** Done: the flow completes, counters start afresh, codes die, sessions end, people are told. */
  private async finish(held: ResetFlow, user: User, meta: Omit<Meta, 'browserId'>, browserId: string): Promise<void> {
    const { d } = this;
    const done = transition(held.state, held.data, { type: 'applied' });
    if (done.ok) await d.flows.advance(held, done);
    const action = held.data.action ?? 'reset';
    // A reset also unlocks; Entra's counters reset after a successful reset.
    await d.throttle.reset(throttleKeys.signInUser(nameKey(user.username)));
    await d.throttle.reset(throttleKeys.verifyFailures(user.id));
    await d.throttle.reset(this.decoyKey(held, browserId));
    await d.codes.voidAll(user.id);
    if (action === 'reset') await d.sessions.revokeAllForUser(user.id);
    await this.outcome(held, user, 'success', meta);
    const { policy } = await d.policy.current();
    if (action === 'unlock' || policy.notifications.usersOnReset) await this.notifyUser(user, action);
    if (action === 'reset' && user.roles.includes('administrator') && policy.notifications.adminsOnAdminReset) await this.notifyAdmins(user);
  }

  private async emailsOf(user: User): Promise<Set<string>> {
    const targets = new Set<string>();
    if (user.email) targets.add(user.email.toLowerCase());
    for (const m of await this.d.methods.list(user.id, { confirmedOnly: true })) if (m.type === 'email' && m.contact) targets.add(m.contact);
    return targets;
  }

  private async notifyUser(user: User, action: Intent): Promise<void> {
    const { d } = this;
    const mail = d.renderEmail({
      title: d.t(action === 'unlock' ? 'mail.unlocked.title' : 'mail.reset.title'),
      paragraphs: [d.t(action === 'unlock' ? 'mail.unlocked.body' : 'mail.reset.body', { username: user.username }), d.t('mail.reset.notYou')],
      action: { label: d.t('mail.reset.action'), url: `${d.publicUrl}/sign-in` },
    });
    for (const to of await this.emailsOf(user)) await d.outbound.email({ to, ...mail, kind: `notify:${action === 'unlock' ? 'account-unlocked' : 'password-reset'}`, userId: user.id });
  }

  /** Entra's "notify all admins when other admins reset their password". */
  private async notifyAdmins(resetter: User): Promise<void> {
    const { d } = this;
    const mail = d.renderEmail({
      title: d.t('mail.adminReset.title'),
      paragraphs: [d.t('mail.adminReset.body', { username: resetter.username, name: resetter.displayName }), d.t('mail.adminReset.check')],
      action: { label: d.t('mail.adminReset.action'), url: `${d.publicUrl}/admin/audit?event=password_reset` },
    });
    for (const admin of await d.users.enabledWithRole('administrator')) {
      if (admin.id === resetter.id) continue;
      for (const to of await this.emailsOf(admin)) await d.outbound.email({ to, ...mail, kind: 'notify:admin-reset', userId: admin.id });
    }
  }
}
