import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../../support/memory-logger.js';
import {
  deployScenario,
  loadScenario,
  systemClock,
  type DeployOptions,
  type KubeClient,
  type LastGoodDeployment,
  type Role,
  type Scenario,
} from '../../../../shared/deploy/index.js';
import { readConnection, useEmulator } from '../../local/emulators/kubernetes/emulator-fixture.js';
import { fakeLauncher, type FakeBehaviour } from '../../local/emulators/kubernetes/fake-launcher.js';

const IMAGE_A = `registry.local/tfs@sha256:${'a'.repeat(64)}`;
const IMAGE_B = `registry.local/tfs@sha256:${'b'.repeat(64)}`;
const OPTIONS: DeployOptions = { replicas: 2, nodeSelector: false, budgetMs: 15_000, pollMs: 20 };

const start = useEmulator();

/**
 * An emulator whose Kubernetes clock runs 500× faster (a 900 s progress deadline is 1.8 s, a 5 s probe period
 * 10 ms) and whose pods behave as `behaviour` says for each image.
 */
async function cluster(behaviour: Record<string, FakeBehaviour>) {
  const fake = fakeLauncher((launch) => behaviour[launch.image] ?? {});
  const { kube } = await start({ launcher: fake.launcher, timeScale: 0.002, tickMs: 20 });
  const log = createMemoryLogger();
  const deploy = (
    scenario: Scenario,
    image: string,
    extra: { lastGood?: LastGoodDeployment; options?: DeployOptions; role?: Role; kube?: KubeClient } = {},
  ) =>
    deployScenario(
      { scenario, image, runId: 'run-000001', ...(extra.role ? { role: extra.role } : {}) },
      {
        kube: extra.kube ?? kube,
        clock: systemClock,
        log,
        options: extra.options ?? OPTIONS,
        ...(extra.lastGood ? { lastGood: extra.lastGood } : {}),
      },
    );
  return { fake, kube, log, deploy };
}

