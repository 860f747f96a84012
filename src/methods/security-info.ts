import type { AuditLog } from '../audit/audit-log.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { LockoutPolicy } from '../state/lockout.js';
import { lockRemaining } from '../state/lockout.js';
import type { User } from '../directory/users.js';
import type { Translate } from '../i18n/index.js';
import type { Clock } from '../shared/clock.js';
import { optionalEmailSchema } from '../directory/names.js';
import type { CodeRefusal, CodeService } from './codes.js';
import type { Method, MethodStore } from './method-store.js';
import type { Outbound, RenderEmail } from './outbound.js';
import type { Notices } from '../delivery/notices.js';
import { parseRecoveryCode, RECOVERY_CODES_LOW } from './recovery-code-format.js';
import type { RecoveryCodeStore } from './recovery-code-store.js';
import { describeMethod, normalisePhone } from './phone.js';
import { checkRegistration, type QuestionStore } from './questions.js';
import { matchTotp, newTotpSecret, totpQrSvg, totpUri } from './totp.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { fail, ok, type Ok, type Refused } from '../shared/result.js';
import { inRecipientLocale } from '../delivery/recipient-locale.js';
import type { OrgLocale } from '../i18n/locale-context.js';

export type Channel = 'email' | 'sms' | 'voice';

/** Other words for a code's message (the helpdesk's caller verification); the defaults say "your verification code". */
/** A caller's own words for a code (the helpdesk's check), written when the recipient's language is known. */
export interface CodeWording {
  mail(): { title: string; paragraphs: string[] };
  sms(code: string): string;
  voice(spokenCode: string): string;
}

/** What a notice of a change to security info says. */
export type MethodNotice = 'mail.methodAdded.body' | 'mail.methodRemoved.body' | 'mail.recoveryCodes.used.body' | 'mail.recoveryCodes.usedLow.body' | 'mail.recoveryCodes.usedLast.body' | 'mail.recoveryCodes.regenerated.body';

/** What failed, as catalogue keys the pages show. */
export const refusals = [
  'v.email.invalid',
  'v.phone.invalid',
  'v.phone.tooLong',
  'methods.duplicate',
  'methods.sendFailed',
  'methods.sendLimited',
  'methods.blocked',
  'methods.notFound',
  'methods.codeWrong',
  'methods.codeExpired',
  'methods.codeTooMany',
  'methods.codeNone',
  'methods.notAvailable',
  'methods.questions.wrong',
  'methods.recovery.malformed',
  'methods.recovery.used',
] as const;
export type Refusal = (typeof refusals)[number];

/** A security-info outcome; a refusal caused by one form field names it. */
export type MethodResult<T = undefined> = Ok<T> | (Refused<Refusal> & { field?: string });

/** Why registering security questions was refused; `invalid` carries the message of each field at fault. */
export type QuestionsResult = Ok<undefined> | Refused<'methods.notAvailable'> | (Refused<'invalid'> & { errors: Record<string, string> });

export interface MethodsPolicy {
  available: readonly string[];
  codeMinutes: number;
  questions: { toRegister: number; toAnswer: number; custom: readonly string[] };
}

interface Deps {
  methods: MethodStore;
  users: { markSecurityInfoConfirmed(id: string): Promise<void> };
  codes: CodeService;
  questions: QuestionStore;
  recoveryCodes: Pick<RecoveryCodeStore, 'use' | 'count'>;
  outbound: Outbound;
  renderEmail: RenderEmail;
  /** The one notice path (with the "this wasn't me" link). */
  notices: Pick<Notices, 'toUser'>;
  audit: AuditLog;
  throttle: ThrottleStore;
  clock: Clock;
  t: Translate;
  /** The policy as it stands now (the stored SSPR policy can change while the portal runs). */
  policy: () => MethodsPolicy;
  productName: string;
  /** The organisation's language and zone, for a code sent on someone else's behalf to a user who chose none. */
  defaultLocale: OrgLocale;
  phoneRegion: string;
  limits: { verifyFailures: LockoutPolicy; phoneOrApp: LockoutPolicy; emailSends: LockoutPolicy };
}

