import { nameKey } from '../../../directory/names.js';
import type { PasswordHasher } from '../../../passwords/password-hash.js';
import { questionCatalogue, type QuestionStore } from '../../../methods/questions.js';
import type { SecurityInfoService } from '../../../methods/security-info.js';
import type { Policy } from '../../../policy/policy.js';
import { hmac } from '../../../shared/crypto.js';
import { fail, ok } from '../../../shared/result.js';
import type { ProofStrategy } from './proof-strategy.js';

export interface QuestionsStrategyDeps {
  questions: Pick<QuestionStore, 'registeredQuestionIds'>;
  securityInfo: Pick<SecurityInfoService, 'verifyAnswers'>;
  hasher: Pick<PasswordHasher, 'verifyNothing'>;
  /** Seeds a decoy's questions, so nobody can compute them. */
  lookupKey: Buffer;
}

/**
 * Security questions. Someone without them (or nobody at all) is asked questions too: the same
 * ones every time for the same typed name, and the answers cost the same hashing work.
 */
export function questionsStrategy(d: QuestionsStrategyDeps): ProofStrategy {
  return {
    choices: ['questions'],
    answer: 'answers',
    async choose({ flow, user, policy }) {
      const ids = user ? (await d.questions.registeredQuestionIds(user.id)).slice(0, policy.questions.toAnswer) : [];
      const enough = ids.length >= policy.questions.toAnswer;
      const questionIds = enough ? ids : decoyQuestions(d.lookupKey, flow.data.username, policy);
      return ok({ pending: { choice: 'questions', gate: 'questions', methodId: enough ? 'questions' : null, questionIds, expiresAt: flow.expiresAt } });
    },
    async verify({ flow, user, pending }, answers) {
      if (!pending.questionIds) return fail('reset.notAllowedNow');
      const typed: unknown[] = Array.isArray(answers) ? answers : [];
      const given = pending.questionIds.map((questionId, i) => ({ questionId, answer: typed[i] }));
      if (!user || pending.methodId !== 'questions') {
        // The same argon2 work as real answers, then the same failure.
        for (const a of given) await d.hasher.verifyNothing(typeof a.answer === 'string' ? a.answer.slice(0, 400) : '');
        return fail('methods.questions.wrong', { nothingMatched: true });
      }
      const r = await d.securityInfo.verifyAnswers(user, given, 'reset');
      if (!r.ok) return fail(r.reason);
      return ok(flow);
    },
    step(pending, policy) {
      const catalogue = new Map(questionCatalogue(policy.questions.custom).map((q) => [q.id, q]));
      return { kind: 'questions', questions: (pending.questionIds ?? []).map((id) => catalogue.get(id) ?? { id, text: id, custom: true }) };
    },
  };
}

/** The same questions every time for the same typed name, drawn from the catalogue: a decoy cannot be told from a real user. */
function decoyQuestions(lookupKey: Buffer, username: string, policy: Policy): string[] {
  const catalogue = questionCatalogue(policy.questions.custom);
  const seed = Buffer.from(hmac(lookupKey, `reset-decoy-questions:${nameKey(username)}`), 'base64url');
  const picked: string[] = [];
  for (let i = 0; picked.length < policy.questions.toAnswer && i + 1 < seed.length; i++) {
    const q = catalogue[seed.readUInt16BE(i) % catalogue.length]!;
    if (!picked.includes(q.id)) picked.push(q.id);
  }
  return picked.sort();
}
