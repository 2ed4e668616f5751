import { errorMessage, ModelshipError } from '../../shared/errors.js';
import {
  listModelVersions,
  readSimModelFile,
  SavedModelError,
  SIM_MODEL_FILE,
  validateModelDir,
  type ModelState,
} from '../../shared/tfserving/index.js';
import { createBatchScheduler } from './batch-scheduler.js';
import { realClock, type SimClock } from './clock.js';
import { createSimMetrics } from './metrics.js';
import { createModelStates, type ModelStates } from './model-state.js';
import { DEFAULT_PROMETHEUS_PATH } from './monitoring-config.js';
import type { SimOptions } from './options.js';
import { createFixedLatencyRunner, createSharedCpuRunner } from './runner.js';
import { createServable } from './servable.js';
import { createSimService } from './sim-service.js';
import { createStallGate, openGate } from './stall-gate.js';
import { startGrpcServer } from './grpc-server.js';
import { startRestServer } from './rest-server.js';

/** The model could not be loaded: TF Serving exits on this, and so does `modelship tfs-sim`. */
export class SimStartError extends ModelshipError {
  override readonly name = 'SimStartError';
}

export interface SimDeps {
  clock?: SimClock;
  /** TF Serving-style log lines (stderr in the CLI). */
  log?: (line: string) => void;
  onState?: (version: number, state: ModelState) => void;
  /** Aborts a start that is still waiting for a version directory or loading. */
  signal?: AbortSignal;
}

export interface TfServingSim {
  grpcPort: number;
  restPort: number | undefined;
  version: number;
  states: ModelStates;
  /** Simulated CPU seconds spent so far (0 with a fixed latency). */
  cpuSeconds(): number;
  metricsText(): string;
  stop(): Promise<void>;
}

function wait(ms: number, clock: SimClock, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SimStartError('tfs-sim: stopped before the model was loaded'));
    const onAbort = () => {
      cancel();
      reject(new SimStartError('tfs-sim: stopped before the model was loaded'));
    };
    const cancel = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** TF Serving keeps polling a base path without version directories; so does the simulator, ports closed. */
async function awaitVersion(
  options: SimOptions,
  clock: SimClock,
  log: (l: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  for (;;) {
    try {
      await validateModelDir(options.modelBasePath, options.modelName).catch((err: unknown) => {
        if (err instanceof SavedModelError && err.kind === 'invalid') return; // found a version; loading reports it
        throw err;
      });
      const versions = await listModelVersions(options.modelBasePath);
      return versions[versions.length - 1] as number;
    } catch (err) {
      if (!(err instanceof SavedModelError) || err.kind !== 'no-version')
        throw new SimStartError(errorMessage(err), { cause: err });
      log(`W tfs-sim: ${err.message}`);
      await wait(options.pollWaitSeconds * 1000 || 1000, clock, signal);
    }
  }
}

/**
 * Starts the TF Serving simulator: finds the highest version, takes it START -> LOADING -> AVAILABLE (after
 * loadTimeMs), and only then opens the gRPC and REST ports, as tensorflow_model_server does.
 */
export async function startTfServingSim(options: SimOptions, deps: SimDeps = {}): Promise<TfServingSim> {
  const clock = deps.clock ?? realClock;
  const log = deps.log ?? (() => {});
  const states = createModelStates(options.modelName, (v, state) => {
    log(`I tfs-sim: model ${options.modelName} version ${v}: ${state}`);
    deps.onState?.(v, state);
  });
  const version = await awaitVersion(options, clock, log, deps.signal);
  states.set(version, 'START');
  states.set(version, 'LOADING');
  let signatures;
  let slowdown = 1;
  try {
    let path;
    ({ signatures, path } = await validateModelDir(options.modelBasePath, options.modelName));
    slowdown = (await readSimModelFile(path))?.slowdown ?? 1;
    await wait(options.loadTimeMs, clock, deps.signal);
  } catch (err) {
    states.set(version, 'END', { code: 'UNKNOWN', message: errorMessage(err) });
    throw new SimStartError(
      `Loading servable: {name: ${options.modelName} version: ${version}} failed: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  states.set(version, 'AVAILABLE');

  const cost = { ...options.cost, cpuMsPerExample: options.cost.cpuMsPerExample * slowdown };
  if (slowdown !== 1) {
    const what =
      options.fixedLatencyMs !== undefined
        ? `${options.fixedLatencyMs * slowdown} ms per session run`
        : `${cost.cpuMsPerExample} ms of CPU per example`;
    log(
      `I tfs-sim: model ${options.modelName} version ${version}: ${SIM_MODEL_FILE} slows it down ${slowdown}x (${what})`,
    );
  }
  const capacity = { cpus: options.cpus, intraOp: options.intraOp, interOp: options.interOp };
  const runner =
    options.fixedLatencyMs !== undefined
      ? createFixedLatencyRunner(options.fixedLatencyMs * slowdown, clock)
      : createSharedCpuRunner(cost, capacity, clock);
  const metrics = createSimMetrics(options.modelName, options.batching?.threadPoolName ?? '', () => runner.cpuMs());
  const service = createSimService({
    servable: createServable(options.modelName, signatures, states),
    scheduler: options.batching && createBatchScheduler(options.batching, runner, clock, { onBatch: metrics.batch }),
    runner,
    gate: options.stall ? createStallGate(options.stall.everyMs, options.stall.stallMs, clock) : openGate,
    metrics,
    clock,
    maxInFlight: options.maxInFlight,
  });
  const grpc = await startGrpcServer(service, options.host, options.port).catch((err: unknown) => {
    throw new SimStartError(
      `Failed to BuildAndStart gRPC server on ${options.host}:${options.port}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  });
  const prometheus = options.monitoring?.prometheusEnabled
    ? { path: options.monitoring.prometheusPath || DEFAULT_PROMETHEUS_PATH, render: metrics.render }
    : undefined;
  const rest =
    options.restApiPort === undefined
      ? undefined
      : await startRestServer(service, options.host, options.restApiPort, prometheus).catch(async (err: unknown) => {
          await grpc.stop();
          throw new SimStartError(
            `Failed to start HTTP Server at ${options.host}:${options.restApiPort}: ${errorMessage(err)}`,
            {
              cause: err,
            },
          );
        });
  log(`I tfs-sim: Running gRPC ModelServer at ${options.host}:${grpc.port} ...`);
  if (rest) log(`I tfs-sim: Exporting HTTP/REST API at:${options.host}:${rest.port} ...`);

  let stopping: Promise<void> | undefined;
  return {
    grpcPort: grpc.port,
    restPort: rest?.port,
    version,
    states,
    cpuSeconds: () => runner.cpuMs() / 1000,
    metricsText: metrics.render,
    stop() {
      stopping ??= (async () => {
        states.set(version, 'UNLOADING');
        await Promise.all([grpc.stop(), rest?.stop()]);
        states.set(version, 'END');
      })();
      return stopping;
    },
  };
}
