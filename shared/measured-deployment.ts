import { armOf } from './arm.js';
import type { BatchingParameters } from './deploy/batching.js';
import type { Scenario } from './deploy/scenario.js';
import type { RunRecord } from './store.js';

/**
 * What a pipeline load test measured, beside the figures: the scenario as it was deployed (replicas, node, pod
 * resources, TF Serving's threads and batching), the image by digest, the model, the run and the release. The
 * deployer records the serving parameters with the candidate (they may differ from the scenario file: the cluster's
 * DEPLOY_REPLICAS, a file edited since), launchLoadTest hands the whole to the job as MODELSHIP_DEPLOYMENT (JSON),
 * and the load tester copies it into summary.json as `deployment` so the report says what was measured.
 */
export interface ServingParameters {
  readonly replicas: number;
  readonly machineType: string;
  /** Per pod, requests and limits alike. */
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly interOpParallelism: number;
  readonly intraOpParallelism: number;
  /** Absent: TF Serving's batching is off. */
  readonly batching?: BatchingParameters;
}

export interface MeasuredDeployment {
  readonly scenario: string;
  /** `baseline`: the serving image measured beside the release with the same scenario. */
  readonly arm: 'release' | 'baseline';
  readonly runId: string;
  /** REGISTRY/PATH@sha256:DIGEST */
  readonly image: string;
  readonly model: string;
  /** The GitHub release of the run; absent for a redeploy. */
  readonly release?: { readonly repository: string; readonly tag: string };
  /** Absent when the deploy recorded none (a run from before they were recorded). */
  readonly parameters?: ServingParameters;
}

/** The serving parameters of a scenario as deployed, with the replicas the cluster's configuration may override. */
export function servingParameters(scenario: Scenario, replicas = scenario.replicas): ServingParameters {
  const { interOpParallelism, intraOpParallelism, batching } = scenario.tfserving;
  return {
    replicas,
    machineType: scenario.node.machineType,
    cpuMillis: scenario.resources.cpuMillis,
    memoryMiB: scenario.resources.memoryMiB,
    interOpParallelism,
    intraOpParallelism,
    ...(batching ? { batching } : {}),
  };
}

/** The deployment of one candidate of a run, from what the run record holds. */
export function measuredDeployment(run: RunRecord, key: string, model: string): MeasuredDeployment {
  const { scenario, arm } = armOf(key);
  const candidate = run.scenarios?.[key];
  return {
    scenario,
    arm,
    runId: run.runId,
    image: candidate?.image ?? '',
    model,
    ...(run.repository && run.tag ? { release: { repository: run.repository, tag: run.tag } } : {}),
    ...(candidate?.deployed ? { parameters: candidate.deployed } : {}),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const SERVING_NUMBERS = ['replicas', 'cpuMillis', 'memoryMiB', 'interOpParallelism', 'intraOpParallelism'] as const;

/** Problems with a MeasuredDeployment read from JSON (empty when it is one). */
export function measuredDeploymentProblems(v: unknown): string[] {
  if (!isObject(v)) return ['expected a JSON object'];
  const problems = (['scenario', 'runId', 'image', 'model'] as const)
    .filter((f) => typeof v[f] !== 'string')
    .map((f) => `${f}: expected a string`);
  if (v.arm !== 'release' && v.arm !== 'baseline') problems.push('arm: expected release or baseline');
  const { release, parameters } = v;
  if (
    release !== undefined &&
    !(isObject(release) && typeof release.repository === 'string' && typeof release.tag === 'string')
  )
    problems.push('release: expected {repository, tag}');
  if (parameters !== undefined) {
    if (!isObject(parameters) || typeof parameters.machineType !== 'string')
      problems.push('parameters: expected {replicas, machineType, cpuMillis, ...}');
    else
      problems.push(
        ...SERVING_NUMBERS.filter((f) => typeof parameters[f] !== 'number').map(
          (f) => `parameters.${f}: expected a number`,
        ),
      );
  }
  return problems;
}
