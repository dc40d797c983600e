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
          // Timeouts only catch a hang; real work on a loaded 2-core machine can take
          // several times its idle duration, so one generous limit for every test.
          testTimeout: 600_000,
          hookTimeout: 600_000,
          // A poll ends as soon as its condition holds: a long deadline costs nothing.
          expect: { poll: { timeout: 120_000, interval: 50 } },
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // A page does real work here (pyramids, inference) on a loaded machine: poll
          // patiently. A poll ends as soon as its condition holds, so a long deadline costs nothing.
          expect: { poll: { timeout: 120_000, interval: 100 } },
          testTimeout: 600_000,
          hookTimeout: 600_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
