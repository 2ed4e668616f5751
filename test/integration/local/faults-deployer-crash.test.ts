import { describe, expect, it, vi } from 'vitest';
import { runWhere, servingImage, withStack } from '../../support/faults.js';
import { release } from '../../support/local-release.js';

/**
 * Fault injection on the whole local stack (issue 13): the deployer killed mid-rollout. Each crash has a file of its
 * own (faults-job-crash.test.ts kills the load-test job), beside faults.test.ts, so that they run side by side.
 */

// A release builds, pulls and starts a dozen containers on two shared cores; a crash is recovered after a lease.
vi.setConfig({ testTimeout: 300_000 });

describe('the deployer crashed in the local stack', () => {
  it('a deployer killed mid-rollout: the redelivery takes over after the claim expires, and the run succeeds', async () => {
    const { stack: up, onStack } = withStack();
    // A short budget makes a short claim: the deployer's attempt lasts at most the budget plus a minute.
    const releasing = release({ onStack, functionsEnv: { DEPLOY_BUDGET_S: '5' }, timeoutMs: 300_000 });
    const stack = await up;
    try {
      const deploying = await runWhere(stack, (r) => r.stages.deploy?.status === 'running');
      const t0 = Date.now();
      await stack.functions.kill('deployScenario');
      await stack.functions.restart('deployScenario');
      const { code, run, out } = await releasing;
      expect(code, out).toBe(0);
      expect(run).toMatchObject({ runId: deploying.runId, status: 'succeeded' });
      const recoveredS = (Date.now() - t0) / 1000;
      console.info(`deployer killed: run succeeded ${recoveredS.toFixed(1)} s after the kill`);
      // Within the rollout's deadline ((4 + 1) × (5 s + 60 s) + 30 s grace): the claim's lease (65 s), the
      // redelivery's backoff and the rest of the run; release() gave up otherwise.
      expect(recoveredS).toBeLessThan(355);
      expect(await servingImage(stack)).toBe(run?.stages.deploy?.details?.image);
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await releasing.catch(() => undefined);
      await stack.stop();
    }
  });
});
