import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ConfigMap, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ModelshipError } from '../errors.js';
import { imageByDigest } from '../messages.js';
import { batchingFileText } from './batching.js';
import { objectNames, roleSelector, ROLE_LABEL, RUN_LABEL, type ObjectNames, type Role } from './object-names.js';
import { BATCHING_FILE, PORTS, renderDeployment } from './render-deployment.js';
import type { Scenario } from './scenario.js';

/**
 * A scenario and an image digest become the objects to apply: the batching ConfigMap (batching scenarios only),
 * the Deployment, a LoadBalancer Service for clients outside the cluster and a headless Service for client-side
 * balancing inside it. Plain JSON objects: they are applied, stored as the last good deployment and printed.
 * The role names them (object-names.ts): the serving deployment, or a candidate or baseline beside it.
 */

export interface RenderOptions {
  namespace?: string;
  /** Overrides the scenario's replicas: fewer pods for a local run on a small machine. */
  replicas?: number;
  /** Pin the pods to the scenario's GKE node pool (default). Off for kind, minikube and other clusters. */
  nodeSelector?: boolean;
  /** Labels every object (not the pods: a new run of the same scenario and image restarts nothing). */
  runId?: string;
  /** Default 'serving'. */
  role?: Role;
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

function renderServices(
  scenario: Scenario,
  namespace: string,
  names: ObjectNames,
  labels: Record<string, string>,
): V1Service[] {
  const selector = roleSelector(names);
  const internal = scenario.service.exposure === 'internal';
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: names.service,
        namespace,
        labels,
        ...(internal ? { annotations: { [INTERNAL_LB_ANNOTATION]: 'Internal' } } : {}),
      },
      spec: { type: 'LoadBalancer', selector, ports: servicePorts() },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: names.headless, namespace, labels },
      // One DNS record per ready pod: gRPC clients balance calls with dns:/// and round_robin.
      spec: { clusterIP: 'None', selector: { ...selector }, ports: servicePorts() },
    },
  ];
}

export function renderScenario(scenario: Scenario, image: string, options: RenderOptions = {}): Manifest[] {
  assertImageByDigest(image);
  const namespace = options.namespace ?? 'default';
  const role = options.role ?? 'serving';
  const names = objectNames(role, scenario.name);
  const selector = roleSelector(names);
  const podLabels = {
    ...selector,
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/managed-by': 'modelship',
    [SCENARIO_LABEL]: scenario.name,
    [ROLE_LABEL]: role,
  };
  const labels = options.runId ? { ...podLabels, [RUN_LABEL]: options.runId } : podLabels;
  const objects: Array<V1ConfigMap | V1Service | ReturnType<typeof renderDeployment>> = [];
  let batchingHash: string | undefined;
  if (scenario.tfserving.batching) {
    const text = batchingFileText(scenario.tfserving.batching);
    batchingHash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: names.configMap, namespace, labels },
      data: { [BATCHING_FILE]: text },
    });
  }
  objects.push(
    renderDeployment({
      scenario,
      image,
      namespace,
      names,
      selector,
      labels,
      podLabels,
      replicas: options.replicas ?? scenario.replicas,
      nodeSelector: options.nodeSelector ?? true,
      ...(options.runId ? { runId: options.runId } : {}),
      ...(batchingHash ? { batchingHash } : {}),
    }),
    ...renderServices(scenario, namespace, names, labels),
  );
  return objects as Manifest[];
}

/** Multi-document YAML that `kubectl apply -f -` reads. */
export function manifestsYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
