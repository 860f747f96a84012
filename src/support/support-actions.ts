import type { AuditLog } from '../audit/audit-log.js';
import type { OrgLocale } from '../i18n/locale-context.js';
import { inRecipientLocale } from '../delivery/recipient-locale.js';
import type { Notices } from '../delivery/notices.js';
import type { Actor, Outcome } from '../directory/directory-service.js';
import { nameKey } from '../directory/names.js';
import type { SelfServiceBlockStore } from '../directory/self-service-blocks.js';
import type { User } from '../directory/users.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { Method, MethodStore } from '../methods/method-store.js';
import type { Outbound, RenderEmail } from '../methods/outbound.js';
import { describeMethod } from '../methods/phone.js';
import type { QuestionStore } from '../methods/questions.js';
import type { Reregistrations } from '../methods/reregistration.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Clock } from '../shared/clock.js';
import type { FlowStore } from '../state/flow-store.js';
import type { ResetLinkStore } from '../state/reset-links.js';
import type { SessionStore } from '../state/sessions.js';
import { throttleKeys } from '../state/throttle-keys.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { HybridAccountActions } from '../writeback/admin-actions.js';
import type { SupportAccess, Viewer } from './access.js';
import type { CallerVerifications, MaskedMethod } from './types.js';

/** The actions, by the name their routes, API paths and messages use. */
export const SUPPORT_ACTIONS = ['unblock', 'clearLockout', 'unlockAd', 'removeMethod', 'requireRegistration', 'endSessions', 'resetLink'] as const;
export type SupportActionName = (typeof SUPPORT_ACTIONS)[number];

/** The audit event of each action (also the notice's "this wasn't me" event). */
export const SUPPORT_EVENTS: Record<SupportActionName, string> = {
  unblock: 'support_self_service_unblocked',
  clearLockout: 'support_sign_in_unlocked',
  unlockAd: 'support_ad_unlocked',
  removeMethod: 'support_method_removed',
  requireRegistration: 'support_reregistration_required',
  endSessions: 'support_sessions_ended',
  resetLink: 'support_reset_link_sent',
};

/** The two actions a verified caller unlocks when `helpdesk.requireVerification` is on. */
export const VERIFIED_ONLY: readonly SupportActionName[] = ['unlockAd', 'resetLink'];

/** The method id that stands for the security questions (as in MaskedMethod). */
export const QUESTIONS_ID = 'questions';

export const REASON_MIN = 3;
export const REASON_MAX = 200;

export interface SupportActionDeps {
  access: Pick<SupportAccess, 'refusal'>;
  policy: Pick<PolicyService, 'current'>;
  verifications: CallerVerifications;
  throttle: Pick<ThrottleStore, 'reset'>;
  blocks: Pick<SelfServiceBlockStore, 'get' | 'lift'>;
  hybrid: Pick<HybridAccountActions, 'unlock'>;
  methods: Pick<MethodStore, 'get' | 'list' | 'remove'>;
  questions: Pick<QuestionStore, 'remove' | 'registeredQuestionIds'>;
  reregistrations: Pick<Reregistrations, 'require'>;
  sessions: Pick<SessionStore, 'revokeAllForUser'>;
  flows: Pick<FlowStore, 'voidFlowsOf'>;
  resetLinks: Pick<ResetLinkStore, 'issue'>;
  /** Whether a reset link would work for the user (the reset flow's eligibility). */
  canReset: (user: User) => Promise<boolean>;
  outbound: Pick<Outbound, 'email' | 'sms'>;
  renderEmail: RenderEmail;
  notices: Pick<Notices, 'toUser'>;
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  publicUrl: string;
  /** The organisation's language and zone, for a user who saved none (the helpdesk's own page language is not theirs). */
  defaultLocale: OrgLocale;
}

export interface ActionInput {
  reason: unknown;
  /** removeMethod and resetLink: the method's id (from the masked list). */
  methodId?: unknown;
}

/** What was done, for the page's done message and the API's answer. Never a secret, a token or a full address. */
export interface ActionDone {
  action: SupportActionName;
  /** The masked method acted on (removeMethod, resetLink). */
  method?: string;
  /** resetLink: until when the link works. */
  expiresAt?: number;
}

