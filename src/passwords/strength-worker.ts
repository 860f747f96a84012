import { parentPort } from 'node:worker_threads';
import { estimateStrength, isCommonPassword, warmUpEstimator } from './estimate.js';
import type { StrengthAnswer, StrengthQuestion } from './strength-pool.js';

/**
 * The strength estimator's thread (see strength-pool.ts): the dictionaries are loaded before the
 * first question is read, so the pool's start() resolves only once a check is as fast as any later one.
 */
const port = parentPort;
if (!port) throw new Error('strength-worker.ts runs as a worker thread of StrengthPool');
const known = warmUpEstimator();
// And the matchers run a few times, so the first real check does not pay for their compilation either.
for (let round = 0; round < 10; round++) {
  for (const sample of ['Summer2026!', 'correct horse battery staple', 'kingsley.arbuthnot@example.com']) estimateStrength(`${sample}${round}`, ['kingsley']);
}
port.on('message', (q: StrengthQuestion) => {
  let answer: StrengthAnswer;
  try {
    answer = { id: q.id, ok: true, estimate: estimateStrength(q.password, q.userInputs), common: isCommonPassword(q.password) };
  } catch (err) {
    answer = { id: q.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: known });
