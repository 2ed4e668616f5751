import type { ServingParameters } from '../../shared/measured-deployment.js';

/** What the deploy records for scenario 2n-8c-16r-interop4 (two n2-custom-8-16384 nodes, inter-op 4). */
export const SAMPLE_PARAMETERS: ServingParameters = {
  replicas: 2,
  machineType: 'n2-custom-8-16384',
  cpuMillis: 7500,
  memoryMiB: 13056,
  interOpParallelism: 4,
  intraOpParallelism: 8,
};
