import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSED_FIGURES } from '../../support/figures.js';
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
import type { DeployRequested, PipelineMessage, PromoteRequested } from '../../../shared/messages.js';
import { handlePromoteRequested } from '../../../shared/promote-requested.js';
import { createFirestoreStore, type ScenarioRecord, type Store } from '../../../shared/store.js';
import { testProject, type TestProject } from '../../support/emulators.js';
import { useEmulator } from '../../unit/local/emulators/kubernetes/emulator-fixture.js';
import { fakeLauncher, type FakeBehaviour } from '../../unit/local/emulators/kubernetes/fake-launcher.js';

const GOOD = `registry.local/tfs@sha256:${'a'.repeat(64)}`;
const NEVER_READY = `registry.local/tfs@sha256:${'b'.repeat(64)}`;
const SLOW = `registry.local/tfs@sha256:${'c'.repeat(64)}`;
const SERVING = `registry.local/tfs@sha256:${'d'.repeat(64)}`;

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
    [SERVING]: { readyAfterMs: 20 },
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
  return { fake, deps, published, kube };
}

const S = '2n-8c-16r-interop4';

/** A run whose build produced `image`, with one candidate as onBuildFinished plans it. */
const open = (runId: string, image: string, scenario = S, more: Partial<ScenarioRecord> = {}) =>
  store.createRun({
    runId,
    scenarios: { [scenario]: { status: 'pending', scenario, arm: 'release', image, wave: 0, ...more } },
  });

const request = (runId: string, image: string, scenario = S): DeployRequested => ({
  type: 'DeployRequested',
  version: 1,
  runId,
  scenario,
  image,
  requestedBy: 'pipeline',
});

const promote = (
  runId: string,
  scenario: string | null,
  by: 'pipeline' | 'operator' = 'pipeline',
): PromoteRequested => ({
  type: 'PromoteRequested',
  version: 1,
  runId,
  scenario,
  requestedBy: by,
  reason: scenario ? 'the most throughput per vCPU' : 'no candidate passed the gate',
});

/** A candidate as reportResults leaves it once measured. */
const measuredCandidate = (image: string): ScenarioRecord => ({
  status: 'succeeded',
  scenario: S,
  arm: 'release',
  image,
  wave: 0,
  figures: PASSED_FIGURES,
});

