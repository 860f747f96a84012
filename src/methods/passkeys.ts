import { isIP } from 'node:net';
import { z } from 'zod';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoUint8Array, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import type { AuditLog } from '../audit/audit-log.js';
import type { LockoutPolicy } from '../state/lockout.js';
import { lockRemaining } from '../state/lockout.js';
import type { ThrottleStore } from '../state/throttle-store.js';
import type { User } from '../directory/users.js';
import type { FlowStore } from '../state/flow-store.js';
import type { Clock } from '../shared/clock.js';
import type { Method, MethodStore, PasskeyData } from './method-store.js';
import type { SecurityInfoService } from './security-info.js';
import { throttleKeys } from '../state/throttle-keys.js';
import { fail, ok, type Ok, type Refused, type Result } from '../shared/result.js';

/** Why a passkey's name is refused, as catalogue keys. */
export const passkeyNameRefusals = ['v.passkeyName.required', 'v.passkeyName.tooLong', 'v.noControlChars'] as const;
export type PasskeyNameRefusal = (typeof passkeyNameRefusals)[number];

/** What can go wrong with a passkey, as catalogue keys. */
export const passkeyRefusals = ['methods.notAvailable', 'methods.notFound', 'methods.blocked', 'passkeys.tooMany', 'passkeys.expired', 'passkeys.failed', 'passkeys.alreadyRegistered', 'v.passkeyName.taken', ...passkeyNameRefusals] as const;
export type PasskeyRefusal = (typeof passkeyRefusals)[number];

/** A passkey outcome; a refusal caused by the name field says so. */
export type PasskeyResult<T> = Ok<T> | (Refused<PasskeyRefusal> & { field?: 'name' });

/** The relying party: always from the configured public URL, never from the request. */
export interface RelyingParty {
  /** The RP ID: the public URL's host name. */
  id: string;
  /** The one origin a ceremony may come from. */
  origin: string;
  name: string;
  /** Browsers refuse IP addresses as RP IDs: passkeys need a host name (localhost counts). */
  usable: boolean;
}

export function relyingParty(publicUrl: string, name: string): RelyingParty {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { id: url.hostname, origin: url.origin, name, usable: isIP(host) === 0 };
}

export const PASSKEY_NAME_MAX = 60;
/** Enough for every device a person owns, and a bound on what one user can store. */
export const PASSKEYS_MAX = 20;
const REGISTER_FLOW = 'passkey-register';
const ASSERT_FLOW = 'passkey-assert';
const CEREMONY_TIMEOUT_MS = 2 * 60_000;

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A passkey's name as the user typed it: trimmed, 1–60 characters (code points), no control characters. */
export function checkPasskeyName(input: unknown): Result<string, PasskeyNameRefusal> {
  if (typeof input !== 'string') return fail('v.passkeyName.required');
  if (input.length > PASSKEY_NAME_MAX * 8) return fail('v.passkeyName.tooLong');
  const name = input.trim();
  if (name === '') return fail('v.passkeyName.required');
  if ([...name].length > PASSKEY_NAME_MAX) return fail('v.passkeyName.tooLong');
  if (CONTROL.test(name)) return fail('v.noControlChars');
  return ok(name);
}

// What the browser sends back, type-checked and bounded before any cryptography runs.
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+={0,2}$/);
const transport = z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const common = {
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};
export const registrationResponseSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(16_384),
    transports: z.array(z.string().max(32)).max(10).optional(),
    authenticatorData: b64url(16_384).optional(),
    publicKey: b64url(4096).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
});
export const authenticationResponseSchema = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(16_384),
    signature: b64url(2048),
    userHandle: b64url(1024).optional(),
  }),
});

interface RegisterFlowData {
  challenge: string;
  name: string;
}

/** Why a signed-in user answers a passkey challenge: to test one passkey, or to re-verify before changes. */
export type AssertionPurpose = 'test' | 'reauth';

interface AssertFlowData {
  challenge: string;
  purpose: AssertionPurpose;
  /** The passkeys the challenge may be answered with (allowCredentials). */
  methodIds: string[];
  /** Where a re-verification continues (checked by the caller before it is stored). */
  next?: string;
}

