export { parseBatchingParameters, BatchingConfigError, type BatchingParameters } from './batching-config.js';
export { realClock, type SimClock } from './clock.js';
export {
  DEFAULT_COST,
  idleLatencyMs,
  runWorkMs,
  share,
  throughput,
  type Capacity,
  type CostParams,
} from './cost-model.js';
export { parseMonitoringConfig, DEFAULT_PROMETHEUS_PATH, type MonitoringConfig } from './monitoring-config.js';
export { resolveSimOptions, normalizeBooleanFlags, SIM_FLAGS, IGNORED_TF_FLAGS, type SimOptions } from './options.js';
export { startTfServingSim, SimStartError, type SimDeps, type TfServingSim } from './sim.js';

/** The one line `modelship tfs-sim` prints on stdout once its ports are open. */
export const SERVING_LINE_PREFIX = 'tfs-sim: serving';
