import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ContainerStatus } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../local/containers/images.js';
import { podman, STACK_LABEL, ULIMIT_FLAGS } from '../../../local/containers/podman.js';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../../local/emulators/kubernetes/index.js';
import { POD_NAME_LABEL, podmanLauncher } from '../../../local/emulators/kubernetes/podman-launcher.js';
import { waitUntil } from '../../../local/wait-until.js';
import { createMemoryLogger } from '../../support/memory-logger.js';
import {
  BATCHING_DIR,
  BATCHING_FILE,
  createKubeClient,
  deployScenario,
  loadScenario,
  parseMemoryMiB,
  systemClock,
  teardownScenario,
  type DeployResult,
  type KubeClient,
} from '../../../shared/deploy/index.js';
import { createTfServingClient, readTensor, writeFixtureSavedModel } from '../../../shared/tfserving/index.js';
import { testDeployment } from '../../unit/local/emulators/kubernetes/emulator-fixture.js';
import { localImages } from '../../support/local-images.js';

/**
 * The Kubernetes emulator running each pod as a podman container of its image (podmanLauncher), pulled from the
 * test run's registry: TF Serving images baked here FROM the stand-in base, a model appended as the bake appends
 * one. Kubernetes time runs 50× faster. Every container of this file carries a label of its own, by which
 * afterAll removes whatever is left, even after a failure.
 */

const TEST_LABEL = 'dev.modelship.test.kubernetes-pods';
const run = randomBytes(4).toString('hex');
const MODEL = 'resnet';
const SEED_BATCHING =
  'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 2 }\nnum_batch_threads { value: 2 }\n';

let dir: string;
let emulator: KubernetesEmulator;
let kube: KubeClient;
let goodImage: string;
let badImage: string;
let deployed: DeployResult;
const builtImages: string[] = [];

/** An image FROM the TF Serving base with the fixture SavedModel at /models/resnet/1, pushed; by digest. */
async function bake(name: string, { withoutGraph = false } = {}): Promise<string> {
  const context = join(dir, 'bake', name);
  const model = await writeFixtureSavedModel(join(context, 'model'));
  if (withoutGraph) await rm(join(model.versionPath, 'saved_model.pb'));
  await writeFile(
    join(context, 'Dockerfile'),
    `FROM ${localImages().tfServingBase}\nCOPY model/1 /models/${MODEL}/1\nENV MODEL_NAME=${MODEL}\n`,
  );
  const tag = `localhost/modelship-test/${name}:${run}`;
  const iidFile = join(context, 'image-id');
  // The base comes from the local registry, over plain HTTP.
  await podman([
    'build',
    '--tls-verify=false',
    ...ULIMIT_FLAGS,
    '--label',
    `${STACK_LABEL}=image`,
    '--iidfile',
    iidFile,
    '-t',
    tag,
    context,
  ]);
  builtImages.push(readFileSync(iidFile, 'utf8').trim());
  return pushImage(tag, `${localImages().registry}/test-pods/${name}:${run}`);
}

interface ContainerInfo {
  Id: string;
  Config: { Labels: Record<string, string> };
  HostConfig: { CpuQuota: number; CpuPeriod: number; Memory: number };
  Mounts: Array<{ Source: string; Destination: string; RW: boolean }>;
}

/** This file's containers (running or not) whose pod name starts with `podPrefix`. */
async function containers(podPrefix = ''): Promise<ContainerInfo[]> {
  const ids = (await podman(['ps', '--all', '--quiet', '--filter', `label=${TEST_LABEL}=${run}`])).split('\n');
  const found = ids.filter(Boolean);
  if (!found.length) return [];
  const all = JSON.parse(await podman(['container', 'inspect', ...found])) as ContainerInfo[];
  return all.filter((c) => (c.Config.Labels[POD_NAME_LABEL] ?? '').startsWith(podPrefix));
}

