import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModelshipError, TransientError } from '../../../../shared/errors.js';
import {
  createKubeClient,
  kubeConfigFor,
  loadScenario,
  renderScenario,
  type KubeClient,
  type Manifest,
} from '../../../../shared/deploy/index.js';
import { startFaultProxy, type FaultProxy } from '../../../../local/fault-proxy.js';
import {
  startKubernetesEmulator,
  type KubernetesEmulator,
  type RecordedRequest,
} from '../../../../local/emulators/kubernetes/index.js';
import { listen } from '../../../support/http-server.js';
import { fakeLauncher } from '../../local/emulators/kubernetes/fake-launcher.js';

const IMAGE = `registry.local/tfs@sha256:${'c'.repeat(64)}`;
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: {} };
let emulator: KubernetesEmulator;
let workDir: string;
const requests: RecordedRequest[] = [];

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'modelship-kube-client-'));
  emulator = await startKubernetesEmulator({
    launcher: fakeLauncher().launcher,
    workDir,
    timeScale: 0.002,
    onRequest: (r) => requests.push(r),
  });
});
afterAll(async () => {
  await emulator.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('createKubeClient', () => {
  it('sends discovery once per API group, then one server-side apply PATCH per object', async () => {
    const manifests = renderScenario(await loadScenario('2n-8c-64r-interop8-batch'), IMAGE, { replicas: 1 });
    requests.length = 0;
    const applied = await createKubeClient(emulator.kubeConfig()).apply(manifests);

    const apply = (path: string) => ({
      method: 'PATCH',
      path,
      query: { fieldManager: 'modelship', force: 'true' },
      contentType: 'application/apply-patch+yaml',
    });
    expect(requests.map(({ body: _body, ...r }) => r)).toEqual([
      { method: 'GET', path: '/api/v1', query: {} },
      apply('/api/v1/namespaces/default/configmaps/tfs-server-batching'),
      { method: 'GET', path: '/apis/apps/v1', query: {} },
      apply('/apis/apps/v1/namespaces/default/deployments/tfs-server'),
      apply('/api/v1/namespaces/default/services/tfs-server'),
      apply('/api/v1/namespaces/default/services/tfs-server-headless'),
    ]);
    // Each body is the manifest itself, as JSON (a subset of YAML).
    const bodies = requests.filter((r) => r.method === 'PATCH').map((r) => JSON.parse(r.body ?? '') as Manifest);
    expect(bodies).toEqual(manifests);
    expect(applied.map((o) => [o.kind, o.metadata?.managedFields?.[0]?.manager])).toEqual([
      ['ConfigMap', 'modelship'],
      ['Deployment', 'modelship'],
      ['Service', 'modelship'],
      ['Service', 'modelship'],
    ]);
  });

  it('reads objects, lists pods by label, and reads a missing object as undefined', async () => {
    const kube = createKubeClient(emulator.kubeConfig());
    expect((await kube.readDeployment('default', 'tfs-server'))?.metadata?.generation).toBe(1);
    expect(await kube.readDeployment('default', 'no-such-thing')).toBeUndefined();
    expect(await kube.readService('elsewhere', 'tfs-server')).toBeUndefined();
    expect(await kube.listPods('default', 'app=nothing-here')).toEqual([]);
  });

  it("keeps the API server's words for a refused object, and does not call it transient", async () => {
    const [deployment] = renderScenario(await loadScenario('2n-8c-16r-interop4'), IMAGE).filter(
      (m) => m.kind === 'Deployment',
    );
    const bad = structuredClone(deployment) as Manifest & {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    };
    bad.spec.template.metadata.labels = { app: 'other' };
    const error = await createKubeClient(emulator.kubeConfig())
      .apply([bad])
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ModelshipError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'applying Deployment default/tfs-server: the Kubernetes API answered 422 Invalid: Deployment "tfs-server" is invalid: ' +
        'spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`',
    );
  });

  it('deletes each object by kind, namespace and name with Background propagation; one already gone is fine', async () => {
    const kube = createKubeClient(emulator.kubeConfig());
    const manifests = renderScenario(await loadScenario('2n-8c-64r-interop8-batch'), IMAGE, {
      replicas: 1,
      role: 'candidate',
    });
    await kube.apply(manifests);
    requests.length = 0;
    await kube.delete([...manifests, { ...CONFIG_MAP, metadata: { name: 'never-made', namespace: 'default' } }]);
    const remove = (path: string) => ({ method: 'DELETE', path, query: { propagationPolicy: 'Background' } });
    const base = 'tfs-c-2n-8c-64r-interop8-batch';
    expect(requests.map(({ body: _body, ...r }) => r)).toEqual([
      remove(`/api/v1/namespaces/default/configmaps/${base}-batching`),
      remove(`/apis/apps/v1/namespaces/default/deployments/${base}`),
      remove(`/api/v1/namespaces/default/services/${base}`),
      remove(`/api/v1/namespaces/default/services/${base}-headless`),
      remove('/api/v1/namespaces/default/configmaps/never-made'),
    ]);
    expect(await kube.readDeployment('default', base)).toBeUndefined();
    expect(await kube.readService('default', `${base}-headless`)).toBeUndefined();
  });

  it('calls a 5xx or an unreachable server transient', async () => {
    const server = await coreApiServer((res) =>
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"kind":"Status","message":"etcd is down","reason":"ServiceUnavailable"}'),
    );
    const down = createKubeClient(kubeConfigFor({ name: 'down', server: server.url }));
    await expect(down.apply([CONFIG_MAP])).rejects.toThrow(
      new TransientError(
        'applying ConfigMap default/x: the Kubernetes API answered 503 ServiceUnavailable: etcd is down',
      ),
    );
    await expect(down.delete([CONFIG_MAP])).rejects.toThrow(
      new TransientError(
        'deleting ConfigMap default/x: the Kubernetes API answered 503 ServiceUnavailable: etcd is down',
      ),
    );
    await server.close();
    await expect(down.apply([CONFIG_MAP])).rejects.toBeInstanceOf(TransientError);
    await expect(down.delete([CONFIG_MAP])).rejects.toBeInstanceOf(TransientError);
  });

  it('bounds reading the answer too', async () => {
    const server = await coreApiServer((res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{'));
    const slow = createKubeClient(kubeConfigFor({ name: 'slow', server: server.url }), { timeoutMs: 500 });
    await expect(slow.apply([CONFIG_MAP])).rejects.toThrow(
      new TransientError(
        'applying ConfigMap default/x: Kubernetes API: PATCH /api/v1/namespaces/default/configmaps/x did not answer within 0.5 s',
      ),
    );
    await server.close();
  });
});

/** A plain HTTP API server with the core group's discovery (ConfigMaps), which hands every other request to `answer`. */
function coreApiServer(answer: (res: ServerResponse) => void) {
  return listen(
    createServer((req, res) => {
      if (req.url !== '/api/v1') return answer(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] }],
        }),
      );
    }),
  );
}

