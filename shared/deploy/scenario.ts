import { z } from 'zod';
import { BatchingParametersSchema, batchingProblems, type BatchingParameters } from './batching.js';
import {
  machineShape,
  podCapacity,
  gkeAllocatable,
  SYSTEM_PODS,
  type NodeShape,
  type PodResources,
} from './node-fit.js';
import { formatCpu, formatMemory, parseCpuMillis, parseMemoryMiB } from './quantity.js';

/**
 * A serving scenario: one YAML file in scenarios/, named by its file name. The schema below is the file format;
 * `resolveScenario` adds the defaults that depend on other fields (pod resources from the node, intra-op threads
 * from the CPU) and the checks that span fields, so that a Scenario is always deployable as it stands.
 */

export const SCENARIO_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const int = (min: number, max: number) =>
  z.number().int(`a whole number from ${min} to ${max}`).min(min, `at least ${min}`).max(max, `at most ${max}`);

/** Flags that the scenario's own fields set; extraArgs may not set them a second time. */
const MANAGED_FLAGS: Record<string, string> = {
  port: 'the container port 8500',
  rest_api_port: 'the container port 8501',
  model_name: 'tfserving.modelName',
  model_base_path: 'the image (MODEL_BASE_PATH)',
  model_config_file: 'tfserving.modelName',
  tensorflow_inter_op_parallelism: 'tfserving.interOpParallelism',
  tensorflow_intra_op_parallelism: 'tfserving.intraOpParallelism',
  enable_batching: 'tfserving.batching',
  batching_parameters_file: 'tfserving.batching',
};

export const ScenarioFileSchema = z.strictObject({
  description: z.string().min(1, 'a sentence saying what the scenario is for'),
  replicas: int(1, 100),
  node: z.strictObject({
    machineType: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a Compute Engine machine type such as n2-custom-8-16384'),
    vcpus: int(1, 416).optional(),
    memoryGiB: z.number().positive('a positive number of GiB').optional(),
    pool: z
      .string()
      .regex(/^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/, 'a GKE node pool name: lower-case letters, digits, dashes, ≤ 40')
      .optional(),
  }),
  resources: z
    .strictObject({
      cpu: z.union([z.string(), z.number()]).transform(String).optional(),
      memory: z.string().optional(),
    })
    .optional(),
  tfserving: z.strictObject({
    modelName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a TF Serving model name: letters, digits, _ . -')
      .default('resnet'),
    interOpParallelism: int(1, 256),
    intraOpParallelism: int(1, 256).optional(),
    batching: BatchingParametersSchema.optional(),
    extraArgs: z
      .array(z.string().regex(/^--[a-z0-9_]+(=.*)?$/, 'a TF Serving flag such as --rest_api_num_threads=16'))
      .default([]),
  }),
  probes: z
    .strictObject({
      startupSeconds: int(10, 3600).default(600),
      periodSeconds: int(1, 60).default(5),
      timeoutSeconds: int(1, 60).default(2),
      failureThreshold: int(1, 30).default(3),
    })
    .prefault({}),
  rollout: z
    .strictObject({
      progressDeadlineSeconds: int(30, 7200).default(900),
      minReadySeconds: int(0, 600).default(0),
      terminationGracePeriodSeconds: int(1, 600).default(60),
      preStopSleepSeconds: int(0, 120).default(10),
    })
    .prefault({}),
  // Internal by default: TF Serving has no authentication, so a public address would let anyone call the model.
  service: z.strictObject({ exposure: z.enum(['external', 'internal']).default('internal') }).prefault({}),
});

export type ScenarioFile = z.infer<typeof ScenarioFileSchema>;

export interface Scenario {
  name: string;
  description: string;
  replicas: number;
  node: NodeShape & { machineType: string; pool: string };
  /** Requests and limits alike: Guaranteed QoS. */
  resources: PodResources;
  tfserving: {
    modelName: string;
    interOpParallelism: number;
    intraOpParallelism: number;
    batching?: BatchingParameters;
    extraArgs: string[];
  };
  probes: ScenarioFile['probes'];
  rollout: ScenarioFile['rollout'];
  service: ScenarioFile['service'];
}

/** The vCPU a scenario pays for: replicas × the pod's CPU (Guaranteed QoS: what is requested is reserved). */
export function scenarioVcpus(scenario: Pick<Scenario, 'replicas' | 'resources'>): number {
  return (scenario.replicas * scenario.resources.cpuMillis) / 1000;
}

