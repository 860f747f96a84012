import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor, Outcome } from '../directory/directory-service.js';
import type { User } from '../directory/users.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { Method, MethodStore } from '../methods/method-store.js';
import { maskEmail, maskPhone } from '../delivery/destinations.js';
import type { Channel, CodeWording, Refusal, SecurityInfoService } from '../methods/security-info.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/crypto.js';
import type { CallerVerificationsTable, Database } from '../store/schema.js';
import type { SupportAccess, Viewer } from './access.js';
import type { PasskeyCallerCheck } from './passkey-verification.js';
import { VERIFICATION_VALID_MS, type CallerVerifications } from './types.js';

/** The codes' own purpose: a code sent for the helpdesk proves nothing anywhere else. */
export const HELPDESK_PURPOSE = 'helpdesk-verify';

/** How long the helpdesk has to type an authenticator app's code once asked for. */
const APP_ANSWER_MS = 5 * 60_000;

/** Who verifies: the viewer (for the access checks) with what the audit log records. */
export type Verifier = Viewer & Actor;

/**
 * The actor id a verification is kept under, and the one to pass to `verifiedUntil`: the console
 * user's id, or for the API and the CLI (no user id) the actor's name, `api:<token name>`.
 */
export const verificationActorKey = (actor: Pick<Actor, 'id' | 'name'>): string => actor.id ?? actor.name;

export interface VerificationStarted {
  id: string;
  methodType: Method['type'];
  /** Masked: where the code went (`a•••@example.com`), or the app's name; never a full address. */
  sentTo: string;
  expiresAt: number;
}

export interface VerificationChecked {
  verified: boolean;
  /** Until when the verification counts; null when not verified. */
  verifiedUntil: number | null;
  /** Why not verified (a catalogue key), null when verified. */
  message: MessageKey | null;
}

export interface CallerVerificationDeps {
  db: Kysely<Database>;
  access: SupportAccess;
  methods: Pick<MethodStore, 'get'>;
  securityInfo: Pick<SecurityInfoService, 'deliverCode' | 'verifyCode'>;
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  /** How long a sent code is valid (the methods' code minutes). */
  codeTtlMs: number;
  /** A passkey: a link to the caller's email, confirmed in their browser. */
  passkeyCheck: Pick<PasskeyCallerCheck, 'send'>;
}

const refusalMessage: Partial<Record<Refusal, MessageKey>> = {
  'methods.codeWrong': 'support.verify.wrong',
  'methods.codeTooMany': 'support.verify.expired',
  'methods.codeExpired': 'support.verify.expired',
  'methods.codeNone': 'support.verify.expired',
  'methods.blocked': 'support.verify.blocked',
  'methods.notAvailable': 'support.verify.methodUnavailable',
};

const notFound = { ok: false, reason: 'not_found', message: 'users.notFound' } as const;
const refused = (message: MessageKey) => ({ ok: false, reason: 'refused', message }) as const;

/**
 * The helpdesk verifies a caller with the caller's own registered methods (issue 13, item 4): a
 * code sent to a registered email or phone, or the authenticator app's current code, which the
 * caller reads out. Everything goes through the same paths as self-service — the send limits
 * (emailSends, phoneChecks), the wrong-answer counter that blocks self-service (verifyFailures)
 * and TOTP's step re-use check — so the helpdesk cannot be used to guess codes or pump messages.
 * A success counts for ten minutes, for the actor who verified and that user only. Every start,
 * wrong and right answer and expiry is audited, never the code.
 */
export class CallerVerificationService implements CallerVerifications {
  constructor(private readonly d: CallerVerificationDeps) {}

  private actorKey(actor: Verifier): string {
    return verificationActorKey(actor);
  }

  async verifiedUntil(actorId: string, userId: string): Promise<number | null> {
    const row = await this.d.db
      .selectFrom('caller_verifications')
      .select((eb) => eb.fn.max('expires_at').as('until'))
      .where('actor_id', '=', actorId)
      .where('user_id', '=', userId)
      .where('verified_at', 'is not', null)
      .where('expires_at', '>', this.d.clock.now())
      .executeTakeFirst();
    return row?.until == null ? null : Number(row.until);
  }

  private masked(method: Method): string {
    if (method.type === 'email' && method.contact) return maskEmail(method.contact);
    if ((method.type === 'mobile' || method.type === 'office') && method.contact) return maskPhone(method.contact);
    return method.label || this.d.t(method.type === 'passkey' ? 'methods.type.passkey' : 'methods.type.totp');
  }

