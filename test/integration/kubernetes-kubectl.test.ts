import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderCommand } from '../../cli/commands/render.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../local/emulators/kubernetes/index.js';
import { localGcpConfig, localNames } from '../../local/local-gcp-config.js';
import { rbacManifests } from '../../operator/gcp/plan-cluster.js';
import { createKubeClient, loadScenario, renderScenario } from '../../shared/deploy/index.js';
import { fakeLauncher } from '../unit/local/emulators/kubernetes/fake-launcher.js';

/**
 * kubectl 1.32 against the emulator: `modelship render | kubectl apply --server-side -f -` creates the objects, and
 * `kubectl rollout status` (kubectl's own reading of the Deployment's status, over a watch) sees the rollout
 * finish. kubectl's client-side schema check needs the server's OpenAPI document, which the emulator does not
 * serve, hence --validate=false; the objects are checked against the schema in test/unit/shared/deploy.
 */

const IMAGE = `registry.local/modelship/tfs-resnet@sha256:${'d'.repeat(64)}`;
let dir: string;
let emulator: KubernetesEmulator;
let kubeconfig: string;
let deployerKubeconfig: string;
const DEPLOYER = localNames('kubectl-test').email('deployer');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-kubectl-'));
  emulator = await startKubernetesEmulator({
    launcher: fakeLauncher(() => ({ readyAfterMs: 50 })).launcher,
    workDir: dir,
    timeScale: 0.01,
    tickMs: 20,
    users: { 'deployer-token': { name: DEPLOYER } },
  });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, emulator.kubeConfig().exportConfig());
  deployerKubeconfig = join(dir, 'deployer-kubeconfig');
  writeFileSync(deployerKubeconfig, emulator.kubeConfig('default', DEPLOYER).exportConfig());
  await createKubeClient(emulator.kubeConfig()).apply(
    rbacManifests(localGcpConfig('kubectl-test'), localNames('kubectl-test')) as KubernetesObject[],
  );
});
afterAll(async () => {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs kubectl without blocking this process, which serves the API kubectl talks to. */
function kubectl(
  args: string[],
  input = '',
  config = kubeconfig,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', config, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

async function render(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (chunks.push(String(chunk)), true));
  try {
    expect(await renderCommand.run(args)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('kubectl against the emulator', () => {
  it('applies what modelship render prints, and sees the rollout finish', async () => {
    const yaml = await render(['2n-8c-64r-interop4-batch', '--image', IMAGE, '--replicas', '2', '--no-node-selector']);
    const applied = await kubectl(
      ['apply', '--server-side', '--field-manager=modelship', '--validate=false', '-f', '-'],
      yaml,
    );
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim().split('\n')).toEqual([
      'configmap/tfs-server-batching serverside-applied',
      'deployment.apps/tfs-server serverside-applied',
      'service/tfs-server serverside-applied',
      'service/tfs-server-headless serverside-applied',
    ]);

    const status = await kubectl(['rollout', 'status', 'deployment/tfs-server', '--timeout=30s']);
    expect([status.code, status.stdout.trim().split('\n').at(-1)]).toEqual([
      0,
      'deployment "tfs-server" successfully rolled out',
    ]);

    // kubectl's table, printed from the server's (kube's own columns), with and without -o wide.
    const columns = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s{2,}/));
    const table = await kubectl(['get', 'deployment,service,configmap,pods']);
    expect(table.stderr).toBe('');
    const rows = columns(table.stdout);
    expect(rows).toContainEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(rows).toContainEqual(['deployment.apps/tfs-server', '2/2', '2', '2', expect.stringMatching(/^\d+s$/)]);
    expect(rows).toContainEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(rows).toContainEqual(['NAME', 'DATA', 'AGE']);
    expect(rows).toContainEqual(['configmap/tfs-server-batching', '1', expect.stringMatching(/^\d+s$/)]);
    expect(rows).toContainEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.filter((r) => r[0]?.startsWith('pod/tfs-server-')).map((r) => r.slice(1, 4))).toEqual([
      ['1/1', 'Running', '0'],
      ['1/1', 'Running', '0'],
    ]);
    const wide = columns((await kubectl(['get', 'deployment', 'tfs-server', '-o', 'wide'])).stdout);
    expect(wide[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]?.at(-2)).toBe(IMAGE);

    const got = await kubectl(['get', 'deployment', 'tfs-server', '-o', 'json']);
    const deployment = JSON.parse(got.stdout) as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    expect(deployment.spec.template.spec.containers[0]?.args).toContain('--tensorflow_inter_op_parallelism=4');
  });

  it("reports another manager's conflicting change as the API server does", async () => {
    const yaml = await render(['2n-8c-64r-interop8-batch', '--image', IMAGE, '--replicas', '2', '--no-node-selector']);
    const conflict = await kubectl(['apply', '--server-side', '--validate=false', '-f', '-'], yaml);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict/i);
  });

  it('deletes a candidate with kubectl delete as the deployer, stopping its pods, and refuses what the Role lacks', async () => {
    const scenario = await loadScenario('2n-8c-64r-interop4-batch');
    const objects = renderScenario(scenario, IMAGE, { role: 'candidate', replicas: 2, nodeSelector: false });
    const name = 'tfs-c-2n-8c-64r-interop4-batch';
    await createKubeClient(emulator.kubeConfig()).apply(objects);
    const status = await kubectl(['rollout', 'status', `deployment/${name}`, '--timeout=30s']);
    expect(status.code).toBe(0);
    const pods = await kubectl(['get', 'pods', '-l', `app.kubernetes.io/name=${name}`, '-o', 'name']);
    const podNames = pods.stdout.trim().split('\n');
    expect(podNames).toHaveLength(2);

    // The plan's Role has no delete on pods: kube-apiserver's refusal, as kubectl prints it.
    const pod = podNames[0]?.replace('pod/', '') ?? '';
    const refused = await kubectl(['delete', 'pod', pod], '', deployerKubeconfig);
    expect([refused.code, refused.stderr.trim()]).toEqual([
      1,
      `Error from server (Forbidden): pods "${pod}" is forbidden: User "${DEPLOYER}" cannot delete resource "pods" in API group "" in the namespace "default"`,
    ]);

    const deleted = await kubectl(
      ['delete', `deployment/${name}`, `service/${name}`, `service/${name}-headless`, `configmap/${name}-batching`],
      '',
      deployerKubeconfig,
    );
    expect([deleted.code, deleted.stderr]).toEqual([0, '']);
    expect(deleted.stdout.trim().split('\n')).toEqual([
      `deployment.apps "${name}" deleted`,
      `service "${name}" deleted`,
      `service "${name}-headless" deleted`,
      `configmap "${name}-batching" deleted`,
    ]);
    const gone = await kubectl(['get', 'deployment', name]);
    expect(gone.stderr.trim()).toBe(`Error from server (NotFound): deployments.apps "${name}" not found`);
    // `kubectl wait --for=delete` watches the pods go: the controller stops them.
    const waited = await kubectl(['wait', '--for=delete', ...podNames, '--timeout=30s']);
    expect(waited.code).toBe(0);
    expect((await kubectl(['get', 'pods', '-l', `app.kubernetes.io/name=${name}`, '-o', 'name'])).stdout).toBe('');
    // Deleting again: kube-apiserver's NotFound; --ignore-not-found makes it a success, as teardown does.
    const again = await kubectl(['delete', 'deployment', name], '', deployerKubeconfig);
    expect(again.stderr.trim()).toBe(`Error from server (NotFound): deployments.apps "${name}" not found`);
    expect((await kubectl(['delete', 'deployment', name, '--ignore-not-found'], '', deployerKubeconfig)).code).toBe(0);
  });
});