describe('deployScenario against the Kubernetes emulator', () => {
  it('rolls out, reports the load balancer endpoint, and the endpoint spreads connections over the pods', async () => {
    const { deploy, kube } = await cluster({ [IMAGE_A]: { readyAfterMs: 30 } });
    const result = await deploy(await loadScenario('2n-8c-16r-interop4'), IMAGE_A);
    expect(result).toMatchObject({ outcome: 'succeeded', rollout: { phase: 'done' } });
    expect(result.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(result.manifests.map((m) => `${m.kind}/${m.metadata?.name}`)).toEqual([
      'Deployment/tfs-server',
      'Service/tfs-server',
      'Service/tfs-server-headless',
    ]);
    const pods = (await kube.listPods('default', 'app.kubernetes.io/name=tfs-server')).map((p) => p.metadata?.name);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await readConnection(result.endpoint ?? ''));
    expect(new Set(answers)).toEqual(new Set(pods));
  });

  it('rolls back to the last good deployment when the new pods never become ready', async () => {
    // The model answers the startup probe once and then is gone: the pods run but never become ready.
    const { deploy, kube, log } = await cluster({ [IMAGE_A]: { readyAfterMs: 0 }, [IMAGE_B]: { availableFor: 1 } });
    const scenario = await loadScenario('2n-8c-16r-interop4');
    const good = await deploy(scenario, IMAGE_A);
    expect(good.outcome).toBe('succeeded');
    const lastGood = { scenario: scenario.name, image: IMAGE_A, manifests: good.manifests };

    const bad = await deploy(await loadScenario('2n-8c-16r-interop2'), IMAGE_B, { lastGood });
    expect(bad.outcome).toBe('rolled-back');
    expect(bad.rollout).toMatchObject({ phase: 'failed', reason: 'ProgressDeadlineExceeded' });
    expect(bad.reason).toMatch(
      /deployment "tfs-server" exceeded its progress deadline: ReplicaSet "tfs-server-\w+" has timed out progressing\.; rolled back to scenario 2n-8c-16r-interop4 with image registry.local\/tfs@sha256:a{64}/,
    );
    expect(log.lines.map((l) => l.message)).toContain('rollout failed; re-applying the last good deployment');

    // The cluster returns to the good image, with two available pods of it.
    const again = await deploy(scenario, IMAGE_A, { lastGood });
    expect(again.outcome).toBe('succeeded');
    const deployment = await kube.readDeployment('default', 'tfs-server');
    expect(deployment?.spec?.template.spec?.containers[0]?.image).toBe(IMAGE_A);
    expect(deployment?.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
  });

  it('rolls back when the model never loads: the startup probe restarts the container into CrashLoopBackOff', async () => {
    const { deploy, kube } = await cluster({ [IMAGE_A]: { readyAfterMs: 0 }, [IMAGE_B]: { readyAfterMs: 'never' } });
    const seed = await loadScenario('2n-8c-16r-interop4');
    // A startup allowance far inside the progress deadline, so that the probe, not the deadline, decides.
    const scenario = { ...seed, probes: { ...seed.probes, startupSeconds: 60 } };
    const good = await deploy(scenario, IMAGE_A);
    const lastGood = { scenario: scenario.name, image: IMAGE_A, manifests: good.manifests };
    const bad = await deploy(scenario, IMAGE_B, { lastGood });
    expect(bad).toMatchObject({ outcome: 'rolled-back', rollout: { reason: 'CrashLoopBackOff' } });
    expect(bad.reason).toMatch(
      /in CrashLoopBackOff after \d+ restarts: back-off restarting failed container tfs-k8s; last exit code 137 \(Error\); rolled back/,
    );
    const image = async () =>
      (await kube.readDeployment('default', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image;
    expect(await image()).toBe(IMAGE_A);
  });

  it('fails fast on a crash-looping container, with nothing to roll back to', async () => {
    const { deploy } = await cluster({ [IMAGE_B]: { crashAfterMs: 10 } });
    const result = await deploy(await loadScenario('2n-8c-16r-interop4'), IMAGE_B);
    expect(result.outcome).toBe('failed');
    expect(result.rollout).toMatchObject({ phase: 'failed', reason: 'CrashLoopBackOff' });
    expect(result.reason).toMatch(
      /^pod tfs-server-\w+-\w+ container tfs-k8s is in CrashLoopBackOff after \d+ restarts: back-off restarting failed container tfs-k8s; last exit code 1 \(Error\); nothing to roll back to: no deployment has worked here yet$/,
    );
  });

  it('does not call it a rollback when the deployment that fails is the last good one itself', async () => {
    const { deploy } = await cluster({ [IMAGE_B]: { crashAfterMs: 10 } });
    const scenario = await loadScenario('2n-8c-16r-interop4');
    const lastGood = { scenario: scenario.name, image: IMAGE_B, manifests: [] };
    const result = await deploy(scenario, IMAGE_B, { lastGood });
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/nothing to roll back to: it is the last good deployment itself$/);
  });

  it('fails fast on an image that cannot be pulled', async () => {
    const { deploy } = await cluster({ [IMAGE_B]: { missingImage: true } });
    const result = await deploy(await loadScenario('2n-8c-16r-interop4'), IMAGE_B);
    expect(result).toMatchObject({
      outcome: 'failed',
      rollout: { reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) },
    });
  });

  it('does one rollout for a duplicate request, and resumes an unfinished one without a second', async () => {
    const { deploy, kube, fake } = await cluster({ [IMAGE_A]: { readyAfterMs: 300 } });
    const scenario = await loadScenario('2n-8c-16r-interop4');
    const first = await deploy(scenario, IMAGE_A, { options: { ...OPTIONS, budgetMs: 0 } });
    expect(first).toMatchObject({ outcome: 'in-progress', rollout: { phase: 'progressing' } });
    const resumed = await deploy(scenario, IMAGE_A);
    const duplicate = await deploy(scenario, IMAGE_A);
    expect([resumed.outcome, duplicate.outcome]).toEqual(['succeeded', 'succeeded']);
    expect(duplicate.endpoint).toBe(resumed.endpoint);
    const deployment = await kube.readDeployment('default', 'tfs-server');
    expect(deployment?.metadata?.generation).toBe(1);
    expect(fake.launches).toHaveLength(2);
  });

  it('judges a rollout on its own image: one another rollout replaced fails, and nothing is rolled back', async () => {
    const { kube, fake, deploy } = await cluster({ [IMAGE_A]: { readyAfterMs: 0 }, [IMAGE_B]: { readyAfterMs: 0 } });
    const scenario = await loadScenario('2n-8c-16r-interop4');
    const other = await deploy(scenario, IMAGE_B);
    expect(other.outcome).toBe('succeeded');
    // Another release's rollout lands between this one's apply and its first look at the Deployment.
    let replaced = false;
    const racing: KubeClient = {
      ...kube,
      async readDeployment(namespace, name) {
        if (!replaced) {
          replaced = true;
          await kube.apply(other.manifests);
        }
        return kube.readDeployment(namespace, name);
      },
    };
    const lastGood = { scenario: scenario.name, image: IMAGE_B, manifests: other.manifests };
    const result = await deployScenario(
      { scenario, image: IMAGE_A, runId: 'run-000002' },
      { kube: racing, clock: systemClock, log: createMemoryLogger(), options: OPTIONS, lastGood },
    );
    expect(result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/now holds image .*bbbb.*, not this run's .*aaaa.*: another rollout replaced it/),
    });
    const template = (await kube.readDeployment('default', 'tfs-server'))?.spec?.template.spec?.containers[0]?.image;
    expect(template).toBe(IMAGE_B);
    expect(fake.launches.at(-1)?.image).toBe(IMAGE_B);
  });
});

