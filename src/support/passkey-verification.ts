import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { OrgLocale } from '../i18n/locale-context.js';
import { inRecipientLocale } from '../delivery/recipient-locale.js';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor, Outcome } from '../directory/directory-service.js';
import type { User, UserStore } from '../directory/users.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { Method, MethodStore } from '../methods/method-store.js';
import type { Outbound, RenderEmail } from '../methods/outbound.js';
import type { PasskeyService } from '../methods/passkeys.js';
import { maskEmail } from '../delivery/destinations.js';
import { lockRemaining, type LockoutPolicy } from '../state/lockout.js';
import { throttleKeys } from '../state/throttle-keys.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { Clock } from '../shared/clock.js';
import { hmac, newId, randomToken } from '../shared/crypto.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { Database } from '../store/schema.js';
import { VERIFICATION_VALID_MS } from './types.js';

/** The caller's page behind the link. */
export const PASSKEY_CHECK_PATH = '/helpdesk-check';
/** How long the link to the caller's passkey page works. */
export const PASSKEY_LINK_MS = 10 * 60_000;
const PURPOSE = 'helpdesk-verify';

export interface PasskeyCallerCheckDeps {
  db: Kysely<Database>;
  users: Pick<UserStore, 'byId'>;
  methods: Pick<MethodStore, 'list'>;
  passkeys: Pick<PasskeyService, 'authenticationOptions' | 'verifyAuthentication' | 'blocked'>;
  outbound: Pick<Outbound, 'email'>;
  renderEmail: RenderEmail;
  throttle: ThrottleStore;
  emailSends: LockoutPolicy;
  audit: AuditLog;
  clock: Clock;
  t: Translate;
  /** Keys the tokens' hashes: a copied database holds no usable link. */
  key: Buffer;
  publicUrl: string;
  /** The organisation's language and zone, for a user who saved none (the helpdesk's own page language is not theirs). */
  defaultLocale: OrgLocale;
}

export type PasskeyCheckRefusal = 'support.verify.linkInvalid' | 'support.verify.blocked' | 'passkeys.failed' | 'passkeys.expired' | 'methods.notAvailable';

/** What the caller's page shows. */
export type PasskeyCheckView = { kind: 'ready'; username: string } | { kind: 'done' } | { kind: 'invalid' };

/**
 * A caller verified with their passkey, which cannot be read out over the phone: the helpdesk
 * sends a one-time link to one of the caller's registered email addresses; the caller opens it in
 * their own browser and confirms with one of their passkeys. Opening the link changes nothing
 * (mail scanners follow links); the challenge is single use; a failed assertion counts on the
 * user's wrong-answer counter like any other. The helpdesk's page shows "verified" once done.
 */
export class PasskeyCallerCheck {
  constructor(private readonly d: PasskeyCallerCheckDeps) {}

  private hash(token: string): string {
    return hmac(this.d.key, `helpdesk-passkey:${token}`);
  }

