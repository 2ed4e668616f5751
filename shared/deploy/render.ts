import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ConfigMap, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ModelshipError } from '../errors.js';
import { imageByDigest } from '../messages.js';
import { batchingFileText } from './batching.js';
import { BATCHING_FILE, NAMES, PORTS, SELECTOR, renderDeployment } from './render-deployment.js';
import type { Scenario } from './scenario.js';

/**
 * A scenario and an image digest become the objects to apply: the batching ConfigMap (batching scenarios only),
 * the Deployment, a LoadBalancer Service for clients outside the cluster and a headless Service for client-side
 * balancing inside it. Plain JSON objects: they are applied, stored as the last good deployment and printed.
 */

export interface RenderOptions {
  namespace?: string;
  /** Overrides the scenario's replicas: fewer pods for a local run on a small machine. */
  replicas?: number;
  /** Pin the pods to the scenario's GKE node pool (default). Off for kind, minikube and other clusters. */
  nodeSelector?: boolean;
  runId?: string;
}

export type Manifest = KubernetesObject & Record<string, unknown>;

export const SCENARIO_LABEL = 'modelship.dev/scenario';
export const INTERNAL_LB_ANNOTATION = 'networking.gke.io/load-balancer-type';

function assertImageByDigest(image: string): void {
  if (!imageByDigest.safeParse(image).success) {
    throw new ModelshipError(
      `image '${image}' is not an image by digest: expected REGISTRY/PATH@sha256:<64 hex digits>`,
      { hint: 'deploy the digest a build produced, never a movable tag' },
    );
  }
}

function servicePorts(): V1ServicePort[] {
  return [
    { name: 'grpc', port: PORTS.grpc, targetPort: 'grpc', protocol: 'TCP' },
    { name: 'restapi', port: PORTS.rest, targetPort: 'restapi', protocol: 'TCP' },
  ];
}

function renderServices(scenario: Scenario, namespace: string, labels: Record<string, string>): V1Service[] {
  const internal = scenario.service.exposure === 'internal';
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: NAMES.service,
        namespace,
        labels,
        ...(internal ? { annotations: { [INTERNAL_LB_ANNOTATION]: 'Internal' } } : {}),
      },
      spec: { type: 'LoadBalancer', selector: { ...SELECTOR }, ports: servicePorts() },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAMES.headless, namespace, labels },
      // One DNS record per ready pod: gRPC clients balance calls with dns:/// and round_robin.
      spec: { clusterIP: 'None', selector: { ...SELECTOR }, ports: servicePorts() },
    },
  ];
}

export function renderScenario(scenario: Scenario, image: string, options: RenderOptions = {}): Manifest[] {
  assertImageByDigest(image);
  const namespace = options.namespace ?? 'default';
  const labels = {
    ...SELECTOR,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/managed-by': 'modelship',
    [SCENARIO_LABEL]: scenario.name,
  };
  const objects: Array<V1ConfigMap | V1Service | ReturnType<typeof renderDeployment>> = [];
  let batchingHash: string | undefined;
  if (scenario.tfserving.batching) {
    const text = batchingFileText(scenario.tfserving.batching);
    batchingHash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: NAMES.configMap, namespace, labels },
      data: { [BATCHING_FILE]: text },
    });
  }
  objects.push(
    renderDeployment({
      scenario,
      image,
      namespace,
      labels,
      replicas: options.replicas ?? scenario.replicas,
      nodeSelector: options.nodeSelector ?? true,
      ...(options.runId ? { runId: options.runId } : {}),
      ...(batchingHash ? { batchingHash } : {}),
    }),
    ...renderServices(scenario, namespace, labels),
  );
  return objects as Manifest[];
}

/** Multi-document YAML that `kubectl apply -f -` reads. */
export function manifestsYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