/** The status of the one container of the pods labelled app=APP, once `done` holds for it. */
function containerStatus(app: string, done: (status: V1ContainerStatus) => boolean): Promise<V1ContainerStatus> {
  return waitUntil(`a pod of ${app} in the awaited state`, async () => {
    const [pod] = await kube.listPods('default', `app=${app}`);
    const status = pod?.status?.containerStatuses?.[0];
    return status && done(status) ? status : undefined;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-k8s-pods-'));
  [goodImage, badImage] = await Promise.all([bake('tfs-good'), bake('tfs-no-graph', { withoutGraph: true })]);
  emulator = await startKubernetesEmulator({
    launcher: podmanLauncher({ extraArgs: ['--load_time_ms=100'], labels: { [TEST_LABEL]: run } }),
    workDir: join(dir, 'cluster'),
    timeScale: 0.02,
    tickMs: 50,
  });
  kube = createKubeClient(emulator.kubeConfig());
});

afterAll(async () => {
  try {
    await emulator?.stop();
  } finally {
    const left = (await containers()).map((c) => c.Id);
    if (left.length) await podman(['rm', '--force', ...left]);
    if (builtImages.length) await podman(['rmi', '--force', ...builtImages]);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the Kubernetes emulator with each pod a container of its image', () => {
  it('rolls out the baked image; each pod is a container with the CPU quota, memory limit and batching file', async () => {
    const scenario = await loadScenario('2n-8c-64r-interop2-batch');
    deployed = await deployScenario(
      { scenario, image: goodImage, runId: 'run-pods-0001' },
      {
        kube,
        clock: systemClock,
        log: createMemoryLogger(),
        options: { replicas: 2, nodeSelector: false, budgetMs: 50_000, pollMs: 100 },
      },
    );
    expect(deployed).toMatchObject({ outcome: 'succeeded', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });

    const deployment = await kube.readDeployment('default', 'tfs-server');
    const memoryMiB = parseMemoryMiB(deployment?.spec?.template.spec?.containers[0]?.resources?.limits?.memory ?? '');
    const pods = await kube.listPods('default', 'app.kubernetes.io/name=tfs-server');
    const running = await containers('tfs-server-');
    expect(running.map((c) => c.Config.Labels[POD_NAME_LABEL]).sort()).toEqual(
      pods.map((p) => p.metadata?.name).sort(),
    );
    for (const container of running) {
      // The scenario's 7500m limit is a CFS quota of 7.5 periods.
      expect(container.HostConfig).toMatchObject({ CpuQuota: 750_000, CpuPeriod: 100_000 });
      expect(container.HostConfig.Memory).toBe((memoryMiB ?? 0) * 2 ** 20);
      expect(container.Mounts).toContainEqual(expect.objectContaining({ Destination: BATCHING_DIR, RW: false }));
      const batching = await podman(['exec', container.Id, 'cat', `${BATCHING_DIR}/${BATCHING_FILE}`]);
      expect(batching).toBe(SEED_BATCHING);
      // The simulator's default --cpus inside the container is the pod's limit, read from its cgroup.
      const cpus = await podman([
        'exec',
        container.Id,
        'node',
        '--input-type=module',
        '-e',
        "const { cgroupCpuLimit } = await import('/app/dist/local/tfserving-sim/options.js'); console.log(await cgroupCpuLimit());",
      ]);
      expect(cpus.trim()).toBe('7.5');
    }
  });

  it('answers a Predict through the loopback LoadBalancer Service', async () => {
    const client = createTfServingClient({ target: deployed.endpoint ?? '', deadlineMs: 10_000 });
    try {
      const shape = [1, 224, 224, 3];
      const response = await client.predict({
        modelSpec: { name: MODEL, signatureName: 'serving_default' },
        inputs: { image_input: { dtype: 'DT_FLOAT', shape, tensorContent: new Uint8Array(4 * 224 * 224 * 3) } },
      });
      expect(readTensor(response.outputs['resnet50']!).shape).toEqual([1, 1000]);
    } finally {
      client.close();
    }
  });

  it('removes the containers of the pods a scale-down deletes', async () => {
    const scaledDown = deployed.manifests.map((m) =>
      m.kind === 'Deployment' ? { ...m, spec: { ...(m.spec as object), replicas: 0 } } : m,
    );
    await kube.apply(scaledDown);
    await waitUntil('no container of tfs-server left', async () =>
      (await containers('tfs-server-')).length === 0 ? true : undefined,
    );
  });

  it('removes the containers of a deleted Deployment: a candidate torn down', async () => {
    const scenario = '4n-4c-8r-interop8';
    const candidate = await deployScenario(
      { scenario: await loadScenario(scenario), image: goodImage, runId: 'run-pods-0002', role: 'candidate' },
      {
        kube,
        clock: systemClock,
        log: createMemoryLogger(),
        options: { replicas: 1, nodeSelector: false, budgetMs: 50_000, pollMs: 100 },
      },
    );
    expect(candidate.outcome).toBe('succeeded');
    expect(await containers(`tfs-c-${scenario}-`)).toHaveLength(1);
    await teardownScenario(kube, { role: 'candidate', scenario });
    await waitUntil('no container of the candidate left', async () =>
      (await containers(`tfs-c-${scenario}-`)).length === 0 ? true : undefined,
    );
  });

  it('shows ImagePullBackOff with the registry message for a digest the registry does not have', async () => {
    const missing = goodImage.replace(/@sha256:\w+$/, `@sha256:${'0'.repeat(64)}`);
    await kube.apply([testDeployment('missing', missing, 1)]);
    const status = await containerStatus('missing', (s) => s.state?.waiting?.reason === 'ImagePullBackOff');
    expect(status.state?.waiting?.message).toMatch(/^failed to pull image ".*": .*manifest unknown/);
  });

  it('pulls only from the local registry', async () => {
    await kube.apply([testDeployment('elsewhere', `gcr.io/modelship/tfs@sha256:${'1'.repeat(64)}`, 1)]);
    const status = await containerStatus('elsewhere', (s) => /ImagePull/.test(s.state?.waiting?.reason ?? ''));
    expect(status.state?.waiting?.message).toMatch(/pulls only from the local registry .*, not from gcr\.io$/);
  });

  it('restarts a container whose model does not load, in CrashLoopBackOff, its output in the pod log', async () => {
    const deployment = testDeployment('no-graph', badImage, 1);
    for (const c of deployment.spec.template.spec.containers) c.env = [{ name: 'MODEL_NAME', value: MODEL }];
    await kube.apply([deployment]);
    const status = await containerStatus(
      'no-graph',
      (s) => s.state?.waiting?.reason === 'CrashLoopBackOff' && (s.restartCount ?? 0) >= 1,
    );
    expect(status.lastState?.terminated?.exitCode).toBe(1);
    const [pod] = await kube.listPods('default', 'app=no-graph');
    const log = readFileSync(join(dir, 'cluster', 'pods', pod?.metadata?.name ?? '', 'tfs.log'), 'utf8');
    // The kubelet's CRI log format: time, stream, tag, line.
    expect(log).toMatch(/^\S+ stderr F E tfs-sim: .*saved_model/m);
  });

  it('leaves no container behind once the emulator stops', async () => {
    await emulator.stop();
    expect(await containers()).toEqual([]);
  });
});
