import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderCommand } from '../../cli/commands/render.js';
import { startKubernetesEmulator, type KubernetesEmulator } from '../../local/emulators/kubernetes/index.js';
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

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modelship-kubectl-'));
  emulator = await startKubernetesEmulator({
    launcher: fakeLauncher(() => ({ readyAfterMs: 50 })).launcher,
    workDir: dir,
    timeScale: 0.01,
    tickMs: 20,
  });
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, emulator.kubeConfig().exportConfig());
});
afterAll(async () => {
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs kubectl without blocking this process, which serves the API kubectl talks to. */
function kubectl(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) =>
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
});
