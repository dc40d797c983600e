import { defineConfig } from 'vitest/config';

// Two projects: `unit` (engine, contract, CLI, server, converters: plain Node)
// and `e2e` (the whole UI in Debian's Chromium against `iriscope serve`).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // A page does real work here (pyramids, inference) on a loaded machine: poll
          // patiently. A poll ends as soon as its condition holds, so a long deadline costs nothing.
          expect: { poll: { timeout: 60_000, interval: 100 } },
          testTimeout: 240_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
