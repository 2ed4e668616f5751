import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ConfigError, errorMessage } from '../../shared/errors.js';
import { parseBatchingParameters, type BatchingParameters } from './batching-config.js';
import { DEFAULT_COST, type CostParams } from './cost-model.js';
import { parseMonitoringConfig, type MonitoringConfig } from './monitoring-config.js';

/** Everything the simulator needs, resolved from flags (or given directly by tests). */
export interface SimOptions {
  modelName: string;
  /** The directory holding the numeric version directories, as TF Serving's --model_base_path. */
  modelBasePath: string;
  /** gRPC port; 0 picks a free one (TF Serving would refuse 0). */
  port: number;
  /** REST port; undefined keeps REST off (TF Serving's --rest_api_port=0). Programmatically, 0 picks a free one. */
  restApiPort: number | undefined;
  host: string;
  cpus: number;
  intraOp: number;
  interOp: number;
  /** Present when --enable_batching is on. */
  batching: BatchingParameters | undefined;
  monitoring: MonitoringConfig | undefined;
  loadTimeMs: number;
  pollWaitSeconds: number;
  maxInFlight: number;
  cost: CostParams;
  fixedLatencyMs: number | undefined;
  stall: { everyMs: number; stallMs: number } | undefined;
}

const s = { type: 'string' } as const;

/** Flags of tensorflow_model_server that the simulator honours, plus its own (`--cpus`, `--load_time_ms`, `--sim_*`). */
export const SIM_FLAGS = {
  port: s,
  rest_api_port: s,
  model_name: s,
  model_base_path: s,
  tensorflow_intra_op_parallelism: s,
  tensorflow_inter_op_parallelism: s,
  tensorflow_session_parallelism: s,
  enable_batching: s,
  batching_parameters_file: s,
  monitoring_config_file: s,
  file_system_poll_wait_seconds: s,
  model_config_file: s,
  cpus: s,
  host: s,
  load_time_ms: s,
  sim_max_in_flight: s,
  sim_cpu_ms_per_example: s,
  sim_fixed_latency_ms: s,
  sim_stall_every_ms: s,
  sim_stall_ms: s,
} as const;

/** tensorflow_model_server flags accepted so that real deployment args work, with no effect on the simulation. */
export const IGNORED_TF_FLAGS = [
  'rest_api_timeout_in_ms',
  'rest_api_num_threads',
  'grpc_max_threads',
  'enable_model_warmup',
  'saved_model_tags',
  'grpc_channel_arguments',
  'enable_grpc_healthcheck_service',
  'per_process_gpu_memory_fraction',
  'flush_filesystem_caches',
  'num_load_threads',
  'num_unload_threads',
  'max_num_load_retries',
  'load_retry_interval_micros',
  'xla_cpu_compilation_enabled',
  'rest_api_enable_cors_support',
] as const;

export const BOOLEAN_FLAGS = [
  'enable_batching',
  'enable_model_warmup',
  'enable_grpc_healthcheck_service',
  'flush_filesystem_caches',
  'xla_cpu_compilation_enabled',
  'rest_api_enable_cors_support',
];

/** TF Serving writes booleans as `--enable_batching` or `--enable_batching=true`; parseArgs needs one form. */
export function normalizeBooleanFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => (BOOLEAN_FLAGS.some((f) => arg === `--${f}`) ? `${arg}=true` : arg));
}

type Values = Partial<Record<keyof typeof SIM_FLAGS | (typeof IGNORED_TF_FLAGS)[number], string>>;

/**
 * Resolves parsed flag values (and MODEL_NAME / MODEL_BASE_PATH, as the TF Serving image's entrypoint uses them)
 * into SimOptions, reading the batching and monitoring files. Every problem is reported at once as a ConfigError.
 */
