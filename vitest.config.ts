import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    // Real servers (PostgreSQL, Chromium, the portal process) are started per file by the tests themselves.
  },
});