type Result = Outcome<ActionDone>;

const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** The typed reason, or the field error. */
export function checkReason(raw: unknown): { ok: true; reason: string } | { ok: false; error: MessageKey } {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length < REASON_MIN) return { ok: false, error: 'support.reason.required' };
  if (reason.length > REASON_MAX) return { ok: false, error: 'support.reason.tooLong' };
  if (CONTROL.test(reason)) return { ok: false, error: 'support.reason.controlChars' };
  return { ok: true, reason };
}

const refused = (message: MessageKey): Result => ({ ok: false, reason: 'refused', message });

/**
 * What the helpdesk (and an administrator, the API and the CLI) does for a user who called:
 * unblock self-service, clear the sign-in lockout, unlock in AD, remove a method, require
 * re-registration, end all sessions, send a reset link. Every action is checked with the
 * access rules first, needs a typed reason (nothing changes without one), is audited with the
 * actor, the target and the reason, and is told to the user through the one notice path (with
 * its "this wasn't me" link). The reset-link and AD-unlock actions also need a caller verified
 * in the last 10 minutes while the policy says so. Nothing here ever sets or shows a password.
 */
export class SupportActions {
  constructor(private readonly d: SupportActionDeps) {}

  /** The checks every action runs first: access, reason, and (for two of them) the caller's verification. */
  private async gate(action: SupportActionName, actor: Actor, viewer: Viewer, target: User, input: ActionInput): Promise<{ ok: true; reason: string } | { ok: false; result: Result }> {
    const { d } = this;
    const denied = await d.access.refusal(viewer, target);
    if (denied) return { ok: false, result: refused(denied) };
    const reason = checkReason(input.reason);
    if (!reason.ok) return { ok: false, result: { ok: false, reason: 'invalid', errors: { reason: reason.error } } };
    if (VERIFIED_ONLY.includes(action) && (await d.policy.current()).policy.helpdesk.requireVerification) {
      // An API token or the CLI has no caller on the line: said so, rather than "verify first".
      if (!actor.id) return { ok: false, result: refused('support.refuse.verifyNoCaller') };
      const until = await d.verifications.verifiedUntil(actor.id, target.id);
      if (until === null || until <= d.clock.now()) return { ok: false, result: refused('support.refuse.verifyFirst') };
    }
    return reason;
  }

  /** The refusal an action would meet now, before anything is confirmed or changed (null: it may go ahead). */
  async precheck(action: SupportActionName, actor: Actor, viewer: Viewer, target: User, input: ActionInput): Promise<{ reason: 'refused'; message: string } | null> {
    const g = await this.gate(action, actor, viewer, target, input);
    if (g.ok || g.result.ok || g.result.reason !== 'refused') return null;
    return { reason: 'refused', message: g.result.message };
  }

  private async record(action: SupportActionName, actor: Actor, target: User, note: string, outcome: 'success' | 'failure', details: Record<string, string | number | boolean> = {}): Promise<void> {
    await this.d.audit.record({
      event: SUPPORT_EVENTS[action],
      outcome,
      actor: { id: actor.id, name: actor.name },
      target: { id: target.id, name: target.username },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { note, ...details },
    });
  }

  /** The user hears of it in their own language (saved, else the organisation's), not the helpdesk's. */
  private async tell(action: SupportActionName, user: User, paragraphs: (t: Translate) => string[]): Promise<void> {
    const key = action.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
    await this.d.notices.toUser(user, { event: SUPPORT_EVENTS[action], kind: `notify:support-${key}`, byOther: true, message: (t) => ({ title: t(`mail.support.${action}.title` as MessageKey), paragraphs: paragraphs(t) }) });
  }

  /** Runs one action by name (the routes, the API and the CLI share this door). */
  run(action: SupportActionName, actor: Actor, viewer: Viewer, target: User, input: ActionInput): Promise<Result> {
    switch (action) {
      case 'unblock':
        return this.unblock(actor, viewer, target, input);
      case 'clearLockout':
        return this.clearLockout(actor, viewer, target, input);
      case 'unlockAd':
        return this.unlockAd(actor, viewer, target, input);
      case 'removeMethod':
        return this.removeMethod(actor, viewer, target, input);
      case 'requireRegistration':
        return this.requireRegistration(actor, viewer, target, input);
      case 'endSessions':
        return this.endSessions(actor, viewer, target, input);
      case 'resetLink':
        return this.sendResetLink(actor, viewer, target, input);
    }
  }

