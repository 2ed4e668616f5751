import { describe, expect, it, vi } from 'vitest';
import { followRun } from '../../../operator/follow-run.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { redeploy } from '../../../operator/redeploy.js';
import { recommendation, sweep } from '../../../operator/sweep.js';
import { createFirestoreStore } from '../../../shared/store.js';
import { DEFAULT_SCENARIO } from '../../../shared/deploy/index.js';
import { servingImage } from '../../support/faults.js';
import { release, scenarios as testScenarios, sharedRelease } from '../../support/local-release.js';

/**
 * The end-to-end tests of issues 7 and 14 where the run fails or a scenario is compared, in container mode as in
 * pipeline.test.ts (a file of their own, so that the two run side by side).
 */

// A release builds, pulls and starts a dozen containers on two shared cores, measures its candidates and promotes one.
vi.setConfig({ testTimeout: 360_000 });

/** The release the redeploy and the sweep start from: `small` serves, and `never-ready` can never be ready. */
const scenarios = testScenarios(['never-ready', 'not-the-model', 10]);
const released = sharedRelease({ scenario: 'small', functionsEnv: { SCENARIOS_DIR: scenarios } });

describe('the whole pipeline on one machine, when it fails or compares', () => {
  it('refuses a candidate whose thresholds are not met, promotes nothing, and the run says which', async () => {
    const { code, run, notes, serving, stack, out } = await release({ thresholds: ['p99<1ms'] });
    try {
      expect(code, out).toBe(1);
      // Measured whatever its thresholds say; the gate refuses it, so nothing is promoted.
      expect(run).toMatchObject({
        status: 'failed',
        stages: { 'load-test': { status: 'failed', reason: 'thresholds failed: p99<1ms' } },
        failure: { stage: 'promote', reason: expect.stringMatching(/^no candidate passed the gate/) },
        promotion: { status: 'none', scenario: null },
      });
      expect(run?.scenarios?.[DEFAULT_SCENARIO]?.verdict).toMatchObject({
        passed: false,
        reasons: expect.arrayContaining(['thresholds failed: p99<1ms']),
      });
      expect(notes).toContain('refused ❌');
      expect(serving).toBeUndefined();
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await stack.stop();
    }
  });

  it('deletes a candidate whose pods never become ready, launches no load test, and leaves what serves', async () => {
    const { code, stack, out } = await released();
    try {
      expect(code, out).toBe(0);
      const store = createFirestoreStore(stack.firestore);
      const good = await store.lastGoodDeployment('default');
      const executions = stack.loadTests?.run.executions.size;
      process.env.SCENARIOS_DIR = scenarios;
      const message = await redeploy(
        { scenarios: ['never-ready'], namespace: 'default', image: good?.image },
        { store, publish: createPublisher(stack.pubsub) },
      );
      const lines: string[] = [];
      const run = await followRun(stack.firestore, message.runId, { print: (l) => lines.push(l), timeoutMs: 90_000 });
      // A candidate never served: it is deleted, not rolled back, and the run promotes nothing.
      expect(run, lines.join('\n')).toMatchObject({
        status: 'failed',
        scenarios: { 'never-ready': { status: 'failed', stage: 'deploy' } },
        failure: { stage: 'promote' },
      });
      expect(run.scenarios?.['never-ready']?.reason).not.toMatch(/rolled back/);
      expect(run.stages['load-test']).toBeUndefined();
      expect(stack.loadTests?.run.executions.size).toBe(executions);
      expect((await store.lastGoodDeployment('default'))?.scenario).toBe('small');
      expect(await servingImage(stack)).toBe(good?.image);
      const deployments = stack.deploy?.kubernetes.store.list('apps/v1', 'Deployment', 'default');
      expect(deployments?.map((d) => d.metadata?.name)).toEqual(['tfs-server']);
      expect(stack.iam.denials).toEqual([]);
    } finally {
      delete process.env.SCENARIOS_DIR;
    }
  });

  it('sweeps scenarios on one image and recommends the best one that keeps its p99 bound without errors', async () => {
    const { code, stack, out } = await released();
    try {
      expect(code, out).toBe(0);
      process.env.SCENARIOS_DIR = scenarios;
      const store = createFirestoreStore(stack.firestore);
      const image = (await store.lastGoodDeployment('default'))?.image ?? '';
      const lines: string[] = [];
      const result = await sweep(
        {
          scenarios: ['small', 'never-ready'],
          image,
          p99BoundMs: 60_000,
          profile: { durationS: 2, users: 3, spawnRate: 3, thinkTimeMs: 50, thresholds: [] },
        },
        {
          store,
          publish: createPublisher(stack.pubsub),
          firestore: stack.firestore,
          namespace: 'default',
          print: (l) => lines.push(l),
          timeoutMs: 90_000,
        },
      );
      expect(result.recommended?.scenario, lines.join('\n')).toBe('small');
      expect(result.entries[0]?.summary?.requests.total).toBeGreaterThan(0);
      expect(result.entries[0]?.vcpus).toBe(1.5);
      expect(result.entries[1]).toMatchObject({
        scenario: 'never-ready',
        disqualified: expect.stringMatching(/^no load test: failed at deploy/),
      });
      expect(recommendation(result, 60_000)).toContain('Recommended: small');
    } finally {
      delete process.env.SCENARIOS_DIR;
    }
  });
});