  /**
   * Starts a verification with one of the user's confirmed methods (`methodId` from the masked
   * list): sends a code to an email or phone (`channel`: a mobile's text or call), or asks for the
   * app's code. 404 for a user the viewer may not see; refused for one they may not act on.
   */
  async start(actor: Verifier, key: string, input: { methodId: unknown; channel?: unknown }): Promise<Outcome<VerificationStarted>> {
    const { d } = this;
    const user = await d.access.find(actor, key);
    if (!user) return notFound;
    const why = await d.access.refusal(actor, user);
    if (why) return refused(why);
    if (typeof input.methodId !== 'string' || input.methodId === '' || input.methodId.length > 64) return { ok: false, reason: 'invalid', errors: { methodId: 'support.verify.chooseMethod' } };
    const channel: Channel | undefined = input.channel === 'voice' ? 'voice' : input.channel === 'sms' || input.channel === undefined || input.channel === '' ? 'sms' : undefined;
    if (!channel) return { ok: false, reason: 'invalid', errors: { channel: 'support.verify.chooseMethod' } };
    const method = await d.methods.get(user.id, input.methodId);
    if (!method || !method.confirmed || !['email', 'mobile', 'office', 'totp', 'passkey'].includes(method.type)) return refused('support.verify.methodUnavailable');
    if (method.type === 'passkey') {
      const sent = await d.passkeyCheck.send(actor, this.actorKey(actor), user, method);
      return sent.ok ? { ok: true, value: { ...sent.value, methodType: 'passkey' } } : sent;
    }
    const now = d.clock.now();
    if (method.type !== 'totp') {
      const sent = await d.securityInfo.deliverCode(user, method, HELPDESK_PURPOSE, method.type === 'mobile' ? channel : undefined, this.wording(), 'helpdesk');
      if (!sent.ok) {
        await this.audit('caller_verification_started', 'failure', actor, user, method, { reason: sent.reason });
        return refused(refusalMessage[sent.reason] ?? sent.reason);
      }
    }
    const row: CallerVerificationsTable = {
      id: newId(),
      user_id: user.id,
      actor_id: this.actorKey(actor),
      method_id: method.id,
      kind: method.type === 'totp' ? 'totp' : 'code',
      started_at: now,
      verified_at: null,
      expires_at: now + (method.type === 'totp' ? APP_ANSWER_MS : d.codeTtlMs),
      attempts: 0,
      token_hash: null,
      challenge: null,
    };
    await d.db.insertInto('caller_verifications').values(row).execute();
    await this.audit('caller_verification_started', 'success', actor, user, method, method.type === 'mobile' ? { channel } : {});
    return { ok: true, value: { id: row.id, methodType: method.type, sentTo: this.masked(method), expiresAt: row.expires_at } };
  }

  /** The code the caller read out. A wrong one counts towards the user's self-service block. */
  async check(actor: Verifier, key: string, id: string, typed: unknown): Promise<Outcome<VerificationChecked>> {
    const { d } = this;
    const user = await d.access.find(actor, key);
    if (!user) return notFound;
    const why = await d.access.refusal(actor, user);
    if (why) return refused(why);
    const row = id.length <= 64 ? await d.db.selectFrom('caller_verifications').selectAll().where('id', '=', id).where('user_id', '=', user.id).where('actor_id', '=', this.actorKey(actor)).executeTakeFirst() : undefined;
    if (!row) return { ok: false, reason: 'not_found', message: 'support.verify.expired' };
    const now = d.clock.now();
    if (row.verified_at !== null) {
      const counts = row.expires_at > now;
      return { ok: true, value: { verified: counts, verifiedUntil: counts ? row.expires_at : null, message: counts ? null : 'support.verify.expired' } };
    }
    // A passkey is confirmed by the caller, in their own browser: nothing to type here.
    if (row.kind === 'passkey') return { ok: true, value: { verified: false, verifiedUntil: null, message: now >= row.expires_at ? 'support.verify.expired' : 'support.verify.passkeyWaiting' } };
    if (typeof typed !== 'string' || typed.trim() === '' || typed.length > 32) return { ok: false, reason: 'invalid', errors: { code: 'support.verify.codeRequired' } };
    const method = await d.methods.get(user.id, row.method_id);
    if (!method || !method.confirmed) return { ok: true, value: { verified: false, verifiedUntil: null, message: 'support.verify.methodUnavailable' } };
    if (now >= row.expires_at) {
      await this.audit('caller_verification_failed', 'failure', actor, user, method, { reason: 'expired' });
      return { ok: true, value: { verified: false, verifiedUntil: null, message: 'support.verify.expired' } };
    }
    await d.db.updateTable('caller_verifications').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', row.id).execute();
    const r = await d.securityInfo.verifyCode(user, method, HELPDESK_PURPOSE, typed.trim(), 'helpdesk');
    if (!r.ok) {
      await this.audit('caller_verification_failed', r.reason === 'methods.blocked' ? 'blocked' : 'failure', actor, user, method, { reason: r.reason.replace(/^methods\./, '') });
      return { ok: true, value: { verified: false, verifiedUntil: null, message: refusalMessage[r.reason] ?? r.reason } };
    }
    const until = now + VERIFICATION_VALID_MS;
    // Of two parallel right answers one marks the attempt; both are the same verification.
    await d.db.updateTable('caller_verifications').set({ verified_at: now, expires_at: until }).where('id', '=', row.id).where('verified_at', 'is', null).execute();
    await this.audit('caller_verification_succeeded', 'success', actor, user, method, { validUntil: new Date(until).toISOString() });
    return { ok: true, value: { verified: true, verifiedUntil: until, message: null } };
  }

  private wording(): CodeWording {
    const { t, codeTtlMs } = this.d;
    return {
      mail: () => ({ title: t('mail.helpdeskCode.title'), paragraphs: [t('mail.helpdeskCode.body', { minutes: Math.round(codeTtlMs / 60_000) }), t('mail.helpdeskCode.notYou')] }),
      sms: (code) => t('sms.helpdeskCode', { code }),
      voice: (code) => t('voice.helpdeskCode', { code }),
    };
  }

  private async audit(event: string, outcome: 'success' | 'failure' | 'blocked', actor: Verifier, user: User, method: Method, details: Record<string, string>): Promise<void> {
    await this.d.audit.record({
      event,
      outcome,
      actor: { id: actor.id, name: actor.name },
      target: { id: user.id, name: user.username },
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { method: method.type, ...details },
    });
  }
}