  /** Clears the wrong-answer and sent-code counters and lifts a "this wasn't me" block. */
  async unblock(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('unblock', actor, viewer, user, input);
    if (!g.ok) return g.result;
    const { d } = this;
    for (const key of [throttleKeys.verifyFailures(user.id), throttleKeys.emailSends(user.id), throttleKeys.phoneChecks(user.id)]) await d.throttle.reset(key);
    const block = await d.blocks.get(user.id);
    const lifted = block ? await d.blocks.lift(user.id) : false;
    await this.record('unblock', actor, user, g.reason, 'success', { countersCleared: true, notMeBlockLifted: lifted });
    await this.tell('unblock', user, (t) => [t('mail.support.unblock.body')]);
    return { ok: true, value: { action: 'unblock' } };
  }

  /** Forgets the failed sign-ins of the user's name. */
  async clearLockout(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('clearLockout', actor, viewer, user, input);
    if (!g.ok) return g.result;
    await this.d.throttle.reset(throttleKeys.signInUser(nameKey(user.username)));
    await this.record('clearLockout', actor, user, g.reason, 'success');
    await this.tell('clearLockout', user, (t) => [t('mail.support.clearLockout.body')]);
    return { ok: true, value: { action: 'clearLockout' } };
  }

  /** AD's lockout of a hybrid user, through the agent (HybridAccountActions audits AD's verdict too). */
  async unlockAd(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('unlockAd', actor, viewer, user, input);
    if (!g.ok) return g.result;
    const r = await this.d.hybrid.unlock(actor, user);
    await this.record('unlockAd', actor, user, g.reason, r.ok ? 'success' : 'failure');
    if (!r.ok) return r;
    await this.tell('unlockAd', user, (t) => [t('mail.support.unlockAd.body')]);
    return { ok: true, value: { action: 'unlockAd' } };
  }

  /** One method (a lost phone), the security answers (`questions`), or the recovery codes (their method row takes the codes with it). */
  async removeMethod(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('removeMethod', actor, viewer, user, input);
    if (!g.ok) return g.result;
    const { d } = this;
    const id = typeof input.methodId === 'string' ? input.methodId : '';
    // In words when called: the helpdesk's language for the audit, the user's inside the mail.
    let shownIn: () => string;
    let type: string;
    if (id === QUESTIONS_ID) {
      if ((await d.questions.registeredQuestionIds(user.id)).length === 0) return { ok: false, reason: 'not_found', message: 'support.refuse.methodNotFound' };
      await d.questions.remove(user.id);
      shownIn = () => d.t('support.method.questions');
      type = 'questions';
    } else {
      const method = id ? await d.methods.get(user.id, id) : null;
      if (!method || !(await d.methods.remove(user.id, method.id))) return { ok: false, reason: 'not_found', message: 'support.refuse.methodNotFound' };
      shownIn = () => this.describe(method);
      type = method.type;
    }
    const shown = shownIn();
    // A reset or sign-in under way that already used the method cannot finish.
    await d.flows.voidFlowsOf(user.id, { reason: 'helpdesk' });
    await this.record('removeMethod', actor, user, g.reason, 'success', { method: type, shown });
    await this.tell('removeMethod', user, (t) => [t('mail.support.removeMethod.body', { method: shownIn() })]);
    return { ok: true, value: { action: 'removeMethod', method: shown } };
  }

  async requireRegistration(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('requireRegistration', actor, viewer, user, input);
    if (!g.ok) return g.result;
    await this.d.reregistrations.require(user.id, actor.name);
    await this.record('requireRegistration', actor, user, g.reason, 'success');
    await this.tell('requireRegistration', user, (t) => [t('mail.support.requireRegistration.body')]);
    return { ok: true, value: { action: 'requireRegistration' } };
  }