export async function resolveSimOptions(values: Values, env: NodeJS.ProcessEnv = {}): Promise<SimOptions> {
  const problems: string[] = [];
  const int = (name: keyof Values, fallback: number, min = 0): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) problems.push(`--${name}=${text}: expected an integer >= ${min}`);
    return n;
  };
  const bool = (name: keyof Values): boolean => {
    const text = values[name];
    if (text !== undefined && !/^(true|false|1|0)$/.test(text))
      problems.push(`--${name}=${text}: expected true or false`);
    return text === 'true' || text === '1';
  };
  if (values.model_config_file !== undefined) {
    problems.push('--model_config_file is not simulated: serve one model with --model_name and --model_base_path');
  }
  const modelName = values.model_name ?? env['MODEL_NAME'] ?? 'default';
  const envBase = env['MODEL_BASE_PATH'] ? `${env['MODEL_BASE_PATH']}/${modelName}` : undefined;
  const modelBasePath = values.model_base_path ?? envBase;
  if (!modelBasePath)
    problems.push('Both server_options.model_base_path and server_options.model_config_file are empty!');

  // A CPU limit is a quota, not whole cores: 7500m simulates 7.5 CPUs. Thread counts ("auto") use the whole cores.
  // Without --cpus, a container simulates its own limit, as the pod's CPU limit is its cgroup's quota.
  const cpusText = values.cpus;
  const cpus = cpusText === undefined ? ((await cgroupCpuLimit()) ?? availableParallelism()) : Number(cpusText);
  if (!Number.isFinite(cpus) || cpus < 0.1) problems.push(`--cpus=${cpusText}: expected a number of CPUs >= 0.1`);
  const cores = Math.max(1, Math.floor(cpus));
  const session = int('tensorflow_session_parallelism', 0);
  const intra = int('tensorflow_intra_op_parallelism', session);
  const inter = int('tensorflow_inter_op_parallelism', session);
  const enableBatching = bool('enable_batching');
  let batching: BatchingParameters | undefined;
  if (values.batching_parameters_file !== undefined && !enableBatching) {
    problems.push(
      'server_options.batching_parameters_file is set without setting server_options.enable_batching to true.',
    );
  } else if (enableBatching) {
    batching = await readConfig(values.batching_parameters_file, problems, (text) =>
      parseBatchingParameters(text, cores),
    );
    batching ??= values.batching_parameters_file ? undefined : parseBatchingParameters('', cores);
    if (batching && !values.batching_parameters_file) batching.threadPoolName = 'model_server_batch_threads';
  }
  const monitoring = await readConfig(values.monitoring_config_file, problems, parseMonitoringConfig);
  const fixed = values.sim_fixed_latency_ms === undefined ? undefined : int('sim_fixed_latency_ms', 0);
  const everyMs = int('sim_stall_every_ms', 0);
  const stallMs = int('sim_stall_ms', 0);
  if (everyMs > 0 !== stallMs > 0 || (everyMs > 0 && stallMs >= everyMs)) {
    problems.push('--sim_stall_every_ms and --sim_stall_ms go together, with the stall shorter than the period');
  }
  const cpuMs =
    values.sim_cpu_ms_per_example === undefined ? DEFAULT_COST.cpuMsPerExample : Number(values.sim_cpu_ms_per_example);
  if (!(cpuMs > 0))
    problems.push(`--sim_cpu_ms_per_example=${values.sim_cpu_ms_per_example}: expected a positive number`);
  const options: SimOptions = {
    modelName,
    modelBasePath: modelBasePath ?? '',
    port: int('port', 8500),
    restApiPort: int('rest_api_port', 0) || undefined,
    host: values.host ?? '127.0.0.1',
    cpus,
    // TF's "auto" (0) means the host's cores; in the simulation the host is --cpus.
    intraOp: intra || cores,
    interOp: inter || cores,
    batching,
    monitoring,
    loadTimeMs: int('load_time_ms', 100),
    pollWaitSeconds: int('file_system_poll_wait_seconds', 1),
    maxInFlight: int('sim_max_in_flight', 256, 1),
    cost: { ...DEFAULT_COST, cpuMsPerExample: cpuMs },
    fixedLatencyMs: fixed,
    stall: everyMs > 0 ? { everyMs, stallMs } : undefined,
  };
  if (problems.length) throw new ConfigError(problems);
  return options;
}

/**
 * The CPUs of this process's cgroup quota (a container's CPU limit), or undefined when it has none: cgroup v2's
 * cpu.max ("max 100000" or "750000 100000"), else cgroup v1's cpu.cfs_quota_us (-1 when unlimited) over
 * cpu.cfs_period_us. In a container these files are the container's own.
 */
export async function cgroupCpuLimit(root = '/sys/fs/cgroup'): Promise<number | undefined> {
  const read = (file: string) =>
    readFile(join(root, file), 'utf8').then(
      (text) => text.trim().split(/\s+/),
      () => [],
    );
  const v2 = await read('cpu.max');
  const [quota, period] = v2.length
    ? v2
    : [...(await read('cpu/cpu.cfs_quota_us')), ...(await read('cpu/cpu.cfs_period_us'))];
  const cpus = Number(quota) / Number(period);
  return Number(quota) > 0 && Number.isFinite(cpus) ? cpus : undefined;
}

async function readConfig<T>(
  file: string | undefined,
  problems: string[],
  parse: (text: string) => T,
): Promise<T | undefined> {
  if (file === undefined) return undefined;
  try {
    return parse(await readFile(file, 'utf8'));
  } catch (err) {
    problems.push(`${file}: ${errorMessage(err)}`);
    return undefined;
  }
}
