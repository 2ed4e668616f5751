import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../support/memory-logger.js';
import { distPath } from '../../shared/paths.js';
import {
  createKubeClient,
  deployScenario,
  loadScenario,
  systemClock,
  teardownScenario,
  type DeployResult,
  type KubeClient,
  type LastGoodDeployment,
} from '../../shared/deploy/index.js';
import { createTfServingClient, writeFixtureSavedModel } from '../../shared/tfserving/index.js';
import { putModel } from '../../local/image-store.js';
import { waitUntil } from '../../local/wait-until.js';
import {
  startKubernetesEmulator,
  tfsSimLauncher,
  type KubernetesEmulator,
} from '../../local/emulators/kubernetes/index.js';

/**
 * The deployer against the Kubernetes emulator running real TF Serving simulators (`modelship tfs-sim`, compiled:
 * `npm run build`, which `npm ci` runs) for a baked image from the local image store. Kubernetes time runs 50×
 * faster; two pods of the seed's batching scenario.
 */

const SEED_BATCHING =
  'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 2 }\nnum_batch_threads { value: 2 }\n';

let dir: string;
let emulator: KubernetesEmulator;
let kube: KubeClient;
let image: string;
let deployed: DeployResult;
/** The serving deployment after the rollback test: what the candidate runs beside. */
let back: DeployResult;
const pidsSeen = new Set<number>();
const options = { replicas: 2, nodeSelector: false, budgetMs: 60_000, pollMs: 100 };