interface Deps {
  methods: MethodStore;
  flows: FlowStore;
  users: { markSecurityInfoConfirmed(id: string): Promise<void> };
  securityInfo: SecurityInfoService;
  audit: AuditLog;
  throttle: ThrottleStore;
  clock: Clock;
  rp: RelyingParty;
  verifyFailures: LockoutPolicy;
  /** How long an issued challenge may be answered. */
  challengeTtlMs: number;
}

type StoredPasskey = PasskeyData & { id: string };

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown } | null;
  return !!e && (e.code === '23505' || (typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT')));
}

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server. Every challenge is generated and kept
 * here (registration: a `passkey-register` flow bound to the browser and the user; sign-in: a
 * field of the sign-in flow), expires, and is consumed before the answer is checked, so it
 * works once whatever the outcome. The RP ID and origin come from the configured public URL.
 */
export class PasskeyService {
  constructor(private readonly d: Deps) {}

  get rp(): RelyingParty {
    return this.d.rp;
  }

  /** Allowed by the policy and possible with this public URL. */
  available(): boolean {
    return this.d.rp.usable && this.d.securityInfo.available('passkey');
  }

  private transports(p: StoredPasskey): AuthenticatorTransportFuture[] {
    return p.transports.filter((t): t is AuthenticatorTransportFuture => transport.safeParse(t).success);
  }

  /** Step 1 of registering: a named passkey, options for navigator.credentials.create(). */
  async startRegistration(user: User, browserId: string, nameInput: unknown): Promise<PasskeyResult<{ flowId: string; options: PublicKeyCredentialCreationOptionsJSON }>> {
    const { d } = this;
    if (!this.available()) return fail('methods.notAvailable');
    const checked = checkPasskeyName(nameInput);
    if (!checked.ok) return fail(checked.reason, { field: 'name' as const });
    const existing = await d.methods.passkeys(user.id);
    if (existing.length >= PASSKEYS_MAX) return fail('passkeys.tooMany');
    const labels = (await d.methods.list(user.id)).filter((m) => m.type === 'passkey').map((m) => m.label.toLocaleLowerCase());
    if (labels.includes(checked.value.toLocaleLowerCase())) return fail('v.passkeyName.taken', { field: 'name' as const });
    const options = await generateRegistrationOptions({
      rpName: d.rp.name,
      rpID: d.rp.id,
      userName: user.username,
      userDisplayName: user.displayName,
      // A stable handle that is not personal data: the same account on the same authenticator replaces, never duplicates.
      userID: isoUint8Array.fromUTF8String(user.id),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: this.transports(p) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    const flow = await d.flows.create<'awaiting_passkey' | 'used', RegisterFlowData>({
      kind: REGISTER_FLOW,
      state: 'awaiting_passkey',
      userId: user.id,
      browserId,
      data: { challenge: options.challenge, name: checked.value },
      ttlMs: d.challengeTtlMs,
    });
    return ok({ flowId: flow.id, options });
  }

  /** Step 2: the authenticator's answer to our challenge; the challenge is used up whatever the outcome. */
  async finishRegistration(user: User, browserId: string, flowId: unknown, responseInput: unknown): Promise<PasskeyResult<Method>> {
    const { d } = this;
    if (!this.available()) return fail('methods.notAvailable');
    if (typeof flowId !== 'string') return fail('passkeys.expired');
    const loaded = await d.flows.load<'awaiting_passkey' | 'used', RegisterFlowData>(REGISTER_FLOW, flowId, browserId);
    if (!loaded.ok || loaded.value.userId !== user.id || loaded.value.state !== 'awaiting_passkey') return fail('passkeys.expired');
    const flow = loaded.value;
    if (!(await d.flows.advance(flow, { state: 'used', data: flow.data }))) return fail('passkeys.expired');

    const parsed = registrationResponseSchema.safeParse(responseInput);
    if (!parsed.success) return this.registrationFailed(user, 'malformed');
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response: parsed.data as RegistrationResponseJSON,
        expectedChallenge: flow.data.challenge,
        expectedOrigin: d.rp.origin,
        expectedRPID: d.rp.id,
        requireUserVerification: false,
      });
    } catch {
      return this.registrationFailed(user, 'invalid');
    }
    if (!verified.verified) return this.registrationFailed(user, 'invalid');
    const { credential } = verified.registrationInfo;
    const transports = (parsed.data.response.transports ?? []).filter((t) => transport.safeParse(t).success);
    return this.save(user, flow.data.name, { credentialId: credential.id, publicKey: isoBase64URL.fromBuffer(credential.publicKey), signCount: credential.counter, transports });
  }

  private async registrationFailed(user: User, reason: string): Promise<PasskeyResult<never>> {
    await this.d.audit.record({ event: 'method_added', outcome: 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'passkey', reason } });
    return fail('passkeys.failed');
  }

  /** Stores a verified credential; a credential id is registered once, in the whole portal. */
  async save(user: User, name: string, data: PasskeyData): Promise<PasskeyResult<Method>> {
    const { d } = this;
    if ((await d.methods.passkeys(user.id)).some((p) => p.credentialId === data.credentialId)) return fail('passkeys.alreadyRegistered');
    let method: Method;
    try {
      method = await d.methods.addPasskey(user.id, name, data);
    } catch (err) {
      if (isUniqueViolation(err)) return fail('passkeys.alreadyRegistered');
      throw err;
    }
    // As for every other method: the first confirmed one becomes the default.
    if (!(await d.methods.list(user.id, { confirmedOnly: true })).some((m) => m.isDefault)) await d.methods.setDefault(user.id, method.id);
    await d.users.markSecurityInfoConfirmed(user.id);
    await d.audit.record({ event: 'method_added', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'passkey' } });
    await d.securityInfo.notify(user, 'mail.methodAdded.body', () => d.securityInfo.describe(method), method);
    return ok(method);
  }

  /**
   * A challenge for a signed-in user: `test` limits it to one passkey, `reauth` allows all of the
   * user's passkeys. Kept server-side in a `passkey-assert` flow bound to the browser and the
   * user, for one purpose, expiring like every other challenge.
   */
  async startAssertion(user: User, browserId: string, purpose: AssertionPurpose, opts: { methodId?: unknown; next?: string } = {}): Promise<PasskeyResult<{ flowId: string; options: PublicKeyCredentialRequestOptionsJSON }>> {
    const { d } = this;
    if (!this.available()) return fail('methods.notAvailable');
    if (await this.blocked(user.id)) return fail('methods.blocked');
    const all = (await d.methods.passkeys(user.id)).map((p) => p.id);
    const methodIds = purpose === 'test' ? all.filter((id) => id === opts.methodId) : all;
    if (!methodIds.length) return fail('methods.notFound');
    const options = await this.authenticationOptions(user.id, methodIds);
    if (!options) return fail('methods.notAvailable');
    const flow = await d.flows.create<'awaiting_passkey' | 'used', AssertFlowData>({
      kind: ASSERT_FLOW,
      state: 'awaiting_passkey',
      userId: user.id,
      browserId,
      data: { challenge: options.challenge, purpose, methodIds, ...(opts.next !== undefined ? { next: opts.next } : {}) },
      ttlMs: d.challengeTtlMs,
    });
    return ok({ flowId: flow.id, options });
  }

  /**
   * The answer to a `startAssertion` challenge: used up first (whatever the outcome), then checked
   * against the passkeys it was issued for. Success changes only last-used and the counter.
   */
  async finishAssertion(user: User, browserId: string, purpose: AssertionPurpose, flowId: unknown, responseInput: unknown): Promise<PasskeyResult<{ method: Method; next?: string }>> {
    const { d } = this;
    if (!this.available()) return fail('methods.notAvailable');
    if (typeof flowId !== 'string') return fail('passkeys.expired');
    const loaded = await d.flows.load<'awaiting_passkey' | 'used', AssertFlowData>(ASSERT_FLOW, flowId, browserId);
    if (!loaded.ok || loaded.value.userId !== user.id || loaded.value.state !== 'awaiting_passkey' || loaded.value.data.purpose !== purpose) return fail('passkeys.expired');
    const flow = loaded.value;
    if (!(await d.flows.advance(flow, { state: 'used', data: flow.data }))) return fail('passkeys.expired');
    const r = await this.verifyAuthentication(user, flow.data.challenge, responseInput, flow.data.methodIds, purpose);
    if (!r.ok) return r;
    return ok({ method: r.value, ...(flow.data.next !== undefined ? { next: flow.data.next } : {}) });
  }

  /**
   * Options without a credential list (discoverable passkeys): for the reset flow, where naming
   * the account's credentials would tell a stranger that the account exists and has passkeys.
   */
  async discoverableOptions(): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    if (!this.available()) return null;
    return generateAuthenticationOptions({ rpID: this.d.rp.id, userVerification: 'preferred', timeout: CEREMONY_TIMEOUT_MS });
  }

  /** Options for navigator.credentials.get(), limited to the given passkeys of the user. */
  async authenticationOptions(userId: string, methodIds: readonly string[]): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const passkeys = (await this.d.methods.passkeys(userId)).filter((p) => methodIds.includes(p.id));
    if (!passkeys.length || !this.available()) return null;
    return generateAuthenticationOptions({
      rpID: this.d.rp.id,
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: this.transports(p) })),
      userVerification: 'preferred',
      timeout: CEREMONY_TIMEOUT_MS,
    });
  }

  /**
   * Checks an assertion against a challenge the caller kept (and already used up) and one of
   * the allowed passkeys. The signature counter may only move forward: an answer with a count
   * at or below the stored one (when either is non-zero) is a cloned authenticator and loses.
   */
  async verifyAuthentication(user: User, expectedChallenge: string, responseInput: unknown, allowedIds: readonly string[], purpose: string): Promise<PasskeyResult<Method>> {
    const { d } = this;
    if (!this.available()) return fail('methods.notAvailable');
    if (await this.blocked(user.id)) return fail('methods.blocked');
    const parsed = authenticationResponseSchema.safeParse(responseInput);
    if (!parsed.success) return this.assertionFailed(user, purpose, 'malformed');
    const response = parsed.data as AuthenticationResponseJSON;
    const stored = (await d.methods.passkeys(user.id)).find((p) => p.credentialId === response.id && allowedIds.includes(p.id));
    if (!stored) return this.assertionFailed(user, purpose, 'unknown_credential');
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: d.rp.origin,
        expectedRPID: d.rp.id,
        credential: { id: stored.credentialId, publicKey: isoBase64URL.toBuffer(stored.publicKey), counter: stored.signCount, transports: this.transports(stored) },
        requireUserVerification: false,
      });
    } catch {
      return this.assertionFailed(user, purpose, this.counterWentBack(response, stored.signCount) ? 'counter_went_back' : 'invalid');
    }
    if (!verified.verified) return this.assertionFailed(user, purpose, 'invalid');
    // Compare-and-swap: a parallel answer that already moved the counter further wins.
    if (!(await d.methods.advanceSignCount(stored.id, verified.authenticationInfo.newCounter))) return this.assertionFailed(user, purpose, 'counter_went_back');
    await d.methods.markUsed(stored.id);
    await d.audit.record({ event: 'method_verified', outcome: 'success', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'passkey', purpose } });
    return ok((await d.methods.get(user.id, stored.id))!);
  }

  /** For the audit reason only: the counter claimed by an answer that failed verification. */
  private counterWentBack(response: AuthenticationResponseJSON, storedCount: number): boolean {
    try {
      const { counter } = parseAuthenticatorData(isoBase64URL.toBuffer(response.response.authenticatorData));
      return (counter > 0 || storedCount > 0) && counter <= storedCount;
    } catch {
      return false;
    }
  }

  private async assertionFailed(user: User, purpose: string, reason: string): Promise<PasskeyResult<never>> {
    const { d } = this;
    await d.audit.record({ event: 'method_verified', outcome: 'failure', actor: { id: user.id, name: user.username }, target: { id: user.id, name: user.username }, details: { method: 'passkey', purpose, reason } });
    const after = await d.throttle.recordFailure(throttleKeys.verifyFailures(user.id), d.verifyFailures);
    if (lockRemaining(after, d.clock.now()) > 0) return fail('methods.blocked');
    return fail('passkeys.failed');
  }

  async blocked(userId: string): Promise<boolean> {
    return this.d.securityInfo.blockedFor(userId);
  }
}
