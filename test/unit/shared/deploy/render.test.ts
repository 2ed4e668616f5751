import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  DEFAULT_SCENARIO,
  loadScenario,
  loadScenarios,
  manifestsYaml,
  parseCpuMillis,
  parseMemoryMiB,
  podCapacity,
  renderScenario,
  type Manifest,
  type Scenario,
} from '../../../../shared/deploy/index.js';
import { objectProblems } from './kubernetes-schema.js';

const IMAGE = `us-docker.pkg.dev/p/models/tfs-resnet@sha256:${'ab'.repeat(32)}`;

/** The seed's 15 experiments, copied from its legend: replicas, node vCPU and GB, inter-op, intra-op, batching. */
const SEED: Array<[string, number, number, number, number, number, boolean]> = [
  ['8n-2c-4r-interop2', 8, 2, 4, 2, 2, false],
  ['8n-2c-4r-interop4', 8, 2, 4, 4, 2, false],
  ['8n-2c-4r-interop8', 8, 2, 4, 8, 2, false],
  ['4n-4c-8r-interop2', 4, 4, 8, 2, 4, false],
  ['4n-4c-8r-interop4', 4, 4, 8, 4, 4, false],
  ['4n-4c-8r-interop8', 4, 4, 8, 8, 4, false],
  ['2n-8c-16r-interop2', 2, 8, 16, 2, 8, false],
  ['2n-8c-16r-interop4', 2, 8, 16, 4, 8, false],
  ['2n-8c-16r-interop8', 2, 8, 16, 8, 8, false],
  ['2n-8c-64r-interop2', 2, 8, 64, 2, 8, false],
  ['2n-8c-64r-interop4', 2, 8, 64, 4, 8, false],
  ['2n-8c-64r-interop8', 2, 8, 64, 8, 8, false],
  ['2n-8c-64r-interop2-batch', 2, 8, 64, 2, 8, true],
  ['2n-8c-64r-interop4-batch', 2, 8, 64, 4, 8, true],
  ['2n-8c-64r-interop8-batch', 2, 8, 64, 8, 8, true],
];

const SEED_BATCHING_FILE =
  'max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 2 }\nnum_batch_threads { value: 2 }\n';

const byKind = (objects: Manifest[]) => ({
  deployment: objects.find((o) => o.kind === 'Deployment') as V1Deployment,
  configMap: objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap | undefined,
  services: objects.filter((o) => o.kind === 'Service') as V1Service[],
});

describe('the seed experiments', () => {
  it('are exactly the scenarios there are, and the default is one of them', async () => {
    const names = (await loadScenarios()).map((s) => s.name).sort();
    expect(names).toEqual(SEED.map(([name]) => name).sort());
    expect((await loadScenario(DEFAULT_SCENARIO)).name).toBe('2n-8c-16r-interop4');
  });

  it.each(SEED)('%s renders to the seed values', async (name, replicas, vcpus, gb, inter, intra, batching) => {
    const scenario = await loadScenario(name);
    expect(scenario.node).toMatchObject({ vcpus, memoryGiB: gb });
    const { deployment, configMap } = byKind(renderScenario(scenario, IMAGE));
    expect(deployment.spec?.replicas).toBe(replicas);
    const container = deployment.spec?.template.spec?.containers[0];
    expect(container?.image).toBe(IMAGE);
    const args = container?.args ?? [];
    expect(args).toContain(`--tensorflow_inter_op_parallelism=${inter}`);
    expect(args).toContain(`--tensorflow_intra_op_parallelism=${intra}`);
    expect(args.includes('--enable_batching=true')).toBe(batching);
    if (batching) {
      expect(args).toContain('--batching_parameters_file=/etc/tfs-config/batching_config.txt');
      expect(configMap?.data).toEqual({ 'batching_config.txt': SEED_BATCHING_FILE });
      expect(container?.volumeMounts).toEqual([
        { name: 'batching-config', mountPath: '/etc/tfs-config', readOnly: true },
      ]);
    } else {
      expect(configMap).toBeUndefined();
      expect(args.some((a) => a.includes('batching'))).toBe(false);
    }
    // Guaranteed QoS, inside what the node offers a pod, and named as the original.
    const resources = container?.resources;
    expect(resources?.requests).toEqual(resources?.limits);
    const capacity = podCapacity({ vcpus, memoryGiB: gb });
    expect(parseCpuMillis(resources?.limits?.cpu ?? '')).toBeLessThanOrEqual(capacity.cpuMillis);
    expect(parseMemoryMiB(resources?.limits?.memory ?? '')).toBeLessThanOrEqual(capacity.memoryMiB);
    expect(deployment.metadata?.name).toBe('tfs-server');
    expect(container?.name).toBe('tfs-k8s');
    expect(container?.env).toEqual([{ name: 'MODEL_NAME', value: 'resnet' }]);
  });
});