beforeAll(async () => {
  if (!existsSync(distPath('cli/main.js')))
    throw new Error('the pods run the compiled simulator: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'modelship-k8s-'));
  const model = await writeFixtureSavedModel(join(dir, 'release'));
  const baked = await putModel(join(dir, 'images'), { modelName: 'resnet', modelDir: model.basePath });
  image = `registry.local/modelship/tfs-resnet@sha256:${baked.digest}`;
  emulator = await startKubernetesEmulator({
    launcher: tfsSimLauncher({ imageStore: join(dir, 'images'), extraArgs: ['--load_time_ms=100'] }),
    workDir: join(dir, 'cluster'),
    timeScale: 0.02,
    tickMs: 50,
  });
  kube = createKubeClient(emulator.kubeConfig());
});

afterAll(async () => {
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const deploy = (scenario: Awaited<ReturnType<typeof loadScenario>>, img: string, lastGood?: LastGoodDeployment) =>
  deployScenario(
    { scenario, image: img, runId: 'run-int-0001' },
    { kube, clock: systemClock, log: createMemoryLogger(), options, ...(lastGood ? { lastGood } : {}) },
  );

/** The model's version states through gRPC at `endpoint`. */
async function modelState(endpoint: string): Promise<string[]> {
  const client = createTfServingClient({ target: endpoint, deadlineMs: 5000 });
  try {
    return (await client.getModelStatus({ name: 'resnet' })).modelVersionStatus.map((s) => s.state);
  } finally {
    client.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('deploying to the Kubernetes emulator with TF Serving simulators', () => {
  it('rolls out a batching scenario and serves the model over gRPC and REST through the load balancer', async () => {
    deployed = await deploy(await loadScenario('2n-8c-64r-interop2-batch'), image);
    expect(deployed).toMatchObject({ outcome: 'succeeded', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    emulator.pids().forEach((pid) => pidsSeen.add(pid));
    expect(pidsSeen.size).toBe(2);

    const client = createTfServingClient({ target: deployed.endpoint ?? '', deadlineMs: 5000 });
    const status = await client.getModelStatus({ name: 'resnet' });
    client.close();
    expect(status.modelVersionStatus.map((s) => s.state)).toEqual(['AVAILABLE']);

    const service = await kube.readService('default', 'tfs-server');
    const restPort = service?.status?.loadBalancer?.ingress?.[0]?.ports?.[1]?.port;
    const rest = await fetch(`http://127.0.0.1:${restPort}/v1/models/resnet`);
    expect(rest.status).toBe(200);
    expect(await rest.json()).toMatchObject({ model_version_status: [{ version: '1', state: 'AVAILABLE' }] });
  });

  it('starts each simulator from the container: its args, the CPU limit, the mounted batching file', () => {
    for (const pid of pidsSeen) {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(args).toEqual(
        expect.arrayContaining([
          'tfs-sim',
          '--model_name=resnet',
          '--cpus=7.5', // the scenario's 7500m limit, a quota
          '--tensorflow_inter_op_parallelism=2',
          '--tensorflow_intra_op_parallelism=8',
          '--enable_batching=true',
        ]),
      );
      const file = args.find((a) => a.startsWith('--batching_parameters_file='))?.split('=')[1] ?? '';
      expect(file.startsWith(join(dir, 'cluster', 'pods'))).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(SEED_BATCHING);
    }
  });

  it('rolls back to the running deployment when the new image cannot be pulled', async () => {
    const missing = `registry.local/modelship/tfs-resnet@sha256:${'0'.repeat(64)}`;
    const lastGood = { scenario: '2n-8c-64r-interop2-batch', image, manifests: deployed.manifests };
    const result = await deploy(await loadScenario('2n-8c-16r-interop4'), missing, lastGood);
    expect(result).toMatchObject({
      outcome: 'rolled-back',
      rollout: { reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/) },
    });
    expect(result.reason).toMatch(
      /^pod tfs-server-\w+-\w+ container tfs-k8s is in (ErrImagePull|ImagePullBackOff): failed to pull image "registry.local\/modelship\/tfs-resnet@sha256:0{64}": image .* is not in the local image store .*; rolled back to scenario 2n-8c-64r-interop2-batch with image /,
    );
    back = await deploy(await loadScenario('2n-8c-64r-interop2-batch'), image);
    expect(back.outcome).toBe('succeeded');
    const deployment = await kube.readDeployment('default', 'tfs-server');
    expect(deployment?.spec?.template.spec?.containers[0]?.image).toBe(image);
    emulator.pids().forEach((pid) => pidsSeen.add(pid));
  });

  it('runs a candidate beside the serving deployment, and tears it down: its simulators stop, its port is freed', async () => {
    const serving = new Set(emulator.pids());
    const candidate = await deployScenario(
      { scenario: await loadScenario('4n-4c-8r-interop8'), image, runId: 'run-int-0002', role: 'candidate' },
      { kube, clock: systemClock, log: createMemoryLogger(), options },
    );
    expect(candidate).toMatchObject({ outcome: 'succeeded', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(candidate.endpoint).not.toBe(back.endpoint);
    const candidatePids = emulator.pids().filter((pid) => !serving.has(pid));
    expect(candidatePids).toHaveLength(2);
    candidatePids.forEach((pid) => pidsSeen.add(pid));
    const args = readFileSync(`/proc/${candidatePids[0] ?? 0}/cmdline`, 'utf8').split('\0');
    expect(args).toContain('--tensorflow_inter_op_parallelism=8');
    expect(await modelState(candidate.endpoint ?? '')).toEqual(['AVAILABLE']);

    await teardownScenario(kube, { role: 'candidate', scenario: '4n-4c-8r-interop8' });
    await waitUntil('the candidate simulators to exit', async () =>
      candidatePids.every((pid) => !alive(pid)) ? true : undefined,
    );
    await expect(modelState(candidate.endpoint ?? '')).rejects.toThrow();
    // Serving goes on, with the same simulators.
    expect(new Set(emulator.pids())).toEqual(serving);
    expect(await modelState(back.endpoint ?? '')).toEqual(['AVAILABLE']);
  });

  it('leaves no simulator running once stopped', async () => {
    await emulator.stop();
    for (const pid of pidsSeen) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});
