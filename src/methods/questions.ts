import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Clock } from '../shared/clock.js';
import type { PasswordHasher } from '../passwords/password-hash.js';
import { codePointLength } from '../passwords/rules.js';
import { fail, ok, type Refused, type Result } from '../shared/result.js';

/** The predefined questions (texts in the catalogue under the same key). */
export const predefinedQuestions = [
  'q.firstSchool',
  'q.birthCity',
  'q.childhoodNickname',
  'q.firstPet',
  'q.favouriteTeacher',
  'q.firstConcert',
  'q.grandparentsTown',
  'q.firstCar',
  'q.childhoodStreet',
  'q.favouriteBook',
  'q.childhoodFriend',
  'q.firstJob',
] as const;

export interface Question {
  id: string;
  /** A catalogue key for predefined questions; the administrator's own text for custom ones. */
  text: string;
  custom: boolean;
}

/** Custom questions get a stable id from their text, so reordering the config does not mix up answers. */
export function questionCatalogue(custom: readonly string[]): Question[] {
  return [
    ...predefinedQuestions.map((id) => ({ id, text: id, custom: false })),
    ...custom.map((text) => ({ id: `custom:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text, custom: true })),
  ];
}

/** Case, spacing and Unicode form do not matter: "  New  York" = "new york" = "ｎｅｗ ｙｏｒｋ". */
export function normaliseAnswer(answer: string): string {
  return answer.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

export type AnswerErrors = Record<string, string>;

export interface QuestionPolicy {
  toRegister: number;
  custom: readonly string[];
}

/** Checks a registration: the right number of distinct known questions, each answer 3–40 characters, no answer twice. */
export function checkRegistration(entries: Array<{ questionId: unknown; answer: unknown }>, policy: QuestionPolicy): Result<Array<{ questionId: string; answer: string }>, never> | (Refused<'invalid'> & { errors: AnswerErrors }) {
  const known = new Set(questionCatalogue(policy.custom).map((q) => q.id));
  const errors: AnswerErrors = {};
  const seenQuestions = new Set<string>();
  const seenAnswers = new Set<string>();
  const clean: Array<{ questionId: string; answer: string }> = [];
  entries.forEach((e, i) => {
    const field = `answer${i}`;
    if (typeof e.questionId !== 'string' || !known.has(e.questionId)) {
      errors[`question${i}`] = 'v.question.choose';
      return;
    }
    if (seenQuestions.has(e.questionId)) {
      errors[`question${i}`] = 'v.question.duplicate';
      return;
    }
    seenQuestions.add(e.questionId);
    if (typeof e.answer !== 'string') {
      errors[field] = 'v.answer.length';
      return;
    }
    const normalised = normaliseAnswer(e.answer);
    const length = codePointLength(normalised);
    if (e.answer.length > 400 || length < 3 || length > 40) {
      errors[field] = 'v.answer.length';
      return;
    }
    if (seenAnswers.has(normalised)) {
      errors[field] = 'v.answer.duplicate';
      return;
    }
    seenAnswers.add(normalised);
    clean.push({ questionId: e.questionId, answer: normalised });
  });
  if (Object.keys(errors).length === 0 && clean.length !== policy.toRegister) errors['_form'] = 'v.question.count';
  return Object.keys(errors).length ? fail('invalid', { errors }) : ok(clean);
}

/** Answers stored as argon2id hashes of the normalised text. */
export class QuestionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
  ) {}

  async register(userId: string, entries: Array<{ questionId: string; answer: string }>): Promise<void> {
    const hashed = await Promise.all(entries.map(async (e) => ({ question_id: e.questionId, answer_hash: await this.hasher.hash(normaliseAnswer(e.answer)) })));
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('security_answers').where('user_id', '=', userId).execute();
      await trx
        .insertInto('security_answers')
        .values(hashed.map((h) => ({ user_id: userId, ...h, created_at: now })))
        .execute();
    });
  }

  async registeredQuestionIds(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('security_answers').select('question_id').where('user_id', '=', userId).orderBy('question_id').execute();
    return rows.map((r) => r.question_id);
  }

  /** How many questions the user answered, and when (null: none registered). */
  async registration(userId: string): Promise<{ count: number; registeredAt: number } | null> {
    const rows = await this.db.selectFrom('security_answers').select('created_at').where('user_id', '=', userId).execute();
    return rows.length === 0 ? null : { count: rows.length, registeredAt: Math.max(...rows.map((r) => r.created_at)) };
  }

  /** True only when every given answer matches its question. */
  async checkAnswers(userId: string, answers: Array<{ questionId: string; answer: string }>): Promise<boolean> {
    if (answers.length === 0) return false;
    const rows = await this.db.selectFrom('security_answers').selectAll().where('user_id', '=', userId).execute();
    const byId = new Map(rows.map((r) => [r.question_id, r.answer_hash]));
    let all = true;
    for (const a of answers) {
      const hash = byId.get(a.questionId);
      // Verify every answer even after a miss: the time taken does not tell which one was wrong.
      const ok = hash ? await this.hasher.verify(hash, normaliseAnswer(a.answer)) : await this.hasher.verifyNothing(a.answer);
      all &&= ok;
    }
    return all;
  }

  async remove(userId: string): Promise<void> {
    await this.db.deleteFrom('security_answers').where('user_id', '=', userId).execute();
  }
}
