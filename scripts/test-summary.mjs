// Prints vitest's totals as one plain line ("Tests: N passed, N failed, N skipped") for CI logs.
import { readFileSync } from 'node:fs';

try {
  const r = JSON.parse(readFileSync('.tmp/vitest-results.json', 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
} catch (err) {
  console.log(`Tests: no results file (${err.message})`);
}