describe('deployScenario: candidates', () => {
  it('rolls a candidate out beside the serving deployment and asks for its load test at its own endpoint', async () => {
    const { deps, published, kube } = await setup('ok');
    await open('deploy-ok-1', GOOD);
    await handleDeployRequested(request('deploy-ok-1', GOOD), deps);
    expect(published).toEqual([
      expect.objectContaining({
        type: 'LoadTestRequested',
        runId: 'deploy-ok-1',
        scenario: S,
        image: GOOD,
        modelName: 'resnet',
        target: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        profile: {
          users: 150,
          spawnRate: 1,
          thinkTimeMs: 1000,
          durationS: 300,
          thresholds: ['errors<1%'],
          requestBytes: 602_186,
          maxTasks: 100,
        },
      }),
    ]);
    expect((await kube.readDeployment('ok', `tfs-c-${S}`))?.metadata?.labels).toMatchObject({
      'modelship.dev/role': 'candidate',
      'modelship.dev/run': 'deploy-ok-1',
    });
    // Measured, not served: the serving deployment and the last good deployment are untouched.
    expect(await kube.readDeployment('ok', 'tfs-server')).toBeUndefined();
    expect(await store.lastGoodDeployment('ok')).toBeUndefined();
    expect(await store.getRun('deploy-ok-1')).toMatchObject({
      stages: { deploy: { status: 'succeeded' } },
      scenarios: {
        [S]: {
          status: 'running',
          image: GOOD,
          lock: rolloutLock('ok'),
          endpoint: published[0]?.type === 'LoadTestRequested' ? published[0].target : '',
          // What the report says was measured: the parameters applied, replicas as the cluster's config sets them.
          deployed: { machineType: expect.any(String), replicas: expect.any(Number), interOpParallelism: 4 },
        },
      },
      deadline: { stage: 'load-test' },
    });
  });

  it("asks for a wave's load tests together, once each of its candidates is deployed, and not the next wave's", async () => {
    const { deps, published } = await setup('wave');
    const other = '2n-8c-16r-interop2';
    await store.createRun({
      runId: 'deploy-wave-1',
      scenarios: {
        [S]: { status: 'pending', scenario: S, arm: 'release', image: GOOD, wave: 0 },
        [`${S}~baseline`]: { status: 'pending', scenario: S, arm: 'baseline', image: SERVING, wave: 0 },
        [other]: { status: 'pending', scenario: other, arm: 'release', image: GOOD, wave: 1 },
      },
    });
    await handleDeployRequested(request('deploy-wave-1', GOOD), deps);
    // Deployed, and waiting for its baseline: nothing is measured while a neighbour still rolls out.
    expect(published).toEqual([]);
    const waiting = await store.getRun('deploy-wave-1');
    expect(waiting?.scenarios?.[S]?.loadTest).toMatchObject({ type: 'LoadTestRequested', image: GOOD });
    expect(waiting?.deadline?.stage).toBe('deploy');
    await handleDeployRequested({ ...request('deploy-wave-1', SERVING), arm: 'baseline' }, deps);
    const run = await store.getRun('deploy-wave-1');
    expect(published).toEqual([run?.scenarios?.[S]?.loadTest, run?.scenarios?.[`${S}~baseline`]?.loadTest]);
    expect(published).toEqual([
      expect.objectContaining({ type: 'LoadTestRequested', scenario: S, image: GOOD }),
      expect.objectContaining({ type: 'LoadTestRequested', scenario: S, arm: 'baseline', image: SERVING }),
    ]);
    expect(run?.deadline).toMatchObject({ stage: 'load-test', what: expect.stringMatching(/launchLoadTest to start/) });
    // Delivered again (Pub/Sub at least once): no load test is asked for twice.
    await handleDeployRequested({ ...request('deploy-wave-1', SERVING), arm: 'baseline' }, deps);
    expect(published).toHaveLength(2);
  });

  it('fails a candidate whose pods never become ready, rolls nothing back, and keeps one run per namespace', async () => {
    const { deps, published, kube } = await setup('never');
    await open('deploy-nr-1', NEVER_READY);
    await open('deploy-nr-2', GOOD);
    await handleDeployRequested(request('deploy-nr-1', NEVER_READY), deps);
    expect(published).toEqual([
      expect.objectContaining({ type: 'PipelineFailed', stage: 'deploy', scenario: S, reason: expect.any(String) }),
    ]);
    expect(published[0]).not.toHaveProperty('reason', expect.stringMatching(/rolled back/));
    expect(await kube.readDeployment('never', 'tfs-server')).toBeUndefined();
    // The namespace is the first run's until reportResults ends it: the second run's candidate waits.
    await expect(handleDeployRequested(request('deploy-nr-2', GOOD), deps)).rejects.toThrow(RolloutBusyError);
    expect((await store.getRun('deploy-nr-2'))?.deadline?.what).toMatch(/run deploy-nr-1 to release namespace never/);
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

  it('continues a slow rollout in a follow-up message, and fails it after its last attempt', async () => {
    const { deps, published } = await setup('slow', { DEPLOY_BUDGET_S: '1', DEPLOY_MAX_FOLLOW_UPS: '1' });
    await open('deploy-slow-1', SLOW);
    await handleDeployRequested(request('deploy-slow-1', SLOW), deps);
    const followUp = published[0];
    expect(followUp).toMatchObject({
      type: 'DeployRequested',
      runId: 'deploy-slow-1',
      rollout: { attempt: 2, startedAt: expect.any(String) },
    });
    await handleDeployRequested(followUp as DeployRequested, deps);
    expect(published[1]).toMatchObject({
      type: 'PipelineFailed',
      reason: expect.stringMatching(/rollout did not finish in its last attempt/),
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
      new RegExp(`image ${SLOW.replace(/[.]/g, '\\.')} is not the one run deploy-forged-1 has for ${S}`),
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

  it('opens the run of a redeploy sent as a message, with the serving image as baseline, and ignores finished runs', async () => {
    const { deps, published } = await setup('by-message');
    await store.recordGoodDeployment('by-message', {
      scenario: S,
      image: SLOW,
      runId: 'before',
      manifestsJson: '[]',
      at: new Date().toISOString(),
    });
    await handleDeployRequested({ ...request('deploy-message-1', GOOD), requestedBy: 'redeploy' }, deps);
    expect(published).toEqual([
      { ...request('deploy-message-1', GOOD) },
      { ...request('deploy-message-1', SLOW), arm: 'baseline' },
    ]);
    expect((await store.getRun('deploy-message-1'))?.scenarios).toEqual({
      [S]: { status: 'pending', scenario: S, arm: 'release', image: GOOD, wave: 0 },
      [`${S}~baseline`]: { status: 'pending', scenario: S, arm: 'baseline', image: SLOW, wave: 0 },
    });

    await open('deploy-finished-1', GOOD);
    await store.finishRun('deploy-finished-1', { status: 'failed', stage: 'deploy', reason: 'past its deadline' });
    await handleDeployRequested(request('deploy-finished-1', GOOD), deps);
    expect(published).toHaveLength(2);
    expect(await store.getRun('deploy-finished-1')).toMatchObject({ status: 'failed', stages: {} });
  });
});

describe('deployScenario: promotion', () => {
  it('tears the candidates down and serves the chosen one by digest, then says so', async () => {
    const { deps, published, kube } = await setup('promote');
    await open('promote-1', GOOD);
    await handleDeployRequested(request('promote-1', GOOD), deps);
    expect(await kube.readDeployment('promote', `tfs-c-${S}`)).toBeDefined();
    await store.setScenarios('promote-1', { [S]: measuredCandidate(GOOD) });
    await handlePromoteRequested(promote('promote-1', S), deps);
    expect(await kube.readDeployment('promote', `tfs-c-${S}`)).toBeUndefined();
    expect((await kube.readDeployment('promote', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image).toBe(GOOD);
    expect(await store.lastGoodDeployment('promote')).toMatchObject({ scenario: S, image: GOOD, runId: 'promote-1' });
    expect(published.at(-1)).toEqual({
      type: 'PromotionFinished',
      version: 1,
      runId: 'promote-1',
      scenario: S,
      image: GOOD,
      requestedBy: 'pipeline',
      outcome: 'promoted',
      reason: 'the most throughput per vCPU',
    });
  });

  it('rolls the serving deployment back to the last good one when the promoted image never becomes ready', async () => {
    const { deps, published, kube } = await setup('promote-bad');
    await open('promote-bad-0', GOOD, S, { status: 'succeeded', figures: PASSED_FIGURES });
    await handlePromoteRequested(promote('promote-bad-0', S), deps);
    await open('promote-bad-1', NEVER_READY, S, { status: 'succeeded', figures: PASSED_FIGURES });
    await store.releaseLock(rolloutLock('promote-bad'), 'promote-bad-0', '*');
    await handlePromoteRequested(promote('promote-bad-1', S), deps);
    expect(published.at(-1)).toMatchObject({
      type: 'PipelineFailed',
      stage: 'promote',
      reason: expect.stringMatching(/rolled back to scenario 2n-8c-16r-interop4 with image .*a{64}/),
    });
    expect((await kube.readDeployment('promote-bad', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image).toBe(
      GOOD,
    );
    expect((await store.lastGoodDeployment('promote-bad'))?.image).toBe(GOOD);
  });

  it('with no scenario, only tears the candidates down; a promotion of an unmeasured candidate is refused', async () => {
    const { deps, published, kube } = await setup('promote-none');
    await open('promote-none-1', GOOD);
    await handleDeployRequested(request('promote-none-1', GOOD), deps);
    await expect(handlePromoteRequested(promote('promote-none-1', S), deps)).rejects.toThrow(
      /run promote-none-1 has no measured candidate 2n-8c-16r-interop4 \(running\): refused/,
    );
    await handlePromoteRequested(promote('promote-none-1', null), deps);
    expect(await kube.readDeployment('promote-none', `tfs-c-${S}`)).toBeUndefined();
    expect(await kube.readDeployment('promote-none', 'tfs-server')).toBeUndefined();
    expect(published.at(-1)).toMatchObject({ type: 'PromotionFinished', outcome: 'none', scenario: null });
  });

  it('lets a person promote a measured candidate of a run that has ended, and records it on the run', async () => {
    const { deps, published, kube } = await setup('promote-by-hand');
    await open('by-hand-1', GOOD, S, { status: 'succeeded', figures: PASSED_FIGURES });
    await expect(handlePromoteRequested(promote('by-hand-1', S, 'operator'), deps)).rejects.toThrow(
      /run by-hand-1 is still measuring its candidates/,
    );
    await store.finishRun('by-hand-1', { status: 'succeeded' });
    await handlePromoteRequested(promote('by-hand-1', S, 'operator'), deps);
    expect(
      (await kube.readDeployment('promote-by-hand', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image,
    ).toBe(GOOD);
    expect((await store.getRun('by-hand-1'))?.promotion).toMatchObject({
      status: 'promoted',
      scenario: S,
      image: GOOD,
      requestedBy: 'operator',
    });
    // For reportResults, which writes what now serves on the release.
    expect(published).toEqual([
      {
        type: 'PromotionFinished',
        version: 1,
        runId: 'by-hand-1',
        scenario: S,
        image: GOOD,
        requestedBy: 'operator',
        outcome: 'promoted',
        reason: 'the most throughput per vCPU',
      },
    ]);
  });
});
