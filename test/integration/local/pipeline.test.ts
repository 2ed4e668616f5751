import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { describe, expect, inject, it, vi } from 'vitest';
import { podman } from '../../../local/containers/podman.js';
import { POD_NAMESPACE_LABEL } from '../../../local/emulators/kubernetes/podman-launcher.js';
import { followRun } from '../../../shared/follow-run.js';
import { clientOptions } from '../../../shared/gcp/client-options.js';
import { createPublisher } from '../../../shared/gcp/publisher.js';
import { redeploy } from '../../../shared/redeploy.js';
import { recommendation, sweep } from '../../../shared/sweep.js';
import { createFirestoreStore } from '../../../shared/store.js';
import { release, scenarios as testScenarios } from '../../support/local-release.js';

/**
 * The end-to-end tests of issue 7: the whole pipeline on this machine, from the signed webhook to the results on the
 * release, on the real Pub/Sub and Firestore emulators (shared with the suite, one project per test) and modelship's
 * emulators of Cloud Build, Kubernetes and Cloud Run in container mode: every build step, pod and load-test task is a
 * container of its image, and images go through the local registry.
 */

// A release builds, pulls and starts a dozen containers on two shared cores.
vi.setConfig({ testTimeout: 240_000 });

describe('the whole pipeline on one machine', () => {
  it('goes from the webhook to a load-tested deployment and writes the results on the release', async () => {
    const { code, run, notes, stack, out } = await release();
    try {
      expect(code, out).toBe(0);
      expect(run).toMatchObject({ status: 'succeeded', repository: 'modelship/sample-model', tag: 'v1.0.0' });
      for (const stage of ['webhook', 'bake', 'deploy', 'load-test', 'report'] as const) {
        expect(run?.stages[stage]?.status, stage).toBe('succeeded');
      }
      const result = run?.result as { requests: number; failures: number; reportUrl: string; image: string };
      expect(result.requests).toBeGreaterThan(0);
      expect(result.failures).toBe(0);
      expect(result.image).toMatch(/@sha256:[a-f0-9]{64}$/);
      expect(existsSync(fileURLToPath(result.reportUrl))).toBe(true);
      // The baked image is in the registry, and the serving pods are containers of it, pulled from there.
      const [repository, digest] = result.image.split('@') as [string, string];
      expect(repository).toBe(`${inject('localImages').registry}/modelship/serving`);
      const manifest = await fetch(
        `http://${inject('localImages').registry}/v2/modelship/serving/manifests/${digest}`,
        {
          headers: {
            accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
          },
        },
      );
      expect(manifest.status).toBe(200);
      const pods = JSON.parse(
        await podman(['ps', '--filter', `label=${POD_NAMESPACE_LABEL}=default`, '--format', 'json']),
      ) as Array<{ Image: string; Labels: Record<string, string> }>;
      expect(pods.filter((p) => p.Image === result.image)).toHaveLength(2);
      expect(notes).toContain('2n-8c-16r-interop4 · load test passed ✅');
      expect(out).toMatch(/✓ run \S+ succeeded/);
    } finally {
      await stack.stop();
    }
  });

  it('runs one pipeline for the same delivery sent three times', async () => {
    const { code, run, stack, out } = await release({ deliveries: 3 });
    try {
      expect(code, out).toBe(0);
      expect(out.match(/HTTP 202/g)).toHaveLength(1);
      expect(out.match(/HTTP 200 \{"duplicate":true/g)).toHaveLength(2);
      const builds = new CloudBuildClient(clientOptions(stack.bake?.cloudBuild.host));
      const [listed] = await builds.listBuilds({ projectId: stack.project, filter: `tags="run-${run?.runId}"` });
      await builds.close();
      expect(listed).toHaveLength(1);
      expect(stack.loadTests?.run.executions.size).toBe(1);
    } finally {
      await stack.stop();
    }
  });

  it('fails a broken release at bake, says why on the release, and deploys nothing', async () => {
    const { code, run, notes, stack, out } = await release({ tarball: Buffer.from('this is not a tarball') });
    try {
      expect(code, out).toBe(1);
      expect(run).toMatchObject({ status: 'failed', failure: { stage: 'bake' } });
      expect(run?.stages.deploy).toBeUndefined();
      expect(notes).toMatch(/failed at bake ❌/);
      expect(stack.deploy?.kubernetes.pids()).toEqual([]);
      expect(stack.loadTests?.run.executions.size).toBe(0);
    } finally {
      await stack.stop();
    }
  });

  it('fails a load test whose thresholds are not met, and the run says which', async () => {
    const { code, run, notes, stack, out } = await release({ thresholds: ['p99<1ms'] });
    try {
      expect(code, out).toBe(1);
      expect(run).toMatchObject({
        status: 'failed',
        failure: { stage: 'load-test', reason: 'thresholds failed: p99<1ms' },
      });
      expect(notes).toContain('load test failed ❌ (p99<1ms)');
    } finally {
      await stack.stop();
    }
  });

  it('rolls back a scenario whose pods never become ready, and launches no load test', async () => {
    const scenarios = testScenarios(['never-ready', 'not-the-model', 10]);
    const { code, stack, out } = await release({ scenario: 'small', functionsEnv: { SCENARIOS_DIR: scenarios } });
    try {
      expect(code, out).toBe(0);
      const store = createFirestoreStore(stack.firestore);
      const good = await store.lastGoodDeployment('default');
      process.env.SCENARIOS_DIR = scenarios;
      const message = await redeploy(
        { scenario: 'never-ready', namespace: 'default', image: good?.image },
        { store, publish: createPublisher(stack.pubsub) },
      );
      const lines: string[] = [];
      const run = await followRun(stack.firestore, message.runId, { print: (l) => lines.push(l), timeoutMs: 90_000 });
      expect(run, lines.join('\n')).toMatchObject({
        status: 'failed',
        failure: { stage: 'deploy', reason: expect.stringMatching(/rolled back to scenario small/) },
      });
      expect(run.stages['load-test']).toBeUndefined();
      expect(stack.loadTests?.run.executions.size).toBe(1);
      expect((await store.lastGoodDeployment('default'))?.scenario).toBe('small');
    } finally {
      delete process.env.SCENARIOS_DIR;
      await stack.stop();
    }
  });

  it('sweeps scenarios on one image and recommends the best one that keeps its p99 bound without errors', async () => {
    const scenarios = testScenarios(['never-ready', 'not-the-model', 10]);
    const { code, stack, out } = await release({ scenario: 'small', functionsEnv: { SCENARIOS_DIR: scenarios } });
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
      await stack.stop();
    }
  });
});
