import type { MethodStore } from '../../../methods/method-store.js';
import type { SecurityInfoService } from '../../../methods/security-info.js';
import { matchTotp } from '../../../methods/totp.js';
import type { Clock } from '../../../shared/clock.js';
import { ok } from '../../../shared/result.js';
import type { ProofStrategy } from './proof-strategy.js';
import { verifyTypedCode } from './typed-code.js';

export interface TotpStrategyDeps {
  methods: Pick<MethodStore, 'list' | 'get' | 'totpSecret'>;
  securityInfo: Pick<SecurityInfoService, 'verifyCode'>;
  clock: Clock;
}

/** A code from an authenticator app: nothing is sent, so the proof lasts as long as the flow. */
export function totpStrategy(d: TotpStrategyDeps): ProofStrategy {
  const apps = async (userId: string) => (await d.methods.list(userId, { confirmedOnly: true })).filter((m) => m.type === 'totp');
  return {
    choices: ['totp'],
    answer: 'code',
    async choose({ flow, user }) {
      const first = user ? (await apps(user.id))[0] : undefined;
      return ok({ pending: { choice: 'totp', gate: 'totp', methodId: first?.id ?? null, expiresAt: flow.expiresAt } });
    },
    verify: (attempt, typed) =>
      verifyTypedCode(d, attempt, typed, async (user, matched, code) => {
        // Several authenticator apps: the one whose code this is.
        const now = d.clock.now();
        let target = matched;
        for (const m of await apps(user.id)) {
          const secret = await d.methods.totpSecret(user.id, m.id);
          if (secret && matchTotp(secret, code, now) !== null) target = m;
        }
        return target;
      }),
    step: () => ({ kind: 'code', from: 'app' }),
  };
}
