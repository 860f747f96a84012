import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { FlowStore, StoredFlow } from '../state/flow-store.js';
import type { Clock } from '../shared/clock.js';
import { passkeyRefusals, type PasskeyService } from '../methods/passkeys.js';
import { fail, ok, type Result } from '../shared/result.js';
import type { SecondFactorStep, SecondFactorView, SignedIn } from './second-factor.js';
import type { SignInData, SignInState } from './sign-in-flow.js';

/** The sign-in flow's data while a passkey challenge is out: the challenge lives in the store, never in the browser. */
export interface PasskeySignInData extends SignInData {
  passkey?: { challenge: string; expiresAt: number };
}

type Choose = Extract<SecondFactorView, { kind: 'choose' }>;

export const passkeySignInRefusals = [...passkeyRefusals, 'mfa.expired', 'mfa.voided'] as const;
export type PasskeySignInError = (typeof passkeySignInRefusals)[number];

interface Deps {
  flows: FlowStore;
  passkeys: Pick<PasskeyService, 'blocked' | 'authenticationOptions' | 'verifyAuthentication'>;
  secondFactor: SecondFactorStep;
  clock: Clock;
  challengeTtlMs: number;
}

/**
 * A passkey as the second factor at sign-in. `options` stores a fresh challenge in the sign-in
 * flow (compare-and-swap); `verify` takes it out again (compare-and-swap, before the answer is
 * checked, so it works once whatever the outcome) and then completes the flow exactly like a
 * code does — the same transition, flow advance and session creation.
 */
export class PasskeySignIn {
  constructor(private readonly d: Deps) {}

  private passkeyIds(v: Choose): string[] {
    return v.methods.filter((m) => m.type === 'passkey').map((m) => m.id);
  }

  async options(flowId: string, browserId: string): Promise<Result<PublicKeyCredentialRequestOptionsJSON, PasskeySignInError>> {
    const { d } = this;
    const v = await d.secondFactor.view(flowId, browserId);
    if (v.kind !== 'choose') return fail(v.kind === 'voided' ? 'mfa.voided' : 'mfa.expired');
    if (await d.passkeys.blocked(v.user.id)) return fail('methods.blocked');
    const options = await d.passkeys.authenticationOptions(v.user.id, this.passkeyIds(v));
    if (!options) return fail('methods.notAvailable');
    const flow = v.flow as StoredFlow<SignInState, PasskeySignInData>;
    const data: PasskeySignInData = { ...flow.data, passkey: { challenge: options.challenge, expiresAt: d.clock.now() + d.challengeTtlMs } };
    if (!(await d.flows.advance(flow, { state: flow.state, data }))) return fail('mfa.expired');
    return ok(options);
  }

  async verify(flowId: string, browserId: string, response: unknown, meta: { ip: string; userAgent: string }): Promise<Result<SignedIn, PasskeySignInError>> {
    const { d } = this;
    const v = await d.secondFactor.view(flowId, browserId);
    if (v.kind !== 'choose') return fail(v.kind === 'voided' ? 'mfa.voided' : 'mfa.expired');
    const flow = v.flow as StoredFlow<SignInState, PasskeySignInData>;
    const pending = flow.data.passkey;
    if (!pending) return fail('passkeys.expired');
    // Take the challenge out first: single use, and a parallel answer loses the swap.
    const { passkey: _used, ...rest } = flow.data;
    if (!(await d.flows.advance(flow, { state: flow.state, data: rest }))) return fail('passkeys.expired');
    const consumed: Choose = { ...v, flow: { ...flow, data: rest, version: flow.version + 1 } };
    if (d.clock.now() >= pending.expiresAt) return fail('passkeys.expired');

    const r = await d.passkeys.verifyAuthentication(v.user, pending.challenge, response, this.passkeyIds(v), 'sign-in');
    if (!r.ok) {
      if (r.reason === 'methods.blocked') await d.secondFactor.fail(consumed);
      return fail(r.reason);
    }
    const done = await d.secondFactor.complete(consumed, r.value, meta);
    return done.ok ? done : fail('mfa.expired');
  }
}
