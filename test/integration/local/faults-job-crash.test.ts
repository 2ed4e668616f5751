import { describe, expect, it, vi } from 'vitest';
import { podman } from '../../../local/containers/podman.js';
import { waitUntil } from '../../../local/wait-until.js';
import { DEFAULT_SCENARIO } from '../../../shared/deploy/index.js';
import type { RunRecord } from '../../../shared/store.js';
import { runWhere, withStack } from '../../support/faults.js';
import { release } from '../../support/local-release.js';

/**
 * Fault injection on the whole local stack (issue 13): the load-test job killed mid-test. Each crash has a file of
 * its own (faults-deployer-crash.test.ts kills the deployer), beside faults.test.ts, so that they run side by side.
 */

// A release builds, pulls and starts a dozen containers on two shared cores.
vi.setConfig({ testTimeout: 300_000 });

describe('the load-test job crashed in the local stack', () => {
  it('a load-test job killed mid-test: the watcher fails its candidate, and the run, with Cloud Run’s reason', async () => {
    const { stack: up, onStack } = withStack();
    // The watcher speaks for a job that ended without a report once the stage's grace has passed (30 s locally):
    // 15 s is still past Pub/Sub's local backoff (at most 10 s), and the test waits half as long.
    const releasing = release({ onStack, durationS: 120, timeoutMs: 240_000, functionsEnv: { STAGE_GRACE_S: '15' } });
    const stack = await up;
    try {
      const executionOf = (r: RunRecord) => Object.values(r.scenarios ?? {}).find((s) => s.execution)?.execution;
      const testing = await runWhere(stack, (r) => Boolean(executionOf(r)));
      const execution = executionOf(testing) ?? '';
      // The task's container, by Cloud Run's task name, as the kernel's OOM killer would end it.
      // The execution exists before its task's container does: kill it once podman has created it.
      const task = `${execution.split('/').at(-1)}-task0`;
      await waitUntil(`container ${task}`, () => podman(['kill', '--signal', 'KILL', task]).then(() => true), {
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const t0 = Date.now();
      const { code, run, out } = await releasing;
      expect(code, out).toBe(1);
      // The candidate fails at load-test with Cloud Run's reason; with nothing measured, the run promotes nothing.
      const why = new RegExp(`execution ${execution} failed: Task .*-task0 failed with message: The container exited`);
      expect(run).toMatchObject({
        runId: testing.runId,
        status: 'failed',
        scenarios: { [DEFAULT_SCENARIO]: { status: 'failed', stage: 'load-test', reason: expect.stringMatching(why) } },
        failure: { stage: 'promote', reason: expect.stringMatching(why) },
      });
      // Within its bound: the job's report window (the grace, 15 s here), a tick (5 s) and reportResults, with room
      // to spare.
      const recoveredS = (Date.now() - t0) / 1000;
      console.info(`job killed: run failed ${recoveredS.toFixed(1)} s after the kill`);
      expect(recoveredS).toBeLessThan(90);
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await releasing.catch(() => undefined);
      await stack.stop();
    }
  });
});