function nodeOf(file: ScenarioFile, problems: string[]): Scenario['node'] | undefined {
  const { machineType, vcpus, memoryGiB } = file.node;
  const known = machineShape(machineType);
  if (known && vcpus !== undefined && vcpus !== known.vcpus) {
    problems.push(`node.vcpus: ${vcpus} does not match machine type ${machineType} (${known.vcpus} vCPU)`);
  }
  if (known && memoryGiB !== undefined && memoryGiB !== known.memoryGiB) {
    problems.push(`node.memoryGiB: ${memoryGiB} does not match machine type ${machineType} (${known.memoryGiB} GiB)`);
  }
  const shape = known ?? (vcpus !== undefined && memoryGiB !== undefined ? { vcpus, memoryGiB } : undefined);
  if (!shape) {
    problems.push(
      `node.machineType: ${machineType} is not a type this project knows; give node.vcpus and node.memoryGiB`,
    );
    return undefined;
  }
  return { ...shape, machineType, pool: file.node.pool ?? `tfs-${machineType}`.slice(0, 40).replace(/-+$/, '') };
}

interface ResourceRule {
  field: 'cpu' | 'memory';
  what: string;
  text: string | undefined;
  parse: (text: string) => number | undefined;
  format: (value: number) => string;
  example: string;
  min: number;
  allocatable: number;
  system: number;
  capacity: number;
}

/** One resource of the pod: given (and then parsed, and checked against what the node offers) or the most it can. */
function fit(rule: ResourceRule, machineType: string, problems: string[]): number {
  if (rule.text === undefined) return rule.capacity;
  const value = rule.parse(rule.text);
  const at = `resources.${rule.field}`;
  if (value === undefined) problems.push(`${at}: expected a ${rule.what} quantity such as ${rule.example}`);
  else if (value < rule.min) problems.push(`${at}: at least ${rule.format(rule.min)}`);
  else if (value > rule.capacity) {
    problems.push(
      `${at}: ${rule.format(value)} does not fit: a ${machineType} node offers a pod at most ` +
        `${rule.format(rule.capacity)} of ${rule.what} (GKE allocatable ${rule.format(rule.allocatable)} minus ` +
        `${rule.format(rule.system)} for system pods)`,
    );
  }
  return value ?? rule.capacity;
}

function resourcesOf(file: ScenarioFile, node: Scenario['node'], problems: string[]): PodResources {
  const capacity = podCapacity(node);
  const allocatable = gkeAllocatable(node);
  const cpu: ResourceRule = {
    field: 'cpu',
    what: 'CPU',
    text: file.resources?.cpu,
    parse: parseCpuMillis,
    format: formatCpu,
    example: '7500m or 7.5',
    min: 100,
    allocatable: allocatable.cpuMillis,
    system: SYSTEM_PODS.cpuMillis,
    capacity: capacity.cpuMillis,
  };
  const memory: ResourceRule = {
    field: 'memory',
    what: 'memory',
    text: file.resources?.memory,
    parse: parseMemoryMiB,
    format: formatMemory,
    example: '13056Mi or 12Gi',
    min: 256,
    allocatable: allocatable.memoryMiB,
    system: SYSTEM_PODS.memoryMiB,
    capacity: capacity.memoryMiB,
  };
  return { cpuMillis: fit(cpu, node.machineType, problems), memoryMiB: fit(memory, node.machineType, problems) };
}

function extraArgProblems(args: readonly string[]): string[] {
  return args.flatMap((arg) => {
    const flag = /^--([a-z0-9_]+)/.exec(arg)?.[1] ?? '';
    const owner = MANAGED_FLAGS[flag];
    return owner ? [`tfserving.extraArgs: --${flag} is set from ${owner}; set it there instead`] : [];
  });
}

/** The scenario a parsed file describes, or the problems that stop it from being deployed. */
export function resolveScenario(name: string, file: ScenarioFile): { scenario?: Scenario; problems: string[] } {
  const problems: string[] = [];
  if (!SCENARIO_NAME.test(name)) {
    problems.push(`name: '${name}' is not a scenario name: lower-case letters, digits and dashes, at most 63`);
  }
  const node = nodeOf(file, problems);
  const resources = node ? resourcesOf(file, node, problems) : undefined;
  const { batching } = file.tfserving;
  if (batching) problems.push(...batchingProblems(batching).map((p) => `tfserving.batching.${p}`));
  problems.push(...extraArgProblems(file.tfserving.extraArgs));
  if (file.rollout.progressDeadlineSeconds <= file.probes.startupSeconds) {
    problems.push(
      `rollout.progressDeadlineSeconds: ${file.rollout.progressDeadlineSeconds} must exceed probes.startupSeconds ` +
        `(${file.probes.startupSeconds}), or a slow model load counts as a failed rollout`,
    );
  }
  if (problems.length > 0 || !node || !resources) return { problems };
  const { modelName, interOpParallelism, extraArgs } = file.tfserving;
  const tfserving: Scenario['tfserving'] = {
    modelName,
    interOpParallelism,
    intraOpParallelism: file.tfserving.intraOpParallelism ?? Math.ceil(resources.cpuMillis / 1000),
    extraArgs,
    ...(batching ? { batching } : {}),
  };
  const { description, replicas, probes, rollout, service } = file;
  return { scenario: { name, description, replicas, node, resources, tfserving, probes, rollout, service }, problems };
}
