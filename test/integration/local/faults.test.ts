import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { followRun } from '../../../operator/follow-run.js';
import { redeploy } from '../../../operator/redeploy.js';
import { waitUntil } from '../../../local/wait-until.js';
import { createKubeClient } from '../../../shared/deploy/index.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import type { PipelineMessage } from '../../../shared/messages.js';
import { createFirestoreStore } from '../../../shared/store.js';
import { TOPICS } from '../../../shared/topics.js';
import { PASSED_FIGURES } from '../../support/figures.js';
import { runWhere, servingImage, withStack } from '../../support/faults.js';
import { scenarios as testScenarios, sharedRelease } from '../../support/local-release.js';

/**
 * Fault injection on the whole local stack (issue 13), what goes through: a Kubernetes API that hangs, rollouts
 * requested together, and forged messages on every topic (faults-deployer-crash.test.ts and faults-job-crash.test.ts
 * kill processes). For each: the run's final state, and that the serving deployment never ran an image the pipeline
 * did not build.
 */

// A release builds, pulls and starts a dozen containers on two shared cores.
vi.setConfig({ testTimeout: 300_000 });

/**
 * One release for both tests, `small` its candidate: the first injects its fault into it, the second goes on from
 * what it serves. (Alone, the second has it released without a fault.)
 */
const scenarios = testScenarios(['small-two', 'resnet', 300]);
const { stack: up, onStack } = withStack();
const released = sharedRelease({
  scenario: 'small',
  functionsEnv: { SCENARIOS_DIR: scenarios },
  onStack,
  timeoutMs: 300_000,
});

describe('faults injected into the local stack', () => {
  it('a Kubernetes API that hangs at the rollout: each call gives up at its deadline, and the run goes on once it answers', async () => {
    const releasing = released();
    const stack = await up;
    const network = stack.deploy!.network;
    try {
      await runWhere(stack, (r) => r.stages.bake?.status === 'succeeded');
      await network.mode('hang', { existing: true });
      // The deployer gives up on a call that does not answer (undici's 10 s to connect, TLS included, or the 20 s
      // deadline of a request) and its message comes back for a retry.
      const log = join(stack.logDir, 'functions.log');
      const gaveUp = /Kubernetes API: [^"]*(Connect Timeout Error|did not answer within 20 s)/;
      await waitUntil(
        'the deployer to give up on the hung API',
        async () => (gaveUp.test(readFileSync(log, 'utf8')) ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 250 },
      );
      expect(network.held()).toBeGreaterThan(0);
      await network.mode('pass');
      const t0 = Date.now();
      const { code, run, out } = await releasing;
      expect(code, out).toBe(0);
      expect(run?.status).toBe('succeeded');
      console.info(
        `Kubernetes API hung: run succeeded ${((Date.now() - t0) / 1000).toFixed(1)} s after it answered again`,
      );
      expect(stack.iam.denials).toEqual([]);
    } finally {
      await network.mode('pass');
      await releasing.catch(() => undefined);
    }
  });

  it('rollouts asked for together go one at a time, each measuring its own; forged messages change nothing', async () => {
    const { code, stack, out } = await released();
    try {
      expect(code, out).toBe(0);
      process.env.SCENARIOS_DIR = scenarios;
      const store = createFirestoreStore(stack.firestore);
      const publish = createPublisher(stack.pubsub);
      const image = (await store.lastGoodDeployment('default'))?.image ?? '';
      const a = await redeploy({ scenarios: ['small'], namespace: 'default', image }, { store, publish });
      const b = await redeploy({ scenarios: ['small-two'], namespace: 'default', image }, { store, publish });
      const follow = (runId: string) =>
        followRun(stack.firestore, runId, { print: () => undefined, timeoutMs: 180_000 });
      const [runA, runB] = await Promise.all([follow(a.runId), follow(b.runId)]);
      expect([runA.status, runB.status]).toEqual(['succeeded', 'succeeded']);
      // Whichever went first, the other's rollout began only after the first had ended (its promotion included).
      const [first, second] = [runA, runB].sort((x, y) =>
        (x.stages.deploy?.startedAt ?? '').localeCompare(y.stages.deploy?.startedAt ?? ''),
      );
      expect(second?.stages.deploy?.startedAt?.localeCompare(first?.stages['load-test']?.endedAt ?? '')).toBe(1);
      expect([runA.result?.promoted, runB.result?.promoted]).toEqual(['small', 'small-two']);

      // Forged: an image from elsewhere, a build Cloud Build never ran, results and failures for runs never opened,
      // a load test aimed at the metadata server.
      const kube = createKubeClient(stack.deploy!.kubernetes.kubeConfig());
      const generation = (await kube.readDeployment('default', 'tfs-server'))?.metadata?.generation;
      const runsBefore = (await store.listRuns(100)).length;
      const executionsBefore = stack.loadTests?.run.executions.size;
      const evil = `evil.example.com/x@sha256:${'e'.repeat(64)}`;
      const forged: PipelineMessage[] = [
        {
          type: 'DeployRequested',
          version: 1,
          runId: 'forged-deploy-1',
          scenario: 'small',
          image: evil,
          requestedBy: 'pipeline',
        },
        {
          type: 'DeployRequested',
          version: 1,
          runId: 'forged-deploy-2',
          scenario: 'small',
          image: evil,
          requestedBy: 'redeploy',
        },
        { type: 'DeployRequested', version: 1, runId: a.runId, scenario: 'small', image, requestedBy: 'pipeline' },
        {
          type: 'LoadTestRequested',
          version: 1,
          runId: 'forged-load-1',
          scenario: 'small',
          image,
          target: '169.254.169.254:80',
          modelName: 'resnet',
          profile: { durationS: 60, users: 1, thresholds: [] },
        },
        {
          type: 'LoadTestFinished',
          version: 1,
          runId: 'forged-finished-1',
          scenario: 'small',
          image,
          reportUrl: 'https://example.com',
          summary: PASSED_FIGURES,
        },
        { type: 'PipelineFailed', version: 1, runId: 'forged-failed-1', stage: 'deploy', reason: 'forged' },
      ];
      for (const m of forged) await publish(m);
      const build = {
        id: '00000000-0000-4000-8000-00000000f0f0',
        status: 'SUCCESS',
        tags: ['modelship', 'run-forged-build-1'],
      };
      await stack.pubsub.topic(TOPICS.cloudBuilds).publishMessage({ json: build });

      // Every one of them is logged as refused or ignored by the function it reached.
      const log = join(stack.logDir, 'functions.log');
      const refused = () =>
        readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => /message dropped|message for a finished run ignored/.test(l));
      const expected = [
        'forged-deploy-1',
        'forged-deploy-2',
        a.runId,
        'forged-load-1',
        'forged-finished-1',
        'forged-failed-1',
        build.id,
      ];
      await waitUntil(
        'every forged message to be refused',
        async () => (expected.every((id) => refused().some((l) => l.includes(id))) ? true : undefined),
        { timeoutMs: 60_000 },
      );
      expect((await kube.readDeployment('default', 'tfs-server'))?.metadata?.generation).toBe(generation);
      expect(await servingImage(stack)).toBe(image);
      expect((await store.listRuns(100)).length).toBe(runsBefore);
      expect(stack.loadTests?.run.executions.size).toBe(executionsBefore);
      expect(await store.getRun(a.runId)).toEqual(runA);
    } finally {
      delete process.env.SCENARIOS_DIR;
    }
  });
});
