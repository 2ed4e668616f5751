import { defineConfig } from 'vitest/config';

/**
 * Tests that compare measured latencies with a known truth run last, one file at a time, so that the rest of the
 * suite does not compete with them for the two cores. The others share the emulators of one global setup.
 */
const TIMING = [
  'test/integration/loadtest-open.test.ts',
  'test/integration/loadtest-closed.test.ts',
  'test/integration/loadtest-workers.test.ts',
  'test/integration/loadtest-capacity.test.ts',
];
const common = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...common,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: TIMING,
          // The Pub/Sub and Firestore emulators, the registry and the images start once per run; tests read their
          // addresses through inject().
          globalSetup: ['test/support/global-setup.ts'],
          // Most of these wait on other processes (emulators, containers, servers), not on the CPU: three files at a
          // time on two cores (vitest's default is one worker here, cores - 1).
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...common, name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
