import type { MethodStore } from '../../../methods/method-store.js';
import type { PasskeyService } from '../../../methods/passkeys.js';
import type { Clock } from '../../../shared/clock.js';
import type { FlowStore } from '../../../state/flow-store.js';
import { fail, ok } from '../../../shared/result.js';
import { transition } from '../reset-flow.js';
import type { ResetFlow } from '../reset-view.js';
import type { ProofStrategy } from './proof-strategy.js';

export interface PasskeyStrategyDeps {
  passkeys: Pick<PasskeyService, 'discoverableOptions' | 'verifyAuthentication'>;
  methods: Pick<MethodStore, 'list'>;
  flows: Pick<FlowStore, 'advance'>;
  clock: Clock;
}

const CHALLENGE_MS = 5 * 60_000;

/**
 * A passkey, through the browser's WebAuthn API. The challenge is discoverable (no credential
 * list), so asking for one reveals nothing about the account.
 */
export function passkeyStrategy(d: PasskeyStrategyDeps): ProofStrategy {
  return {
    choices: ['passkey'],
    answer: 'assertion',
    async choose({ user }) {
      const options = await d.passkeys.discoverableOptions();
      if (!options) return fail('methods.notAvailable');
      return ok({ pending: { choice: 'passkey', gate: 'passkey', methodId: user ? 'passkey' : null, challenge: options.challenge, expiresAt: d.clock.now() + CHALLENGE_MS }, options });
    },
    async verify({ flow, user, pending }, response) {
      if (!pending.challenge) return fail('passkeys.expired');
      // The challenge is taken out first: single use, and a parallel answer loses the swap.
      const cleared = transition(flow.state, flow.data, { type: 'proof_abandoned' });
      if (!cleared.ok || !(await d.flows.advance(flow, cleared.value))) return fail('passkeys.expired');
      const after: ResetFlow = { ...flow, data: cleared.value.data, version: flow.version + 1 };
      if (d.clock.now() >= pending.expiresAt) return fail('passkeys.expired');
      if (!user || pending.methodId !== 'passkey') return fail('passkeys.failed', { nothingMatched: true, flow: after });
      const ids = (await d.methods.list(user.id, { confirmedOnly: true })).filter((m) => m.type === 'passkey').map((m) => m.id);
      const r = await d.passkeys.verifyAuthentication(user, pending.challenge, response, ids, 'reset');
      if (!r.ok) return r.reason === 'methods.blocked' ? fail('methods.blocked', { flow: after }) : fail('passkeys.failed');
      // The gate passes on the pending proof, so it goes back in, without its spent challenge.
      const withPending = transition(after.state, after.data, { type: 'proof_started', pending: { ...pending, challenge: undefined } });
      if (!withPending.ok || !(await d.flows.advance(after, withPending.value))) return fail('reset.expired');
      return ok({ ...after, data: withPending.value.data, version: after.version + 1 });
    },
    step: () => ({ kind: 'passkey' }),
  };
}