describe('renderScenario', () => {
  let scenarios: Scenario[];
  const all = async () => (scenarios ??= await loadScenarios());

  it('gives objects that pass the Kubernetes schema, for every scenario', async () => {
    for (const scenario of await all()) {
      for (const object of renderScenario(scenario, IMAGE, { runId: 'run-000001' })) {
        expect(objectProblems(object), `${scenario.name} ${object.kind}`).toEqual([]);
      }
    }
  });

  it('has a schema check that catches what the API server would refuse', async () => {
    const { deployment } = byKind(renderScenario(await loadScenario(DEFAULT_SCENARIO), IMAGE));
    const broken = structuredClone(deployment) as unknown as {
      spec: { replicas: unknown; template: { spec: { containers: Array<Record<string, unknown>> } } };
    };
    broken.spec.replicas = 1.5;
    const container = broken.spec.template.spec.containers[0] ?? {};
    container.imagePullPolicyy = 'Always';
    delete container.name;
    expect(objectProblems(broken as never)).toEqual([
      '$.spec.replicas: expected an integer (int32)',
      '$.spec.template.spec.containers[0].imagePullPolicyy: unknown field in V1Container',
      '$.spec.template.spec.containers[0].name: required by V1Container',
    ]);
  });

  it('wires probes, ports, services and one pod per node', async () => {
    const scenario = await loadScenario(DEFAULT_SCENARIO);
    const { deployment, services } = byKind(renderScenario(scenario, IMAGE));
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ['grpc', 8500],
      ['restapi', 8501],
    ]);
    expect(container?.readinessProbe?.httpGet).toEqual({ path: '/v1/models/resnet/metadata', port: 'restapi' });
    // The startup allowance: 600 s of model loading at one probe per 5 s.
    expect(container?.startupProbe?.failureThreshold).toBe(120);
    expect(deployment.spec?.progressDeadlineSeconds).toBeGreaterThan(600);
    expect(pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    expect(pod?.nodeSelector).toEqual({ 'cloud.google.com/gke-nodepool': 'tfs-n2-custom-8-16384' });
    expect(deployment.spec?.strategy?.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(services.map((s) => [s.metadata?.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP])).toEqual([
      ['tfs-server', 'LoadBalancer', undefined],
      ['tfs-server-headless', 'ClusterIP', 'None'],
    ]);
    expect(services[0]?.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['grpc', 8500, 'grpc'],
      ['restapi', 8501, 'restapi'],
    ]);
  });

  it('rolls the pods when the batching file changes, and only then', async () => {
    const scenario = await loadScenario('2n-8c-64r-interop2-batch');
    const hash = (s: Scenario) =>
      byKind(renderScenario(s, IMAGE)).deployment.spec?.template.metadata?.annotations?.[ANNOTATIONS.batchingHash];
    const changed = structuredClone(scenario);
    if (changed.tfserving.batching) changed.tfserving.batching.batchTimeoutMicros = 1000;
    expect(hash(scenario)).toMatch(/^[0-9a-f]{16}$/);
    expect(hash(structuredClone(scenario))).toBe(hash(scenario));
    expect(hash(changed)).not.toBe(hash(scenario));
  });

  it('applies the options: namespace, fewer replicas, no node selector', async () => {
    const objects = renderScenario(await loadScenario(DEFAULT_SCENARIO), IMAGE, {
      namespace: 'serving',
      replicas: 1,
      nodeSelector: false,
    });
    const { deployment } = byKind(objects);
    expect(objects.every((o) => o.metadata?.namespace === 'serving')).toBe(true);
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.template.spec?.nodeSelector).toBeUndefined();
  });

  it('puts every seed scenario behind an internal load balancer, and only an explicit external one in public', async () => {
    for (const scenario of await loadScenarios()) {
      const [balancer, headless] = byKind(renderScenario(scenario, IMAGE)).services;
      expect(balancer?.metadata?.annotations).toEqual({ 'networking.gke.io/load-balancer-type': 'Internal' });
      expect(headless?.metadata?.annotations).toBeUndefined();
    }
    const external = { ...(await loadScenario(DEFAULT_SCENARIO)), service: { exposure: 'external' as const } };
    const [balancer] = byKind(renderScenario(external, IMAGE)).services;
    expect(balancer?.spec?.type).toBe('LoadBalancer');
    expect(balancer?.metadata?.annotations).toBeUndefined();
  });

  it('refuses an image that is not pinned by digest', async () => {
    const scenario = await loadScenario(DEFAULT_SCENARIO);
    expect(() => renderScenario(scenario, 'us-docker.pkg.dev/p/models/tfs-resnet:latest')).toThrow(
      /image 'us-docker.pkg.dev\/p\/models\/tfs-resnet:latest' is not an image by digest: expected REGISTRY\/PATH@sha256/,
    );
  });

  it('prints YAML documents that read back as the same objects, without YAML aliases', async () => {
    const objects = renderScenario(await loadScenario('2n-8c-64r-interop4-batch'), IMAGE);
    const text = manifestsYaml(objects);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parseAllDocuments(text).map((d) => d.toJS())).toEqual(objects);
    // JSON-clean, for storing as the last good deployment.
    expect(JSON.parse(JSON.stringify(objects))).toEqual(objects);
  });
});

