import type { V1Deployment, V1Probe } from '@kubernetes/client-node';
import { formatCpu, formatMemory } from './quantity.js';
import type { ObjectNames } from './object-names.js';
import type { Scenario } from './scenario.js';

/** Ports every rendering shares. */
export const PORTS = { grpc: 8500, rest: 8501 } as const;

export const BATCHING_DIR = '/etc/tfs-config';
export const BATCHING_FILE = 'batching_config.txt';

/** Pods of dedicated node pools carry this taint, so only TF Serving (and GKE's DaemonSets) run there. */
export const SERVING_TAINT = { key: 'modelship.dev/serving', value: 'tfs', effect: 'NoSchedule' } as const;

export const ANNOTATIONS = {
  image: 'modelship.dev/image',
  runId: 'modelship.dev/run-id',
  batchingHash: 'modelship.dev/batching-config-hash',
} as const;

export interface DeploymentInput {
  scenario: Scenario;
  image: string;
  namespace: string;
  replicas: number;
  names: ObjectNames;
  /** The Deployment's selector, also in its pods' labels. */
  selector: Record<string, string>;
  /** The Deployment's own labels. */
  labels: Record<string, string>;
  /** Its pods' labels: the same but for the run, so that another run of the same scenario and image rolls nothing. */
  podLabels: Record<string, string>;
  nodeSelector: boolean;
  runId?: string;
  /** Hash of the batching file; changes roll the pods, since a mounted file change alone does not restart them. */
  batchingHash?: string;
}

/** TF Serving's flags beyond the entrypoint's own --port/--rest_api_port/--model_name/--model_base_path. */
function tfServingArgs(scenario: Scenario): string[] {
  const t = scenario.tfserving;
  const args = [
    `--tensorflow_inter_op_parallelism=${t.interOpParallelism}`,
    `--tensorflow_intra_op_parallelism=${t.intraOpParallelism}`,
  ];
  if (t.batching) {
    args.push('--enable_batching=true', `--batching_parameters_file=${BATCHING_DIR}/${BATCHING_FILE}`);
  }
  return [...args, ...t.extraArgs];
}

/**
 * Readiness asks the model's metadata over REST: TF Serving answers it only from a servable that is AVAILABLE
 * (`GET /v1/models/NAME` answers 200 while a version is still LOADING), so Ready means "can serve".
 */
function modelProbe(scenario: Scenario, failureThreshold: number): V1Probe {
  const p = scenario.probes;
  return {
    httpGet: { path: `/v1/models/${scenario.tfserving.modelName}/metadata`, port: 'restapi' },
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold,
  };
}

export function renderDeployment(input: DeploymentInput): V1Deployment {
  const { scenario, labels, names, selector } = input;
  const resources = {
    cpu: formatCpu(scenario.resources.cpuMillis),
    memory: formatMemory(scenario.resources.memoryMiB),
  };
  const annotations: Record<string, string> = { [ANNOTATIONS.image]: input.image };
  if (input.runId) annotations[ANNOTATIONS.runId] = input.runId;
  const batching = input.batchingHash !== undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.deployment, namespace: input.namespace, labels, annotations },
    spec: {
      replicas: input.replicas,
      selector: { matchLabels: { ...selector } },
      progressDeadlineSeconds: scenario.rollout.progressDeadlineSeconds,
      minReadySeconds: scenario.rollout.minReadySeconds,
      revisionHistoryLimit: 5,
      // One pod per node and no spare node: replace pods one at a time instead of surging.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: { ...input.podLabels, ...selector },
          ...(batching ? { annotations: { [ANNOTATIONS.batchingHash]: input.batchingHash ?? '' } } : {}),
        },
        spec: {
          ...(input.nodeSelector ? { nodeSelector: { 'cloud.google.com/gke-nodepool': scenario.node.pool } } : {}),
          tolerations: [{ ...SERVING_TAINT, operator: 'Equal' }],
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { ...selector } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          terminationGracePeriodSeconds: scenario.rollout.terminationGracePeriodSeconds,
          containers: [
            {
              name: names.container,
              image: input.image,
              env: [{ name: 'MODEL_NAME', value: scenario.tfserving.modelName }],
              args: tfServingArgs(scenario),
              ports: [
                { name: 'grpc', containerPort: PORTS.grpc, protocol: 'TCP' },
                { name: 'restapi', containerPort: PORTS.rest, protocol: 'TCP' },
              ],
              resources: { requests: { ...resources }, limits: { ...resources } },
              startupProbe: modelProbe(
                scenario,
                Math.ceil(scenario.probes.startupSeconds / scenario.probes.periodSeconds),
              ),
              readinessProbe: modelProbe(scenario, scenario.probes.failureThreshold),
              livenessProbe: {
                tcpSocket: { port: 'grpc' },
                periodSeconds: 10,
                timeoutSeconds: scenario.probes.timeoutSeconds,
                failureThreshold: 6,
              },
              // Endpoints take a moment to drop a terminating pod; keep serving meanwhile.
              ...(scenario.rollout.preStopSleepSeconds > 0
                ? { lifecycle: { preStop: { sleep: { seconds: scenario.rollout.preStopSleepSeconds } } } }
                : {}),
              ...(batching
                ? { volumeMounts: [{ name: 'batching-config', mountPath: BATCHING_DIR, readOnly: true }] }
                : {}),
            },
          ],
          ...(batching ? { volumes: [{ name: 'batching-config', configMap: { name: names.configMap } }] } : {}),
        },
      },
    },
  };
}
