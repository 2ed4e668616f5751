import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createKubeClient, type KubeClient } from '../../../../../shared/deploy/index.js';
import {
  startKubernetesEmulator,
  type KubernetesEmulator,
  type KubernetesEmulatorOptions,
} from '../../../../../local/emulators/kubernetes/index.js';

/**
 * Emulators for a test file: each test starts one (in a fresh work directory) and it is stopped, with every pod
 * it runs, after the test.
 */
export function useEmulator(): (
  options: Omit<KubernetesEmulatorOptions, 'workDir'>,
) => Promise<{ emulator: KubernetesEmulator; kube: KubeClient }> {
  const started: Array<{ emulator: KubernetesEmulator; dir: string }> = [];
  afterEach(async () => {
    for (const { emulator, dir } of started.splice(0)) {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'modelship-k8s-unit-'));
    const emulator = await startKubernetesEmulator({ tickMs: 10, ...options, workDir: dir });
    started.push({ emulator, dir });
    return { emulator, kube: createKubeClient(emulator.kubeConfig()) };
  };
}

interface TestContainer {
  name: string;
  image: string;
  env: Array<{ name: string; value: string }>;
  ports: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet: { path: string; port: string }; periodSeconds: number };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface TestDeployment {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    progressDeadlineSeconds: number;
    strategy: { type: string; rollingUpdate: { maxSurge: number; maxUnavailable: number } };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: TestContainer[]; volumes?: Array<{ name: string; configMap: { name: string } }> };
    };
  };
}

/** A Deployment whose pods expose gRPC and REST and are ready when the model's metadata answers, as rendered ones. */
export function testDeployment(name: string, image: string, replicas: number): TestDeployment {
  const labels = { app: name };
  const container: TestContainer = {
    name: 'tfs',
    image,
    env: [{ name: 'MODEL_NAME', value: 'm' }],
    ports: [
      { name: 'grpc', containerPort: 8500 },
      { name: 'restapi', containerPort: 8501 },
    ],
    readinessProbe: { httpGet: { path: '/v1/models/m/metadata', port: 'restapi' }, periodSeconds: 1 },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  };
}

/** What a connection to host:port receives before it closes ('' when it is closed at once): fake pods say their name. */
export function readConnection(endpoint: string): Promise<string> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host ?? '', port: Number(port) });
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
}

/** A raw request, trusting the emulator's certificate as its kubeconfig does; no token sends no credentials. */
export function rawCall<T>(
  emulator: KubernetesEmulator,
  token: string | undefined,
  method: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const ca = Buffer.from(emulator.kubeConfig().getCurrentCluster()?.caData ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const req = request(
      `${emulator.url}${path}`,
      { method, ca, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
