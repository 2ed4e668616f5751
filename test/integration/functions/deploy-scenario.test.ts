import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config.js';
import { systemClock, type KubeClient } from '../../../shared/deploy/index.js';
import {
  DEPLOY_SETTINGS,
  handleDeployRequested,
  RolloutBusyError,
  rolloutLock,
  type DeployRequestedDeps,
} from '../../../shared/deploy-requested.js';
import { deadlines } from '../../../shared/deadline.js';
import { ClaimBusyError } from '../../../shared/idempotency.js';
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
      TARGET_IMAGE_REPOSITORY: 'registry.local/tfs',
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
    deadlines: deadlines(600),
  };
  return { fake, deps, published };
}

/** A run whose build produced `image` for `scenario`, as onBuildFinished leaves it. */
const open = (runId: string, image: string, scenario = '2n-8c-16r-interop4') =>
  store.createRun({ runId, scenarios: { [scenario]: { status: 'pending', image } } });

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
    await open('deploy-ok-1', GOOD);
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
    expect(await store.getRun('deploy-ok-1')).toMatchObject({
      stages: { deploy: { status: 'succeeded' } },
      // The one target launchLoadTest accepts for this run and scenario.
      scenarios: {
        '2n-8c-16r-interop4': {
          status: 'running',
          image: GOOD,
          endpoint: published[0]?.type === 'LoadTestRequested' ? published[0].target : '',
        },
      },
      deadline: { stage: 'load-test' },
    });
  });

  it('rolls back to the last good deployment when the pods never become ready, and launches no load test', async () => {
    const { deps, published, fake } = await setup('rollback');
    await open('deploy-rb-1', GOOD);
    await handleDeployRequested(request('deploy-rb-1', GOOD), deps);
    await open('deploy-rb-2', NEVER_READY, '4n-4c-8r-interop4');
    // One rollout (and its load test) at a time: the second waits until the first has reported.
    await expect(handleDeployRequested(request('deploy-rb-2', NEVER_READY, '4n-4c-8r-interop4'), deps)).rejects.toThrow(
      RolloutBusyError,
    );
    expect((await store.getRun('deploy-rb-2'))?.deadline?.what).toMatch(
      /run deploy-rb-1 \(2n-8c-16r-interop4\) to release namespace rollback/,
    );
    await store.releaseLock(rolloutLock('rollback'), 'deploy-rb-1', '2n-8c-16r-interop4');
    await handleDeployRequested(request('deploy-rb-2', NEVER_READY, '4n-4c-8r-interop4'), deps);
    expect(published.map((m) => m.type)).toEqual(['LoadTestRequested', 'PipelineFailed']);
    expect(published[1]).toMatchObject({
      stage: 'deploy',
      scenario: '4n-4c-8r-interop4',
      reason: expect.stringMatching(/rolled back to scenario 2n-8c-16r-interop4/),
    });
    expect(await store.getRun('deploy-rb-2')).toMatchObject({
      stages: { deploy: { status: 'failed' } },
      deadline: { stage: 'report', failure: { stage: 'deploy', scenario: '4n-4c-8r-interop4' } },
    });
    // The last good deployment is still the first one, and its image runs again.
    expect((await store.lastGoodDeployment('rollback'))?.image).toBe(GOOD);
    expect(fake.launches.at(-1)?.image).toBe(GOOD);
  });

  it('rolls out once for a message delivered twice at the same time', async () => {
    const { deps, published, fake } = await setup('dup');
    const message = request('deploy-dup-1', GOOD);
    await open('deploy-dup-1', GOOD);
    const both = await Promise.allSettled([handleDeployRequested(message, deps), handleDeployRequested(message, deps)]);
    await handleDeployRequested(message, deps);
    // The delivery that met the live claim comes back later (not acknowledged), and then finds it done.
    for (const r of both) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ClaimBusyError);
    expect(published.filter((m) => m.type === 'LoadTestRequested')).toHaveLength(1);
    expect(fake.launches).toHaveLength(2);
  });

  it('continues a slow rollout in a follow-up message that keeps the rollout start', async () => {
    const { deps, published } = await setup('slow', { DEPLOY_BUDGET_S: '1' });
    await open('deploy-slow-1', SLOW);
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
    await open('deploy-unknown-1', GOOD, 'no-such-scenario');
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

  it('refuses images the pipeline did not build, and runs it did not open, applying nothing', async () => {
    const { deps, published, fake } = await setup('forged');
    await open('deploy-forged-1', GOOD);
    const evil = `evil.example.com/x@sha256:${'e'.repeat(64)}`;
    await expect(handleDeployRequested(request('deploy-forged-1', evil), deps)).rejects.toThrow(
      /image evil\.example\.com\/x@sha256:e+ is not in registry\.local\/tfs \(TARGET_IMAGE_REPOSITORY\): refused/,
    );
    await expect(handleDeployRequested(request('deploy-forged-1', SLOW), deps)).rejects.toThrow(
      new RegExp(
        `image ${SLOW.replace(/[.]/g, '\\.')} is not the one run deploy-forged-1 has for scenario 2n-8c-16r-interop4`,
      ),
    );
    await expect(handleDeployRequested(request('deploy-forged-unknown', GOOD), deps)).rejects.toThrow(
      /run deploy-forged-unknown, which does not exist: refused/,
    );
    await expect(
      handleDeployRequested({ ...request('deploy-forged-2', evil), requestedBy: 'redeploy' }, deps),
    ).rejects.toThrow(/is not in registry\.local\/tfs/);
    expect(fake.launches).toHaveLength(0);
    expect(published).toEqual([]);
    expect(await store.getRun('deploy-forged-unknown')).toBeUndefined();
    expect(await store.getRun('deploy-forged-2')).toBeUndefined();
  });

  it('opens the run of a redeploy sent as a message (gcloud pubsub topics publish), and ignores finished runs', async () => {
    const { deps, published } = await setup('by-message');
    await handleDeployRequested({ ...request('deploy-message-1', GOOD), requestedBy: 'redeploy' }, deps);
    expect(published.map((m) => m.type)).toEqual(['LoadTestRequested']);
    expect((await store.getRun('deploy-message-1'))?.scenarios?.['2n-8c-16r-interop4']).toMatchObject({ image: GOOD });

    await open('deploy-finished-1', GOOD);
    await store.finishRun('deploy-finished-1', { status: 'failed', stage: 'deploy', reason: 'past its deadline' });
    await handleDeployRequested(request('deploy-finished-1', GOOD), deps);
    expect(published).toHaveLength(1);
    expect(await store.getRun('deploy-finished-1')).toMatchObject({ status: 'failed', stages: {} });
  });
});