/** A KubeClient that records the name of every object it reads, writes or lists pods of. */
function recording(kube: KubeClient): { kube: KubeClient; touched: string[] } {
  const touched: string[] = [];
  return {
    touched,
    kube: {
      apply: (objects) => (touched.push(...objects.map((o) => o.metadata?.name ?? '?')), kube.apply(objects)),
      readDeployment: (namespace, name) => (touched.push(name), kube.readDeployment(namespace, name)),
      readService: (namespace, name) => (touched.push(name), kube.readService(namespace, name)),
      listPods: (namespace, selector) => (touched.push(selector), kube.listPods(namespace, selector)),
      delete: (objects) => (touched.push(...objects.map((o) => o.metadata?.name ?? '?')), kube.delete(objects)),
    },
  };
}

describe('deployScenario by role', () => {
  const CANDIDATE = 'tfs-c-4n-4c-8r-interop8';

  it('deploys a candidate beside the serving deployment, with an endpoint of its own, touching only its objects', async () => {
    const { deploy, kube } = await cluster({ [IMAGE_A]: { readyAfterMs: 0 }, [IMAGE_B]: { readyAfterMs: 0 } });
    const serving = await deploy(await loadScenario('2n-8c-16r-interop4'), IMAGE_A);
    const servingPods = async () =>
      (await kube.listPods('default', 'app.kubernetes.io/name=tfs-server')).map((p) => p.metadata?.name).sort();
    const before = { deployment: await kube.readDeployment('default', 'tfs-server'), pods: await servingPods() };

    const spy = recording(kube);
    const candidate = await deploy(await loadScenario('4n-4c-8r-interop8'), IMAGE_B, {
      role: 'candidate',
      kube: spy.kube,
    });
    expect(candidate).toMatchObject({ outcome: 'succeeded', rollout: { phase: 'done' } });
    expect(candidate.manifests.map((m) => `${m.kind}/${m.metadata?.name}`)).toEqual([
      `Deployment/${CANDIDATE}`,
      `Service/${CANDIDATE}`,
      `Service/${CANDIDATE}-headless`,
    ]);
    expect(candidate.endpoint).not.toBe(serving.endpoint);
    // Each endpoint reaches its own pods only (fake pods answer with their name).
    expect(await readConnection(candidate.endpoint ?? '')).toMatch(new RegExp(`^${CANDIDATE}-`));
    expect(await readConnection(serving.endpoint ?? '')).toMatch(/^tfs-server-/);
    expect(spy.touched.length).toBeGreaterThan(0);
    expect(spy.touched.filter((name) => !name.includes(CANDIDATE))).toEqual([]);
    const after = await kube.readDeployment('default', 'tfs-server');
    expect(after?.metadata?.resourceVersion).toBe(before.deployment?.metadata?.resourceVersion);
    expect(await servingPods()).toEqual(before.pods);
  });

  it('never rolls a failed candidate back, even given the last good deployment, and leaves serving as it was', async () => {
    const { deploy, kube, log } = await cluster({ [IMAGE_A]: { readyAfterMs: 0 }, [IMAGE_B]: { crashAfterMs: 10 } });
    const scenario = await loadScenario('2n-8c-16r-interop4');
    const good = await deploy(scenario, IMAGE_A);
    const lastGood = { scenario: scenario.name, image: IMAGE_A, manifests: good.manifests };
    const before = await kube.readDeployment('default', 'tfs-server');

    const spy = recording(kube);
    const result = await deploy(scenario, IMAGE_B, { role: 'baseline', lastGood, kube: spy.kube });
    expect(result).toMatchObject({ outcome: 'failed', rollout: { phase: 'failed', reason: 'CrashLoopBackOff' } });
    expect(result.reason).toMatch(
      /^pod tfs-b-2n-8c-16r-interop4-\w+-\w+ container tfs-k8s is in CrashLoopBackOff after \d+ restarts: back-off restarting failed container tfs-k8s; last exit code 1 \(Error\)$/,
    );
    expect(log.lines.map((l) => l.message)).toContain('baseline rollout failed');
    expect(spy.touched.some((name) => name.includes('tfs-server'))).toBe(false);
    const after = await kube.readDeployment('default', 'tfs-server');
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(after?.spec?.template.spec?.containers[0]?.image).toBe(IMAGE_A);
  });
});