describe('createKubeClient through a network that fails (the fault proxy)', () => {
  const TIMEOUT_MS = 1000;
  let proxy: FaultProxy;
  let kube: KubeClient;

  /** The emulator's administrator, through the proxy: TLS passes through, the certificate names 127.0.0.1. */
  const throughProxy = () => {
    const admin = emulator.kubeConfig();
    const kc = kubeConfigFor({
      name: 'through-proxy',
      server: `https://127.0.0.1:${proxy.port}`,
      caData: admin.getCurrentCluster()?.caData,
      token: admin.getCurrentUser()?.token,
    });
    return createKubeClient(kc, { timeoutMs: TIMEOUT_MS });
  };

  /** The error `call` fails with, and how long it took. */
  async function failure(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const started = performance.now();
    const error = await call().then(
      () => undefined,
      (err: unknown) => err,
    );
    return { error, ms: performance.now() - started };
  }

  beforeAll(async () => {
    proxy = await startFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: Number(new URL(emulator.url).port) });
    kube = throughProxy();
    // The core group's discovery, once: the calls below are the objects' own.
    await kube.listPods('default', 'app=nothing-here');
  });
  afterEach(() => proxy.mode('pass'));
  afterAll(() => proxy.stop());

  it('gives up on a hung API server after the timeout with a transient error naming the call, then recovers', async () => {
    await proxy.mode('hang', { existing: true });
    const { error, ms } = await failure(() => kube.apply([CONFIG_MAP]));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'applying ConfigMap default/x: Kubernetes API: PATCH /api/v1/namespaces/default/configmaps/x did not answer within 1 s',
    );
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(ms).toBeLessThan(TIMEOUT_MS + 9000);
    expect(proxy.held()).toBeGreaterThan(0);

    await proxy.mode('pass');
    expect((await kube.apply([CONFIG_MAP])).map((o) => o.metadata?.name)).toEqual(['x']);
  });

  it('bounds discovery as well', async () => {
    await proxy.mode('hang', { existing: true });
    const { error, ms } = await failure(() => throughProxy().readDeployment('default', 'x'));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'reading Deployment default/x: Failed to fetch resource metadata for apps/v1/Deployment: ' +
        'Kubernetes API: GET /apis/apps/v1 did not answer within 1 s',
    );
    expect(ms).toBeLessThan(TIMEOUT_MS + 9000);
  });

  it('calls a refused connection transient and names it, then recovers', async () => {
    await proxy.mode('refuse');
    const { error } = await failure(() => kube.readService('default', 'x'));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `reading Service default/x: Kubernetes API: GET /api/v1/namespaces/default/services/x failed: ` +
        `connect ECONNREFUSED 127.0.0.1:${proxy.port}`,
    );

    await proxy.mode('pass');
    expect(await kube.readService('default', 'x')).toBeUndefined();
  });
});
