import { describe, expect, it } from 'vitest';
import type { User } from '../../../directory/users.js';
import type { Method } from '../../../methods/method-store.js';
import { methodChoices, type Policy } from '../../../policy/policy.js';
import { startData } from '../reset-flow.js';
import type { ResetFlow } from '../reset-view.js';
import { codeStrategy } from './code.js';
import { proofStrategies, type ProofStrategyDeps } from './index.js';
import { questionsStrategy } from './questions.js';

const clock = { now: () => 1_000 };
const flowFor = (username: string): ResetFlow => ({ id: 'f', kind: 'reset', userId: null, version: 1, createdAt: 0, expiresAt: 60_000, holdsProof: false, ...startData('reset', username, 1) });
const alice = { id: 'u1', username: 'alice' } as User;
const policy = { questions: { toAnswer: 3, custom: [] } } as unknown as Policy;
const method = (confirmed: boolean): Method => ({ id: 'm1', userId: 'u1', type: 'email', label: '', contact: 'alice@mail.test', confirmed, isDefault: false, createdAt: 0, lastUsedAt: null, credentialId: null });

function codeWith(found: Method | null) {
  const sent: string[] = [];
  const strategy = codeStrategy({
    methods: { findByContact: async () => found, get: async () => found },
    securityInfo: { deliverCode: async (_u, m) => (sent.push(m.id), { ok: true, value: undefined }), verifyCode: async () => ({ ok: true, value: undefined }) },
    clock,
    codeTtlMs: 5 * 60_000,
    phoneRegion: 'GB',
    throttle: { get: async () => ({ failures: 0, lockouts: 0, lockedUntil: 0, windowStartedAt: 0 }), recordFailure: async () => ({ failures: 1, lockouts: 0, lockedUntil: 0, windowStartedAt: 0 }) },
    lookupKey: Buffer.alloc(32, 7),
    perDestinationPerHour: 5,
    perDestinationPerDay: 10,
    outbound: {},
    background: (p) => void p,
  });
  return { strategy, sent };
}

describe('reset proof strategies', () => {
  it('every method choice is proven by exactly one strategy', () => {
    const strategies = proofStrategies({} as ProofStrategyDeps);
    expect([...strategies.keys()].sort()).toEqual([...methodChoices].sort());
  });

  it('a code goes out only to a confirmed registered contact matching what was typed; anything else starts a proof that can never pass', async () => {
    const real = codeWith(method(true));
    const started = await real.strategy.choose({ flow: flowFor('alice'), choice: 'email', user: alice, policy }, { contact: 'Alice@Mail.test' });
    expect(started).toMatchObject({ ok: true, value: { pending: { choice: 'email', gate: 'email', methodId: 'm1', expiresAt: 1_000 + 5 * 60_000 } } });
    expect(real.sent).toEqual(['m1']);

    for (const [found, user] of [[method(false), alice], [null, alice], [method(true), null]] as const) {
      const decoy = codeWith(found);
      const r = await decoy.strategy.choose({ flow: flowFor('alice'), choice: 'email', user, policy }, { contact: 'alice@mail.test' });
      expect(r).toMatchObject({ ok: true, value: { pending: { methodId: null } } });
      expect(decoy.sent).toEqual([]);
      if (!r.ok) throw new Error('not started');
      const answered = await decoy.strategy.verify({ flow: flowFor('alice'), pending: r.value.pending, user, policy }, '123456');
      expect(answered).toMatchObject({ ok: false, reason: 'methods.codeWrong', nothingMatched: true });
    }
  });

  it('refuses a malformed contact on its field, before anything is looked up', async () => {
    const { strategy, sent } = codeWith(method(true));
    expect(await strategy.choose({ flow: flowFor('alice'), choice: 'email', user: alice, policy }, { contact: 'not an address' })).toEqual({ ok: false, reason: 'v.email.invalid', field: 'contact' });
    expect(sent).toEqual([]);
  });

  it('asks a stranger the same questions every time for the same typed name, as many as a real user answers', async () => {
    const strategy = questionsStrategy({
      questions: { registeredQuestionIds: async () => [] },
      securityInfo: { verifyAnswers: async () => ({ ok: true, value: undefined }) },
      hasher: { verifyNothing: async () => false },
      lookupKey: Buffer.alloc(32, 7),
    });
    const ask = async (username: string) => {
      const r = await strategy.choose({ flow: flowFor(username), choice: 'questions', user: null, policy }, {});
      if (!r.ok) throw new Error('not started');
      return r.value.pending;
    };
    const first = await ask('nobody.here');
    expect(first.methodId).toBeNull();
    expect(first.questionIds).toHaveLength(3);
    expect((await ask('Nobody.Here')).questionIds).toEqual(first.questionIds);
    const answered = await strategy.verify({ flow: flowFor('nobody.here'), pending: first, user: null, policy }, ['a', 'b', 'c']);
    expect(answered).toMatchObject({ ok: false, reason: 'methods.questions.wrong', nothingMatched: true });
  });
});
