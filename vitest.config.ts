import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

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
/**
 * Unit tests that change their process for good, and so run in a process of their own: starting githubWebhook
 * hooks the body of every HTTP server of the process (functions/body-limit.ts).
 */
const PROCESS_WIDE = ['test/unit/functions/index.test.ts'];
const common = { testTimeout: 60_000, hookTimeout: 120_000, pool: 'forks' as const };

/**
 * The order files start in. Those that wait for the images (importing test/support/local-images.ts, directly or
 * through local-release.ts) start last, so that the others run while global-setup.ts builds the images (minutes on a
 * fresh machine) instead of behind them: first the other integration files, then the unit files. Within each part the
 * end-to-end files (a whole local stack each, minutes long) start first, then vitest's own order: the longest first
 * once a run has timed them, by size on a fresh clone, where the end-to-end files would otherwise start last and run
 * on alone.
 */
class ImagesLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const waitsForImages = (f: TestSpecification) =>
      /support\/local-(images|release)\.js'/.test(readFileSync(f.moduleId, 'utf8'));
    const part = (f: TestSpecification) => (waitsForImages(f) ? 2 : f.project.name === 'unit' ? 1 : 0);
    const endToEnd = (f: TestSpecification) => (f.moduleId.includes('/test/integration/local/') ? 0 : 1);
    return (await super.sort(files))
      .map((f, i) => ({ f, key: [part(f), endToEnd(f), i] }))
      .sort((a, b) => a.key[0]! - b.key[0]! || a.key[1]! - b.key[1]! || a.key[2]! - b.key[2]!)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: ImagesLast },
    projects: [
      {
        test: {
          ...common,
          name: 'main',
          include: ['test/integration/**/*.test.ts', ...PROCESS_WIDE],
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
      {
        // Unit tests share their workers' processes: importing the modules afresh for each file cost more than the
        // tests.
        test: {
          ...common,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: PROCESS_WIDE,
          isolate: false,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      { test: { ...common, name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