  /** Sends the link; `passkey` is the method the helpdesk picked (any of the user's passkeys will do). */
  async send(actor: Actor, actorKey: string, user: User, passkey: Method): Promise<Outcome<{ id: string; sentTo: string; expiresAt: number }>> {
    const { d } = this;
    const refused = (message: MessageKey) => ({ ok: false, reason: 'refused', message }) as const;
    const confirmed = await d.methods.list(user.id, { confirmedOnly: true });
    const email = confirmed.filter((m) => m.type === 'email' && m.contact).sort((a, b) => Number(b.isDefault) - Number(a.isDefault))[0];
    if (!email?.contact) return refused('support.verify.passkeyNeedsEmail');
    if (await d.passkeys.blocked(user.id)) return refused('support.verify.blocked');
    const counterKey = throttleKeys.emailSends(user.id);
    if (lockRemaining(await d.throttle.get(counterKey), d.clock.now()) > 0) return refused('methods.sendLimited');
    await d.throttle.recordFailure(counterKey, d.emailSends);
    const token = randomToken(32);
    const now = d.clock.now();
    const id = newId();
    await d.db
      .insertInto('caller_verifications')
      .values({ id, user_id: user.id, actor_id: actorKey, method_id: passkey.id, kind: 'passkey', started_at: now, verified_at: null, expires_at: now + PASSKEY_LINK_MS, attempts: 0, token_hash: this.hash(token), challenge: null })
      .execute();
    const url = `${d.publicUrl.replace(/\/$/, '')}${PASSKEY_CHECK_PATH}?token=${encodeURIComponent(token)}`;
    const mail = inRecipientLocale(
      user,
      d.defaultLocale,
      () =>
        d.renderEmail({
          title: d.t('mail.helpdeskPasskey.title'),
          paragraphs: [d.t('mail.helpdeskPasskey.body', { minutes: PASSKEY_LINK_MS / 60_000 }), d.t('mail.helpdeskCode.notYou')],
          action: { label: d.t('mail.helpdeskPasskey.action'), url },
        }),
      { byOther: true },
    );
    const sent = await d.outbound.email({ to: email.contact, ...mail, kind: 'helpdesk-verify-passkey', userId: user.id });
    const audit = { actor: { id: actor.id, name: actor.name }, target: { id: user.id, name: user.username }, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
    if (!sent.ok) {
      await d.db.deleteFrom('caller_verifications').where('id', '=', id).execute();
      await d.audit.record({ event: 'caller_verification_started', outcome: 'failure', ...audit, details: { method: 'passkey', reason: sent.reason } });
      return refused(sent.reason === 'rate_limited' ? 'methods.sendLimited' : 'methods.sendFailed');
    }
    await d.audit.record({ event: 'caller_verification_started', outcome: 'success', ...audit, details: { method: 'passkey', channel: 'email_link' } });
    return { ok: true, value: { id, sentTo: maskEmail(email.contact), expiresAt: now + PASSKEY_LINK_MS } };
  }

  private async open(token: unknown) {
    if (typeof token !== 'string' || token.length === 0 || token.length > 100) return null;
    const row = await this.d.db.selectFrom('caller_verifications').selectAll().where('token_hash', '=', this.hash(token)).executeTakeFirst();
    if (!row || row.kind !== 'passkey') return null;
    const user = await this.d.users.byId(row.user_id);
    return user?.enabled ? { row, user } : null;
  }

  /** The caller's page: nothing changes on GET. */
  async view(token: unknown): Promise<PasskeyCheckView> {
    const opened = await this.open(token);
    if (!opened) return { kind: 'invalid' };
    if (opened.row.verified_at !== null) return { kind: 'done' };
    if (this.d.clock.now() >= opened.row.expires_at) return { kind: 'invalid' };
    return { kind: 'ready', username: opened.user.username };
  }

  /** A challenge for the caller's browser, limited to the user's own passkeys. */
  async options(token: unknown): Promise<Result<PublicKeyCredentialRequestOptionsJSON, PasskeyCheckRefusal>> {
    const { d } = this;
    const opened = await this.open(token);
    if (!opened || opened.row.verified_at !== null || d.clock.now() >= opened.row.expires_at) return fail('support.verify.linkInvalid');
    if (await d.passkeys.blocked(opened.user.id)) return fail('support.verify.blocked');
    const ids = (await d.methods.list(opened.user.id, { confirmedOnly: true })).filter((m) => m.type === 'passkey').map((m) => m.id);
    const options = await d.passkeys.authenticationOptions(opened.user.id, ids);
    if (!options) return fail('methods.notAvailable');
    await d.db.updateTable('caller_verifications').set({ challenge: options.challenge }).where('id', '=', opened.row.id).where('verified_at', 'is', null).execute();
    return ok(options);
  }

  /** The caller's assertion. The challenge is taken out first, so a parallel answer loses. */
  async verify(token: unknown, response: unknown): Promise<Result<undefined, PasskeyCheckRefusal>> {
    const { d } = this;
    const opened = await this.open(token);
    if (!opened || opened.row.verified_at !== null || d.clock.now() >= opened.row.expires_at) return fail('support.verify.linkInvalid');
    const { row, user } = opened;
    if (!row.challenge) return fail('passkeys.expired');
    const taken = await d.db.updateTable('caller_verifications').set({ challenge: null }).set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', row.id).where('challenge', '=', row.challenge).executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return fail('passkeys.expired');
    const ids = (await d.methods.list(user.id, { confirmedOnly: true })).filter((m) => m.type === 'passkey').map((m) => m.id);
    const r = await d.passkeys.verifyAuthentication(user, row.challenge, response, ids, PURPOSE);
    const audit = { actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, ip: null, userAgent: null };
    if (!r.ok) {
      const blocked = r.reason === 'methods.blocked';
      await d.audit.record({ event: 'caller_verification_failed', outcome: blocked ? 'blocked' : 'failure', ...audit, details: { method: 'passkey', by: 'caller', helpdesk: row.actor_id, reason: r.reason.replace(/^[a-z]+\./, '') } });
      return fail(blocked ? 'support.verify.blocked' : 'passkeys.failed');
    }
    const now = d.clock.now();
    const until = now + VERIFICATION_VALID_MS;
    // The link is spent (verified_at is set: options and verify refuse it); opening it again says it is done.
    await d.db.updateTable('caller_verifications').set({ verified_at: now, expires_at: until }).where('id', '=', row.id).where('verified_at', 'is', null).execute();
    await d.audit.record({ event: 'caller_verification_succeeded', outcome: 'success', ...audit, details: { method: 'passkey', by: 'caller', helpdesk: row.actor_id, validUntil: new Date(until).toISOString() } });
    return ok(undefined);
  }
}
