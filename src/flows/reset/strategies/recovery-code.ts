import type { MethodStore } from '../../../methods/method-store.js';
import { parseRecoveryCode } from '../../../methods/recovery-code-format.js';
import type { SecurityInfoService } from '../../../methods/security-info.js';
import { fail, ok } from '../../../shared/result.js';
import type { ProofStrategy } from './proof-strategy.js';

export interface RecoveryCodeStrategyDeps {
  methods: Pick<MethodStore, 'list' | 'get'>;
  securityInfo: Pick<SecurityInfoService, 'verifyCode'>;
}

/**
 * One of the user's saved recovery codes: nothing is sent, so the proof lasts as long as the
 * flow, and a stranger (or a user without codes) is asked for one too, in the same words.
 * Spending the code, the throttles and the notice are SecurityInfoService.verifyCode's.
 */
export function recoveryCodeStrategy(d: RecoveryCodeStrategyDeps): ProofStrategy {
  return {
    choices: ['recovery_code'],
    answer: 'code',
    async choose({ flow, user }) {
      const set = user ? (await d.methods.list(user.id, { confirmedOnly: true })).find((m) => m.type === 'recovery_code') : undefined;
      return ok({ pending: { choice: 'recovery_code', gate: 'recovery_code', methodId: set?.id ?? null, expiresAt: flow.expiresAt } });
    },
    async verify({ flow, pending, user }, typed) {
      // Something that cannot be a recovery code compares nothing and counts nowhere, for a real user and a decoy alike.
      if (parseRecoveryCode(typed) === null) return fail('methods.recovery.malformed', { field: 'code' });
      const method = user && pending.methodId ? await d.methods.get(user.id, pending.methodId) : null;
      if (!user || !method?.confirmed || method.type !== 'recovery_code') return fail('methods.codeWrong', { nothingMatched: true });
      const r = await d.securityInfo.verifyCode(user, method, 'reset', typed as string);
      if (!r.ok) return r.reason === 'methods.blocked' ? fail(r.reason) : fail(r.reason, { field: 'code' });
      return ok(flow);
    },
    step: () => ({ kind: 'code', from: 'recovery' }),
  };
}
