import { describe, expect, it } from 'vitest';
import { startData, transition, type Pending, type ResetData, type ResetEvent, type ResetState } from './reset-flow.js';

const email: Pending = { choice: 'email', gate: 'email', methodId: 'm1', expiresAt: 1 };
const totp: Pending = { choice: 'totp', gate: 'totp', methodId: 'm2', expiresAt: 1 };

function run(events: ResetEvent[], required: 1 | 2 = 1, strongNeeded = false): { state: ResetState; data: ResetData; refused: string[] } {
  let { state, data } = startData('reset', 'alice', required, strongNeeded);
  const refused: string[] = [];
  for (const e of events) {
    const r = transition(state, data, e);
    if (r.ok) ({ state, data } = r.value);
    else refused.push(`${e.type}:${r.reason}`);
  }
  return { state, data, refused };
}

describe('reset flow state machine', () => {
  it('one gate is enough when one is required', () => {
    expect(run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }]).state).toBe('verified');
  });

  it('two gates need two different kinds of method', () => {
    const r = run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }, { type: 'proof_started', pending: email }], 2);
    expect(r.state).toBe('verifying');
    expect(r.refused).toEqual(['proof_started:not_allowed']);
    const done = run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }, { type: 'proof_started', pending: totp }, { type: 'gate_passed', gate: 'totp' }], 2);
    expect(done.state).toBe('verified');
    expect(done.data.passed).toEqual(['email', 'totp']);
  });

  it('a reset is never weaker than sign-in: with a strong method needed, one email gate is not enough, the app or a second gate is', () => {
    const questions: Pending = { choice: 'questions', gate: 'questions', methodId: null, expiresAt: 1 };
    const emailOnly = run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }], 1, true);
    expect(emailOnly.state).toBe('verifying');
    expect(run([{ type: 'proof_started', pending: totp }, { type: 'gate_passed', gate: 'totp' }], 1, true).state).toBe('verified');
    expect(run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }, { type: 'proof_started', pending: questions }, { type: 'gate_passed', gate: 'questions' }], 1, true).state).toBe('verified');
    // Any gate that is not the app or a passkey counts as "another method", whatever it is called.
    const other: Pending = { choice: 'email', gate: 'some_future_method' as Pending['gate'], methodId: 'm9', expiresAt: 1 };
    expect(run([{ type: 'proof_started', pending: other }, { type: 'gate_passed', gate: other.gate }], 1, true).state).toBe('verifying');
    // Without the need, one gate is enough as before.
    expect(run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }], 1, false).state).toBe('verified');
  });

  it('a gate passes only for the proof that was started', () => {
    const r = run([{ type: 'gate_passed', gate: 'email' }, { type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'totp' }]);
    expect(r.state).toBe('verifying');
    expect(r.refused).toEqual(['gate_passed:not_allowed', 'gate_passed:not_allowed']);
  });

  it('steps cannot be skipped: no apply before verification', () => {
    const r = run([{ type: 'apply', action: 'reset' }, { type: 'applied' }]);
    expect(r.state).toBe('verifying');
    expect(r.refused).toHaveLength(2);
  });

  it('apply is held by one: a second apply while applying is refused; a refusal returns to verified', () => {
    const r = run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }, { type: 'apply', action: 'reset' }, { type: 'apply', action: 'reset' }, { type: 'apply_refused' }]);
    expect(r.refused).toEqual(['apply:not_allowed']);
    expect(r.state).toBe('verified');
  });

  it('terminal states refuse everything (no replay)', () => {
    const done = run([{ type: 'proof_started', pending: email }, { type: 'gate_passed', gate: 'email' }, { type: 'apply', action: 'unlock' }, { type: 'applied' }]);
    expect(done.state).toBe('completed');
    expect(done.data.action).toBe('unlock');
    for (const e of [{ type: 'apply', action: 'reset' }, { type: 'proof_started', pending: email }, { type: 'blocked' }] as ResetEvent[]) {
      expect(transition(done.state, done.data, e)).toEqual({ ok: false, reason: 'finished' });
    }
    const blocked = run([{ type: 'blocked' }]);
    expect(blocked.state).toBe('failed');
    expect(transition(blocked.state, blocked.data, { type: 'proof_started', pending: email })).toEqual({ ok: false, reason: 'finished' });
  });
});