const codeRefusal: Record<CodeRefusal, Refusal> = {
  wrong: 'methods.codeWrong',
  expired: 'methods.codeExpired',
  too_many_tries: 'methods.codeTooMany',
  no_code: 'methods.codeNone',
};

/** Reads digits out one by one, twice, for a voice call. */
export function spokenCode(code: string): string {
  return code.split('').join(', ');
}

/** Whose wrong-answer counter blocks a code: the user's self-service one, or the helpdesk's caller verification of that user. */
export type WrongAnswers = 'self-service' | 'helpdesk';

/**
 * Registering, testing and removing methods ("My security info"), and sending and checking
 * codes for any purpose (registration, sign-in MFA, later password reset). Everything a user
 * can fail at comes back as a Refusal key with plain words in the catalogue.
 */
export class SecurityInfoService {
  constructor(private readonly d: Deps) {}

  available(kind: 'email' | 'mobile_sms' | 'mobile_voice' | 'office_voice' | 'totp' | 'passkey' | 'questions' | 'recovery_code'): boolean {
    return this.d.policy().available.includes(kind);
  }

  /**
   * Sends a code through a method's channel. Counted against the user's send limits.
   * `failures`: the wrong-answer counter that blocks it (the user's own by default; the helpdesk's
   * caller verification keeps its own, so a self-service block does not stop the helpdesk from
   * checking the caller).
   */
  async deliverCode(user: User, method: Method, purpose: string, channel?: Channel, wording?: CodeWording, failures: WrongAnswers = 'self-service'): Promise<MethodResult> {
    const { d } = this;
    const via: Channel = method.type === 'email' ? 'email' : method.type === 'office' ? 'voice' : (channel ?? 'sms');
    if (!method.contact || (method.type === 'email') !== (via === 'email')) return fail('methods.notAvailable');
    const blocked = await this.blockedFor(user.id, failures);
    if (blocked) return fail('methods.blocked');
    const counterKey = via === 'email' ? throttleKeys.emailSends(user.id) : throttleKeys.phoneChecks(user.id);
    const counter = await d.throttle.get(counterKey);
    if (lockRemaining(counter, d.clock.now()) > 0) return fail('methods.sendLimited');
    await d.throttle.recordFailure(counterKey, via === 'email' ? d.limits.emailSends : d.limits.phoneOrApp);

    const { code } = await d.codes.issue(user.id, method.id, purpose);
    const minutes = d.policy().codeMinutes;
    const kind = `code:${purpose}`;
    const contact = method.contact;
    // In the user's language: their saved one, else the page they are on; for a helpdesk's check, never the helpdesk's.
    const result = await inRecipientLocale(
      user,
      d.defaultLocale,
      () => {
        if (via === 'email') {
          const mail = d.renderEmail({ ...(wording?.mail() ?? { title: d.t('mail.code.title', { product: d.productName }), paragraphs: [d.t('mail.code.body', { minutes }), d.t('mail.code.notYou')] }), code });
          return d.outbound.email({ to: contact, ...mail, kind, userId: user.id });
        }
        if (via === 'sms') return d.outbound.sms({ to: contact, text: wording?.sms(code) ?? d.t('sms.code', { code, product: d.productName, minutes }), kind, userId: user.id });
        const digits = spokenCode(code);
        return d.outbound.voice({ to: contact, say: wording?.voice(digits) ?? d.t('voice.code', { code: digits, product: d.productName }), kind, userId: user.id });
      },
      { byOther: failures === 'helpdesk' },
    );
    await d.audit.record({ event: 'method_code_sent', outcome: result.ok ? 'success' : 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: method.type, channel: via, purpose, ...(result.ok ? {} : { reason: result.reason }) } });
    if (!result.ok) {
      await d.codes.voidAll(user.id);
      return fail(result.reason === 'rate_limited' ? 'methods.sendLimited' : 'methods.sendFailed');
    }
    return ok(undefined);
  }

  /** Checks a typed code (email/SMS/voice), an authenticator-app code or a saved recovery code for a method. */
  async verifyCode(user: User, method: Method, purpose: string, typed: string, failures: WrongAnswers = 'self-service'): Promise<MethodResult> {
    const { d } = this;
    if (await this.blockedFor(user.id, failures)) return fail('methods.blocked');
    let accepted: boolean;
    let refusal: Refusal = 'methods.codeWrong';
    // Only a real guess counts towards the block: a code already used (a double click, a
    // parallel submission) or expired compared nothing.
    let guessed = true;
    if (method.type === 'totp') {
      const checksKey = throttleKeys.phoneChecks(user.id);
      if (lockRemaining(await d.throttle.get(checksKey), d.clock.now()) > 0) return fail('methods.sendLimited');
      await d.throttle.recordFailure(checksKey, d.limits.phoneOrApp);
      const secret = await d.methods.totpSecret(user.id, method.id);
      const step = secret ? matchTotp(secret, typed, d.clock.now()) : null;
      // A code already used inside its window is refused: claimTotpStep is a compare-and-swap.
      accepted = step !== null && (await d.methods.claimTotpStep(method.id, step));
    } else if (method.type === 'recovery_code') {
      // Something that cannot be a recovery code compares nothing and changes nothing.
      const code = parseRecoveryCode(typed);
      if (code === null) return fail('methods.recovery.malformed');
      const checksKey = throttleKeys.phoneChecks(user.id);
      if (lockRemaining(await d.throttle.get(checksKey), d.clock.now()) > 0) return fail('methods.sendLimited');
      await d.throttle.recordFailure(checksKey, d.limits.phoneOrApp);
      // One compare-and-swap: of parallel submissions of one code exactly one is accepted.
      const use = method.confirmed ? await d.recoveryCodes.use(user.id, method.id, code) : 'unknown';
      accepted = use === 'used';
      // A code spent a moment ago (a double click) is the owner's: it guessed nothing.
      if (use === 'already_used') {
        refusal = 'methods.recovery.used';
        guessed = false;
      }
    } else {
      const check = await d.codes.verify(user.id, method.id, purpose, typed);
      accepted = check.ok;
      if (!check.ok) refusal = codeRefusal[check.reason];
      guessed = check.ok || check.reason === 'wrong' || check.reason === 'too_many_tries';
    }
    await d.audit.record({ event: 'method_verified', outcome: accepted ? 'success' : 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: method.type, purpose } });
    if (!accepted && !guessed) return fail(refusal);
    if (!accepted) {
      // A wrong code always counts towards the user's own block; the helpdesk's wrong codes also on its own counter, which is what stops it.
      const own = await d.throttle.recordFailure(throttleKeys.verifyFailures(user.id), d.limits.verifyFailures);
      const after = failures === 'helpdesk' ? await d.throttle.recordFailure(throttleKeys.callerVerifyFailures(user.id), d.limits.verifyFailures) : own;
      if (lockRemaining(after, d.clock.now()) > 0) return fail('methods.blocked');
      return fail(refusal);
    }
    await d.methods.markUsed(method.id);
    if (method.type === 'recovery_code') await this.recoveryCodeUsed(user, method);
    return ok(undefined);
  }

  /** A spent recovery code is news for the owner: how many are left, never which one was used. The last one retires the set. */
  private async recoveryCodeUsed(user: User, method: Method): Promise<void> {
    const { d } = this;
    const { left, total } = await d.recoveryCodes.count(user.id, method.id);
    if (left === 0) {
      await d.methods.retire(user.id, method.id);
      await d.audit.record({ event: 'method_removed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: method.type, reason: 'all_codes_used' } });
    }
    const body = left === 0 ? 'mail.recoveryCodes.usedLast.body' : left <= RECOVERY_CODES_LOW ? 'mail.recoveryCodes.usedLow.body' : 'mail.recoveryCodes.used.body';
    await this.notify(user, body, () => this.describe(method), undefined, { left, total });
  }

  async blockedFor(userId: string, failures: WrongAnswers = 'self-service'): Promise<boolean> {
    const key = failures === 'helpdesk' ? throttleKeys.callerVerifyFailures(userId) : throttleKeys.verifyFailures(userId);
    return lockRemaining(await this.d.throttle.get(key), this.d.clock.now()) > 0;
  }

  /** Step 1 of adding an email or phone: store it unconfirmed and send a code to it. */
  async startContact(user: User, type: 'email' | 'mobile' | 'office', input: unknown, channel: Channel = 'sms'): Promise<MethodResult<Method>> {
    const { d } = this;
    const wanted = type === 'email' ? 'email' : type === 'office' ? 'office_voice' : channel === 'voice' ? 'mobile_voice' : 'mobile_sms';
    if (!this.available(wanted)) return fail('methods.notAvailable');
    let normalised: string;
    if (type === 'email') {
      const parsed = optionalEmailSchema.safeParse(input);
      if (!parsed.success || !parsed.data) return fail('v.email.invalid', { field: 'email' });
      normalised = parsed.data.toLowerCase();
    } else {
      const phone = normalisePhone(typeof input === 'string' ? input : '', d.phoneRegion);
      if (!phone.ok) return fail(phone.reason, { field: 'phone' });
      normalised = phone.value;
    }
    if (await d.methods.findByContact(user.id, type, normalised)) return fail('methods.duplicate', { field: type === 'email' ? 'email' : 'phone' });
    await d.methods.removeUnconfirmed(user.id, type);
    const method = await d.methods.addContact(user.id, type, normalised);
    const sent = await this.deliverCode(user, method, 'register', type === 'office' ? 'voice' : type === 'email' ? 'email' : channel);
    if (!sent.ok) {
      await d.methods.remove(user.id, method.id);
      return sent;
    }
    return ok(method);
  }

  /** Step 2: the code that reached the address or phone confirms it. */
  async confirmContact(user: User, methodId: string, code: string): Promise<MethodResult<Method>> {
    const method = await this.d.methods.get(user.id, methodId);
    if (!method || method.confirmed || method.type === 'totp' || method.type === 'passkey') return fail('methods.notFound');
    const check = await this.verifyCode(user, method, 'register', code);
    if (!check.ok) return check;
    await this.d.methods.confirm(user.id, method.id);
    await this.added(user, method);
    return ok((await this.d.methods.get(user.id, method.id))!);
  }

  async startTotp(user: User): Promise<MethodResult<{ method: Method; secret: string; uri: string; qrSvg: string }>> {
    if (!this.available('totp')) return fail('methods.notAvailable');
    await this.d.methods.removeUnconfirmed(user.id, 'totp');
    const secret = newTotpSecret();
    const method = await this.d.methods.addTotp(user.id, secret, this.d.t('methods.totp.defaultLabel'));
    const uri = totpUri(secret, this.d.productName, user.username);
    return ok({ method, secret, uri, qrSvg: await totpQrSvg(uri) });
  }

  async confirmTotp(user: User, methodId: string, code: string): Promise<MethodResult<Method>> {
    const method = await this.d.methods.get(user.id, methodId);
    if (!method || method.type !== 'totp' || method.confirmed) return fail('methods.notFound');
    const check = await this.verifyCode(user, method, 'register', code);
    if (!check.ok) return check;
    await this.d.methods.confirm(user.id, method.id);
    await this.added(user, method);
    return ok((await this.d.methods.get(user.id, method.id))!);
  }

  async registerQuestions(user: User, entries: Array<{ questionId: unknown; answer: unknown }>): Promise<QuestionsResult> {
    if (!this.available('questions')) return fail('methods.notAvailable');
    const checked = checkRegistration(entries, this.d.policy().questions);
    if (!checked.ok) return checked;
    const had = (await this.d.questions.registeredQuestionIds(user.id)).length > 0;
    await this.d.questions.register(user.id, checked.value);
    await this.d.users.markSecurityInfoConfirmed(user.id);
    await this.d.audit.record({ event: had ? 'method_changed' : 'method_added', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'questions' } });
    await this.notify(user, 'mail.methodAdded.body', () => this.d.t('methods.type.questions'));
    return ok(undefined);
  }

  /** Checks answers to registered questions (a self-test now; the reset flow later). Wrong answers count towards the block. */
  async verifyAnswers(user: User, answers: Array<{ questionId: string; answer: unknown }>, purpose = 'test'): Promise<MethodResult> {
    const { d } = this;
    if (await this.blockedFor(user.id)) return fail('methods.blocked');
    const checksKey = throttleKeys.phoneChecks(user.id);
    if (lockRemaining(await d.throttle.get(checksKey), d.clock.now()) > 0) return fail('methods.sendLimited');
    await d.throttle.recordFailure(checksKey, d.limits.phoneOrApp);
    const clean = answers.map((a) => ({ questionId: a.questionId, answer: typeof a.answer === 'string' && a.answer.length <= 400 ? a.answer : '' }));
    const right = clean.every((a) => a.answer !== '') && (await d.questions.checkAnswers(user.id, clean));
    await d.audit.record({ event: 'method_verified', outcome: right ? 'success' : 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'questions', purpose } });
    if (right) return ok(undefined);
    const after = await d.throttle.recordFailure(throttleKeys.verifyFailures(user.id), d.limits.verifyFailures);
    return fail(lockRemaining(after, d.clock.now()) > 0 ? 'methods.blocked' : 'methods.questions.wrong');
  }

  async removeQuestions(user: User): Promise<void> {
    await this.d.questions.remove(user.id);
    await this.d.audit.record({ event: 'method_removed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'questions' } });
    await this.notify(user, 'mail.methodRemoved.body', () => this.d.t('methods.type.questions'));
  }

  async remove(user: User, methodId: string): Promise<MethodResult> {
    const method = await this.d.methods.get(user.id, methodId);
    if (!method) return fail('methods.notFound');
    await this.d.methods.remove(user.id, method.id);
    if (method.confirmed) {
      await this.d.audit.record({ event: 'method_removed', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: method.type } });
      await this.notify(user, 'mail.methodRemoved.body', () => this.describe(method), method);
    }
    return ok(undefined);
  }

  private async added(user: User, method: Method): Promise<void> {
    await this.d.users.markSecurityInfoConfirmed(user.id);
    await this.d.audit.record({ event: 'method_added', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: method.type } });
    await this.notify(user, 'mail.methodAdded.body', () => this.describe(method), method);
  }

  describe(method: Method): string {
    return describeMethod(this.d.t, method);
  }

  /**
   * Tells the user about a change on their other channels: every confirmed email method and the
   * account's own address, except the method just changed. No secrets in the message; the one
   * notice path adds the "this wasn't me" link.
   */
  /** `what`: the method in words, written when called (inside the recipient's language: the services' translator follows it). */
  async notify(user: User, bodyKey: MethodNotice, what: () => string, except?: Method, values: Record<string, string | number> = {}): Promise<void> {
    const { d } = this;
    const event = bodyKey === 'mail.methodAdded.body' ? 'method_added' : bodyKey === 'mail.methodRemoved.body' ? 'method_removed' : bodyKey === 'mail.recoveryCodes.regenerated.body' ? 'recovery_codes_regenerated' : 'recovery_code_used';
    await d.notices.toUser(user, {
      event,
      kind: 'notify:method-changed',
      message: (t) => ({ title: t('mail.methodChanged.title', { product: d.productName }), paragraphs: [t(bodyKey, { ...values, method: what() })] }),
      except: except?.type === 'email' && except.contact ? [except.contact] : [],
    });
  }
}
