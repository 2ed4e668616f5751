import { describe, expect, it } from 'vitest';
import { resolveScenario, ScenarioFileSchema } from '../../../shared/deploy/scenario.js';
import {
  measuredDeployment,
  measuredDeploymentProblems,
  servingParameters,
} from '../../../shared/measured-deployment.js';

const { scenario } = resolveScenario(
  '2n-8c-64r-interop4-batch',
  ScenarioFileSchema.parse({
    description: 'd',
    replicas: 2,
    node: { machineType: 'n2-highmem-8' },
    tfserving: {
      interOpParallelism: 4,
      batching: { maxBatchSize: 128, batchTimeoutMicros: 0, maxEnqueuedBatches: 2, numBatchThreads: 2 },
    },
  }),
);

describe('the deployment a load test measured', () => {
  it('takes the serving parameters as deployed, with the replicas the cluster may override', () => {
    const parameters = servingParameters(scenario!, 1);
    expect(parameters).toMatchObject({ replicas: 1, machineType: 'n2-highmem-8', interOpParallelism: 4 });
    expect(parameters.intraOpParallelism).toBe(Math.ceil(parameters.cpuMillis / 1000));
    expect(parameters.batching?.maxBatchSize).toBe(128);
  });

  it('is built from the run record: the candidate, its image and parameters, the run and its release', () => {
    const deployed = servingParameters(scenario!);
    const run = {
      runId: 'r-1',
      status: 'running' as const,
      createdAt: '',
      updatedAt: '',
      repository: 'acme/resnet',
      tag: 'v2',
      stages: {},
      scenarios: { 's~baseline': { status: 'running' as const, image: 'i@sha256:b', deployed } },
    };
    const measured = measuredDeployment(run, 's~baseline', 'resnet');
    expect(measured).toEqual({
      scenario: 's',
      arm: 'baseline',
      runId: 'r-1',
      image: 'i@sha256:b',
      model: 'resnet',
      release: { repository: 'acme/resnet', tag: 'v2' },
      parameters: deployed,
    });
    expect(measuredDeploymentProblems(JSON.parse(JSON.stringify(measured)))).toEqual([]);
    expect(measuredDeployment({ ...run, tag: undefined }, 's', 'resnet')).not.toHaveProperty('release');
  });
});