describe('renderScenario by role', () => {
  const SCENARIO = '2n-8c-64r-interop4-batch';
  const names = (objects: Manifest[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`);

  it('renders serving as before: the same names and selector, labelled with its role and run', async () => {
    const objects = renderScenario(await loadScenario(SCENARIO), IMAGE, { runId: 'run-000001' });
    expect(renderScenario(await loadScenario(SCENARIO), IMAGE, { runId: 'run-000001', role: 'serving' })).toEqual(
      objects,
    );
    expect(names(objects)).toEqual([
      'ConfigMap/tfs-server-batching',
      'Deployment/tfs-server',
      'Service/tfs-server',
      'Service/tfs-server-headless',
    ]);
    const { deployment, services } = byKind(objects);
    expect(deployment.spec?.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'tfs-server' } });
    expect(services.map((s) => s.spec?.selector)).toEqual([
      { 'app.kubernetes.io/name': 'tfs-server' },
      { 'app.kubernetes.io/name': 'tfs-server' },
    ]);
    for (const o of objects) {
      expect(o.metadata?.labels).toMatchObject({ 'modelship.dev/role': 'serving', 'modelship.dev/run': 'run-000001' });
    }
  });

  it('renders a candidate under its own names, selecting only its own pods, on every object', async () => {
    const objects = renderScenario(await loadScenario(SCENARIO), IMAGE, { runId: 'run-000042', role: 'candidate' });
    const base = `tfs-c-${SCENARIO}`;
    expect(names(objects)).toEqual([
      `ConfigMap/${base}-batching`,
      `Deployment/${base}`,
      `Service/${base}`,
      `Service/${base}-headless`,
    ]);
    const { deployment, services } = byKind(objects);
    const selector = { 'app.kubernetes.io/name': base };
    expect(deployment.spec?.selector?.matchLabels).toEqual(selector);
    expect(services.map((s) => s.spec?.selector)).toEqual([selector, selector]);
    const pod = deployment.spec?.template;
    expect(
      pod?.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.labelSelector,
    ).toEqual({ matchLabels: selector });
    expect(pod?.spec?.volumes).toEqual([{ name: 'batching-config', configMap: { name: `${base}-batching` } }]);
    expect(pod?.spec?.containers[0]?.name).toBe('tfs-k8s');
    const labels = {
      'app.kubernetes.io/name': base,
      'app.kubernetes.io/component': 'model-server',
      'app.kubernetes.io/managed-by': 'modelship',
      'modelship.dev/scenario': SCENARIO,
      'modelship.dev/role': 'candidate',
    };
    for (const o of objects) expect(o.metadata?.labels).toEqual({ ...labels, 'modelship.dev/run': 'run-000042' });
    // The pods carry no run: another run of the same scenario and image restarts nothing.
    expect(pod?.metadata?.labels).toEqual(labels);
    for (const object of objects) expect(objectProblems(object), `${object.kind}`).toEqual([]);
  });

  it('renders a baseline apart from the candidate of the same scenario, and no run label without a run', async () => {
    const scenario = await loadScenario(SCENARIO);
    const baseline = renderScenario(scenario, IMAGE, { role: 'baseline' });
    expect(names(baseline)).toContain(`Deployment/tfs-b-${SCENARIO}`);
    for (const o of baseline) {
      expect(o.metadata?.labels?.['modelship.dev/role']).toBe('baseline');
      expect(o.metadata?.labels?.['modelship.dev/run']).toBeUndefined();
    }
  });
});
