import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.js';
import { systemClock, type KubeClient } from '../../../shared/deploy/index.js';
import { DEPLOY_SETTINGS, handleDeployRequested, type DeployRequestedDeps } from '../../../shared/deploy-requested.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import type { DeployRequested, PipelineMessage } from '../../../shared/messages.js';
import { createFirestoreStore, type Store } from '../../../shared/store.js';
import { testProject, type TestProject } from '../../support/emulators.js';
import { useEmulator } from '../../unit/local/emulators/kubernetes/emulator-fixture.js';
import { fakeLauncher, type FakeBehaviour } from '../../unit/local/emulators/kubernetes/fake-launcher.js';

const GOOD = `registry.local/tfs@sha256:${'a'.repeat(64)}`;
const NEVER_READY = `registry.local/tfs@sha256:${'b'.repeat(64)}`;
const SLOW = `registry.local/tfs@sha256:${'c'.repeat(64)}`;

let project: TestProject;
let store: Store;
const start = useEmulator();

beforeAll(async () => {
  project = await testProject();
  store = createFirestoreStore(project.firestore);
});
afterAll(() => project?.close());

/** A cluster whose Kubernetes clock runs 500× faster, with pods that behave per image, and a recording publisher. */
async function setup(namespace: string, env: Record<string, string> = {}) {
  const behaviour: Record<string, FakeBehaviour> = {
    [GOOD]: { readyAfterMs: 20 },
    [NEVER_READY]: { readyAfterMs: 'never' },
    [SLOW]: { readyAfterMs: 3_000 },
  };
  const fake = fakeLauncher((launch) => behaviour[launch.image] ?? {});
  const { kube } = await start({ launcher: fake.launcher, timeScale: 0.002, tickMs: 20 });
  const published: PipelineMessage[] = [];
  const deps: DeployRequestedDeps = {
    config: loadConfig(DEPLOY_SETTINGS, {
      K8S_NAMESPACE: namespace,
      DEPLOY_REPLICAS: '2',
      DEPLOY_NODE_SELECTOR: 'false',
      DEPLOY_BUDGET_S: '15',
      ...env,
    }),
    store,
    publish: async (m) => {
      published.push(m);
      return String(published.length);
    },
    log: createMemoryLogger(),
    clock: systemClock,
    kube: async (): Promise<KubeClient> => kube,
  };
  return { fake, deps, published };
}

const request = (runId: string, image: string, scenario = '2n-8c-16r-interop4'): DeployRequested => ({
  type: 'DeployRequested',
  version: 1,
  runId,
  scenario,
  image,
  requestedBy: 'pipeline',
});

describe('deployScenario (the function step)', () => {
  it('rolls out, records the last good deployment and asks for the load test at the endpoint', async () => {
    const { deps, published } = await setup('ok');
    await store.createRun({ runId: 'deploy-ok-1' });
    await handleDeployRequested(request('deploy-ok-1', GOOD), deps);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'LoadTestRequested',
      runId: 'deploy-ok-1',
      scenario: '2n-8c-16r-interop4',
      image: GOOD,
      modelName: 'resnet',
      target: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      profile: { users: 150, spawnRate: 1, thinkTimeMs: 1000, durationS: 300, thresholds: ['errors<1%'] },
    });
    expect(await store.lastGoodDeployment('ok')).toMatchObject({
      scenario: '2n-8c-16r-interop4',
      image: GOOD,
      runId: 'deploy-ok-1',
    });
    expect((await store.getRun('deploy-ok-1'))?.stages.deploy).toMatchObject({ status: 'succeeded' });
  });

  it('rolls back to the last good deployment when the pods never become ready, and launches no load test', async () => {
    const { deps, published, fake } = await setup('rollback');
    await handleDeployRequested(request('deploy-rb-1', GOOD), deps);
    await store.createRun({ runId: 'deploy-rb-2' });
    await handleDeployRequested(request('deploy-rb-2', NEVER_READY, '4n-4c-8r-interop4'), deps);
    expect(published.map((m) => m.type)).toEqual(['LoadTestRequested', 'PipelineFailed']);
    expect(published[1]).toMatchObject({
      stage: 'deploy',
      scenario: '4n-4c-8r-interop4',
      reason: expect.stringMatching(/rolled back to scenario 2n-8c-16r-interop4/),
    });
    expect(await store.getRun('deploy-rb-2')).toMatchObject({ status: 'failed', failure: { stage: 'deploy' } });
    // The last good deployment is still the first one, and its image runs again.
    expect((await store.lastGoodDeployment('rollback'))?.image).toBe(GOOD);
    expect(fake.launches.at(-1)?.image).toBe(GOOD);
  });

  it('rolls out once for a message delivered twice at the same time', async () => {
    const { deps, published, fake } = await setup('dup');
    const message = request('deploy-dup-1', GOOD);
    await Promise.all([handleDeployRequested(message, deps), handleDeployRequested(message, deps)]);
    await handleDeployRequested(message, deps);
    expect(published.filter((m) => m.type === 'LoadTestRequested')).toHaveLength(1);
    expect(fake.launches).toHaveLength(2);
  });

  it('continues a slow rollout in a follow-up message that keeps the rollout start', async () => {
    const { deps, published } = await setup('slow', { DEPLOY_BUDGET_S: '1' });
    await handleDeployRequested(request('deploy-slow-1', SLOW), deps);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'DeployRequested',
      runId: 'deploy-slow-1',
      rollout: { attempt: 2, startedAt: expect.any(String) },
    });
  });

  it('fails the run with a clear reason for an unknown scenario, applying nothing', async () => {
    const { deps, published, fake } = await setup('unknown');
    await store.createRun({ runId: 'deploy-unknown-1' });
    await handleDeployRequested(request('deploy-unknown-1', GOOD, 'no-such-scenario'), deps);
    expect(fake.launches).toHaveLength(0);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'PipelineFailed',
        stage: 'deploy',
        reason: expect.stringMatching(/no-such-scenario.*2n-8c-16r-interop4/s),
      }),
    ]);
  });
});
