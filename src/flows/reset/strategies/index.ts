import type { MethodChoice } from '../../../policy/policy.js';
import { codeStrategy, type CodeStrategyDeps } from './code.js';
import { passkeyStrategy, type PasskeyStrategyDeps } from './passkey.js';
import type { ProofStrategy } from './proof-strategy.js';
import { questionsStrategy, type QuestionsStrategyDeps } from './questions.js';
import { recoveryCodeStrategy, type RecoveryCodeStrategyDeps } from './recovery-code.js';
import { totpStrategy, type TotpStrategyDeps } from './totp.js';

export type ProofStrategyDeps = CodeStrategyDeps & TotpStrategyDeps & QuestionsStrategyDeps & PasskeyStrategyDeps & RecoveryCodeStrategyDeps;

/** Every proof method a reset can use, by the choice that starts it. */
export function proofStrategies(d: ProofStrategyDeps): ReadonlyMap<MethodChoice, ProofStrategy> {
  const byChoice = new Map<MethodChoice, ProofStrategy>();
  for (const s of [codeStrategy(d), totpStrategy(d), questionsStrategy(d), passkeyStrategy(d), recoveryCodeStrategy(d)]) for (const c of s.choices) byChoice.set(c, s);
  return byChoice;
}

export type { ProofStrategy } from './proof-strategy.js';