  async endSessions(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('endSessions', actor, viewer, user, input);
    if (!g.ok) return g.result;
    const ended = await this.d.sessions.revokeAllForUser(user.id);
    const flows = await this.d.flows.voidFlowsOf(user.id, { reason: 'helpdesk' });
    await this.record('endSessions', actor, user, g.reason, 'success', { sessionsEnded: ended, flowsEnded: flows });
    await this.tell('endSessions', user, (t) => [t('mail.support.endSessions.body')]);
    return { ok: true, value: { action: 'endSessions' } };
  }

  /**
   * A one-time link, valid an hour, to one registered email address or mobile number chosen by
   * its method id: the helpdesk never types or sees the address, nor the link.
   */
  async sendResetLink(actor: Actor, viewer: Viewer, user: User, input: ActionInput): Promise<Result> {
    const g = await this.gate('resetLink', actor, viewer, user, input);
    if (!g.ok) return g.result;
    const { d } = this;
    const id = typeof input.methodId === 'string' ? input.methodId : '';
    const method = id ? await d.methods.get(user.id, id) : null;
    if (!method || !method.confirmed) return { ok: false, reason: 'not_found', message: 'support.refuse.methodNotFound' };
    if ((method.type !== 'email' && method.type !== 'mobile') || !method.contact) return refused('support.refuse.cannotReceive');
    if (!(await d.canReset(user))) return refused('support.refuse.notEligible');
    const shown = this.describe(method);
    const { token, expiresAt, replaced } = await d.resetLinks.issue(user.id, method.id, actor.name);
    const url = `${d.publicUrl}/reset/link/${token}`;
    const contact = method.contact;
    const sent = await inRecipientLocale(
      user,
      d.defaultLocale,
      () =>
        method.type === 'email'
          ? d.outbound.email({
              to: contact,
              ...d.renderEmail({ title: d.t('mail.resetLink.title'), paragraphs: [d.t('mail.resetLink.body', { username: user.username }), d.t('mail.resetLink.ignore')], action: { label: d.t('mail.resetLink.action'), url } }),
              kind: 'support:reset-link',
              userId: user.id,
            })
          : d.outbound.sms({ to: contact, text: d.t('sms.resetLink', { url }), kind: 'support:reset-link', userId: user.id }),
      { byOther: true },
    );
    await this.record('resetLink', actor, user, g.reason, sent.ok ? 'success' : 'failure', { method: method.type, shown, replacedLinks: replaced, ...(sent.ok ? {} : { problem: sent.reason }) });
    if (!sent.ok) return refused('support.refuse.sendFailed');
    await this.tell('resetLink', user, (t) => [t('mail.support.resetLink.body', { method: this.describe(method) }), t('mail.support.resetLink.ignore')]);
    return { ok: true, value: { action: 'resetLink', method: shown, expiresAt } };
  }

  /** The user's registered methods as the action forms offer them: masked, chosen by id (the support page's reader gives the same with more). */
  async choices(user: User): Promise<MaskedMethod[]> {
    const { d } = this;
    const methods: MaskedMethod[] = (await d.methods.list(user.id, { confirmedOnly: true })).map((m) => ({
      id: m.id,
      type: m.type,
      masked: this.describe(m),
      registeredAt: m.createdAt,
      lastUsedAt: m.lastUsedAt,
      isDefault: m.isDefault,
      canReceive: m.type === 'email' || m.type === 'mobile' || m.type === 'office',
    }));
    if ((await d.questions.registeredQuestionIds(user.id)).length > 0) methods.push({ id: QUESTIONS_ID, type: 'questions', masked: d.t('support.method.questions'), registeredAt: null, lastUsedAt: null, isDefault: false, canReceive: false });
    return methods;
  }

  /** The user's method by id in words, masked (null: not theirs); `questions` for the security answers. */
  async describeById(user: User, id: unknown): Promise<string | null> {
    if (typeof id !== 'string' || id === '') return null;
    if (id === QUESTIONS_ID) return (await this.d.questions.registeredQuestionIds(user.id)).length > 0 ? this.d.t('support.method.questions') : null;
    const method = await this.d.methods.get(user.id, id);
    return method ? this.describe(method) : null;
  }

  /** A method in words, masked, as on the user's own pages: "Email a•••@example.com", "Mobile phone +49 ••• 78", a passkey's name. */
  describe(method: Pick<Method, 'type' | 'contact' | 'label'>): string {
    return describeMethod(this.d.t, method);
  }
}
